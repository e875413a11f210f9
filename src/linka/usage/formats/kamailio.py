"""Kamailio ``acc`` transaction records → calls (INVITE 200 paired with BYE).

Accepted layouts (a first non-empty line with a ``method`` column name is a CSV header;
anything else is read as a log):

* **CSV export of the ``acc`` table**, with a header row. Required columns: ``method``,
  ``from_tag``, ``to_tag``, ``callid``, ``sip_code``, ``time``, ``src_user``, ``dst_user``
  (the ``db_extra`` of ``src_user=$fU;dst_user=$rU``); ``sip_reason``, ``src_ip``, ``id`` and
  any other columns are ignored. ``time`` is the DB ``DATETIME`` (``%Y-%m-%d %H:%M:%S``, local
  time in ``timezone``) or, with ``time_mode`` 1/4, epoch seconds (``1772400000`` or
  ``1772400000.123``, UTC).
* **Syslog lines** written by ``acc`` with ``log_flag`` (what ``log_extra`` produces), e.g.
  ``… ACC: transaction answered: timestamp=1772400000;method=INVITE;from_tag=a;to_tag=b;
  call_id=c;code=200;reason=OK;src_user=602123456;dst_user=+420777000111``. Lines without
  ``ACC:`` are not records and are skipped (the log holds everything else too).

Pairing (a dialog is ``callid`` plus the *unordered* pair of tags, because the callee's BYE
carries the tags swapped):

* the earliest ``INVITE`` with a 2xx code starts the call (``start`` = its time: acc logs
  the INVITE when the 200 is sent, i.e. at answer); later 2xx INVITEs of the same dialog are
  re-INVITEs and are ignored;
* the earliest ``BYE`` (any code) of that dialog ends it; ``duration_s`` = BYE time − INVITE
  time in **whole seconds rounded up** (a started second counts, like Asterisk's
  ``initiatedseconds``); with DATETIME times the difference is already whole;
* an INVITE with a final non-2xx code becomes a **zero-duration record** (an attempt), except
  401/407 (authentication challenges, not call outcomes) and failures of a Call-ID that was
  answered in the same file (serial forking, failover): those are ignored;
* ``BYE`` without an answered INVITE, and an answered INVITE without ``BYE`` (still open, or
  the BYE is in a later file) are ``malformed`` rejects that say which; later BYEs of a
  dialog (retransmissions) and other methods (ACK, CANCEL, …) are ignored.

``record_id`` is ``callid;from_tag;to_tag`` of the INVITE (plus ``;code`` for attempts).
Counting: every answered call consumes its INVITE (the record) and its BYE (counted as
ignored), so ``read == accepted + rejected + ignored`` still holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from linka.usage.formats.parsed import Options, Parsed, assemble, read_lines
from linka.usage.localtime import utc_expr
from linka.usage.numbers import e164_expr, rule_text
from linka.usage.records import RejectReason, UsageService

NAME = "kamailio"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
REQUIRED = ("method", "from_tag", "to_tag", "callid", "sip_code", "time", "src_user", "dst_user")
SYSLOG_KEYS = {"call_id": "callid", "code": "sip_code", "timestamp": "time", "reason": "sip_reason"}
ACC_LINE = re.compile(r"ACC: [^:]*: (.*)$")
IGNORED_CODES = ("401", "407")
MICROS = 1_000_000


@dataclass(frozen=True, kw_only=True)
class KamailioOptions(Options):
    separator: str = ","  # of the CSV export


class LayoutError(ValueError):
    """The file is neither an acc CSV export with the required columns nor an acc log."""


def parse(path: Path, options: KamailioOptions | None = None) -> Parsed:
    options = options or KamailioOptions()
    source = options.source_or(NAME)
    rows = _read(path, options)
    read = rows.height
    rows = _with_time(rows, options)
    records, ignored = _pair(rows)
    plan = options.plan()
    records = records.with_columns(
        e164_expr(pl.col("src_user"), plan).alias("a"),
        e164_expr(pl.col("dst_user"), plan).alias("b"),
    )
    rule = rule_text(plan)
    records = records.with_columns(
        pl.when(pl.col("reason").is_not_null())
        .then(pl.col("reason"))
        .when(pl.col("a").is_null() | pl.col("b").is_null())
        .then(pl.lit(RejectReason.BAD_NUMBER.value))
        .alias("reason"),
        pl.when(pl.col("detail").is_not_null())
        .then(pl.col("detail"))
        .when(pl.col("a").is_null())
        .then(pl.format("src_user {}: {}", pl.col("src_user"), pl.lit(rule)))
        .when(pl.col("b").is_null())
        .then(pl.format("dst_user {}: {}", pl.col("dst_user"), pl.lit(rule)))
        .alias("detail"),
        pl.col("a").alias("line_msisdn"),
        pl.col("a").alias("a_number"),
        pl.col("b").alias("b_number"),
        pl.lit(0, dtype=pl.Int64).alias("volume_up"),
        pl.lit(0, dtype=pl.Int64).alias("volume_down"),
    )
    return assemble(
        records.sort("line"),
        constants={"source": source, "service": UsageService.VOICE.value, "direction": "mo"},
        source=source,
        path=path,
        raw=lambda lines: read_lines(path, lines),
        read=read,
        ignored=ignored,
    )


def _read(path: Path, options: KamailioOptions) -> pl.DataFrame:
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        first = next((line for line in handle if line.strip()), "")
    header = {name.strip().strip('"') for name in first.split(options.separator)}
    if "method" not in header:  # not an export header: a log with ACC: lines among others
        return _read_syslog(path)
    frame = pl.read_csv(
        path,
        separator=options.separator,
        infer_schema=False,
        truncate_ragged_lines=False,
    ).rename(lambda name: name.strip())
    missing = [name for name in REQUIRED if name not in frame.columns]
    if missing:
        raise LayoutError(
            f"{path.name}: acc CSV export lacks columns {missing}; expected a header with "
            f"{', '.join(REQUIRED)}"
        )
    lines = pl.int_range(2, frame.height + 2, eager=True, dtype=pl.Int64)  # line 1: header
    return frame.select(pl.col(*REQUIRED).fill_null("")).with_columns(lines.alias("line"))


def _read_syslog(path: Path) -> pl.DataFrame:
    """``ACC:`` log lines → the CSV columns (per line in Python: logs are small)."""
    columns: dict[str, list[str]] = {name: [] for name in REQUIRED}
    numbers: list[int] = []
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for number, text in enumerate(handle, start=1):
            found = ACC_LINE.search(text.rstrip("\r\n"))
            if not found:
                continue
            fields: dict[str, str] = {}
            for item in found.group(1).split(";"):
                key, _, value = item.partition("=")
                fields[SYSLOG_KEYS.get(key.strip(), key.strip())] = value.strip()
            for name in REQUIRED:
                columns[name].append(fields.get(name, ""))
            numbers.append(number)
    frame = pl.DataFrame(columns, schema=dict.fromkeys(REQUIRED, pl.String))
    return frame.with_columns(pl.Series("line", numbers, dtype=pl.Int64))


def _with_time(rows: pl.DataFrame, options: KamailioOptions) -> pl.DataFrame:
    text = pl.col("time").str.strip_chars()
    epoch = text.str.contains(r"^[0-9]{9,11}(\.[0-9]{1,6})?$")
    seconds = text.str.split(".").list.first().cast(pl.Int64, strict=False)
    fraction = text.str.split(".").list.get(1, null_on_oob=True).str.pad_end(6, "0")
    micros = seconds * MICROS + fraction.cast(pl.Int64, strict=False).fill_null(0)
    local = utc_expr(
        text.str.to_datetime(TIME_FORMAT, time_unit="us", strict=False),
        options.timezone,
        options.nonexistent,
    )
    instant = pl.when(epoch).then(pl.from_epoch(micros, time_unit="us").dt.replace_time_zone("UTC"))
    return rows.with_columns(
        instant.otherwise(local).alias("t"),
        pl.concat_str(
            "callid",
            pl.min_horizontal("from_tag", "to_tag"),
            pl.max_horizontal("from_tag", "to_tag"),
            separator=";",
        ).alias("dialog"),
    )


def _reject(frame: pl.DataFrame, reason: RejectReason, detail: pl.Expr) -> pl.DataFrame:
    return frame.with_columns(pl.lit(reason.value).alias("reason"), detail.alias("detail"))


def _pair(rows: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Rows → one frame of calls, attempts and rejects (``reason`` set), and the ignored count."""
    bad_time = rows.filter(pl.col("t").is_null())
    rows = rows.filter(pl.col("t").is_not_null()).sort("t", "line")
    method = pl.col("method").str.to_uppercase()
    answered = method.eq("INVITE") & pl.col("sip_code").str.starts_with("2")
    invites = rows.filter(answered)
    first_invite = invites.get_column("dialog").is_first_distinct()
    calls = invites.filter(first_invite)
    byes = rows.filter(method.eq("BYE"))
    first_bye = byes.get_column("dialog").is_first_distinct()
    ends = byes.filter(first_bye).select(
        "dialog", pl.col("t").alias("end"), pl.col("line").alias("bye_line")
    )
    paired = calls.join(ends, on="dialog", how="left")
    orphans = byes.filter(first_bye).join(calls.select("dialog"), on="dialog", how="anti")
    answered_ids = calls.get_column("callid").unique().implode()
    failed = rows.filter(
        method.eq("INVITE")
        & ~pl.col("sip_code").str.starts_with("2")
        & ~pl.col("sip_code").is_in(IGNORED_CODES)
        & ~pl.col("callid").is_in(answered_ids)
    )
    micros = (pl.col("end") - pl.col("t")).dt.total_microseconds()
    seconds = (micros + (MICROS - 1)) // MICROS  # rounded up: a started second counts
    call_records = paired.with_columns(
        pl.concat_str("callid", "from_tag", "to_tag", separator=";").alias("record_id"),
        pl.col("t").alias("start"),
        seconds.cast(pl.Int32, strict=False).alias("duration_s"),
        pl.when(pl.col("end").is_null())
        .then(pl.lit(RejectReason.MALFORMED.value))
        .when(micros < 0)
        .then(pl.lit(RejectReason.BAD_DURATION.value))
        .alias("reason"),
        pl.when(pl.col("end").is_null())
        .then(
            pl.format(
                "INVITE {} answered without BYE (call open or BYE in a later file)",
                pl.col("callid"),
            )
        )
        .when(micros < 0)
        .then(pl.format("BYE at line {} is before the INVITE", pl.col("bye_line")))
        .alias("detail"),
    )
    attempts = failed.with_columns(
        pl.concat_str("callid", "from_tag", "to_tag", "sip_code", separator=";").alias("record_id"),
        pl.col("t").alias("start"),
        pl.lit(0, dtype=pl.Int32).alias("duration_s"),
        pl.lit(None, dtype=pl.String).alias("reason"),
        pl.lit(None, dtype=pl.String).alias("detail"),
    )
    rejects = [
        _reject(
            orphans,
            RejectReason.MALFORMED,
            pl.format("BYE {} without an answered INVITE", pl.col("callid")),
        ),
        _reject(
            bad_time,
            RejectReason.BAD_TIMESTAMP,
            pl.format("time {}: expected epoch seconds or {}", pl.col("time"), pl.lit(TIME_FORMAT)),
        ),
    ]
    keep = ["record_id", "start", "duration_s", "src_user", "dst_user", "line", "reason", "detail"]
    frames = [call_records.select(keep), attempts.select(keep)] + [
        r.with_columns(
            pl.lit(None, dtype=pl.String).alias("record_id"),
            pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("start"),
            pl.lit(None, dtype=pl.Int32).alias("duration_s"),
        ).select(keep)
        for r in rejects
    ]
    out = pl.concat(frames, how="vertical_relaxed")
    # the BYE of a call is merged into its record: it counts as ignored, like ACKs
    ignored = rows.height - calls.height - orphans.height - failed.height
    return out, ignored
