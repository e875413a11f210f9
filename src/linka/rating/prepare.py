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
    frame = frame.with_columns(offering_idx=_offering_idx(frame, offerings, ids))
    return frame.sort("start", maintain_order=True).drop("_row", "offering_id")


def _offering_idx(frame: pl.DataFrame, offerings: pl.DataFrame, versions: I64) -> pl.Series:
    """The plan's offering index of each record: its line's offering in its version.

    Offerings are few, so each (version, offering id) pair is looked up once and the
    records only gather from a small table by integer codes.
    """
    categories = frame["offering_id"].drop_nulls().unique().sort().to_list()
    names = frame["offering_id"].cast(pl.Enum(categories))
    name_code = names.to_physical().fill_null(-1).to_numpy().astype(np.int64)
    version_ids = np.sort(versions)
    table = np.full((len(version_ids) + 1, len(categories) + 1), -1, dtype=np.int64)
    for v, version in enumerate(version_ids.tolist()):
        known = offerings.filter(pl.col("version_id") == version)
        index = dict(zip(known["offering_id"], known["offering_idx"], strict=True))
        for c, name in enumerate(categories):
            table[v, c] = index.get(name, -1)
    record_version = frame["version_id"].fill_null(-1).to_numpy()
    position = np.searchsorted(version_ids, record_version)
    unknown = (position >= len(version_ids)) | (
        version_ids[np.minimum(position, max(len(version_ids) - 1, 0))] != record_version
        if len(version_ids)
        else True
    )
    row = np.where(unknown, len(version_ids), position)  # the last row is all -1
    column = np.where(name_code >= 0, name_code, len(categories))
    return pl.Series(table[row, column], dtype=pl.Int32).replace(-1, None)


def _period_start(local_day: I64, cycle_day: I64) -> I64:
    """First day (days since 1970) of the bill period with ``cycle_day`` containing the day."""
    days = local_day.astype("datetime64[D]")
    month = days.astype("datetime64[M]")
    day_of_month = (days - month.astype("datetime64[D]")).astype(np.int64) + 1
    start_month = np.where(day_of_month >= cycle_day, month, month - np.timedelta64(1, "M"))
    result: I64 = start_month.astype("datetime64[D]").astype(np.int64) + (cycle_day - 1)
    return result
