"""Rating a period in parts: ranges of lines, each read, rated and written on its own.

Allowances and tiers are counted per line, so the records of different lines never
influence each other: a period splits into ranges of MSISDNs of about
:data:`PART_RECORDS` records, which bounds memory however large the month. Store files
are sorted by line in row groups, so reading a range skips the row groups of other
lines. Each part is written as its own Parquet file of the run; while one part is
rated, the next is read and the previous written in threads (:func:`rate_parts`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl

from linka.rating.engine import Codes, UsageArrays, rate_arrays
from linka.rating.heap import reuse_freed_memory
from linka.rating.kernel import country_codes
from linka.rating.model import STATUSES, RatedStatus
from linka.rating.periods import next_month
from linka.rating.plan import RatingPlan
from linka.rating.prepare import RECORD_COLUMNS, Lines, place_records
from linka.usage.records import DIRECTION_ENUM, SERVICE_ENUM
from linka.usage.store import UsageStore

Index = npt.NDArray[np.intp]
Bools = npt.NDArray[np.bool_]
T = TypeVar("T")

_RATE_OUTSIDE = 0.1  # rate records of other periods when at most this share
PART_RECORDS = 1_500_000  # records per part: about 1.1 GB peak with three parts in flight
OUTPUT_COLUMNS = ("file_no", "seq", "line_id", "account_id", "period_start", "service", "start")
NO_LINE = STATUSES.index(RatedStatus.NO_LINE)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class RunInput:
    """What every part needs besides its own range (sent once to each worker)."""

    plan: RatingPlan
    directory: pl.DataFrame
    versions: list[tuple[int, date]]
    store_root: Path
    paths: list[str]
    month: date
    timezone: str


@dataclass(frozen=True)
class PartResult:
    records: int
    summary: pl.DataFrame  # status, tariff_idx → records, micro
    timings: dict[str, float]


def line_ranges(directory: pl.DataFrame, records: int) -> list[tuple[int, int]]:
    """[low, high) MSISDN ranges with about PART_RECORDS records each (by line count).

    The last range has half as many lines: its rating and writing are the only steps
    nothing else overlaps (see :func:`rate_parts`), so a smaller one ends the run sooner.
    """
    parts = max(1, math.ceil(records / PART_RECORDS))
    numbers = np.sort(directory["msisdn"].unique().to_numpy())
    if parts == 1 or len(numbers) < parts:
        return [(INT64_MIN, INT64_MAX)]
    share = 2 * len(numbers) / (2 * parts - 1)  # lines per range; the last gets half
    cuts = [int(numbers[int(share * i)]) for i in range(1, parts)]
    bounds = [INT64_MIN, *cuts, INT64_MAX]
    return list(pairwise(bounds))


def read_part(store: UsageStore, paths: list[str], low: int, high: int) -> pl.DataFrame:
    """The rating columns of the records of lines in [low, high), with file and seq."""
    scans = [
        pl.scan_parquet(store.absolute(path))
        .select(*RECORD_COLUMNS, "seq")
        .filter(_in_range(low, high))
        .with_columns(file_no=pl.lit(number, dtype=pl.Int32))
        for number, path in enumerate(paths)
    ]
    if not scans:
        return pl.DataFrame(schema={"file_no": pl.Int32, "seq": pl.Int32})
    return pl.concat(scans).collect()


def _read_rating_columns(store_root: Path, paths: list[str], low: int, high: int) -> pl.DataFrame:
    """What rating needs of the records of lines in [low, high), with file and seq.

    Like :func:`read_part`, but with the used quantity computed while reading (in
    parallel, per file) instead of duration and two volume columns, missing numbers
    as 0 and an empty roaming country as none.
    """
    store = UsageStore(store_root)
    used = (
        pl.when(pl.col("service") == "voice")
        .then(pl.col("duration_s").cast(pl.Int64).fill_null(0))
        .when(pl.col("service") == "data")
        .then(pl.col("volume_up").fill_null(0) + pl.col("volume_down").fill_null(0))
        .when(pl.col("service") == "sms")
        .then(pl.lit(1, dtype=pl.Int64))
        .otherwise(pl.lit(0, dtype=pl.Int64))
    )
    scans = [
        pl.scan_parquet(store.absolute(path))
        .filter(_in_range(low, high))
        .select(
            pl.col("line_msisdn").fill_null(0),  # 0: no number (never a line's)
            "service",
            "direction",
            pl.col("b_number").fill_null(0),
            "start",
            used.alias("quantity"),
            pl.when(pl.col("roaming_country") != "").then(pl.col("roaming_country")),
            "seq",
            file_no=pl.lit(number, dtype=pl.Int32),
        )
        for number, path in enumerate(paths)
    ]
    if not scans:
        return pl.DataFrame(schema=_EMPTY_PART)
    return pl.concat(scans).collect().rechunk()  # one chunk: numpy views, no copies


def _in_range(low: int, high: int) -> pl.Expr:
    in_range = (pl.col("line_msisdn") >= low) & (pl.col("line_msisdn") < high)
    if high == INT64_MAX:
        in_range = in_range | pl.col("line_msisdn").is_null()
    return in_range


_EMPTY_PART: dict[str, pl.DataType] = {
    "line_msisdn": pl.Int64(), "service": SERVICE_ENUM, "direction": DIRECTION_ENUM,
    "b_number": pl.Int64(), "start": pl.Datetime("us", "UTC"), "quantity": pl.Int64(),
    "roaming_country": pl.String(), "seq": pl.Int32(), "file_no": pl.Int32(),
}  # fmt: skip


def _timed(timings: dict[str, float], step: str, function: Callable[..., T], *args: Any) -> T:
    mark = time.perf_counter()
    result = function(*args)
    timings[step] = timings.get(step, 0.0) + time.perf_counter() - mark
    return result


def rate_records(
    run: RunInput, records: pl.DataFrame, lines: Lines, timings: dict[str, float]
) -> RatedPart:
    """One part's records (as :func:`_read_rating_columns` reads them) rated, in the
    order read. Records of periods that start in other months are rated too when they
    are few (their counters are their own) and left out when written; when many, they
    are left out first.

    The consumption order is found once, by line and start (stably, so records that
    share a start second keep the order of their files and of the records in them):
    the order the allowances and tiers count in, with every line's periods together so
    their running totals need no further sort. Everything else runs in the order read,
    so no column is reordered.
    """
    mark = time.perf_counter()
    start_us = records["start"].to_physical().to_numpy()
    epoch_s = start_us // 1_000_000
    msisdn = records["line_msisdn"].to_numpy()
    placed = place_records(msisdn, epoch_s, lines, run.versions, run.plan.offerings)
    row, period, version_id, offering = (
        placed.row, placed.period, placed.version_id, placed.offering,
    )  # fmt: skip
    del placed
    in_month = (period >= _days(run.month)) & (period < _days(next_month(run.month)))
    outside = len(in_month) - int(np.count_nonzero(in_month))
    keep: Bools | None = in_month if outside else None
    if outside > len(in_month) * _RATE_OUTSIDE:  # leave out records of other periods
        kept = np.flatnonzero(in_month)
        records = records.filter(pl.Series(in_month))
        row, period, start_us = row[kept], period[kept], start_us[kept]
        version_id, offering, epoch_s = version_id[kept], offering[kept], epoch_s[kept]
        keep = None
    del in_month
    country, countries = country_codes(records["roaming_country"])
    line, rank = lines.line_id[row], lines.rank[row]
    usage = UsageArrays(
        line=line,
        period=period,
        version_id=version_id,
        offering=offering,
        service=records["service"].to_physical().to_numpy(),
        direction=records["direction"].to_physical().to_numpy(),
        b_number=records["b_number"].to_numpy(),
        epoch_s=epoch_s,
        quantity=records["quantity"].to_numpy(),
        country=country,
        countries=countries,
        order=_by_line_and_start(rank, start_us),
    )
    del offering, country, epoch_s
    timings["prepare_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    codes = rate_arrays(usage, run.plan)
    del usage
    codes.status[line < 0] = NO_LINE
    timings["rate_s"] = time.perf_counter() - mark
    kept_columns = records.select("file_no", "seq", "service", "start")  # the rest is freed
    return RatedPart(kept_columns, line, lines.account_id[row], period, codes, keep)


@dataclass(frozen=True)
class RatedPart:
    """A part's records and their codes, to be written (with ``keep``: only those)."""

    records: pl.DataFrame
    line: npt.NDArray[np.int64]
    account: npt.NDArray[np.int64]
    period: npt.NDArray[np.int64]
    codes: Codes
    keep: Bools | None

    def frame(self) -> pl.DataFrame:
        """The part file's rows: OUTPUT_COLUMNS and CODE_SCHEMA."""
        has_line = pl.col("line_id") >= 0
        rated = pl.concat(
            [
                self.records.select("file_no", "seq"),
                pl.DataFrame(
                    {
                        "line_id": self.line,
                        "account_id": self.account,
                        "period_start": self.period.astype(np.int32),
                    }
                ).with_columns(
                    pl.when(has_line).then(pl.col("line_id")).alias("line_id"),
                    pl.when(has_line).then(pl.col("account_id")).alias("account_id"),
                    pl.col("period_start").cast(pl.Date),
                ),
                self.records.select("service", "start"),
                self.codes.frame(),
            ],
            how="horizontal",
        )
        return rated if self.keep is None else rated.filter(pl.Series(self.keep))


def write_part(part: RatedPart, target: Path, timings: dict[str, float]) -> PartResult:
    """Write a rated part and sum it by status and tariff (in a thread of its own:
    building the frame, filtering and writing are Polars work, outside the GIL)."""
    rated = part.frame()
    rated.write_ipc(target, compression="uncompressed")
    summary = rated.group_by("status", "tariff_idx").agg(
        records=pl.len(), micro=pl.col("price_micro").sum()
    )
    return PartResult(rated.height, summary, timings)


def _days(day: date) -> int:
    return (day - date(1970, 1, 1)).days


def _by_line_and_start(rank: npt.NDArray[np.int64], start: npt.NDArray[np.int64]) -> Index:
    """The stable order by line (rank, -1 first) and start: one int64 key when it fits.

    Lines rank by MSISDN, like the store files' rows, so the key comes in long sorted
    runs (one per file) and the stable sort (timsort) mostly merges them.
    """
    if len(rank) == 0:
        return np.zeros(0, dtype=np.int64)
    low, high = int(start.min()), int(start.max())
    span = high - low + 1
    if (int(rank.max()) + 2) * span < 2**63:
        key = (rank + 1) * span
        key += start - low
        return np.argsort(key, kind="stable")
    return np.lexsort((start, rank))


class PartReader:
    """Reads the parts' records ahead, one part at a time, in a thread of its own.

    Created as soon as the store files and ranges are known, it starts reading the
    first part while the caller does other work (compiling the plan), and every part
    taken starts reading the next. Use it as a context manager.
    """

    def __init__(self, store_root: Path, paths: list[str], ranges: list[tuple[int, int]]):
        self.store_root, self.paths, self.ranges = store_root, paths, ranges
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rating-read")
        self._next: Future[tuple[pl.DataFrame, float]] | None = None
        self._number = 0
        self._start(0)

    def _start(self, number: int) -> None:
        self._number = number
        self._next = None
        if number < len(self.ranges):
            self._next = self._pool.submit(self._read, *self.ranges[number])

    def _read(self, low: int, high: int) -> tuple[pl.DataFrame, float]:
        mark = time.perf_counter()
        records = _read_rating_columns(self.store_root, self.paths, low, high)
        return records, time.perf_counter() - mark

    def take(self) -> tuple[pl.DataFrame, float]:
        """The next part's records (and seconds spent reading them)."""
        if self._next is None:
            raise IndexError("every part has been read")
        records = self._next.result()
        self._start(self._number + 1)
        return records

    def __enter__(self) -> PartReader:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._next is not None:
            self._next.cancel()
        self._pool.shutdown(wait=True)


def rate_parts(
    run: RunInput,
    ranges: list[tuple[int, int]],
    folder: Path,
    reader: PartReader | None = None,
) -> list[PartResult]:
    """Rate every range, one after the other, into ``folder/usage-NNN.arrow``.

    Parts are rated one at a time (on this class of machine two worker processes were
    measured slower than one: the kernel is memory-bound and the cores share the
    bandwidth), but reading the next part and writing the previous one run in threads
    while the kernel works: Polars reads and writes on its own threads without the GIL,
    so the numpy kernel (one core) and the Parquet work (the other) overlap. At most
    one part is being read and one written besides the one being rated. ``reader``:
    one already reading these ranges (see :class:`PartReader`).
    """
    lines = Lines.of(run.directory, run.timezone)
    results: list[PartResult] = []
    with (
        reuse_freed_memory(),
        reader or PartReader(run.store_root, run.paths, ranges) as parts,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="rating-write") as writer,
    ):
        writing: Future[PartResult] | None = None
        for number in range(len(ranges)):
            records, read_s = parts.take()
            timings = {"read_s": read_s}
            rated = rate_records(run, records, lines, timings)
            del records
            if writing is not None:
                results.append(writing.result())
            target = folder / f"usage-{number:03d}.arrow"
            writing = writer.submit(_timed, timings, "write_s", write_part, rated, target, timings)
            del rated
        if writing is not None:
            results.append(writing.result())
    return results
