"""The vectorised rating kernel: a frame of usage records in, a price per record out.

Input columns (see :data:`USAGE_COLUMNS`) come from the usage store joined with the
line's offering, the catalog version valid at the record's start and the bill period.
Rows must be in consumption order (start time, then record id): allowances and volume
tiers are consumed in that order per line and period. Each step is one pass of array
operations over all records — joins on small frames, a trie lookup for prefixes, a
table lookup for time bands, grouped cumulative sums for allowances and tiers — and
prices are integers in micro-units rounded with the tariff's rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from linka.rating.localclock import local_seconds, minute_of_week
from linka.rating.model import CODE_SCHEMA, STATUSES, RatedStatus
from linka.rating.plan import MINUTES_PER_WEEK, RatingPlan
from linka.rating.pricing import consume_allowances, price
from linka.rating.ratetables import DIRECTION_CODES
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
    frame = usage.select(list(USAGE_COLUMNS))
    n = frame.height
    resolved = _resolve(frame, plan)
    tariff, table, service = resolved.tariff, resolved.table, resolved.service
    rates = plan.rates
    sets = np.where(table >= 0, rates.table_set[np.maximum(table, 0)], -1)
    numbers = frame["b_number"].fill_null(0).to_numpy()
    ordinal = rates.prefixes.lookup(sets, numbers)
    entry = np.where(ordinal >= 0, rates.table_base[np.maximum(table, 0)] + ordinal, -1)
    minute = _minute_of_week(frame, plan, tariff)
    band = plan.band_table[np.maximum(tariff, 0) * MINUTES_PER_WEEK + minute]
    key = np.where(entry >= 0, rates.key_of[np.maximum(entry, 0), band], -1).astype(np.int64)
    safe_key = np.maximum(key, 0)
    first = rates.first_increment[safe_key]
    step = rates.next_increment[safe_key]

    duration = frame["duration_s"].fill_null(0).to_numpy().astype(np.int64)
    volume = frame["volume"].fill_null(0).to_numpy()
    data_step = plan.data_increment[np.maximum(tariff, 0)]
    billable = np.select(
        [service == 0, service == 1, service == 2],
        [
            np.where(
                duration <= 0,
                0,
                np.where(duration <= first, first, first + -(-(duration - first) // step) * step),
            ),
            np.ones(n, dtype=np.int64),
            -(-volume // data_step) * data_step,
        ],
        0,
    ).astype(np.int64)
    status = _status(resolved, key >= 0, billable)
    priced = status == _PRICE
    billable = np.where(priced, billable, 0)

    location, offering = resolved.location, resolved.offering
    line = frame["line_id"].fill_null(-1).to_numpy()
    period = frame["period"].fill_null(-1).to_numpy()
    included, first_allowance = consume_allowances(
        plan, priced, billable, service, rates.zone_idx[safe_key], location, offering, line, period
    )
    charged = billable - included
    prices = price(plan, key, charged, line, period)
    prices = np.where(priced & (charged > 0), prices, 0)
    status = np.where(priced, np.where(charged > 0, _CHARGED, _INCLUDED), status)
    return pl.DataFrame(
        {
            "status": status.astype(np.int8),
            "key": _nullable(np.where(priced, key, -1)),
            "tariff_idx": _nullable(tariff),
            "location_idx": location.astype(np.int8),
            "billable": billable,
            "included": included,
            "allowance_idx": _nullable(first_allowance),
            "price_micro": prices,
        },
        schema=CODE_SCHEMA,
    )


def with_offering_idx(frame: pl.DataFrame, plan: RatingPlan) -> pl.DataFrame:
    """Add ``offering_idx`` from ``version_id`` and ``offering_id`` (null: not in the plan)."""
    return frame.join(
        plan.offerings.select("version_id", "offering_id", "offering_idx"),
        on=["version_id", "offering_id"],
        how="left",
        maintain_order="left",
    )


def _nullable(values: I64) -> pl.Series:
    """-1 (none) as null, the rest as Int32."""
    return pl.Series(values, dtype=pl.Int32).replace(-1, None)


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


@dataclass(frozen=True)
class _Resolved:
    offering: I64  # offering index (-1: not in the version)
    tariff: I64
    service: I64
    direction: I64
    location: I64  # index into plan.location_ids (0: home)
    table: I64  # prefix table (-1: no rates for this service, direction and place)


def _resolve(frame: pl.DataFrame, plan: RatingPlan) -> _Resolved:
    """Offering → tariff, country → place and roaming rates, then the prefix table."""
    n = frame.height
    offering = frame["offering_idx"].fill_null(-1).to_numpy().astype(np.int64)
    tariff = np.where(offering >= 0, plan.offering_tariff[np.maximum(offering, 0)], -1)
    service = frame["service"].cast(SERVICE_ENUM).to_physical().to_numpy().astype(np.int64)
    direction = frame["direction"].cast(DIRECTION_ENUM).to_physical().to_numpy().astype(np.int64)
    location = np.zeros(n, dtype=np.int64)
    rates_place = np.zeros(n, dtype=np.int64)
    abroad = np.nonzero(frame["roaming_country"].fill_null("").str.len_bytes().to_numpy() > 0)[0]
    if len(abroad):
        places = plan.places.with_columns(
            pl.col("location").replace_strict(plan.place_index, return_dtype=pl.Int64),
            pl.col("rates_roaming")
            .fill_null("")
            .replace_strict(plan.place_index | {"": 0}, return_dtype=pl.Int64),
        )
        visiting = frame[abroad].select("version_id", "roaming_country")
        exact = visiting.join(places, on=["version_id", "roaming_country"], how="left")
        rest = visiting.join(
            places.filter(pl.col("roaming_country") == "*").drop("roaming_country"),
            on="version_id",
            how="left",
        )
        location[abroad] = exact["location"].fill_null(rest["location"]).fill_null(0).to_numpy()
        rates_place[abroad] = (
            exact["rates_roaming"].fill_null(rest["rates_roaming"]).fill_null(0).to_numpy()
        )
    codes = plan.rates.table_code
    table = np.where(
        tariff >= 0,
        codes[
            np.maximum(tariff, 0), np.minimum(service, codes.shape[1] - 1), direction, rates_place
        ],
        -1,
    ).astype(np.int64)
    return _Resolved(offering, tariff, service, direction, location, table)


def _minute_of_week(frame: pl.DataFrame, plan: RatingPlan, tariff: I64) -> I64:
    """Minute of the week (Monday 00:00 = 0) of each start in its tariff's time zone."""
    epoch = frame["start"].dt.epoch("s").to_numpy()
    minutes = np.zeros(frame.height, dtype=np.int64)
    for zone in sorted({t.timezone for t in plan.tariffs}):
        members = np.array([t.timezone == zone for t in plan.tariffs])
        mask = members[np.maximum(tariff, 0)] & (tariff >= 0)
        if mask.any():
            minutes[mask] = minute_of_week(local_seconds(epoch[mask], zone))
    return minutes


_CHARGED = STATUSES.index(RatedStatus.CHARGED)
_INCLUDED = STATUSES.index(RatedStatus.INCLUDED)
_PRICE = -1  # still to be priced


def _status(resolved: _Resolved, has_key: npt.NDArray[np.bool_], billable: I64) -> I64:
    """_PRICE for records to price, else the final status code (nothing billable wins)."""
    no_offering = resolved.offering < 0
    no_table = resolved.table < 0
    incoming = resolved.direction == DIRECTION_CODES["mt"]
    status: I64 = np.select(
        [no_offering, billable <= 0, no_table & incoming, ~has_key],
        [
            STATUSES.index(RatedStatus.NO_OFFERING),
            STATUSES.index(RatedStatus.NOT_CHARGED),
            STATUSES.index(RatedStatus.NOT_CHARGED),
            STATUSES.index(RatedStatus.NO_DESTINATION),
        ],
        _PRICE,
    )
    return status
