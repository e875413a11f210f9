"""Rating a period in parts: ranges of lines, each read, rated and written on its own.

Allowances and tiers are counted per line, so the records of different lines never
influence each other: a period splits into ranges of MSISDNs of about
:data:`PART_RECORDS` records, which bounds memory however large the month. Store files
are sorted by line in row groups, so reading a range skips the row groups of other
lines. Each part is written as its own Parquet file of the run.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from pathlib import Path

import numpy as np
import polars as pl

from linka.rating.kernel import rate_codes
from linka.rating.model import STATUSES, RatedStatus
from linka.rating.periods import next_month
from linka.rating.plan import RatingPlan
from linka.rating.prepare import RECORD_COLUMNS, prepare_usage
from linka.usage.store import UsageStore

PART_RECORDS = 1_500_000  # records per part: about 0.7 GB of peak memory while rated
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
    """[low, high) MSISDN ranges with about PART_RECORDS records each (by line count)."""
    parts = max(1, math.ceil(records / PART_RECORDS))
    numbers = np.sort(directory["msisdn"].unique().to_numpy())
    if parts == 1 or len(numbers) < parts:
        return [(INT64_MIN, INT64_MAX)]
    cuts = [int(numbers[len(numbers) * i // parts]) for i in range(1, parts)]
    bounds = [INT64_MIN, *cuts, INT64_MAX]
    return list(pairwise(bounds))


def read_part(store: UsageStore, paths: list[str], low: int, high: int) -> pl.DataFrame:
    """The rating columns of the records of lines in [low, high), with file and seq."""
    in_range = (pl.col("line_msisdn") >= low) & (pl.col("line_msisdn") < high)
    if high == INT64_MAX:
        in_range = in_range | pl.col("line_msisdn").is_null()
    scans = [
        pl.scan_parquet(store.absolute(path))
        .select(*RECORD_COLUMNS, "seq")
        .filter(in_range)
        .with_columns(file_no=pl.lit(number, dtype=pl.Int32))
        for number, path in enumerate(paths)
    ]
    if not scans:
        return pl.DataFrame(schema={"file_no": pl.Int32, "seq": pl.Int32})
    return pl.concat(scans).collect()


def rate_part(run: RunInput, low: int, high: int, target: Path) -> PartResult:
    """Read, prepare, rate and write the records of one range of lines."""
    timings: dict[str, float] = {}
    mark = time.perf_counter()
    records = read_part(UsageStore(run.store_root), run.paths, low, high)
    timings["read_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    offerings = run.plan.offerings.select("version_id", "offering_id", "offering_idx")
    prepared = prepare_usage(records, run.directory, run.versions, offerings, run.timezone)
    prepared = prepared.filter(
        (pl.col("period_start") >= run.month) & (pl.col("period_start") < next_month(run.month))
    )
    del records
    timings["prepare_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    codes = rate_codes(prepared, run.plan)
    rated = pl.concat([prepared.select(OUTPUT_COLUMNS), codes], how="horizontal").with_columns(
        status=pl.when(pl.col("line_id").is_null())
        .then(pl.lit(NO_LINE, dtype=pl.Int8))
        .otherwise(pl.col("status"))
    )
    del prepared, codes
    timings["rate_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    rated.write_parquet(target, compression="lz4", statistics=False)
    timings["write_s"] = time.perf_counter() - mark
    summary = rated.group_by("status", "tariff_idx").agg(
        records=pl.len(), micro=pl.col("price_micro").sum()
    )
    return PartResult(rated.height, summary, timings)


def rate_parts(run: RunInput, ranges: list[tuple[int, int]], folder: Path) -> list[PartResult]:
    """Rate every range, one after the other, into ``folder/usage-NNN.parquet``.

    Parts run one at a time: on this class of machine two worker processes were measured
    slower than one (the kernel is memory-bound and the cores share the bandwidth) and
    twice as large in memory.
    """
    return [
        rate_part(run, low, high, folder / f"usage-{i:03d}.parquet")
        for i, (low, high) in enumerate(ranges)
    ]
