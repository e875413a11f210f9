"""Headerless quoted CSV with one record per physical line (Asterisk, FreeSWITCH), fast.

Switch CDR files are read whole with ``pyarrow.csv`` (C++, multi-threaded), converting only
the needed columns. Reading in a stream of record batches was measured here too and was
about 1.5× slower end to end (per-batch overhead; this machine's second core adds little).

Two properties of these files shape the reader:

* **One record per line.** Values never contain newlines, so a record's line number is its
  ``raw_ref``; the fast path numbers rows as they come.
* **Quotes.** Asterisk doubles a quote inside a value (``""``); files written by other tools
  often use ``\\"``. Both are accepted.

When a file has a line of the wrong width, the fast path (which cannot tell line numbers
when it parses in parallel) reads the file again with one thread, where Arrow numbers
every line it skips. If that cannot be trusted either (a quote left open in the first
field can swallow the next line), the file is read again **line by line**: lines with an
unbalanced quote are rejected first, so no line can swallow another, and the rest is
parsed again with Arrow, which then names every line with a wrong column count. A broken
line costs exactly one reject and the rest of the file continues. An unterminated quote
can only produce a row of the right width when it opens the *first* field (the merged
row then has ``0 + width`` columns), so the fast paths watch the first column for a
newline.

Blank lines are not records: they are skipped and not counted.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

SNIFF_BYTES = 64 * 1024
BLOCK_BYTES = 4 << 20
FIRST = "_first"  # the first column, always read: see the module docstring

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BadLine:
    line: int
    detail: str
    raw: str


@dataclass
class Mapped(Generic[T]):
    """What :func:`map_rows` returns: per-batch results, malformed lines, records read."""

    results: list[T]
    malformed: list[BadLine]
    read: int


class _FallbackError(Exception):
    """The fast path met a malformed line."""


class _WrongWidthError(_FallbackError):
    """The fast path skipped lines of the wrong width (and could not number them)."""


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


def map_rows(
    path: Path,
    process: Callable[[pl.DataFrame], T],
    *,
    width: int,
    include: Sequence[int],
    names: Sequence[str],
    escape_char: str | None = "\\",
) -> Mapped[T]:
    """Apply ``process`` to the ``include`` columns (named ``names``, all strings, plus
    ``line``) of a headerless CSV of ``width`` columns; one result per part read."""
    columns = _column_names(width, include, names)
    try:
        return _fast(path, process, columns, names, escape_char)
    except _WrongWidthError:
        try:
            return _numbered(path, process, columns, names, escape_char)
        except _FallbackError:
            return _line_by_line(path, process, columns, names, escape_char)
    except _FallbackError:
        return _line_by_line(path, process, columns, names, escape_char)


def _column_names(width: int, include: Sequence[int], names: Sequence[str]) -> list[str]:
    columns = [f"c{i}" for i in range(width)]
    columns[0] = FIRST
    for index, name in zip(include, names, strict=True):
        columns[index] = name
    return columns


def _options(
    columns: list[str],
    names: Sequence[str],
    escape_char: str | None,
    threads: bool,
    on_invalid: Callable[[pacsv.InvalidRow], str],
) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
    wanted = list(dict.fromkeys([columns[0], *names]))
    read = pacsv.ReadOptions(column_names=columns, use_threads=threads, block_size=BLOCK_BYTES)
    parse = pacsv.ParseOptions(
        double_quote=True,
        escape_char=escape_char or False,
        newlines_in_values=False,
        ignore_empty_lines=False,
        invalid_row_handler=on_invalid,
    )
    convert = pacsv.ConvertOptions(
        include_columns=wanted,
        column_types=dict.fromkeys(wanted, pa.string()),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    return read, parse, convert


def _fast(
    path: Path,
    process: Callable[[pl.DataFrame], T],
    columns: list[str],
    names: Sequence[str],
    escape_char: str | None,
) -> Mapped[T]:
    invalid: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append(row.actual_columns)
        return "skip"

    try:
        table = pacsv.read_csv(str(path), *_options(columns, names, escape_char, True, on_invalid))
    except pa.ArrowInvalid as error:  # e.g. a first line wider than the detected layout
        raise _FallbackError from error
    if invalid:
        raise _WrongWidthError
    frame = _to_frame(table, 0)
    del table
    if bool(frame.get_column(columns[0]).str.contains("\n", literal=True).any()):
        raise _FallbackError
    frame = _drop_blank(frame, columns[0], names)
    results = [process(frame)] if frame.height else []
    return Mapped(results, [], frame.height)


def _numbered(
    path: Path,
    process: Callable[[pl.DataFrame], T],
    columns: list[str],
    names: Sequence[str],
    escape_char: str | None,
) -> Mapped[T]:
    """One thread: Arrow numbers each skipped line of the wrong width (a reject each)."""
    skipped: dict[int, tuple[int, str]] = {}

    def on_invalid(row: pacsv.InvalidRow) -> str:
        if row.number is None:
            raise _FallbackError
        skipped[row.number] = (row.actual_columns, row.text)
        return "skip"

    try:
        table = pacsv.read_csv(str(path), *_options(columns, names, escape_char, False, on_invalid))
    except pa.ArrowInvalid as error:
        raise _FallbackError from error
    present = np.ones(table.num_rows + len(skipped), dtype=bool)
    present[np.fromiter(skipped, dtype=np.int64) - 1] = False
    kept = np.nonzero(present)[0] + 1
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    del table
    frame = frame.with_columns(pl.Series("line", kept, dtype=pl.Int64))
    if bool(frame.get_column(columns[0]).str.contains("\n", literal=True).any()):
        raise _FallbackError
    frame = _drop_blank(frame, columns[0], names)
    malformed = [
        BadLine(number, _width_detail(text, actual, len(columns), escape_char), text)
        for number, (actual, text) in sorted(skipped.items())
        if text.strip()
    ]
    results = [process(_without_first(frame))] if frame.height else []
    return Mapped(results, malformed, frame.height + len(malformed))


def _line_by_line(
    path: Path,
    process: Callable[[pl.DataFrame], T],
    columns: list[str],
    names: Sequence[str],
    escape_char: str | None,
) -> Mapped[T]:
    malformed: list[BadLine] = []
    good: list[bytes] = []
    numbers: list[int] = []
    width = len(columns)
    for number, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
        text = raw.rstrip(b"\r")
        if not text.strip():
            continue
        if _unbalanced(text, escape_char):
            detail = f"unterminated quote; expected {width} columns"
            malformed.append(BadLine(number, detail, text.decode("utf-8", "replace")))
            continue
        good.append(text)
        numbers.append(number)
    invalid: dict[int, int] = {}

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid[row.number or 0] = row.actual_columns
        return "skip"

    results: list[T] = []
    if good:
        buffer = pa.BufferReader(b"\n".join(good) + b"\n")
        table = pacsv.read_csv(buffer, *_options(columns, names, escape_char, False, on_invalid))
        kept = [n for index, n in enumerate(numbers, start=1) if index not in invalid]
        for index, actual in invalid.items():
            raw_text = good[index - 1].decode("utf-8", "replace")
            detail = f"{actual} columns, expected {width}"
            malformed.append(BadLine(numbers[index - 1], detail, raw_text))
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        frame = frame.with_columns(pl.Series("line", kept, dtype=pl.Int64))
        if frame.height:
            results.append(process(_without_first(_drop_blank(frame, columns[0], names))))
    malformed.sort(key=lambda bad: bad.line)
    return Mapped(results, malformed, len(numbers) - len(invalid) + len(malformed))


def _width_detail(text: str, actual: int, width: int, escape_char: str | None) -> str:
    if _unbalanced(text.encode(), escape_char):
        return f"unterminated quote; expected {width} columns"
    return f"{actual} columns, expected {width}"


def _unbalanced(text: bytes, escape_char: str | None) -> bool:
    if escape_char:
        text = text.replace(escape_char.encode() * 2, b"").replace(escape_char.encode() + b'"', b"")
    return text.count(b'"') % 2 == 1


def _to_frame(table: pa.Table, before: int) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    lines = pl.int_range(before + 1, before + table.num_rows + 1, eager=True, dtype=pl.Int64)
    return frame.with_columns(lines.alias("line"))


def _drop_blank(frame: pl.DataFrame, first: str, names: Sequence[str]) -> pl.DataFrame:
    """An empty line parses as a row of empty strings; it is not a record."""
    if not (frame.get_column(first) == "").any():
        return frame  # the common case: no copy
    blank = pl.all_horizontal([pl.col(name) == "" for name in dict.fromkeys([first, *names])])
    return frame.filter(~blank)


def _without_first(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.drop(FIRST) if FIRST in frame.columns else frame
