"""Asterisk ``cdr_csv`` (``Master.csv``) → usage records, vectorised.

Layout (``cdr_csv.c``): 16 columns ``accountcode, src, dst, dcontext, clid, channel,
dstchannel, lastapp, lastdata, start, answer, end, duration, billsec, disposition,
amaflags``; then ``uniqueid, userfield`` with ``loguniqueid``/``loguserfield``; then
``peeraccount, linkedid, sequence`` with ``newcdrcolumns``. The width (16, 18 or 21) is a
setting of the switch, so it is **detected per file** from the most common column count
of its first lines; lines of another width are ``malformed`` rejects.

Normalisation:

* times are ``%Y-%m-%d %H:%M:%S`` local time in ``timezone`` (see :mod:`linka.usage.localtime`
  for the DST rule) or UTC with ``usegmtime``; an empty ``answer`` means not answered;
* ``start`` of the record is the answer time when answered, else the call start;
* ``duration_s`` is ``billsec`` when ``disposition`` is ``ANSWERED`` and ``billsec > 0``,
  else 0 (the record is kept and costs nothing; rating decides about set-up fees);
* ``src`` is the calling line (``line_msisdn`` and ``a_number``), ``dst`` the called number;
  both must normalise to E.164 (:mod:`linka.usage.numbers`), else ``bad_number``;
* ``record_id`` is ``uniqueid`` when the file has it (and it is not empty), else
  ``h:`` + the BLAKE2b-128 of ``src, dst, start, answer, end, duration, billsec,
  disposition`` and, in 16-column files, ``channel, dstchannel`` (their per-call sequence
  numbers tell apart two otherwise equal calls), joined by U+001F: stable across library
  versions unlike Polars' own hash, and independent of the quoting style of the file. In
  18/21-column files only a row with an empty ``uniqueid`` needs it, and the channel
  columns are not read there to keep the fast path lean.

Values are read by the compiled readers of :mod:`linka.usage.formats.compiled` where they
are certain; a row with any value they do not claim is normalised by the Polars
expressions below, which decide it exactly as if no compiled reader existed.

Checks in this order, the first failing one is the reject reason: ``bad_timestamp``
(start, answer, end), ``bad_duration`` (duration or billsec not a non-negative integer),
``bad_number`` (src, then dst).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from linka.usage.formats.certain import MAX_SECONDS, Columns, certain_rows
from linka.usage.formats.csvlines import BlockRows, Layout, sniff_column_counts
from linka.usage.formats.parsed import Options, Parsed, split, with_integers
from linka.usage.formats.stream import CsvStream, collect
from linka.usage.localtime import localise, parse_naive, time_error
from linka.usage.numbers import NumberPlan, e164_expr, rule_text
from linka.usage.records import RejectReason, UsageService

NAME = "asterisk"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
WIDTHS = (16, 18, 21)
COLUMNS = (
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "uniqueid",
    "userfield",
    "peeraccount",
    "linkedid",
    "sequence",
)
TIMES = ("start", "answer", "end")
NEEDED = ("src", "dst", "start", "answer", "end", "duration", "billsec", "disposition")
HASHED_EXTRA = ("channel", "dstchannel")
HASHED = (*NEEDED, *HASHED_EXTRA)  # the content behind record_id when there is no uniqueid
CALL_COLUMNS = Columns(
    caller="src",
    called="dst",
    start="start",
    answer="answer",
    end="end",
    duration="duration",
    billed="billsec",
    id="uniqueid",
    texts=("disposition",),
)


@dataclass(frozen=True, kw_only=True)
class AsteriskOptions(Options):
    usegmtime: bool = False  # cdr.conf usegmtime=yes: times are UTC


def detect_width(path: Path) -> int:
    """16, 18 or 21: the most common allowed column count among the first lines."""
    counts = sniff_column_counts(path)
    for width, _ in counts.most_common():
        if width in WIDTHS:
            return width
    return 18  # nothing recognisable: every line will be a malformed reject


def stream(path: Path, options: AsteriskOptions | None = None, *, fast: bool = True) -> CsvStream:
    """The file as a stream of parts (blocks of lines), for the import.

    ``fast=False`` reads every value with Polars string functions, the way the rows
    the compiled readers are not certain of are read (tests compare the two).
    """
    options = options or AsteriskOptions()
    source = options.source_or(NAME)
    width = detect_width(path)
    wanted = [*NEEDED, *(["uniqueid"] if width >= 17 else HASHED_EXTRA)]
    include = [COLUMNS.index(name) for name in wanted]

    def process(rows: BlockRows) -> tuple[pl.DataFrame, pl.DataFrame]:
        if fast and "uniqueid" in rows.table.column_names:
            return _process_compiled(rows, options)
        return _process(rows.frame, options)

    constants = {"source": source, "service": UsageService.VOICE.value, "direction": "mo"}
    return CsvStream(path, source, Layout(width, include, wanted), process, constants)


def parse(path: Path, options: AsteriskOptions | None = None, *, fast: bool = True) -> Parsed:
    return collect(stream(path, options, fast=fast))


def _process(frame: pl.DataFrame, options: AsteriskOptions) -> tuple[pl.DataFrame, pl.DataFrame]:
    records, detail = _normalise(_with_record_id(frame), options)
    return split(records, detail)


def _process_compiled(
    rows: BlockRows, options: AsteriskOptions
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows the compiled readers are certain of become records here; the others go
    through :func:`_process` (see :mod:`linka.usage.formats.certain`)."""
    tz = "UTC" if options.usegmtime else options.timezone
    certain = certain_rows(rows, CALL_COLUMNS, options.plan(), tz, options.nonexistent)
    answered = (pl.col("disposition") == "ANSWERED") & certain.utc("answer").is_not_null()
    charged = answered & (pl.col("billsec") > 0)
    return certain.records(answered, charged, lambda frame: _process(frame, options))


def _with_record_id(frame: pl.DataFrame) -> pl.DataFrame:
    """``uniqueid`` where present, else a content hash (computed per row, only for those)."""
    if "uniqueid" in frame.columns:
        missing = frame.get_column("uniqueid") == ""
        if not missing.any():
            return frame.with_columns(pl.col("uniqueid").alias("record_id"))
    else:
        missing = pl.Series([True] * frame.height)
    hashed = [name for name in HASHED if name in frame.columns]
    joined = frame.filter(missing).select(pl.concat_str(hashed, separator="\x1f")).to_series()
    hashes = pl.Series(
        [
            "h:" + hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()
            for text in joined.to_list()
        ],
        dtype=pl.String,
    )
    ids = pl.Series("record_id", [None] * frame.height, dtype=pl.String).scatter(
        missing.arg_true(), hashes
    )
    if "uniqueid" in frame.columns:
        return frame.with_columns(ids.fill_null(frame.get_column("uniqueid")))
    return frame.with_columns(ids)


def _normalise(frame: pl.DataFrame, options: AsteriskOptions) -> tuple[pl.DataFrame, pl.Expr]:
    """The record frame (fields, ``line``, ``reason``) and the ``detail`` for its rejects.

    Staged on purpose: each intermediate column is computed once, and the reject detail
    (string formatting) only for the rejected rows.
    """
    tz = "UTC" if options.usegmtime else options.timezone
    plan = options.plan()
    work = frame.rename({name: f"{name}_text" for name in TIMES}).with_columns(
        *(
            parse_naive(pl.col(f"{name}_text"), TIME_FORMAT).alias(f"{name}_naive")
            for name in TIMES
        ),
        e164_expr(pl.col("src"), plan).alias("src_e164"),
        e164_expr(pl.col("dst"), plan).alias("dst_e164"),
    )
    work = with_integers(work, {"duration": "dur", "billsec": "bill"})
    utc = {"start_naive": "start_utc", "answer_naive": "answer_utc"}
    if options.nonexistent == "reject":
        utc["end_naive"] = "end_utc"
    work = localise(work, utc, tz, options.nonexistent)
    if "end_utc" not in work.columns:
        work = work.with_columns(pl.col("end_naive").alias("end_utc"))
    answered = (pl.col("disposition") == "ANSWERED") & pl.col("answer_utc").is_not_null()
    time_bad = pl.col("start_utc").is_null() | pl.any_horizontal(
        (pl.col(f"{name}_text") != "") & pl.col(f"{name}_utc").is_null()
        for name in ("answer", "end")
    )
    bad_duration = (
        pl.col("dur").is_null()
        | (pl.col("dur") < 0)
        | pl.col("bill").is_null()
        | (pl.col("bill") < 0)
        | (pl.col("bill") > MAX_SECONDS)
    )
    reason = (
        pl.when(time_bad)
        .then(pl.lit(RejectReason.BAD_TIMESTAMP.value))
        .when(bad_duration)
        .then(pl.lit(RejectReason.BAD_DURATION.value))
        .when(pl.col("src_e164").is_null() | pl.col("dst_e164").is_null())
        .then(pl.lit(RejectReason.BAD_NUMBER.value))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    charged = answered & (pl.col("bill") > 0)
    records = work.select(
        pl.col("record_id"),
        pl.col("src_e164").alias("line_msisdn"),
        pl.col("src_e164").alias("a_number"),
        pl.col("dst_e164").alias("b_number"),
        pl.when(answered).then(pl.col("answer_utc")).otherwise(pl.col("start_utc")).alias("start"),
        pl.when(charged)
        .then(pl.col("bill"))
        .otherwise(0)
        .cast(pl.Int32, strict=False)
        .alias("duration_s"),
        pl.lit(0, dtype=pl.Int64).alias("volume_up"),
        pl.lit(0, dtype=pl.Int64).alias("volume_down"),
        pl.col("line"),
        reason.alias("reason"),
        *(pl.col(name) for name in _DETAIL_INPUTS),
    )
    return records, _detail(tz, plan)


_DETAIL_INPUTS = (
    "src", "dst", "start_text", "answer_text", "end_text", "duration", "billsec",
    "start_naive", "answer_naive", "end_naive", "start_utc", "answer_utc", "end_utc",
    "src_e164", "dst_e164", "dur", "bill",
)  # fmt: skip


def _detail(tz: str, plan: NumberPlan) -> pl.Expr:
    rule = pl.lit(rule_text(plan))
    errors = {
        name: time_error(
            pl.col(f"{name}_text"),
            pl.col(f"{name}_naive"),
            pl.col(f"{name}_utc"),
            TIME_FORMAT,
            tz,
        )
        for name in TIMES
    }
    return (
        pl.when(pl.col("start_text") == "")
        .then(pl.lit("start: empty, expected a time"))
        .when(errors["start"].is_not_null())
        .then(pl.format("start {}: {}", pl.col("start_text"), errors["start"]))
        .when(errors["answer"].is_not_null())
        .then(pl.format("answer {}: {}", pl.col("answer_text"), errors["answer"]))
        .when(errors["end"].is_not_null())
        .then(pl.format("end {}: {}", pl.col("end_text"), errors["end"]))
        .when(pl.col("dur").is_null() | (pl.col("dur") < 0))
        .then(pl.format("duration {}: expected a non-negative integer", pl.col("duration")))
        .when(pl.col("bill").is_null() | (pl.col("bill") < 0) | (pl.col("bill") > MAX_SECONDS))
        .then(pl.format("billsec {}: expected a non-negative integer", pl.col("billsec")))
        .when(pl.col("src_e164").is_null())
        .then(pl.format("src {}: {}", pl.col("src"), rule))
        .otherwise(pl.format("dst {}: {}", pl.col("dst"), rule))
    )
