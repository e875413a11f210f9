"""What every input format returns, and the one place that turns frames into it.

A format module builds a Polars frame with one row per input record: the
:data:`~linka.usage.records.RECORD_SCHEMA` fields, a ``line`` (where the record starts in the
file: ``raw_line``) and a ``reason``/``detail`` pair that is null for good records.
:func:`split` separates accepted and rejected rows; :func:`assemble` turns a whole file's
frame into the accepted Arrow table and :class:`Reject` objects (formats read whole), while
the line-oriented formats stream blocks through :mod:`linka.usage.formats.stream`.
Rejects are expected to be few, so building Python objects for them costs nothing; accepted
records never leave the columnar world.

Accounting identity (what revenue assurance checks): every record read is either in the
table, a reject, or *ignored* by design; ``read == accepted + rejected + ignored`` holds for
one-record-in, one-record-out formats. Formats that merge records (Kamailio pairs INVITE and
BYE, RADIUS bills Interim/Stop deltas) document their own counting in their docstring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa

from linka.usage.localtime import Nonexistent, zone
from linka.usage.numbers import NumberPlan
from linka.usage.records import RECORD_SCHEMA, Reject, RejectReason

RawLookup = Callable[[Sequence[int]], Mapping[int, str]]
"""Gives the raw text of the records at the given ``line`` values (only rejects ask)."""

FIELDS = tuple(RECORD_SCHEMA.names)
REQUIRED = tuple(
    f.name for f in RECORD_SCHEMA if not f.nullable and f.name not in {"raw_file", "raw_line"}
)


@dataclass(frozen=True, kw_only=True)
class Options:
    """Settings every format understands; formats subclass this for their own.

    ``source`` is written into every record and every reject (``record_id`` is unique per
    source); it defaults to the format's name.
    """

    source: str | None = None
    timezone: str = "Europe/Prague"
    home_country_code: str = "420"
    national_length: int = 9
    nonexistent: Nonexistent = "shift"  # local times in a DST gap: see linka.usage.localtime

    def __post_init__(self) -> None:
        zone(self.timezone)
        self.plan()  # validates the number plan

    def plan(self) -> NumberPlan:
        return NumberPlan(self.home_country_code, self.national_length)

    def source_or(self, format_name: str) -> str:
        return self.source or format_name


@dataclass(frozen=True)
class Parsed:
    """The result of reading one file: accepted records, rejects and counts."""

    table: pa.Table  # exactly RECORD_SCHEMA
    rejects: list[Reject] = field(default_factory=list)
    read: int = 0  # input records seen (lines, blocks, CDRs); blank lines are not records
    ignored: int = 0  # records that by design yield no usage (e.g. RADIUS Start, re-INVITE)


def empty_table() -> pa.Table:
    return RECORD_SCHEMA.empty_table()


def with_integers(frame: pl.DataFrame, columns: Mapping[str, str]) -> pl.DataFrame:
    """Add Int64 columns (``columns``: text column → new column), null where not an integer.

    Blanks around the digits are allowed. The cast alone refuses them, so the text is
    stripped (a copy of every string) only in a frame where some value was refused.
    """
    frame = frame.with_columns(
        pl.col(text).cast(pl.Int64, strict=False).alias(name) for text, name in columns.items()
    )
    again = [
        pl.col(text).str.strip_chars().cast(pl.Int64, strict=False).alias(name)
        for text, name in columns.items()
        if frame.get_column(name).null_count() > frame.get_column(text).null_count()
    ]
    return frame.with_columns(again) if again else frame


def make_reject(
    source: str, ref: str, reason: RejectReason, detail: str, raw: str | None
) -> Reject:
    return Reject(source=source, raw_ref=ref, reason=reason, detail=detail, raw=raw or "")


def to_record_table(
    frame: pl.DataFrame, ref_name: str, constants: Mapping[str, str] | None = None
) -> pa.Table:
    """Accepted rows (with a ``line`` column) → an Arrow table with exactly RECORD_SCHEMA.

    ``constants`` are string fields with one value for the whole file (source, service…),
    built directly in Arrow instead of materialising millions of equal strings in Polars.
    """
    constants = {**(constants or {}), "raw_file": ref_name}
    missing = [f for f in REQUIRED if f not in frame.columns and f not in constants]
    if missing:
        raise ValueError(f"record frame lacks required fields {missing}")
    exprs: list[pl.Expr] = []
    for spec in RECORD_SCHEMA:
        if spec.name == "raw_line":
            exprs.append(pl.col("line").alias("raw_line"))
        elif spec.name in frame.columns and spec.name not in constants:
            exprs.append(pl.col(spec.name))
    arrow = frame.select(exprs).to_arrow()
    columns = []
    for spec in RECORD_SCHEMA:
        if spec.name in constants:
            column = pa.chunked_array([pa.repeat(pa.scalar(constants[spec.name]), frame.height)])
        elif spec.name in arrow.column_names:
            column = arrow.column(spec.name)
        else:
            column = pa.chunked_array([pa.nulls(frame.height, spec.type)])
        if not spec.nullable and column.null_count:
            raise ValueError(f"{column.null_count} accepted records have no {spec.name}")
        columns.append(column.cast(spec.type))
    return pa.Table.from_arrays(columns, schema=RECORD_SCHEMA).combine_chunks()


def _duplicates(accepted: pl.DataFrame) -> pl.DataFrame:
    """Rows whose record_id was already accepted earlier in the same file (with first_line).

    Hashes first (a u64 per id, cheap to compare) and compares the strings only among rows
    whose hash repeats; the hash never leaves this function, so its seed may change freely.
    """
    hashes = accepted.get_column("record_id").hash(seed=0)
    if bool(hashes.is_first_distinct().all()):
        return accepted.clear().with_columns(pl.lit(0, dtype=pl.Int64).alias("first_line"))
    suspects = accepted.filter(hashes.is_duplicated())
    first = suspects.get_column("record_id").is_first_distinct()
    firsts = suspects.filter(first).select("record_id", pl.col("line").alias("first_line"))
    return suspects.filter(~first).join(firsts, on="record_id", how="left", maintain_order="left")


REJECT_COLUMNS = pl.Schema({"line": pl.Int64, "reason": pl.String, "detail": pl.String})


def split(frame: pl.DataFrame, detail: pl.Expr | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A record frame → (accepted fields + ``line``, rejected ``line, reason, detail``).

    ``detail`` computes the reject detail when the frame has no ``detail`` column; it runs on
    the rejected rows only (string formatting for millions of good rows would be waste).
    """
    fields = [name for name in FIELDS if name in frame.columns]
    if frame.get_column("reason").null_count() == frame.height:  # nothing rejected: no copies
        return frame.select(*fields, "line"), pl.DataFrame(schema=REJECT_COLUMNS)
    bad = pl.col("reason").is_not_null()
    rejected = frame.filter(bad)
    if detail is not None:
        rejected = rejected.with_columns(detail.alias("detail"))
    accepted = frame.select(*fields, "line", "reason").filter(~bad).drop("reason")
    return accepted, rejected.select(*REJECT_COLUMNS.names()).cast(REJECT_COLUMNS)


def assemble(
    frame: pl.DataFrame,
    *,
    source: str,
    path: Path,
    raw: RawLookup,
    read: int,
    ignored: int = 0,
    detail: pl.Expr | None = None,
    constants: Mapping[str, str] | None = None,
    extra: Iterable[Reject] = (),
    check_duplicates: bool = True,
) -> Parsed:
    """Turn a record frame (fields + ``line``, ``reason`` [, ``detail``]) into a :class:`Parsed`."""
    accepted, rejected = split(frame, detail)
    return finish(
        accepted,
        rejected,
        source=source,
        path=path,
        raw=raw,
        read=read,
        ignored=ignored,
        constants=constants,
        extra=extra,
        check_duplicates=check_duplicates,
    )


def finish(
    accepted: pl.DataFrame,
    rejected: pl.DataFrame,
    *,
    source: str,
    path: Path,
    raw: RawLookup,
    read: int,
    ignored: int = 0,
    constants: Mapping[str, str] | None = None,
    extra: Iterable[Reject] = (),
    check_duplicates: bool = True,
) -> Parsed:
    """Accepted and rejected frames (see :func:`split`) → a :class:`Parsed`.

    Within one file a repeated ``record_id`` is a ``duplicate`` reject (the first one is
    kept); de-duplication across files belongs to the usage store.
    """
    if check_duplicates and accepted.height:
        dup = _duplicates(accepted)
        if dup.height:
            accepted = accepted.filter(~pl.col("line").is_in(dup.get_column("line").implode()))
            rejected = pl.concat(
                [
                    rejected,
                    dup.select(
                        "line",
                        pl.lit(RejectReason.DUPLICATE.value).alias("reason"),
                        pl.format(
                            "record_id {} already read at line {}",
                            pl.col("record_id"),
                            pl.col("first_line"),
                        ).alias("detail"),
                    ),
                ]
            )
    rejects = list(extra)
    if rejected.height:
        lines = rejected.get_column("line").to_list()
        texts = raw(lines)
        for line, reason, why in rejected.iter_rows():
            ref = f"{path.name}:{line}"
            rejects.append(make_reject(source, ref, RejectReason(reason), why, texts.get(line)))
    rejects.sort(key=_ref_order)
    return Parsed(
        table=to_record_table(accepted, path.name, constants),
        rejects=rejects,
        read=read,
        ignored=ignored,
    )


def _ref_order(reject: Reject) -> tuple[int, str]:
    _, _, tail = reject.raw_ref.rpartition(":")
    return (int(tail) if tail.isdigit() else 0, reject.raw_ref)


def read_lines(path: Path, wanted: Sequence[int], encoding: str = "utf-8") -> dict[int, str]:
    """The text of the given 1-based physical lines, read by streaming up to the last one."""
    want = set(wanted)
    if not want:
        return {}
    last = max(want)
    found: dict[int, str] = {}
    with path.open("r", encoding=encoding, errors="replace", newline="") as handle:
        for number, text in enumerate(handle, start=1):
            if number in want:
                found[number] = text.rstrip("\r\n")
            if number >= last:
                break
    return found
