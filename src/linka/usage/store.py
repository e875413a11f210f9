"""The usage store: accepted records as Parquet files partitioned by UTC day.

Layout under ``<data dir>/usage``::

    records/day=2026-03-14/batch-000042-0001.parquet   records of batch 42 started that day
    records/day=2026-03-14/batch-000042-0002.parquet   … more of them, later in the file
    suspense/batch-000042-0001.parquet                 records of batch 42 waiting for a line

A batch is written while its file is still being read (:class:`BatchWriter`): records are
buffered per day and a day is written out when the file has moved past it, or when more
than :data:`FLUSH_ROWS` records are buffered, so memory does not grow with the file. A
time-ordered file gives one file per day; a file in no order gives several, each holding
later lines of the file than the one before it.

Files are written under a temporary name and flushed; once the batch has its id they are
renamed to their final names, so a reader never sees half a file. Which files count is
decided by the batch register in the database (see :mod:`linka.usage.tables`): a crash
before the commit leaves files nobody reads. Each records file holds records of one batch
and one day, sorted by line (in file order within a line) in row groups of
:data:`ROW_GROUP` rows and numbered by its own ``seq`` column: (file, seq) identifies a
record for ever, and rating reads one range of lines at a time while Parquet statistics
skip the row groups of other lines.

A text column that holds one value in a whole file (the source and the input file's name
of an import, the IMSI or cell of a switch that has none) is not stored as a column:
the value is kept once in the file's Parquet metadata under :data:`ONE_VALUE_KEY`, and
:meth:`UsageStore.scan_file` — the way every reader opens a records file — puts it back.
Writing such a column cost 15-30 ns a record (Polars hashes every value for the
dictionary); not writing them saved 0.3-0.4 s of CPU on a 10M-record import.

On PostgreSQL deployments the same files live on shared storage (or object storage via
the same paths); the register, rejects and rating runs live in PostgreSQL. See
``docs/usage.md`` for the mapping and for scaling beyond one machine.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import uuid
from collections import Counter, deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Final

import numpy as np
import polars as pl

from linka.usage.records import DIRECTION_ENUM, RECORD_FRAME_SCHEMA, SERVICE_ENUM

COMPRESSION: Final = "lz4"  # fast to write and read; zstd is smaller but slower to write
ROW_GROUP: Final = 65_536
FLUSH_ROWS: Final = 1_000_000  # records buffered (about 150 MB) before all days are written
WRITES_AHEAD: Final = 4  # files handed to the writer threads and not yet written
WRITERS: Final = 2  # at the end of a file the last days are written side by side
ONE_VALUE_KEY: Final = "linka.one_value_columns"  # JSON {column: value or null}


@dataclass(frozen=True)
class WrittenFile:
    kind: str  # records | suspense
    day: date | None
    path: str  # relative to the store root
    rows: int


def with_enums(frame: pl.DataFrame) -> pl.DataFrame:
    """Service and direction as the store's enums (idempotent)."""
    return frame.with_columns(
        pl.col("service").cast(SERVICE_ENUM), pl.col("direction").cast(DIRECTION_ENUM)
    )


class UsageStore:
    """Reads and writes the Parquet side of the usage store."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> UsageStore:
        return cls(data_dir / "usage")

    def absolute(self, relative: str) -> Path:
        return self.root / relative

    def write_batch(
        self, batch_id: int, records: pl.DataFrame, suspense: pl.DataFrame
    ) -> list[WrittenFile]:
        """Write a batch's accepted records (a file per day) and its waiting records."""
        writer = self.batch_writer(flush_rows=max(records.height, suspense.height) + 1)
        writer.add(records, suspense)
        return writer.finish(batch_id)

    def batch_writer(self, flush_rows: int | None = None) -> BatchWriter:
        return BatchWriter(self, flush_rows)

    def scan_file(self, relative: str) -> pl.LazyFrame:
        """One records or suspense file with every column, the one-value ones put back."""
        path = self.absolute(relative)
        state = path.stat()
        values = _one_values(path, state.st_mtime_ns, state.st_size)
        return pl.scan_parquet(path).with_columns(
            pl.lit(value, dtype=pl.String).alias(name) for name, value in values
        )

    def scan(self, relative_paths: Iterable[str]) -> pl.LazyFrame:
        """The records in the given files (records or suspense), RECORD_SCHEMA columns only."""
        scans = [
            self.scan_file(path).select(RECORD_FRAME_SCHEMA.names()) for path in relative_paths
        ]
        if not scans:
            return pl.LazyFrame(schema=RECORD_FRAME_SCHEMA)
        return pl.concat(scans)

    def remove(self, relative_paths: Iterable[str]) -> None:
        for relative in relative_paths:
            self.absolute(relative).unlink(missing_ok=True)

    def unregistered(self, registered: set[str]) -> list[str]:
        """Files on disk that no committed batch or run names (left by a crash).

        ``registered`` holds file paths and folder paths (a rating run is a folder).
        """
        if not self.root.exists():
            return []
        found = [
            path.relative_to(self.root).as_posix()
            for path in self.root.rglob("*.parquet*")
            if path.is_file()
        ]
        return sorted(
            p
            for p in found
            if p not in registered and not any(p.startswith(f"{r}/") for r in registered)
        )


@dataclass(frozen=True)
class _Staged:
    kind: str
    day: date | None
    number: int  # the n-th file of this batch and day (or of its suspense)
    temporary: str  # relative to the store root
    rows: int

    def final(self, batch_id: int) -> str:
        folder = "suspense" if self.day is None else f"records/day={self.day}"
        return f"{folder}/batch-{batch_id:06d}-{self.number:04d}.parquet"


class BatchWriter:
    """Writes one batch's records while its file is read; see the module docstring.

    ``add`` takes records in file order. Sorting and writing a file run on a writer
    thread (Polars releases the GIL), so the file is read on while the previous day is
    written; at most :data:`WRITES_AHEAD` files wait to be written, which bounds memory.
    Nothing is visible under a final name before :meth:`finish`, which needs the batch
    id; :meth:`discard` removes what was written.
    """

    def __init__(self, store: UsageStore, flush_rows: int | None = None) -> None:
        self.store = store
        self.flush_rows = flush_rows or FLUSH_ROWS
        self._token = uuid.uuid4().hex[:12]
        self._days: dict[date, list[pl.DataFrame]] = {}
        self._buffered = 0
        self._suspense: list[pl.DataFrame] = []
        self._previous: set[date] = set()
        self._numbers: Counter[date | None] = Counter()
        self._staged: list[_Staged] = []
        self._pool: ThreadPoolExecutor | None = None
        self._writes: deque[Future[None]] = deque()

    def add(self, records: pl.DataFrame, suspense: pl.DataFrame) -> None:
        """Buffer accepted and waiting records; write the days the file has moved past."""
        current: set[date] = set()
        if records.height:
            for day, part in by_day(records).items():
                self._days.setdefault(day, []).append(part)
                current.add(day)
            self._buffered += records.height
        for day in [d for d in self._days if d not in current and d not in self._previous]:
            self._flush_day(day)  # absent from two parts in a row: the file moved on
        self._previous = current
        if self._buffered > self.flush_rows:
            for day in list(self._days):
                self._flush_day(day)
        if suspense.height:
            self._suspense.append(suspense)
            if sum(frame.height for frame in self._suspense) > self.flush_rows:
                self._flush_suspense()

    def finish(self, batch_id: int) -> list[WrittenFile]:
        """Write what is buffered and give every file its final name (in write order)."""
        for day in list(self._days):
            self._flush_day(day)
        self._flush_suspense()
        self._wait(0)
        written: list[WrittenFile] = []
        folders: set[Path] = set()
        for staged in self._staged:
            final = staged.final(batch_id)
            os.replace(self.store.absolute(staged.temporary), self.store.absolute(final))
            folders.add(self.store.absolute(final).parent)
            written.append(WrittenFile(staged.kind, staged.day, final, staged.rows))
        for folder in folders:
            _fsync_directory(folder)
        self._staged = []
        return written

    def discard(self) -> None:
        """Remove the files written so far (the import failed before naming them)."""
        for write in self._writes:
            write.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._writes.clear()
        self.store.remove(staged.temporary for staged in self._staged)
        self._staged, self._days, self._suspense, self._buffered = [], {}, [], 0

    def _flush_day(self, day: date) -> None:
        parts = self._days.pop(day)
        frame = pl.concat(parts) if len(parts) > 1 else parts[0]
        self._buffered -= frame.height
        self._stage("records", day, f"records/day={day}", frame)

    def _flush_suspense(self) -> None:
        if self._suspense:
            frame = pl.concat(self._suspense, how="vertical_relaxed")
            self._suspense = []
            self._stage("suspense", None, "suspense", frame)

    def _stage(self, kind: str, day: date | None, folder: str, frame: pl.DataFrame) -> None:
        self._numbers[day] += 1
        number = self._numbers[day]
        temporary = f"{folder}/batch-pending-{self._token}-{number:04d}.parquet.tmp"
        self._staged.append(_Staged(kind, day, number, temporary, frame.height))
        self._wait(WRITES_AHEAD - 1)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(WRITERS, thread_name_prefix="linka-write")
        target = self.store.absolute(temporary)
        self._writes.append(self._pool.submit(_write, target, frame, sort=kind == "records"))

    def _wait(self, pending: int) -> None:
        """Wait until at most ``pending`` files are still being written (errors surface)."""
        while len(self._writes) > pending:
            self._writes.popleft().result()
        if pending == 0 and self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def by_day(records: pl.DataFrame) -> dict[date, pl.DataFrame]:
    """Records by UTC day, each day's in their order. A time-ordered file's part spans
    one day or two in order: those are slices (no copy); only a part in no order is
    partitioned. Days are counted on the raw microseconds: converting the zoned column
    to dates cost more than the rest of this."""
    day = records.get_column("start").to_physical().to_numpy() // _DAY_US
    low, high = int(day.min()), int(day.max())
    if low == high:
        return {_EPOCH_DAY + timedelta(days=low): records}
    if bool((day[1:] >= day[:-1]).all()):
        starts = np.searchsorted(day, np.arange(low, high + 2))
        return {
            _EPOCH_DAY + timedelta(days=low + n): records.slice(int(begin), int(end - begin))
            for n, (begin, end) in enumerate(itertools.pairwise(starts))
            if end > begin
        }
    keyed = records.with_columns(_day=pl.Series(day))
    return {
        _EPOCH_DAY + timedelta(days=int(key[0])): part.drop("_day")
        for key, part in keyed.partition_by("_day", as_dict=True, maintain_order=True).items()
    }


_DAY_US: Final = 86_400_000_000
_EPOCH_DAY: Final = date(1970, 1, 1)


def by_line(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` sorted by line, stable (file order within a line), nulls last.

    When the lines of the frame span few enough numbers, each row gets a unique 64-bit
    key (line minus the lowest, then the row number in the low bits): sorting the keys
    themselves (no argsort) gives the stable order, and the low bits of each sorted key
    are the row to take. Polars sorts integers on one thread in ~14 ns each, numpy's
    argsort took ~60 ns here: this sort runs for every stored record.
    """
    lines = frame.get_column("line_msisdn")
    rows = frame.height
    bits = max(1, (rows - 1).bit_length())
    low, high = lines.min(), lines.max()
    narrow = isinstance(low, int) and isinstance(high, int) and high - low < 1 << (63 - bits)
    if narrow and lines.null_count() == 0:
        assert isinstance(low, int)
        key = ((lines.to_numpy() - low) << bits) | np.arange(rows, dtype=np.int64)
        ordered = pl.Series(key).sort(multithreaded=False).to_numpy()
        return frame[ordered & ((1 << bits) - 1)]
    return frame.sort("line_msisdn", maintain_order=True, nulls_last=True)


def _write(target: Path, frame: pl.DataFrame, *, sort: bool) -> None:
    """Sort a records file by line (stable: file order within a line) and number it
    (``seq``); write it under its temporary name, its one-value text columns in its
    metadata, and flush it to disk."""
    frame = with_enums(frame)  # service and direction are enums, not text, on disk
    one_value = _one_value_texts(frame)
    frame = frame.drop(one_value)
    if sort:
        # one chunk first: Polars gathers text from a chunked column value by value
        # (~50 ns each), from one chunk it gathers only the 16-byte views (~3 ns)
        frame = by_line(frame.rechunk()).with_columns(seq=pl.int_range(pl.len(), dtype=pl.Int32))
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(
        target,
        compression=COMPRESSION,
        statistics=True,
        row_group_size=ROW_GROUP,
        metadata={ONE_VALUE_KEY: json.dumps(one_value)},
    )
    with target.open("rb") as handle:
        os.fsync(handle.fileno())


@functools.lru_cache(maxsize=4096)
def _one_values(path: Path, mtime_ns: int, size: int) -> tuple[tuple[str, str | None], ...]:
    """A file's one-value columns, read from its footer once per version of the file:
    rating opens every file once per part of lines."""
    stored = pl.read_parquet_metadata(path).get(ONE_VALUE_KEY)
    return tuple(json.loads(stored).items()) if stored else ()


def _one_value_texts(frame: pl.DataFrame) -> dict[str, str | None]:
    """The text columns that hold one value (or only nulls) in every row."""
    found: dict[str, str | None] = {}
    for name, dtype in frame.schema.items():
        if dtype != pl.String:
            continue
        column = frame.get_column(name)
        nulls = column.null_count()
        if nulls == frame.height:
            found[name] = None
        elif nulls == 0 and (column == column[0]).all():
            found[name] = column[0]
    return found


def _fsync_directory(folder: Path) -> None:
    """Make renames in ``folder`` durable before the register names the files."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems cannot sync a directory
    finally:
        os.close(descriptor)
