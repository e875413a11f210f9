"""Rating a period in parts: ranges of lines, each read, rated and written on its own.

Allowances and tiers are counted per line, so the records of different lines never
influence each other: a period splits into ranges of MSISDNs of about
:data:`PART_RECORDS` records, which bounds memory however large the month. Store files
are sorted by line, so the ranges are read by cursors moving through the files
(:mod:`linka.rating.reading`). Each part is written as its own Arrow file of the run;
while one part is rated, the next ones are read and the previous written in threads
(:func:`rate_parts`).
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

from linka.rating.compiled import consumption_order, tally
from linka.rating.engine import Codes, UsageArrays, rate_arrays
from linka.rating.heap import reuse_freed_memory
from linka.rating.kernel import country_codes
from linka.rating.model import STATUSES, RatedStatus
from linka.rating.periods import next_month
from linka.rating.plan import RatingPlan
from linka.rating.prepare import Lines, place_records
from linka.rating.reading import INT64_MAX, INT64_MIN, PartReader

Index = npt.NDArray[np.intp]
Bools = npt.NDArray[np.bool_]
T = TypeVar("T")

_RATE_OUTSIDE = 0.1  # rate records of other periods when at most this share
PART_RECORDS = 1_500_000  # records per part: about 1.3 GB peak with four parts in flight
OUTPUT_COLUMNS = ("file_no", "seq", "line_id", "account_id", "period_start", "service", "start")
NO_LINE = STATUSES.index(RatedStatus.NO_LINE)


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


def line_ranges(numbers: npt.NDArray[np.int64], records: int) -> list[tuple[int, int]]:
    """[low, high) MSISDN ranges with about PART_RECORDS records each, cut between the
    lines' ``numbers`` by line count (any cuts would rate correctly; these even out the
    parts).

    The last range has half as many lines: its rating and writing are the only steps
    nothing else overlaps (see :func:`rate_parts`), so a smaller one ends the run sooner.
    """
    parts = max(1, math.ceil(records / PART_RECORDS))
    numbers = np.unique(numbers)
    if parts == 1 or len(numbers) < parts:
        return [(INT64_MIN, INT64_MAX)]
    share = 2 * len(numbers) / (2 * parts - 1)  # lines per range; the last gets half
    cuts = [int(numbers[int(share * i)]) for i in range(1, parts)]
    bounds = [INT64_MIN, *cuts, INT64_MAX]
    return list(pairwise(bounds))


def _timed(timings: dict[str, float], step: str, function: Callable[..., T], *args: Any) -> T:
    mark = time.perf_counter()
    result = function(*args)
    timings[step] = timings.get(step, 0.0) + time.perf_counter() - mark
    return result


def rate_records(
    run: RunInput, records: pl.DataFrame, lines: Lines, timings: dict[str, float]
) -> RatedPart:
    """One part's records (as :func:`~linka.rating.reading.read_ranges` reads them) rated, in the
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
        order=consumption_order(rank, start_us, len(lines.rank)),
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
    return PartResult(rated.height, _summary(part), timings)


def _summary(part: RatedPart) -> pl.DataFrame:
    """Records and micro-units per status and tariff of the rows written."""
    codes = part.codes
    tariffs = int(codes.tariff.max()) + 1 if len(codes.tariff) else 0
    keep = part.keep if part.keep is not None else np.zeros(0, dtype=np.bool_)
    records, micro = tally(codes.status, codes.tariff, codes.price, keep, len(STATUSES), tariffs)
    status, column = np.nonzero(records)
    return pl.DataFrame(
        {
            "status": status.astype(np.int8),
            "tariff_idx": column.astype(np.int32) - 1,
            "records": records[status, column],
            "micro": micro[status, column],
        }
    ).with_columns(
        pl.when(pl.col("tariff_idx") >= 0).then(pl.col("tariff_idx")).alias("tariff_idx")
    )


def _days(day: date) -> int:
    return (day - date(1970, 1, 1)).days


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
