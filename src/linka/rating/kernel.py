"""The rating kernel's frame API: a frame of usage records in, a price per record out.

Input columns (see :data:`USAGE_COLUMNS`) come from the usage store joined with the
line's offering, the catalog version valid at the record's start and the bill period.
Rows must be in consumption order within each line and period (start time, then record
id): allowances and volume tiers are consumed in that order. The frame becomes one
integer array per column and :mod:`linka.rating.engine` rates them; this module also
holds the tables that decode the kernel's codes.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from linka.rating.engine import UsageArrays, rate_arrays
from linka.rating.model import STATUSES
from linka.rating.plan import RatingPlan
from linka.rating.ratetables import SERVICE_CODES
from linka.usage.records import DIRECTION_ENUM, SERVICE_ENUM

USAGE_COLUMNS: dict[str, pl.DataType] = {
    "line_id": pl.Int64(),
    "period": pl.Int64(),  # bill period key (e.g. days since epoch of its first day)
    "version_id": pl.Int64(),
    "offering_idx": pl.Int32(),  # the line's offering in the plan (see with_offering_idx)
    "service": pl.String(),
    "direction": pl.String(),
    "b_number": pl.Int64(),
    "start": pl.Datetime("us", "UTC"),
    "duration_s": pl.Int32(),
    "volume": pl.Int64(),  # bytes up + down
    "roaming_country": pl.String(),
}
I64 = npt.NDArray[np.int64]


def rate_usage(usage: pl.DataFrame, plan: RatingPlan) -> pl.DataFrame:
    """Rate and decode: :data:`RATED_SCHEMA` columns, same row order (tests, explanations)."""
    return describe(rate_codes(usage, plan), plan)


def rate_codes(usage: pl.DataFrame, plan: RatingPlan) -> pl.DataFrame:
    """Rate every record of ``usage``; returns :data:`CODE_SCHEMA` columns, same row order."""
    return rate_arrays(usage_arrays(usage), plan).frame()


def usage_arrays(frame: pl.DataFrame) -> UsageArrays:
    """:data:`USAGE_COLUMNS` of a frame as the engine's arrays (nulls as -1 or 0)."""
    service = frame["service"].cast(SERVICE_ENUM).to_physical().to_numpy()
    volume = frame["volume"].fill_null(0).to_numpy()
    duration = frame["duration_s"].fill_null(0).to_numpy().astype(np.int64)
    country, countries = country_codes(frame["roaming_country"])
    return UsageArrays(
        line=frame["line_id"].fill_null(-1).to_numpy().astype(np.int64),
        period=frame["period"].fill_null(-1).to_numpy().astype(np.int64),
        version_id=frame["version_id"].fill_null(-1).to_numpy().astype(np.int64),
        offering=frame["offering_idx"].fill_null(-1).to_numpy().astype(np.int64),
        service=service,
        direction=frame["direction"].cast(DIRECTION_ENUM).to_physical().to_numpy(),
        b_number=frame["b_number"].fill_null(0).to_numpy().astype(np.int64),
        epoch_s=frame["start"].dt.epoch("s").to_numpy(),
        quantity=used_quantity(service, duration, volume),
        country=country,
        countries=countries,
    )


def used_quantity(service: npt.NDArray[np.integer], duration: I64, volume: I64) -> I64:
    """What a record used in its service's base unit: seconds, 1 message or bytes."""
    result = np.zeros(len(service), dtype=np.int64)
    for code, values in ((SERVICE_CODES["voice"], duration), (SERVICE_CODES["data"], volume)):
        members = service == code
        result[members] = values[members]
    result[service == SERVICE_CODES["sms"]] = 1
    return result


def country_codes(countries: pl.Series) -> tuple[I64, list[str]]:
    """Roaming country of each record as a position in the returned names (-1: none)."""
    codes = np.full(len(countries), -1, dtype=np.int64)
    if countries.null_count() == len(countries):
        return codes, []
    abroad = np.flatnonzero(countries.is_not_null().to_numpy())
    present = countries.gather(abroad)
    named = (present.str.len_bytes() > 0).to_numpy()
    abroad, present = abroad[named], present.filter(named)
    names = sorted(present.unique().to_list())
    codes[abroad] = present.replace_strict(
        {name: i for i, name in enumerate(names)}, return_dtype=pl.Int64
    ).to_numpy()
    return codes, names


def with_offering_idx(frame: pl.DataFrame, plan: RatingPlan) -> pl.DataFrame:
    """Add ``offering_idx`` from ``version_id`` and ``offering_id`` (null: not in the plan)."""
    return frame.join(
        plan.offerings.select("version_id", "offering_id", "offering_idx"),
        on=["version_id", "offering_id"],
        how="left",
        maintain_order="left",
    )


def dictionaries(plan: RatingPlan) -> dict[str, pl.DataFrame]:
    """Code → text tables that decode :data:`CODE_SCHEMA` columns (stored with each run)."""
    allowance_ids = plan.allowances.ids
    return {
        "status": pl.DataFrame(
            {"status": range(len(STATUSES)), "status_text": [s.value for s in STATUSES]},
            schema={"status": pl.Int8, "status_text": pl.String},
        ),
        "key": plan.rates.keys.select(
            pl.col("key").cast(pl.Int32), "rule_id", "prefix", "zone_id", "band_id"
        ),
        "tariff_idx": pl.DataFrame(
            {
                "tariff_idx": [t.index for t in plan.tariffs],
                "version_id": [t.version_id for t in plan.tariffs],
                "tariff_id": [t.tariff.id for t in plan.tariffs],
                "currency": [t.tariff.currency for t in plan.tariffs],
            },
            schema={
                "tariff_idx": pl.Int32,
                "version_id": pl.Int64,
                "tariff_id": pl.String,
                "currency": pl.String,
            },
        ),
        "location_idx": pl.DataFrame(
            {"location_idx": range(len(plan.location_ids)), "location": plan.location_ids},
            schema={"location_idx": pl.Int8, "location": pl.String},
        ),
        "allowance_idx": pl.DataFrame(
            {"allowance_idx": range(len(allowance_ids)), "allowance_id": allowance_ids},
            schema={"allowance_idx": pl.Int32, "allowance_id": pl.String},
        ),
    }


def decode(codes: pl.LazyFrame, tables: dict[str, pl.DataFrame]) -> pl.LazyFrame:
    """Join the code columns with their text (small tables, broadcast joins)."""
    for column, table in tables.items():
        codes = codes.join(table.lazy(), on=column, how="left", maintain_order="left")
    return codes


def describe(codes: pl.DataFrame, plan: RatingPlan) -> pl.DataFrame:
    """Codes → :data:`RATED_SCHEMA` (text ids, as the reference rater reports them)."""
    decoded = decode(codes.lazy(), dictionaries(plan)).collect()
    return decoded.select(
        pl.col("status_text").alias("status"),
        "tariff_id",
        "zone_id",
        "band_id",
        "rule_id",
        "prefix",
        "location",
        "billable",
        "included",
        "allowance_id",
        "price_micro",
        "currency",
    )
