"""Turning stored usage records into kernel input: line, account, period, catalog version.

Records join the line directory by MSISDN and the line's service dates (local to the
account), get their bill period from the account's cycle day and the catalog version
valid on their local date. Everything is integer arithmetic on columns; only the
MSISDN join is a hash join. Rows come out in consumption order: start time, then the
order of their batches and of the records within a batch's file (a stable sort).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl

from linka.rating.localclock import DAY, local_seconds

I64 = npt.NDArray[np.int64]
RECORD_COLUMNS = (
    "line_msisdn",
    "service",
    "direction",
    "b_number",
    "start",
    "duration_s",
    "volume_up",
    "volume_down",
    "roaming_country",
)
_EPOCH = date(1970, 1, 1)


def prepare_usage(
    records: pl.DataFrame,
    directory: pl.DataFrame,
    versions: list[tuple[int, date]],
    offerings: pl.DataFrame,
    operator_timezone: str,
) -> pl.DataFrame:
    """Kernel input plus ``line_id``, ``account_id``, ``period_start`` and ``version_id``.

    ``offerings`` maps (version_id, offering_id) to the plan's ``offering_idx``.

    ``records`` carries RECORD_COLUMNS (plus any identity columns, kept as they are);
    records whose number had no line in service at their time keep a null ``line_id``.
    """
    lines = directory.select(
        pl.col("msisdn").alias("line_msisdn"),
        "line_id",
        "account_id",
        "offering_id",
        (pl.col("active_from") - _EPOCH).dt.total_days().alias("_from"),
        (pl.col("active_until") - _EPOCH).dt.total_days().alias("_until"),
        pl.col("bill_cycle_day").cast(pl.Int64).alias("_cycle"),
        "timezone",
    )
    frame = records.with_row_index("_row").join(
        lines, on="line_msisdn", how="left", maintain_order="left"
    )
    epoch = frame["start"].dt.epoch("s").to_numpy()
    zones = frame["timezone"].fill_null(operator_timezone)
    local_day = np.zeros(frame.height, dtype=np.int64)
    for zone in zones.unique().to_list():
        mask = (zones == zone).to_numpy()
        local_day[mask] = local_seconds(epoch[mask], zone) // DAY
    frame = frame.with_columns(_local_day=pl.Series(local_day))
    in_service = (pl.col("_local_day") >= pl.col("_from")) & (
        pl.col("_until").is_null() | (pl.col("_local_day") <= pl.col("_until"))
    )
    if directory["msisdn"].is_unique().all():
        frame = frame.with_columns(
            pl.when(in_service).then(pl.col(c)).otherwise(None).alias(c)
            for c in ("line_id", "account_id", "offering_id", "_cycle")
        )
    else:  # a recycled number: keep the line in service then (the newest if several)
        frame = (
            frame.with_columns(_ok=in_service.fill_null(False))
            .sort("_row", "_ok", "line_id", descending=[False, True, True], maintain_order=True)
            .unique("_row", keep="first", maintain_order=True)
            .with_columns(
                pl.when(pl.col("_ok")).then(pl.col(c)).otherwise(None).alias(c)
                for c in ("line_id", "account_id", "offering_id", "_cycle")
            )
            .drop("_ok")
        )
    cycle = frame["_cycle"].fill_null(1).to_numpy()
    period_start = _period_start(frame["_local_day"].to_numpy(), cycle)
    calendar = np.array([(d - _EPOCH).days for _, d in sorted(versions, key=lambda v: v[1])])
    ids = np.array([v for v, _ in sorted(versions, key=lambda v: v[1])], dtype=np.int64)
    position = np.searchsorted(calendar, frame["_local_day"].to_numpy(), side="right") - 1
    version = np.where(position >= 0, ids[np.maximum(position, 0)] if len(ids) else -1, -1)
    frame = frame.with_columns(
        period_start=pl.Series(period_start).cast(pl.Date),
        period=pl.Series(period_start),
        version_id=pl.Series(version).replace(-1, None),
        volume=pl.col("volume_up").fill_null(0) + pl.col("volume_down").fill_null(0),
    ).drop("_from", "_until", "_cycle", "timezone", "_local_day")
    frame = _with_offering(frame, offerings)
    return frame.sort("start", maintain_order=True).drop("_row", "offering_id")


def _with_offering(frame: pl.DataFrame, offerings: pl.DataFrame) -> pl.DataFrame:
    """``offering_idx`` per record through its line: a join of lines, not of records."""
    per_line = (
        frame.select("line_id", "offering_id", "version_id")
        .drop_nulls()
        .unique()
        .join(offerings, on=["version_id", "offering_id"], how="left")
        .select("line_id", "version_id", "offering_idx")
    )
    return frame.join(per_line, on=["line_id", "version_id"], how="left", maintain_order="left")


def _period_start(local_day: I64, cycle_day: I64) -> I64:
    """First day (days since 1970) of the bill period with ``cycle_day`` containing the day."""
    days = local_day.astype("datetime64[D]")
    month = days.astype("datetime64[M]")
    day_of_month = (days - month.astype("datetime64[D]")).astype(np.int64) + 1
    start_month = np.where(day_of_month >= cycle_day, month, month - np.timedelta64(1, "M"))
    result: I64 = start_month.astype("datetime64[D]").astype(np.int64) + (cycle_day - 1)
    return result
