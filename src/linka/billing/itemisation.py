"""The itemised part of a bill: the rated records behind an invoice's usage lines.

An invoice's usage line sums one line's rated records of one bill period, service and
zone (``us:<line>:<period start>:<service>:<zone>``); the itemisation lists those records
from the current rating run of the period, in the account's local time and language.
Records are read set-based for a whole batch of invoices: one scan of each rating run
involved, filtered by a join on (line, bill period), then one join with the usage store
for the record fields rating does not keep (the other party, duration, volume).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import polars as pl
from sqlalchemy.orm import Session

from linka.documents.model import UsageItem
from linka.rating.model import RatedStatus
from linka.rating.runfiles import scan_decoded
from linka.rating.services import current_run, with_record_details
from linka.usage.store import UsageStore

ITEMISED = [RatedStatus.CHARGED.value, RatedStatus.INCLUDED.value]
PRICE_STEP = Decimal("0.0001")


@dataclass(frozen=True)
class UsageRequest:
    """One usage line of an invoice to itemise."""

    invoice_id: int
    line_id: int
    period_start: date
    msisdn: str
    timezone: str
    language: str


def usage_items(
    session: Session,
    store: UsageStore,
    requests: Sequence[UsageRequest],
    zone_names: dict[tuple[int, str, str], tuple[str, str]],
) -> dict[int, tuple[UsageItem, ...]]:
    """Per invoice id: its itemised records, by line number and start time."""
    if not requests:
        return {}
    wanted = pl.DataFrame(
        [
            (r.invoice_id, r.line_id, r.period_start, r.msisdn, r.timezone, r.language)
            for r in requests
        ],
        schema={
            "invoice_id": pl.Int64,
            "line_id": pl.Int64,
            "period_start": pl.Date,
            "msisdn": pl.String,
            "timezone": pl.String,
            "language": pl.String,
        },
        orient="row",
    ).unique(["invoice_id", "line_id", "period_start"])
    frames = []
    for month in sorted({f"{r.period_start:%Y-%m}" for r in requests}):
        run = current_run(session, month)
        if run is None:
            continue
        frames.append(
            scan_decoded(store.absolute(run.path), keep=wanted.lazy())
            .filter(pl.col("status_text").is_in(ITEMISED))
            .collect()
        )
    if not frames:
        return {}
    rated = with_record_details(store, pl.concat(frames))
    names = pl.DataFrame(
        [
            (version, tariff, zone, cs, en)
            for (version, tariff, zone), (cs, en) in zone_names.items()
        ],
        schema={
            "version_id": pl.Int64,
            "tariff_id": pl.String,
            "zone_id": pl.String,
            "zone_cs": pl.String,
            "zone_en": pl.String,
        },
        orient="row",
    )
    shown = _shown(rated.join(names, on=["version_id", "tariff_id", "zone_id"], how="left"))
    result: dict[int, list[UsageItem]] = defaultdict(list)
    columns = ("invoice_id", "msisdn", "local_start", "service", "direction", "number",
               "quantity", "zone", "band", "covered", "price")  # fmt: skip
    for invoice_id, *fields in zip(*(shown[c].to_list() for c in columns), strict=True):
        result[invoice_id].append(UsageItem(*fields))
    return {invoice_id: tuple(items) for invoice_id, items in result.items()}


def _shown(rated: pl.DataFrame) -> pl.DataFrame:
    """The printed columns: local start, other party, quantity text, zone name."""
    local = [
        rated.filter(pl.col("timezone") == timezone).with_columns(
            local_start=pl.col("start").dt.convert_time_zone(timezone).dt.replace_time_zone(None)
        )
        for timezone in rated["timezone"].unique().to_list()
    ]
    czech = pl.col("language") == "cs"
    duration = pl.col("duration_s").fill_null(0)
    tenths_mb = (pl.col("volume").fill_null(0) + 50_000) // 100_000  # decimal MB, 1 place
    return (
        pl.concat(local)
        .with_columns(
            number=pl.when(pl.col("b_number").is_not_null())
            .then(pl.format("+{}", pl.col("b_number")))
            .otherwise(pl.lit("")),
            quantity=pl.when(pl.col("service") == "voice")
            .then(pl.format("{}:{}", duration // 60, (duration % 60).cast(pl.String).str.zfill(2)))
            .when(pl.col("service") == "data")
            .then(
                pl.format(
                    "{}{}{} MB",
                    tenths_mb // 10,
                    pl.when(czech).then(pl.lit(",")).otherwise(pl.lit(".")),
                    tenths_mb % 10,
                )
            )
            .otherwise(pl.lit("1 SMS")),
            zone=pl.when(czech)
            .then(pl.col("zone_cs"))
            .otherwise(pl.col("zone_en"))
            .fill_null(pl.col("zone_id")),
            service=pl.col("service").cast(pl.String),
            direction=pl.col("direction").cast(pl.String).fill_null(""),
            band=pl.col("band_id").fill_null(""),
            covered=(pl.col("included") > 0) & (pl.col("price_micro") == 0),
            # micro-units to 4 places, half up (prices are never negative)
            price=(
                ((pl.col("price_micro") + 50) // 100).cast(pl.Decimal(38, 0)) * pl.lit(PRICE_STEP)
            ).cast(pl.Decimal(38, 4)),
        )
        .sort("invoice_id", "msisdn", "local_start", "path", "seq")
    )
