"""Turning stored usage records into kernel input: line, account, period, catalog version.

Records join the line directory by MSISDN and the line's service dates (local to the
account), get their bill period from the account's cycle day and the catalog version
valid on their local date, and are ordered for consumption (start, source, record id).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from linka.rating.periods import with_period_start

RECORD_COLUMNS = (
    "record_id",
    "source",
    "service",
    "direction",
    "line_msisdn",
    "b_number",
    "start",
    "duration_s",
    "volume_up",
    "volume_down",
    "roaming_country",
    "raw_ref",
)


def prepare_usage(
    records: pl.DataFrame,
    directory: pl.DataFrame,
    versions: list[tuple[int, date]],
    operator_timezone: str,
) -> pl.DataFrame:
    """Kernel input plus context columns; records with no line at their time keep nulls."""
    lines = directory.select(
        pl.col("msisdn").alias("line_msisdn"),
        "line_id",
        "account_id",
        "offering_id",
        "active_from",
        "active_until",
        "bill_cycle_day",
        "timezone",
    )
    timezones = sorted({*directory["timezone"].unique().to_list(), operator_timezone})
    candidates = with_period_start(
        records.select(RECORD_COLUMNS)
        .with_row_index("_row")
        .join(lines, on="line_msisdn", how="left"),
        timezones,
    )
    in_service = (pl.col("local_date") >= pl.col("active_from")) & (
        pl.col("active_until").is_null() | (pl.col("local_date") <= pl.col("active_until"))
    )
    matched = (
        candidates.filter(in_service).sort("line_id", descending=True).unique("_row", keep="first")
    )
    unmatched = (
        records.select(RECORD_COLUMNS)
        .with_row_index("_row")
        .join(matched.select("_row"), on="_row", how="anti")
        .with_columns(
            pl.lit(operator_timezone).alias("timezone"), pl.lit(1).alias("bill_cycle_day")
        )
    )
    unmatched = with_period_start(unmatched, [operator_timezone])
    frame = pl.concat([matched, unmatched], how="diagonal_relaxed")
    calendar = pl.DataFrame(
        {"effective_from": [d for _, d in versions], "version_id": [v for v, _ in versions]},
        schema={"effective_from": pl.Date, "version_id": pl.Int64},
    ).sort("effective_from")
    frame = (
        frame.sort("local_date")
        .join_asof(calendar, left_on="local_date", right_on="effective_from", strategy="backward")
        .drop("effective_from")
    )
    return frame.with_columns(
        period=(pl.col("period_start") - pl.date(1970, 1, 1)).dt.total_days(),
        volume=pl.col("volume_up").fill_null(0) + pl.col("volume_down").fill_null(0),
    ).sort("start", "source", "record_id")
