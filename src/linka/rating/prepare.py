"""Turning stored usage records into kernel input: line, account, period, catalog version.

Records find their line by MSISDN and the line's service dates (local to the account),
get their bill period from the account's cycle day and the catalog version valid on
their local date. The directory is small (one row per line and offering it had), so it
becomes sorted arrays once (:class:`Lines`) and every record finds its candidates with
one binary search; periods and versions depend only on the local day, so they are
tables over the few days a part spans, gathered by day. No hash join, no per-record
Python, and no sort of the whole frame: callers order the rows as they need
(:func:`prepare_usage` by start, the rating parts by line and start).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl

from linka.rating.localclock import DAY, local_seconds

I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
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
_NEVER = np.iinfo(np.int64).max  # last day of a line still in service
_TABLE_DAYS = 4_000  # spans up to this many days use the per-day tables


@dataclass(frozen=True)
class Lines:
    """The line directory as arrays sorted by MSISDN, then newest line first.

    Every array has one extra last element for "no line", so ``array[-1]`` — the row of
    a record without a line — reads a neutral value without a mask.
    """

    msisdn: I64  # sorted; the sentinel is the largest int64
    line_id: I64
    account_id: I64
    offering: I64  # position in offering_ids (-1: none)
    offering_ids: list[str]
    first_day: I64  # days since 1970
    last_day: I64
    cycle: I64
    zone: I64  # position in zones; the sentinel is the operator's zone
    zones: list[str]
    rank: I64  # position of the line by (MSISDN, line id) among the directory's (-1: none)
    run: I64  # rows from this one on with the same MSISDN

    @classmethod
    def of(cls, directory: pl.DataFrame, operator_timezone: str) -> Lines:
        frame = directory.with_row_index("_order").sort(
            "msisdn", "line_id", "_order", descending=[False, True, False]
        )
        offering_ids = sorted(frame["offering_id"].drop_nulls().unique().to_list())
        zones = sorted({operator_timezone, *frame["timezone"].drop_nulls().to_list()})

        def codes(column: str, names: list[str], missing: int) -> I64:
            mapping = {name: i for i, name in enumerate(names)}
            values = frame[column].replace_strict(mapping, default=missing, return_dtype=pl.Int64)
            return _with_sentinel(values.fill_null(missing).to_numpy(), missing)

        def days(column: str, missing: int) -> I64:
            values = (frame[column] - _EPOCH).dt.total_days().fill_null(missing).to_numpy()
            return _with_sentinel(values.astype(np.int64), missing)

        line_ids = frame["line_id"].to_numpy().astype(np.int64)
        msisdn = frame["msisdn"].fill_null(0).to_numpy().astype(np.int64)
        run = np.searchsorted(msisdn, msisdn, side="right") - np.arange(len(msisdn))
        return cls(
            msisdn=_with_sentinel(msisdn, _NEVER),
            line_id=_with_sentinel(line_ids, -1),
            account_id=_with_sentinel(frame["account_id"].fill_null(-1).to_numpy(), -1),
            offering=codes("offering_id", offering_ids, -1),
            offering_ids=offering_ids,
            first_day=days("active_from", _NEVER),
            last_day=days("active_until", _NEVER),
            cycle=_with_sentinel(frame["bill_cycle_day"].fill_null(1).to_numpy(), 1),
            zone=codes("timezone", zones, zones.index(operator_timezone)),
            zones=zones,
            rank=_with_sentinel(_rank_by_number(msisdn, line_ids), -1),
            run=_with_sentinel(run, 0),
        )


def _rank_by_number(msisdn: I64, line_ids: I64) -> I64:
    """Dense rank of each row's line in (MSISDN, line id) order (a line has one number)."""
    pairs = pl.DataFrame({"msisdn": msisdn, "line_id": line_ids})
    rank = pairs.select(pl.struct("msisdn", "line_id").rank("dense").cast(pl.Int64) - 1)
    return rank.to_series().to_numpy()


def _with_sentinel(values: npt.NDArray[np.generic], sentinel: int) -> I64:
    return np.append(values.astype(np.int64), np.int64(sentinel))


@dataclass(frozen=True)
class Matched:
    """Per record (input order): its directory row (-1: no line then) and local day."""

    row: I64
    local_day: I64
    local: tuple[str, I64] | None  # local time of every start in one zone, when it was so


def match_lines(msisdn: I64, known: Bools, epoch_s: I64, lines: Lines) -> Matched:
    """The line of each record: the newest line with its MSISDN in service that day.

    Candidates are the directory rows with the record's MSISDN (newest line first); each
    is checked on the record's local date in its own account's zone. A record whose
    number had no line in service keeps the local day of its first candidate (or of the
    operator's zone) for its period and version, as before.
    """
    low = _search_runs(lines.msisdn, msisdn)
    count = lines.run[low]
    count *= known & (lines.msisdn[low] == msisdn)
    row = low + 1  # the first candidate, -1 when none: (low + 1) · found - 1
    row *= count > 0
    row -= 1
    local_day, local = _local_days(epoch_s, lines.zone[row], lines.zones)
    ok = _in_service(lines, row, local_day)
    row += 1
    row *= ok
    row -= 1
    pending = np.flatnonzero(~ok & (count > 1))
    step = 1
    while len(pending):
        candidate = low[pending] + step
        day, _ = _local_days(epoch_s[pending], lines.zone[candidate], lines.zones)
        good = _in_service(lines, candidate, day)
        hit = pending[good]
        row[hit], local_day[hit] = candidate[good], day[good]
        step += 1
        pending = pending[~good & (count[pending] > step)]
    return Matched(row, local_day, local)


def _search_runs(sorted_values: I64, values: I64) -> I64:
    """``np.searchsorted(sorted_values, values)``, searching each run of equal values
    once: store files are sorted by line, so a part's numbers come in long runs."""
    n = len(values)
    if n < 2:
        return np.searchsorted(sorted_values, values).astype(np.int64)
    heads = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    if len(heads) * 4 > n:
        return np.searchsorted(sorted_values, values).astype(np.int64)
    found = np.searchsorted(sorted_values, values[heads]).astype(np.int64)
    return np.repeat(found, np.diff(np.append(heads, n)))


def _in_service(lines: Lines, row: I64, day: I64) -> Bools:
    result: Bools = (row >= 0) & (day >= lines.first_day[row]) & (day <= lines.last_day[row])
    return result


def _local_days(epoch_s: I64, zone: I64, zones: list[str]) -> tuple[I64, tuple[str, I64] | None]:
    """Local date (days since 1970) of each instant in its zone (a position in ``zones``),
    and the local times when all were in one zone."""
    present = np.flatnonzero(np.bincount(zone, minlength=len(zones)))
    if len(present) <= 1:
        only = zones[int(present[0])] if len(present) else zones[0]
        local = local_seconds(epoch_s, only)
        return local // DAY, (only, local)
    result = np.empty(len(epoch_s), dtype=np.int64)
    for code in present.tolist():
        members = zone == code
        result[members] = local_seconds(epoch_s[members], zones[code]) // DAY
    return result, None


@dataclass(frozen=True)
class Dated:
    """Per record: bill period start (days since 1970) and catalog version (-1: none)."""

    period: I64
    version_id: I64
    version_pos: I64  # position of the version in date order (-1: none)


def date_records(local_day: I64, cycle_day: I64, versions: list[tuple[int, date]]) -> Dated:
    """Bill period and catalog version of each record, from its local day.

    Both depend on the day only (and the cycle day), and a part spans a few weeks, so
    they are computed once per day and cycle day and gathered.
    """
    by_date = sorted(versions, key=lambda v: v[1])
    calendar = np.array([(d - _EPOCH).days for _, d in by_date], dtype=np.int64)
    ids = np.array([v for v, _ in by_date] + [-1], dtype=np.int64)  # sentinel: none
    if len(local_day) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Dated(empty, empty, empty)
    low, high = int(local_day.min()), int(local_day.max())
    if high - low >= _TABLE_DAYS or cycle_day.min() < 1 or cycle_day.max() > 31:
        position = np.searchsorted(calendar, local_day, side="right") - 1
        return Dated(_period_start(local_day, cycle_day), ids[position], position)
    grid = np.arange(low, high + 1, dtype=np.int64)
    cycles = np.arange(32, dtype=np.int64)
    periods = _period_start(np.repeat(grid, 32), np.tile(np.maximum(cycles, 1), len(grid)))
    offset = local_day - low
    period = periods[offset * 32 + cycle_day]
    position = (np.searchsorted(calendar, grid, side="right") - 1)[offset]
    return Dated(period, ids[position], position)


def offering_table(
    lines: Lines, versions: list[tuple[int, date]], offerings: pl.DataFrame
) -> npt.NDArray[np.int64]:
    """[version position, line offering code] → the plan's offering index (-1: none).

    The last row and column are all -1: a record without version or offering reads them.
    """
    by_date = sorted(versions, key=lambda v: v[1])
    table = np.full((len(by_date) + 1, len(lines.offering_ids) + 1), -1, dtype=np.int64)
    for v, (version_id, _) in enumerate(by_date):
        known = offerings.filter(pl.col("version_id") == version_id)
        index = dict(zip(known["offering_id"], known["offering_idx"], strict=True))
        for c, name in enumerate(lines.offering_ids):
            table[v, c] = index.get(name, -1)
    return table


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
    Rows come out in consumption order: start time, then input order (a stable sort).
    """
    lines = Lines.of(directory, operator_timezone)
    msisdn = records["line_msisdn"]
    epoch_s = records["start"].dt.epoch("s").to_numpy()
    matched = match_lines(
        msisdn.fill_null(0).to_numpy(), msisdn.is_not_null().to_numpy(), epoch_s, lines
    )
    row = matched.row
    dated = date_records(matched.local_day, lines.cycle[row], versions)
    offering = offering_table(lines, versions, offerings)[dated.version_pos, lines.offering[row]]

    def nullable(values: I64, dtype: pl.DataType) -> pl.Series:
        return pl.Series(values).cast(dtype).set(pl.Series(values < 0), None)

    frame = records.with_columns(
        line_id=nullable(lines.line_id[row], pl.Int64()),
        account_id=nullable(lines.account_id[row], pl.Int64()),
        period_start=pl.Series(dated.period).cast(pl.Int32).cast(pl.Date),
        period=pl.Series(dated.period),
        version_id=nullable(dated.version_id, pl.Int64()),
        volume=pl.col("volume_up").fill_null(0) + pl.col("volume_down").fill_null(0),
        offering_idx=nullable(offering, pl.Int32()),
    )
    return frame.sort("start", maintain_order=True)


def _period_start(local_day: I64, cycle_day: I64) -> I64:
    """First day (days since 1970) of the bill period with ``cycle_day`` containing the day."""
    days = local_day.astype("datetime64[D]")
    month = days.astype("datetime64[M]")
    day_of_month = (days - month.astype("datetime64[D]")).astype(np.int64) + 1
    start_month = np.where(day_of_month >= cycle_day, month, month - np.timedelta64(1, "M"))
    result: I64 = start_month.astype("datetime64[D]").astype(np.int64) + (cycle_day - 1)
    return result
