"""Turning stored usage records into kernel input: line, account, period, catalog version.

Records find their line by MSISDN and the line's service dates (local to the account),
get their bill period from the account's cycle day and the catalog version valid on
their local date. The directory is small (one row per line and offering it had), so it
becomes sorted arrays once (:class:`Lines`) and one compiled pass
(:func:`linka.rating.compiled.place_rows`) finds every record's candidates with a
binary search per run of one number. No hash join, no per-record Python, and no sort of
the whole frame: callers order the rows as they need (:func:`prepare_usage` by start,
the rating parts by line and start).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl

from linka.kernel.compiled import read_only
from linka.rating.compiled import place_rows
from linka.rating.localclock import offset_tables

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
_NEVER = np.iinfo(np.int64).max  # last day of a line still in service


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
class Placed:
    """Per record (input order): its line's directory row (-1: no line), bill period
    start (days since 1970), catalog version (-1: none) and plan offering (-1: none)."""

    row: I64
    period: I64
    version_id: I64
    offering: I64


def place_records(
    msisdn: I64,
    epoch_s: I64,
    lines: Lines,
    versions: list[tuple[int, date]],
    offerings: pl.DataFrame,
) -> Placed:
    """The line, bill period, catalog version and offering of every record.

    The line is the newest line with the record's MSISDN (0: none) in service on the
    record's local date in its account's zone; the period follows from that date and the
    account's cycle day, the version from the date (see
    :func:`linka.rating.compiled.place_rows`).
    """
    by_date = sorted(versions, key=lambda v: v[1])
    n = len(msisdn)
    row, period, version_id, offering = (np.empty(n, dtype=np.int64) for _ in range(4))
    place_rows(
        (read_only(msisdn), read_only(epoch_s)),
        (
            lines.msisdn, lines.run, lines.zone, lines.first_day, lines.last_day,
            lines.cycle, lines.offering,
        ),
        offset_tables(lines.zones, epoch_s),
        (
            np.array([(d - _EPOCH).days for _, d in by_date], dtype=np.int64),
            np.array([v for v, _ in by_date], dtype=np.int64),
        ),
        offering_table(lines, by_date, offerings),
        (row, period, version_id, offering),
    )  # fmt: skip
    return Placed(row, period, version_id, offering)


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
    msisdn = records["line_msisdn"].fill_null(0).to_numpy()
    epoch_s = records["start"].dt.epoch("s").to_numpy()
    placed = place_records(msisdn, epoch_s, lines, versions, offerings)
    row = placed.row

    def nullable(values: I64, dtype: pl.DataType) -> pl.Series:
        return pl.Series(values).cast(dtype).set(pl.Series(values < 0), None)

    frame = records.with_columns(
        line_id=nullable(lines.line_id[row], pl.Int64()),
        account_id=nullable(lines.account_id[row], pl.Int64()),
        period_start=pl.Series(placed.period).cast(pl.Int32).cast(pl.Date),
        period=pl.Series(placed.period),
        version_id=nullable(placed.version_id, pl.Int64()),
        volume=pl.col("volume_up").fill_null(0) + pl.col("volume_down").fill_null(0),
        offering_idx=nullable(placed.offering, pl.Int32()),
    )
    return frame.sort("start", maintain_order=True)
