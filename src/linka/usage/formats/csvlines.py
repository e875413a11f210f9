"""Headerless quoted CSV with one record per physical line (Asterisk, FreeSWITCH), in blocks.

A switch file is read in blocks of about :data:`BLOCK_BYTES` that end at a line end, and
each block is parsed on its own by ``pyarrow.csv`` with one thread, converting only the
needed columns; :mod:`linka.usage.formats.stream` runs several blocks at a time on
threads. That bounds memory by the block size, not the file size, and keeps every line
number exact: the lines of each block are counted as it is read (so every block knows
its first line before it is parsed) and a single-threaded Arrow parse numbers every line
it skips. Reading the whole file at once with Arrow's own threads was measured slower
here: a file with one line of the wrong width then had to be parsed again with one
thread to name that line. Blocks of 32 MiB: each block costs a few milliseconds of fixed
Polars overhead, and larger ones leave a thread idle at the end of a small file.

Two properties of these files shape the reader:

* **One record per line.** Values never contain newlines, so a record's line number is its
  ``raw_line``.
* **Quotes.** Asterisk doubles a quote inside a value (``""``); files written by other tools
  often use ``\\"``. Both are accepted.

A line of the wrong width is a reject and the block goes on. A quote left open can
swallow the next lines into one row; Arrow then counts rows, not lines, so such a block
(seen as fewer rows than lines, a newline inside a skipped row, or a parse error) is
read again **line by line**: lines with an unbalanced quote are rejected first, so no
line can swallow another, and the rest is parsed again with Arrow, which then names every
line with a wrong column count. Only that block pays for it.

Blank lines are not records: they are skipped and not counted. Line ends are ``\\n`` or
``\\r\\n``; blocks are cut after a ``\\n``.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

SNIFF_BYTES = 64 * 1024
BLOCK_BYTES = 32 << 20  # fewer blocks: each costs ~8 ms of fixed Polars overhead
FIRST_BLOCK_BYTES = 4 << 20
COUNT_STEP = 1 << 20
FIRST = "_first"  # the first column, always read: a blank line is a row of empty values


class Digest(Protocol):
    """A checksum fed in file order; ``update`` may work in the background and return
    something with ``result()`` that waits until it has read the data."""

    def update(self, data: bytes | memoryview, /) -> Waitable | None: ...


class Waitable(Protocol):
    def result(self) -> object: ...


@dataclass(frozen=True, slots=True)
class BadLine:
    line: int
    detail: str
    raw: str


@dataclass(frozen=True, slots=True)
class Block:
    """A piece of the file that starts and ends at a line boundary."""

    first_line: int  # 1-based number of its first line in the file
    lines: int  # physical lines in it
    offset: int  # byte offset in the file
    length: int  # bytes
    data: memoryview | None  # None once parsed (the index of blocks keeps no bytes)
    buffer: memoryview | None = None  # what ``data`` is read into (see BufferPool)
    digesting: Waitable | None = None  # the checksum still reading ``buffer``

    def without_data(self) -> Block:
        return Block(self.first_line, self.lines, self.offset, self.length, None)


class BufferPool:
    """Read buffers of one size, handed back when their block is done with.

    A fresh multi-MB buffer per block is served by glibc from a new ``mmap`` whose pages
    the kernel faults in zero-filled: that cost as much as the read itself. Reusing a
    handful of buffers (the blocks in flight) costs nothing; new ones are numpy arrays,
    which are not zero-filled a second time.
    """

    def __init__(self, size: int, keep: int = 8) -> None:
        self.size = size
        self.keep = keep
        self._free: list[memoryview] = []

    def take(self, needed: int) -> memoryview:
        if needed <= self.size and self._free:
            return self._free.pop()
        return np.empty(max(needed, self.size), dtype=np.uint8).data

    def give(self, buffer: memoryview | None) -> None:
        if buffer is not None and len(buffer) == self.size and len(self._free) < self.keep:
            self._free.append(buffer)


@dataclass
class BlockRows:
    """One block parsed: the wanted columns as Arrow strings, each row's line in the file.

    Blank rows (an empty first column and empty wanted values) are not records; they are
    still in ``table`` and left out of ``frame`` and ``read``.
    """

    table: pa.Table  # the first column and the wanted ones (large strings)
    numbers: npt.NDArray[np.int64]  # the line of each row of ``table``
    malformed: list[BadLine]
    lines: int  # physical lines in the block (the next block starts after them)

    @cached_property
    def blank(self) -> npt.NDArray[np.bool_] | None:
        """Which rows are blank (None: none is, the common case)."""
        first = self.table.column(0)
        if self.table.num_rows == 0 or pc.min(pc.binary_length(first)).as_py():
            return None
        blank = np.ones(self.table.num_rows, dtype=bool)
        for name in self.table.column_names:
            blank &= pc.equal(pc.binary_length(self.table[name]), 0).to_numpy()
        return blank if blank.any() else None

    @property
    def read(self) -> int:
        """Records: rows that are not blank, and malformed lines."""
        blank = 0 if self.blank is None else int(np.count_nonzero(self.blank))
        return int(self.table.num_rows) - blank + len(self.malformed)

    @cached_property
    def frame(self) -> pl.DataFrame:
        """The wanted columns as Polars strings and ``line``, without blank rows."""
        return self.frame_of(None if self.blank is None else np.flatnonzero(~self.blank))

    def frame_of(self, rows: npt.NDArray[np.intp] | None) -> pl.DataFrame:
        """The wanted columns of ``rows`` (None: all) as Polars strings, with ``line``."""
        table = self.table.select([name for name in self.table.column_names if name != FIRST])
        numbers = self.numbers
        if rows is not None:
            table, numbers = table.take(rows), numbers[rows]
        frame = pl.from_arrow(table, rechunk=False)
        assert isinstance(frame, pl.DataFrame)
        return frame.with_columns(pl.Series("line", numbers, dtype=pl.Int64))


@dataclass(frozen=True)
class Layout:
    """Which columns of a ``width``-column file are read, and under which names."""

    width: int
    include: Sequence[int]
    names: Sequence[str]
    escape_char: str | None = "\\"

    @property
    def columns(self) -> list[str]:
        columns = [f"c{i}" for i in range(self.width)]
        columns[0] = FIRST
        for index, name in zip(self.include, self.names, strict=True):
            columns[index] = name
        return columns


def sniff_column_counts(path: Path, escape_char: str | None = "\\") -> Counter[int]:
    """Column counts of the first lines (up to 64 KiB), to detect a file's layout."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    lines = head.decode("utf-8", errors="replace").splitlines()
    if len(head) == SNIFF_BYTES and lines:
        lines = lines[:-1]  # the last one may be cut in the middle
    counts: Counter[int] = Counter()
    for row in csv.reader(lines, doublequote=True, escapechar=escape_char, strict=False):
        if row:
            counts[len(row)] += 1
    return counts


def read_blocks(
    path: Path,
    digest: Digest | None = None,
    size: int | None = None,
    pool: BufferPool | None = None,
) -> Iterator[Block]:
    """The file in blocks of at most ``size`` bytes cut after a newline, each read once.

    ``digest`` is fed every byte in file order as it is read (the file's checksum costs no
    second pass). The last block may end without a newline. A block's buffer comes from
    ``pool`` and may be used on another thread while the next one is read; hand it back
    to the pool once the block is done with (and ``digesting`` is over).

    The first blocks are smaller (4, 8, 16 MiB …) so that the threads after the readers
    start early, and so are the last ones (half of what is left), so that the workers
    finish together instead of one of them parsing a whole block alone.
    """
    size = size or BLOCK_BYTES
    pool = pool or BufferPool(size)
    scratch = np.empty(COUNT_STEP, dtype=bool)
    rest = b""
    offset, first_line = 0, 1
    left = path.stat().st_size
    step = min(size, FIRST_BLOCK_BYTES)
    with path.open("rb", buffering=0) as handle:
        while True:
            buffer = pool.take(size if len(rest) < size else len(rest) + size)
            buffer[: len(rest)] = rest
            target = max(min(step, left // 2), min(size, FIRST_BLOCK_BYTES))
            step = min(size, step * 2)
            room = len(buffer) - len(rest)
            wanted = min(room, target - len(rest) if len(rest) < target else target)
            count = handle.readinto(buffer[len(rest) : len(rest) + wanted]) or 0
            left -= count
            digesting = None
            if digest is not None and count:
                digesting = digest.update(buffer[len(rest) : len(rest) + count])
            end = len(rest) + count
            cut = end if count == 0 else _last_line_end(buffer, end)
            if cut:
                data = buffer[:cut]
                lines = count_lines(data, scratch)
                yield Block(first_line, lines, offset, cut, data, buffer, digesting)
                first_line += lines
                offset += cut
            elif digesting is None:
                pool.give(buffer)
            if count == 0:
                return
            rest = bytes(buffer[cut:end])  # the start of a line the next read completes


def _last_line_end(buffer: memoryview, end: int) -> int:
    """The position after the last newline before ``end`` (0: none)."""
    step = 1 << 16
    stop = end
    while stop > 0:
        start = max(0, stop - step)
        found = bytes(buffer[start:stop]).rfind(b"\n")
        if found >= 0:
            return start + found + 1
        stop = start
    return 0


def read_block_at(path: Path, block: Block) -> memoryview:
    """The bytes of a block again (to read it a second time)."""
    with path.open("rb") as handle:
        handle.seek(block.offset)
        return memoryview(handle.read(block.length))


def parse_block(block: Block, layout: Layout) -> BlockRows:
    """The wanted columns of one block with the file's line numbers; malformed lines apart."""
    assert block.data is not None
    try:
        return _numbered(block, layout)
    except _FallbackError:
        rows = _line_by_line(block.data, layout)
    shift = block.first_line - 1
    return BlockRows(
        rows.table,
        rows.numbers + shift,
        [BadLine(bad.line + shift, bad.detail, bad.raw) for bad in rows.malformed],
        rows.lines,
    )


class _FallbackError(Exception):
    """Rows and lines may differ in this block (a quote left open): read it line by line."""


def _options(
    layout: Layout, handler: pacsv.InvalidRowHandler
) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
    columns = layout.columns
    wanted = list(dict.fromkeys([columns[0], *layout.names]))
    read = pacsv.ReadOptions(column_names=columns, use_threads=False, block_size=4 << 20)
    parse = pacsv.ParseOptions(
        double_quote=True,
        escape_char=layout.escape_char or False,
        newlines_in_values=False,
        ignore_empty_lines=False,
        invalid_row_handler=handler,
    )
    convert = pacsv.ConvertOptions(
        include_columns=wanted,
        column_types=dict.fromkeys(wanted, pa.large_binary()),  # UTF-8: see _text
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    return read, parse, convert


def _numbered(block: Block, layout: Layout) -> BlockRows:
    """One Arrow pass; each skipped line of the wrong width is numbered (a reject each)."""
    assert block.data is not None
    if not _text(block.data):
        raise _FallbackError  # lines that are not UTF-8 are rejected one by one there
    skipped: dict[int, tuple[int, str]] = {}
    spans_lines = False

    def on_invalid(row: pacsv.InvalidRow) -> str:
        # raising here would only be printed by Arrow as an "exception ignored"
        nonlocal spans_lines
        if row.number is None or "\n" in row.text:
            spans_lines = True
        else:
            skipped[row.number] = (row.actual_columns, row.text)
        return "skip"

    try:
        table = pacsv.read_csv(pa.py_buffer(block.data), *_options(layout, on_invalid))
    except pa.ArrowInvalid as error:  # e.g. a quote still open at the end of the block
        raise _FallbackError from error
    lines = table.num_rows + len(skipped)
    if spans_lines or lines != block.lines:
        raise _FallbackError  # some row spans lines: a quote was left open
    first = block.first_line
    if skipped:
        present = np.ones(lines, dtype=bool)
        present[np.fromiter(skipped, dtype=np.int64) - 1] = False
        numbers = np.flatnonzero(present) + first
    else:
        numbers = np.arange(first, first + lines, dtype=np.int64)
    malformed = [
        BadLine(
            number + first - 1, _width_detail(text, actual, layout.width, layout.escape_char), text
        )
        for number, (actual, text) in sorted(skipped.items())
        if text.strip()
    ]
    return BlockRows(_strings(table), numbers.astype(np.int64), malformed, lines)


def _line_by_line(data: memoryview, layout: Layout) -> BlockRows:
    """Every line on its own: lines Arrow cannot be given (a quote left open, a wrong
    width in bytes that are not UTF-8) are rejected first, the rest parsed together."""
    malformed: list[BadLine] = []
    good: list[bytes] = []
    numbers: list[int] = []
    pieces = bytes(data).split(b"\n")
    if pieces and pieces[-1] == b"":
        pieces.pop()  # the block ends with a line end
    for number, raw in enumerate(pieces, start=1):
        text = raw.rstrip(b"\r")
        if not text.strip():
            continue
        if _unbalanced(text, layout.escape_char):
            detail = f"unterminated quote; expected {layout.width} columns"
            malformed.append(BadLine(number, detail, text.decode("utf-8", "replace")))
            continue
        if not _is_utf8(text) and (width := _width(text, layout)) != layout.width:
            # Arrow could not show this line to the handler: the same detail, found here
            detail = f"{width} columns, expected {layout.width}"
            malformed.append(BadLine(number, detail, text.decode("utf-8", "replace")))
            continue
        good.append(text)
        numbers.append(number)
    invalid: dict[int, int] = {}

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid[row.number or 0] = row.actual_columns
        return "skip"

    columns = list(dict.fromkeys([FIRST, *layout.names]))
    table = pa.table({name: pa.array([], pa.large_binary()) for name in columns})
    kept: list[int] = []
    if good:
        buffer = pa.py_buffer(b"\n".join(good) + b"\n")
        table = pacsv.read_csv(buffer, *_options(layout, on_invalid)).select(columns)
        kept = [n for index, n in enumerate(numbers, start=1) if index not in invalid]
        for index, actual in invalid.items():
            raw_text = good[index - 1].decode()
            detail = f"{actual} columns, expected {layout.width}"
            malformed.append(BadLine(numbers[index - 1], detail, raw_text))
    texts = dict(zip(numbers, good, strict=True))
    table, lines, not_text = _without_bytes(table, np.array(kept, dtype=np.int64), texts)
    malformed = sorted([*malformed, *not_text], key=lambda bad: bad.line)
    return BlockRows(_strings(table), lines, malformed, len(pieces))


def _width(text: bytes, layout: Layout) -> int:
    """The columns of a line (its bytes read as Latin-1: the CSV syntax is ASCII)."""
    row = next(csv.reader([text.decode("latin-1")], escapechar=layout.escape_char, strict=False))
    return len(row)


def _without_bytes(
    table: pa.Table, lines: npt.NDArray[np.int64], texts: Mapping[int, bytes]
) -> tuple[pa.Table, npt.NDArray[np.int64], list[BadLine]]:
    """Rows with a value that is not UTF-8 in a column that is read, left out as
    malformed lines (bytes in the other columns do not matter)."""
    bad: dict[int, str] = {}  # row → the first such column
    for name in table.column_names:
        try:
            table[name].cast(pa.large_string())
            continue
        except pa.ArrowInvalid:
            pass  # some value is not text: which?
        for row, value in enumerate(table[name].to_pylist()):
            if row not in bad and not _is_utf8(value):
                bad[row] = "column 1" if name == FIRST else name
    if not bad:
        return table, lines, []
    not_text = [
        BadLine(
            int(lines[row]),
            f"{name}: not UTF-8 text",
            texts[int(lines[row])].decode("utf-8", "replace"),
        )
        for row, name in sorted(bad.items())
    ]
    keep = np.ones(table.num_rows, dtype=bool)
    keep[list(bad)] = False
    return table.filter(pa.array(keep)), lines[keep], not_text


def _text(data: memoryview) -> bool:
    """Whether a block is UTF-8 text. Arrow reads the columns as bytes (checking them
    as text there cost 4 % of an import, and one bad byte failed the block): nearly
    every block is ASCII, which one vectorised pass tells; any other is checked by Arrow
    (outside the GIL). A block that is not is read line by line, where only a line with
    bad bytes in a column that is read is rejected."""
    if len(data) == 0 or int(np.frombuffer(data, dtype=np.uint8).max()) < 0x80:
        return True
    bounds = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    whole = pa.Array.from_buffers(pa.large_binary(), 1, [None, bounds, pa.py_buffer(data)])
    try:
        whole.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _is_utf8(value: bytes | memoryview) -> bool:
    try:
        str(value, "utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _strings(table: pa.Table) -> pa.Table:
    """Binary columns known to hold UTF-8 as string columns, sharing their buffers."""
    return pa.table(
        {
            name: pa.chunked_array(
                [
                    pa.Array.from_buffers(
                        pa.large_string(),
                        len(chunk),
                        chunk.buffers(),
                        chunk.null_count,
                        chunk.offset,
                    )
                    for chunk in table[name].chunks
                ],
                pa.large_string(),
            )
            for name in table.column_names
        }
    )


def count_lines(data: memoryview, scratch: np.ndarray | None = None) -> int:
    """Physical lines in a block: its newlines, plus a last line without one.

    Counted in 1 MiB pieces into a reused ``scratch`` buffer (a fresh temporary per
    piece costs page faults; numpy releases the GIL): about 25 ms per 300 MB, the price
    of knowing that Arrow's rows are the file's lines.
    """
    raw = np.frombuffer(data, dtype=np.uint8)
    step = COUNT_STEP
    if scratch is None:
        scratch = np.empty(step, dtype=bool)
    newline = np.uint8(ord("\n"))
    count = 0
    for start in range(0, len(raw), step):
        piece = raw[start : start + step]
        equal = scratch[: len(piece)]
        np.equal(piece, newline, out=equal)
        count += int(np.count_nonzero(equal))
    return count + (1 if len(raw) and raw[-1] != newline else 0)


def line_texts(data: memoryview, wanted: Sequence[int]) -> Mapping[int, str]:
    """The text of the given lines (1-based in the block), without the line end.

    For the raw text of rejects: the line ends are found once per block that has rejects.
    """
    if not wanted:
        return {}
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == ord("\n"))
    starts = np.concatenate([[0], ends + 1])
    ends = np.concatenate([ends, [len(raw)]])
    found: dict[int, str] = {}
    for line in wanted:
        start, end = int(starts[line - 1]), int(ends[line - 1])
        found[line] = bytes(data[start:end]).rstrip(b"\r").decode("utf-8", "replace")
    return found


def _width_detail(text: str, actual: int, width: int, escape_char: str | None) -> str:
    if _unbalanced(text.encode(), escape_char):
        return f"unterminated quote; expected {width} columns"
    return f"{actual} columns, expected {width}"


def _unbalanced(text: bytes, escape_char: str | None) -> bool:
    if escape_char:
        text = text.replace(escape_char.encode() * 2, b"").replace(escape_char.encode() + b'"', b"")
    return text.count(b'"') % 2 == 1
