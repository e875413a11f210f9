"""Reading a usage file as a stream of parts, so that memory does not grow with the file.

A format that can read a file in pieces (the line-oriented switch CSVs) returns a
:class:`CsvStream`; the others are read whole and wrapped in a one-part
:class:`ParsedStream`. Either way the import consumes :class:`Part` objects one at a time:
records in the store's column types with their file and line, and the part's rejects.
:func:`collect` turns a stream back into one :class:`Parsed` (tests, small files).

How a CSV stream runs: the calling thread reads the file block by block into reused
buffers and counts the lines of each block, so every block knows its first line number
before it is parsed; a helper thread feeds the checksum (BLAKE3 releases the GIL); it
hands blocks to :data:`THREADS` worker threads that parse and normalise them (Arrow and
Polars release the GIL, so they really run in parallel). Results come back in file
order; within-file duplicates are then found against the ids of earlier blocks
(:mod:`linka.usage.formats.dedup`). At most ``THREADS + 2`` blocks are in flight (one
more than the workers can hold, so none waits for work), which bounds memory.
"""

from __future__ import annotations

import bisect
import os
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import polars as pl
import pyarrow as pa

from linka.usage.checksum import new_digest
from linka.usage.formats import csvlines
from linka.usage.formats.csvlines import (
    Block,
    BlockRows,
    BufferPool,
    Layout,
    parse_block,
    read_block_at,
    read_blocks,
)
from linka.usage.formats.csvlines import line_texts as block_line_texts
from linka.usage.formats.dedup import HashedIds, Lines, SeenIds, duplicates
from linka.usage.formats.parsed import Parsed
from linka.usage.records import (
    RECORD_FRAME_SCHEMA,
    RECORD_SCHEMA,
    Reject,
    RejectReason,
)

THREADS = max(1, min(4, os.cpu_count() or 1))
REJECT_FRAME_SCHEMA = pl.Schema(
    {"raw_ref": pl.String, "reason": pl.String, "detail": pl.String, "raw": pl.String}
)
Process = Callable[[BlockRows], tuple[pl.DataFrame, pl.DataFrame]]
"""A format's normalisation of one block: its rows → (accepted fields + ``line``, rejected
``line, reason, detail``), as :func:`linka.usage.formats.parsed.split` returns."""

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Part:
    """Records and rejects of one piece of a file, in file order."""

    records: pl.DataFrame  # exactly RECORD_FRAME_SCHEMA
    rejects: pl.DataFrame  # REJECT_FRAME_SCHEMA, in line order
    read: int
    ignored: int = 0


class RecordStream(ABC):
    """The parts of one file; ``checksum`` is its checksum once read, if computed while
    reading (``None``: the caller computes it)."""

    def __init__(self, path: Path, source: str) -> None:
        self.path = path
        self.source = source
        self.checksum: str | None = None

    @abstractmethod
    def __iter__(self) -> Iterator[Part]: ...


class ParsedStream(RecordStream):
    """A whole-file format as a stream of one part."""

    def __init__(self, path: Path, source: str, parse: Callable[[], Parsed]) -> None:
        super().__init__(path, source)
        self._parse = parse

    def __iter__(self) -> Iterator[Part]:
        parsed = self._parse()
        records = pl.from_arrow(parsed.table)
        assert isinstance(records, pl.DataFrame)
        rejects = pl.DataFrame(
            {
                "raw_ref": [r.raw_ref for r in parsed.rejects],
                "reason": [r.reason.value for r in parsed.rejects],
                "detail": [r.detail for r in parsed.rejects],
                "raw": [r.raw for r in parsed.rejects],
            },
            schema=REJECT_FRAME_SCHEMA,
        )
        yield Part(records.cast(RECORD_FRAME_SCHEMA), rejects, parsed.read, parsed.ignored)


def collect(stream: RecordStream) -> Parsed:
    """All parts of a stream as one :class:`Parsed` (holds the whole file in memory)."""
    parts = list(stream)
    records = pl.concat([p.records for p in parts]) if parts else empty_records()
    rejects = pl.concat([p.rejects for p in parts]) if parts else empty_rejects()
    return Parsed(
        table=record_table(records),
        rejects=[
            Reject(stream.source, ref, RejectReason(reason), detail, raw)
            for ref, reason, detail, raw in rejects.iter_rows()
        ],
        read=sum(p.read for p in parts),
        ignored=sum(p.ignored for p in parts),
    )


def empty_records() -> pl.DataFrame:
    return pl.DataFrame(schema=RECORD_FRAME_SCHEMA)


def empty_rejects() -> pl.DataFrame:
    return pl.DataFrame(schema=REJECT_FRAME_SCHEMA)


def record_table(records: pl.DataFrame) -> pa.Table:
    """Store-typed records → an Arrow table with exactly RECORD_SCHEMA."""
    arrow = records.with_columns(pl.col("service", "direction").cast(pl.String)).to_arrow()
    columns = [arrow.column(f.name).cast(f.type) for f in RECORD_SCHEMA]
    return pa.Table.from_arrays(columns, schema=RECORD_SCHEMA).combine_chunks()


def record_frame(
    accepted: pl.DataFrame, file_name: str, constants: Mapping[str, str]
) -> pl.DataFrame:
    """Accepted fields + ``line`` → RECORD_FRAME_SCHEMA columns (+ ``line``): ``raw_file``
    is the file's name, ``raw_line`` the line, and ``constants`` hold one value for the
    whole file."""
    constants = {**constants, "raw_file": file_name}
    exprs: list[pl.Expr] = []
    for name, dtype in RECORD_FRAME_SCHEMA.items():
        if name == "raw_line":
            exprs.append(pl.col("line").alias(name))
        elif name in constants:
            exprs.append(pl.lit(constants[name], dtype=dtype).alias(name))
        elif name in accepted.columns:
            exprs.append(pl.col(name).cast(dtype))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    frame = accepted.select(*exprs, pl.col("line"))
    for spec in RECORD_SCHEMA:
        if not spec.nullable and frame.get_column(spec.name).null_count():
            count = frame.get_column(spec.name).null_count()
            raise ValueError(f"{count} accepted records have no {spec.name}")
    return frame


@dataclass
class _BlockResult:
    records: pl.DataFrame  # RECORD_FRAME_SCHEMA + line
    hashed: HashedIds
    rejects: pl.DataFrame  # line + REJECT_FRAME_SCHEMA
    read: int


class CsvStream(RecordStream):
    """A line-oriented CSV file in blocks: parsed and normalised on threads, in order."""

    def __init__(
        self,
        path: Path,
        source: str,
        layout: Layout,
        process: Process,
        constants: Mapping[str, str],
        block_bytes: int | None = None,
    ) -> None:
        super().__init__(path, source)
        self.layout = layout
        self.process = process
        self.constants = dict(constants)
        self.block_bytes = block_bytes
        self._blocks: list[Block] = []  # data released: where each block starts
        self._seen = SeenIds(0)

    def __iter__(self) -> Iterator[Part]:
        self._blocks = []
        seen = self._seen = SeenIds(expected=self.path.stat().st_size // 200)  # CDR lines
        pool = BufferPool(self.block_bytes or csvlines.BLOCK_BYTES)
        with _BackgroundDigest() as digest:
            blocks = read_blocks(self.path, digest, pool.size, pool)
            for block, result in ordered(self._work, blocks, THREADS, ahead=THREADS + 2):
                self._blocks.append(block.without_data())
                yield self._without_repeats(block, result, seen)
                if block.digesting is not None:
                    block.digesting.result()
                pool.give(block.buffer)  # parsed, normalised, hashed and consumed
            self.checksum = digest.hexdigest()

    def _work(self, block: Block) -> _BlockResult:
        """Parse and normalise one block (on a worker thread)."""
        assert block.data is not None
        rows = parse_block(block, self.layout)
        accepted, rejected = self.process(rows)
        records = record_frame(accepted, self.path.name, self.constants)
        rejects = _NO_REJECTS
        if rows.malformed or rejected.height:
            lines = rejected.get_column("line").to_list()
            texts = _texts(block, lines)
            malformed = pl.DataFrame(
                {
                    "line": [bad.line for bad in rows.malformed],
                    "reason": [RejectReason.MALFORMED.value] * len(rows.malformed),
                    "detail": [bad.detail for bad in rows.malformed],
                    "raw": [bad.raw for bad in rows.malformed],
                },
                schema=_LINE_REJECTS,
            )
            normalised = rejected.select("line", "reason", "detail").with_columns(
                pl.Series("raw", [texts[line] for line in lines], dtype=pl.String)
            )
            rejects = self._ref(pl.concat([malformed, normalised]).sort("line"))
        hashed = self._seen.hashed(records.get_column("record_id"))
        return _BlockResult(records, hashed, rejects, rows.read)

    def _ref(self, rejects: pl.DataFrame) -> pl.DataFrame:
        ref = pl.concat_str(pl.lit(f"{self.path.name}:"), pl.col("line").cast(pl.String))
        return rejects.select("line", ref.alias("raw_ref"), "reason", "detail", "raw")

    def _without_repeats(self, block: Block, result: _BlockResult, seen: SeenIds) -> Part:
        records, rejects = result.records, result.rejects
        lines = records.get_column("line").to_numpy()
        ids = records.get_column("record_id")
        repeated, first_line = duplicates(ids, lines, result.hashed, seen, self._ids_at)
        if repeated.any():
            repeats = records.filter(pl.Series(repeated)).select(
                "line",
                pl.lit(RejectReason.DUPLICATE.value).alias("reason"),
                pl.format(
                    "record_id {} already read at line {}",
                    pl.col("record_id"),
                    pl.Series(first_line[repeated]),
                ).alias("detail"),
            )
            texts = _texts(block, repeats.get_column("line").to_list())
            repeats = repeats.with_columns(
                pl.col("line").replace_strict(texts, return_dtype=pl.String).alias("raw")
            )
            rejects = pl.concat([rejects, self._ref(repeats)]).sort("line")
            records = records.filter(pl.Series(~repeated))
        return Part(records.drop("line"), rejects.drop("line"), result.read)

    def _ids_at(self, lines: Lines) -> pl.DataFrame:
        """Ids at earlier lines: their blocks are read and normalised again (rare)."""
        starts = [block.first_line for block in self._blocks]
        wanted = sorted({bisect.bisect_right(starts, int(line)) - 1 for line in lines})
        frames = []
        for index in wanted:
            block = self._blocks[index]
            again = Block(
                block.first_line,
                block.lines,
                block.offset,
                block.length,
                read_block_at(self.path, block),
            )
            frames.append(self._work(again).records.select("line", "record_id"))
        found = pl.concat(frames) if frames else pl.DataFrame(schema={"line": pl.Int64})
        return found.filter(pl.col("line").is_in(pl.Series(lines).implode()))


_LINE_REJECTS = pl.Schema(
    {"line": pl.Int64, "reason": pl.String, "detail": pl.String, "raw": pl.String}
)
_NO_REJECTS = pl.DataFrame(schema={"line": pl.Int64, **REJECT_FRAME_SCHEMA})


def _texts(block: Block, lines: list[int]) -> dict[int, str]:
    """The raw text of the given lines (file numbers) of a block."""
    assert block.data is not None
    texts = block_line_texts(block.data, [line - block.first_line + 1 for line in lines])
    return {line: texts[line - block.first_line + 1] for line in lines}


def ordered(
    function: Callable[[T], R], items: Iterable[T], threads: int, ahead: int
) -> Iterator[tuple[T, R]]:
    """``function`` over ``items`` on ``threads`` threads, results in input order, with
    at most ``ahead`` items in flight (a few more than threads: none waits for work)."""
    pending: deque[tuple[T, Future[R]]] = deque()
    with ThreadPoolExecutor(threads, thread_name_prefix="linka-read") as pool:
        try:
            for item in items:
                pending.append((item, pool.submit(function, item)))
                if len(pending) >= ahead:
                    first, future = pending.popleft()
                    yield first, future.result()
            while pending:
                first, future = pending.popleft()
                yield first, future.result()
        finally:
            for _, future in pending:
                future.cancel()


class _BackgroundDigest:
    """The checksum fed on a helper thread, in file order (it releases the GIL), so that
    the reading thread goes on handing out blocks meanwhile."""

    def __init__(self) -> None:
        self._digest = new_digest()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="linka-checksum")

    def update(self, data: bytes | memoryview, /) -> Future[object]:
        return self._pool.submit(self._digest.update, data)

    def hexdigest(self) -> str:
        self._pool.shutdown(wait=True)
        return self._digest.hexdigest()

    def __enter__(self) -> _BackgroundDigest:
        return self

    def __exit__(self, *_: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
