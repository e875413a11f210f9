"""Reading a period's stored records one part (a few whole days) at a time.

A period is rated in parts of consecutive UTC days (see :mod:`linka.rating.partitions`),
so a part is a few whole store files, read from end to end: no row group is read twice
and no row is filtered. Reading parts of lines instead (a range of MSISDNs from every
file, row groups skipped by their statistics) cost twice the CPU, the filtering and the
row groups read for two ranges. Only the columns rating needs are read; the used
quantity (seconds, 1 message, bytes), missing numbers (0) and an empty roaming country
(none) are settled while reading, in parallel per file.
"""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import polars as pl

from linka.rating.prepare import RECORD_COLUMNS
from linka.usage.records import DIRECTION_ENUM, SERVICE_ENUM
from linka.usage.store import UsageStore

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
READ_AHEAD = 2  # parts read ahead of the one being rated

_USED = (
    pl.when(pl.col("service") == "voice")
    .then(pl.col("duration_s").cast(pl.Int64).fill_null(0))
    .when(pl.col("service") == "data")
    .then(pl.col("volume_up").fill_null(0) + pl.col("volume_down").fill_null(0))
    .when(pl.col("service") == "sms")
    .then(pl.lit(1, dtype=pl.Int64))
    .otherwise(pl.lit(0, dtype=pl.Int64))
)
RATING_COLUMNS: dict[str, pl.DataType] = {
    "line_msisdn": pl.Int64(), "service": SERVICE_ENUM, "direction": DIRECTION_ENUM,
    "b_number": pl.Int64(), "start": pl.Datetime("us", "UTC"), "quantity": pl.Int64(),
    "roaming_country": pl.String(), "seq": pl.Int32(), "file_no": pl.Int32(),
}  # fmt: skip
"""What :func:`read_files` gives: one row per record, in one chunk."""


def read_files(store_root: Path, files: list[tuple[int, str]]) -> pl.DataFrame:
    """What rating needs of every record of the ``files`` (number, path) —
    :data:`RATING_COLUMNS`, in the order of the files and of their rows, as one chunk
    (numpy views, no copies)."""
    store = UsageStore(store_root)
    scans = [
        store.scan_file(path).select(
            pl.col("line_msisdn").fill_null(0),  # 0: no number (never a line's)
            "service",
            "direction",
            pl.col("b_number").fill_null(0),
            "start",
            _USED.alias("quantity"),
            pl.when(pl.col("roaming_country") != "").then(pl.col("roaming_country")),
            "seq",
            file_no=pl.lit(number, dtype=pl.Int32),
        )
        for number, path in files
    ]
    if not scans:
        return pl.DataFrame(schema=RATING_COLUMNS)
    return pl.concat(scans).collect().rechunk()


def _in_range(low: int, high: int) -> pl.Expr:
    in_range = (pl.col("line_msisdn") >= low) & (pl.col("line_msisdn") < high)
    if high == INT64_MAX:
        in_range = in_range | pl.col("line_msisdn").is_null()
    return in_range


class PartReader:
    """Reads the parts' records ahead, up to :data:`READ_AHEAD` parts, in a thread of its
    own.

    Created as soon as the store files and parts are known, it starts reading while the
    caller does other work (compiling the plan); every part taken lets it read one more.
    Use it as a context manager.
    """

    def __init__(self, store_root: Path, parts: list[list[tuple[int, str]]]):
        self.store_root = store_root
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rating-read")
        self._ahead: deque[Future[tuple[pl.DataFrame, float]]] = deque()
        self._waiting = deque(parts)
        self._fill()

    def _fill(self) -> None:
        while len(self._ahead) < READ_AHEAD and self._waiting:
            self._ahead.append(self._pool.submit(self._read, self._waiting.popleft()))

    def _read(self, files: list[tuple[int, str]]) -> tuple[pl.DataFrame, float]:
        mark = time.perf_counter()
        records = read_files(self.store_root, files)
        return records, time.perf_counter() - mark

    def take(self) -> tuple[pl.DataFrame, float]:
        """The next part's records (and seconds spent reading them)."""
        if not self._ahead:
            raise IndexError("every part has been read")
        records = self._ahead.popleft().result()
        self._fill()
        return records

    def __enter__(self) -> PartReader:
        return self

    def __exit__(self, *exc: object) -> None:
        """Drop what was read ahead and not taken (the caller found nothing to rate, or
        failed) without waiting for a read in progress: its result is dropped too."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def read_part(store: UsageStore, paths: list[str], low: int, high: int) -> pl.DataFrame:
    """The stored rating columns of the records of lines in [low, high), with file and
    seq, as they are stored (for explanations and samples)."""
    scans = [
        store.scan_file(path)
        .select(*RECORD_COLUMNS, "seq")
        .filter(_in_range(low, high))
        .with_columns(file_no=pl.lit(number, dtype=pl.Int32))
        for number, path in enumerate(paths)
    ]
    if not scans:
        return pl.DataFrame(schema={"file_no": pl.Int32, "seq": pl.Int32})
    return pl.concat(scans).collect()
