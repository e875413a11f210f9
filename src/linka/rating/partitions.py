"""Rating a period in parts: a few whole days each, read, rated and written on its own.

Store files hold one UTC day each, so a period splits into runs of consecutive days of
about :data:`PART_RECORDS` records, which bounds memory however large the month. Parts
are rated in time order and every record of a day is in the same part, so each line's
records are consumed in start order across parts; the allowances and tiers they use
are counted on from part to part (:class:`~linka.rating.engine.Counters`). Each part is
written as its own Arrow file of the run; while one part is rated, the next ones are
read and the previous written in threads (:func:`rate_parts`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl

from linka.kernel.compiled import read_only
from linka.rating.compiled import consumption_order, tally
from linka.rating.engine import Codes, Counters, UsageArrays, rate_arrays
from linka.rating.heap import reuse_freed_memory
from linka.rating.kernel import country_codes
from linka.rating.model import STATUSES, RatedStatus
from linka.rating.periods import next_month
from linka.rating.plan import RatingPlan
from linka.rating.prepare import Lines, place_records
from linka.rating.reading import PartReader

Bools = npt.NDArray[np.bool_]
T = TypeVar("T")

_RATE_OUTSIDE = 0.1  # rate records of other periods when at most this share
PART_RECORDS = 1_500_000  # records per part: about 1.3 GB peak with four parts in flight
OUTPUT_COLUMNS = ("file_no", "seq", "line_id", "account_id", "period_start", "service", "start")
NO_LINE = STATUSES.index(RatedStatus.NO_LINE)


@dataclass(frozen=True)
class RunInput:
    """What every part needs besides its own files."""

    plan: RatingPlan
    directory: pl.DataFrame
    versions: list[tuple[int, date]]
    store_root: Path
    month: date
    timezone: str


@dataclass(frozen=True)
class PartResult:
    records: int
    summary: pl.DataFrame  # status, tariff_idx → records, micro
    timings: dict[str, float]


def day_parts(files: list[tuple[str, date, int]]) -> list[list[tuple[int, str]]]:
    """The store files (path, UTC day, records, in day order) in parts of whole days of
    about PART_RECORDS records: (file number, path) for each file of a part.

    The last part gets about half as many records: its rating and writing are the only
    steps nothing else overlaps (see :func:`rate_parts`), so a smaller one ends the run
    sooner. A day with more records than a part is a part of its own.
    """
    total = sum(rows for _, _, rows in files)
    count = max(1, math.ceil(total / PART_RECORDS))
    share = 2 * total / (2 * count - 1)  # records per part; the last gets half
    parts: list[list[tuple[int, str]]] = []
    counted, cut, previous = 0, share, None
    for number, (path, day, rows) in enumerate(files):
        if day != previous and counted >= cut and parts:
            parts.append([])
            cut += share
        if not parts:
            parts.append([])
        parts[-1].append((number, path))
        counted, previous = counted + rows, day
    return parts


def _timed(timings: dict[str, float], step: str, function: Callable[..., T], *args: Any) -> T:
    mark = time.perf_counter()
    result = function(*args)
    timings[step] = timings.get(step, 0.0) + time.perf_counter() - mark
    return result


def rate_records(
    run: RunInput,
    records: pl.DataFrame,
    lines: Lines,
    counters: Counters,
    timings: dict[str, float],
) -> RatedPart:
    """One part's records (as :func:`~linka.rating.reading.read_files` reads them) rated,
    in the order read, counting allowances and tiers on from ``counters``. Records of
    periods that start in other months are rated too when they are few (their counters
    are their own) and left out when written; when many, they are left out first.

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
        order=consumption_order(read_only(rank), read_only(start_us), len(lines.rank)),
    )
    del offering, country, epoch_s
    timings["prepare_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    codes = rate_arrays(usage, run.plan, counters)
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
    parts: list[list[tuple[int, str]]],
    folder: Path,
    reader: PartReader | None = None,
) -> list[PartResult]:
    """Rate every part, in time order, into ``folder/usage-NNN.arrow``.

    Parts are rated one at a time (they share the counters), but reading the next parts
    and writing the previous one run in threads while the kernel works: Polars reads
    and writes on its own threads without the GIL, and the compiled kernel releases it,
    so the two cores stay busy. ``reader``: one already reading these parts (see
    :class:`~linka.rating.reading.PartReader`).
    """
    lines = Lines.of(run.directory, run.timezone)
    counters = Counters(len(lines.line_id))
    results: list[PartResult] = []
    with (
        reuse_freed_memory(),
        reader or PartReader(run.store_root, parts) as read,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="rating-write") as writer,
    ):
        writing: Future[PartResult] | None = None
        for number in range(len(parts)):
            records, read_s = read.take()
            timings = {"read_s": read_s}
            rated = rate_records(run, records, lines, counters, timings)
            del records
            if writing is not None:
                results.append(writing.result())
            target = folder / f"usage-{number:03d}.arrow"
            writing = writer.submit(_timed, timings, "write_s", write_part, rated, target, timings)
            del rated
        if writing is not None:
            results.append(writing.result())
    return results
