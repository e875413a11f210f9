"""FreeSWITCH ``mod_cdr_csv`` with the stock ``example`` template → usage records.

Template (``cdr_csv.conf.xml``, ``default-template = example``), 15 quoted columns:
``caller_id_name, caller_id_number, destination_number, context, start_stamp,
answer_stamp, end_stamp, duration, billsec, hangup_cause, uuid, bleg_uuid, accountcode,
read_codec, write_codec``. Stamps are ``%Y-%m-%d %H:%M:%S`` in the switch's local time
(``timezone``); an unanswered call has an empty ``answer_stamp``.

**Charging rule:** a call is charged (``duration_s = billsec``) when it was answered
(``answer_stamp`` set) and ``billsec > 0``, *whatever the hangup cause*. FreeSWITCH counts
``billsec`` from answer only, so a positive ``billsec`` is talk time; restricting it to
``NORMAL_CLEARING`` would give away calls cut by ``ALLOTTED_TIMEOUT`` (prepaid limit),
``MEDIA_TIMEOUT`` or ``NORMAL_UNSPECIFIED``. Operators who want the strict rule set
``charged_causes={"NORMAL_CLEARING"}``. Uncharged records are kept with ``duration_s = 0``.

``record_id`` is the leg's ``uuid``; the record starts at answer when answered, else at
start. Numbers: ``caller_id_number`` is the line (``line_msisdn``, ``a_number``),
``destination_number`` the ``b_number``, by the rules of :mod:`linka.usage.numbers`.
Values are read by the compiled readers where they are certain
(:mod:`linka.usage.formats.certain`); every other row by the Polars expressions below.
Operators with a customised template use the ``generic`` format with a column map.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from linka.usage.formats.certain import MAX_SECONDS, Columns, certain_rows
from linka.usage.formats.csvlines import BlockRows, Layout
from linka.usage.formats.parsed import Options, Parsed, split, with_integers
from linka.usage.formats.stream import CsvStream, collect
from linka.usage.localtime import localise, parse_naive, time_error
from linka.usage.numbers import e164_expr, rule_text
from linka.usage.records import RejectReason, UsageService

NAME = "freeswitch"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
COLUMNS = (
    "caller_id_name",
    "caller_id_number",
    "destination_number",
    "context",
    "start_stamp",
    "answer_stamp",
    "end_stamp",
    "duration",
    "billsec",
    "hangup_cause",
    "uuid",
    "bleg_uuid",
    "accountcode",
    "read_codec",
    "write_codec",
)
NEEDED = (
    "caller_id_number",
    "destination_number",
    "start_stamp",
    "answer_stamp",
    "end_stamp",
    "duration",
    "billsec",
    "hangup_cause",
    "uuid",
)
STAMPS = ("start_stamp", "answer_stamp", "end_stamp")
CALL_COLUMNS = Columns(
    caller="caller_id_number",
    called="destination_number",
    start="start_stamp",
    answer="answer_stamp",
    end="end_stamp",
    duration="duration",
    billed="billsec",
    id="uuid",
    texts=("hangup_cause",),
    duration_limit=MAX_SECONDS,
)


@dataclass(frozen=True, kw_only=True)
class FreeswitchOptions(Options):
    charged_causes: frozenset[str] | None = None  # None: any cause; see the module docstring


def stream(path: Path, options: FreeswitchOptions | None = None, *, fast: bool = True) -> CsvStream:
    """The file as a stream of parts (blocks of lines), for the import; ``fast=False``
    reads every value with Polars string functions (tests compare the two)."""
    options = options or FreeswitchOptions()
    source = options.source_or(NAME)

    def process(rows: BlockRows) -> tuple[pl.DataFrame, pl.DataFrame]:
        if fast:
            return _process_compiled(rows, options)
        return _process(rows.frame, options)

    layout = Layout(len(COLUMNS), [COLUMNS.index(name) for name in NEEDED], NEEDED)
    constants = {"source": source, "service": UsageService.VOICE.value, "direction": "mo"}
    return CsvStream(path, source, layout, process, constants)


def parse(path: Path, options: FreeswitchOptions | None = None, *, fast: bool = True) -> Parsed:
    return collect(stream(path, options, fast=fast))


def _process(frame: pl.DataFrame, options: FreeswitchOptions) -> tuple[pl.DataFrame, pl.DataFrame]:
    return split(*_normalise(frame, options))


def _process_compiled(
    rows: BlockRows, options: FreeswitchOptions
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows the compiled readers are certain of become records here; the others go
    through :func:`_process` (see :mod:`linka.usage.formats.certain`)."""
    certain = certain_rows(
        rows, CALL_COLUMNS, options.plan(), options.timezone, options.nonexistent
    )
    answered = certain.utc("answer_stamp").is_not_null()
    charged = answered & (pl.col("billsec") > 0) & _cause_charged(options)
    return certain.records(answered, charged, lambda frame: _process(frame, options))


def _cause_charged(options: FreeswitchOptions) -> pl.Expr:
    if options.charged_causes is None:
        return pl.lit(True)
    return pl.col("hangup_cause").is_in(sorted(options.charged_causes))


def _normalise(frame: pl.DataFrame, options: FreeswitchOptions) -> tuple[pl.DataFrame, pl.Expr]:
    tz = options.timezone
    plan = options.plan()
    work = frame.with_columns(
        *(parse_naive(pl.col(name), TIME_FORMAT).alias(f"{name}_naive") for name in STAMPS),
        e164_expr(pl.col("caller_id_number"), plan).alias("a"),
        e164_expr(pl.col("destination_number"), plan).alias("b"),
    )
    work = with_integers(work, {"duration": "dur", "billsec": "bill"})
    work = localise(work, {f"{n}_naive": f"{n}_utc" for n in STAMPS}, tz, options.nonexistent)
    answered = pl.col("answer_stamp_utc").is_not_null()
    charged = answered & (pl.col("bill") > 0) & _cause_charged(options)
    time_bad = pl.any_horizontal(
        (pl.col(n) != "") & pl.col(f"{n}_utc").is_null() for n in STAMPS
    ) | (pl.col("start_stamp") == "")
    duration_bad = pl.any_horizontal(
        pl.col(c).is_null() | (pl.col(c) < 0) | (pl.col(c) > MAX_SECONDS) for c in ("dur", "bill")
    )
    reason = (
        pl.when(time_bad)
        .then(pl.lit(RejectReason.BAD_TIMESTAMP.value))
        .when(duration_bad)
        .then(pl.lit(RejectReason.BAD_DURATION.value))
        .when(pl.col("a").is_null() | pl.col("b").is_null())
        .then(pl.lit(RejectReason.BAD_NUMBER.value))
        .when(pl.col("uuid") == "")
        .then(pl.lit(RejectReason.MALFORMED.value))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    records = work.select(
        pl.col("uuid").alias("record_id"),
        pl.col("a").alias("line_msisdn"),
        pl.col("a").alias("a_number"),
        pl.col("b").alias("b_number"),
        pl.when(answered)
        .then(pl.col("answer_stamp_utc"))
        .otherwise(pl.col("start_stamp_utc"))
        .alias("start"),
        pl.when(charged)
        .then(pl.col("bill"))
        .otherwise(0)
        .cast(pl.Int32, strict=False)  # a billsec out of range is a reject, not a crash
        .alias("duration_s"),
        pl.lit(0, dtype=pl.Int64).alias("volume_up"),
        pl.lit(0, dtype=pl.Int64).alias("volume_down"),
        "line",
        reason.alias("reason"),
        *NEEDED,
        *(f"{n}_naive" for n in STAMPS),
        *(f"{n}_utc" for n in STAMPS),
        "dur",
        "bill",
        "a",
        "b",
    )
    errors = {
        n: time_error(pl.col(n), pl.col(f"{n}_naive"), pl.col(f"{n}_utc"), TIME_FORMAT, tz)
        for n in STAMPS
    }
    rule = pl.lit(rule_text(plan))
    detail = (
        pl.when(pl.col("start_stamp") == "")
        .then(pl.lit("start_stamp: empty, expected a time"))
        .when(errors["start_stamp"].is_not_null())
        .then(pl.format("start_stamp {}: {}", pl.col("start_stamp"), errors["start_stamp"]))
        .when(errors["answer_stamp"].is_not_null())
        .then(pl.format("answer_stamp {}: {}", pl.col("answer_stamp"), errors["answer_stamp"]))
        .when(errors["end_stamp"].is_not_null())
        .then(pl.format("end_stamp {}: {}", pl.col("end_stamp"), errors["end_stamp"]))
        .when(pl.col("dur").is_null() | (pl.col("dur") < 0) | (pl.col("dur") > MAX_SECONDS))
        .then(pl.format("duration {}: expected a non-negative integer", pl.col("duration")))
        .when(pl.col("bill").is_null() | (pl.col("bill") < 0) | (pl.col("bill") > MAX_SECONDS))
        .then(pl.format("billsec {}: expected a non-negative integer", pl.col("billsec")))
        .when(pl.col("a").is_null())
        .then(pl.format("caller_id_number {}: {}", pl.col("caller_id_number"), rule))
        .when(pl.col("b").is_null())
        .then(pl.format("destination_number {}: {}", pl.col("destination_number"), rule))
        .otherwise(pl.lit("uuid: empty, expected the call's UUID"))
    )
    return records, detail
