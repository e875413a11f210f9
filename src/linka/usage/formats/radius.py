"""RADIUS accounting (RFC 2866/2869) from FreeRADIUS ``detail`` files → data usage deltas.

The ``detail`` file is what ISPs keep on disk: blocks of ``Attribute = value`` lines, each
block opened by a ctime-style date line and closed by a blank line::

    Wed Mar  4 10:00:00 2026
            Acct-Status-Type = Interim-Update
            Acct-Session-Id = "0A000001-00000042"
            Calling-Station-Id = "602123456"
            Acct-Input-Octets = 123456789
            Acct-Input-Gigawords = 1
            Event-Timestamp = "Mar  4 2026 10:00:00 CET"
            Timestamp = 1772614800

**Deltas.** RADIUS counters are cumulative per session, so each Interim-Update and Stop
becomes one record with the volume *since the previous accounted point* of the same session
(``NAS-Identifier`` or ``NAS-IP-Address`` + ``Acct-Session-Id``); Start (and a session's
first packet) is the zero point. Volumes are ``Octets + Gigawords × 2^32``;
``volume_up`` = Acct-Input (from the subscriber), ``volume_down`` = Acct-Output.
``duration_s`` is the Acct-Session-Time delta and ``start`` = event time − that delta.
``record_id`` = ``session-id@nas#session-time/interim|stop``.

* **Order**: packets of a session are sorted by Acct-Session-Time, then event time (the
  NAS clock of the session is monotonic even when packets arrive out of order).
* **Duplicates** (the same packet twice: same session, status, session time, event time
  and counters; e.g. a retransmission with another Acct-Delay-Time) are ignored.
* **Counter going backwards** (an Interim below a point already accounted): the record is
  a ``bad_volume`` reject and the baseline stays at the highest point seen, so no byte is
  ever billed twice; a genuine NAS counter reset needs manual repair of that reject.
* **Event time** = Event-Timestamp; else ``Timestamp`` (receive time) − Acct-Delay-Time;
  else the block's date line (local time in ``timezone``) − Acct-Delay-Time.
* Accounting-On/Off and Failed packets, and Starts, produce no usage (counted as ignored).

The line is the attribute named by ``line_attribute`` (``Calling-Station-Id`` for mobile
data, ``User-Name`` when it holds the MSISDN), normalised to E.164; ``3GPP-IMSI`` is kept.
Sessions continuing from an earlier file need that file's last points as ``baseline``
(the usage store keeps them); without it the first Interim of a continuing session is
billed from zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from linka.usage.formats.parsed import Options, Parsed, assemble
from linka.usage.localtime import local_to_utc
from linka.usage.numbers import rule_text, to_e164
from linka.usage.records import RejectReason, UsageService

NAME = "radius"
GIGA = 2**32
STATUS = {"1": "start", "2": "stop", "3": "interim", "7": "on", "8": "off", "15": "failed"}
STATUS_NAMES = {
    "start": "start",
    "stop": "stop",
    "interim-update": "interim",
    "alive": "interim",
    "accounting-on": "on",
    "accounting-off": "off",
    "failed": "failed",
}
RANK = {"start": 0, "interim": 1, "stop": 2}
ZONE_ABBREVIATIONS = {"UTC": 0, "GMT": 0, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "WET": 0}
COUNTERS = (
    "Acct-Input-Octets",
    "Acct-Input-Gigawords",
    "Acct-Output-Octets",
    "Acct-Output-Gigawords",
)


@dataclass(frozen=True, slots=True)
class SessionPoint:
    """The last accounted point of a session from an earlier file."""

    nas: str
    session_id: str
    session_time: int
    volume_up: int
    volume_down: int


@dataclass(frozen=True, kw_only=True)
class RadiusOptions(Options):
    line_attribute: str = "Calling-Station-Id"
    baseline: Sequence[SessionPoint] = field(default_factory=tuple)


@dataclass
class _Block:
    line: int
    header: str
    attributes: dict[str, str]
    raw: str


def parse(path: Path, options: RadiusOptions | None = None) -> Parsed:
    options = options or RadiusOptions()
    source = options.source_or(NAME)
    blocks = list(read_blocks(path))
    rows = [_packet(block, options) for block in blocks]
    frame = pl.DataFrame(rows, schema=PACKET_SCHEMA, orient="row")
    raws = {block.line: block.raw for block in blocks}
    records, ignored = _deltas(frame, options.baseline)
    return assemble(
        records,
        constants={"source": source, "service": UsageService.DATA.value, "direction": "mo"},
        source=source,
        path=path,
        raw=lambda lines: {line: raws.get(line, "") for line in lines},
        read=len(blocks),
        ignored=ignored,
    )


def read_blocks(path: Path) -> list[_Block]:
    """The detail file's blocks, each with the line number of its date line."""
    blocks: list[_Block] = []
    current: _Block | None = None
    lines: list[str] = []
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for number, raw in enumerate(handle, start=1):
            text = raw.rstrip("\r\n")
            if not text.strip():
                if current is not None:
                    current.raw = "\n".join(lines)
                    blocks.append(current)
                current, lines = None, []
            elif current is None:
                current, lines = _Block(number, text.strip(), {}, ""), [text]
            else:
                lines.append(text)
                name, sep, value = text.strip().partition("=")
                if sep:
                    current.attributes[name.strip()] = value.strip().strip('"')
    if current is not None:
        current.raw = "\n".join(lines)
        blocks.append(current)
    return blocks


PACKET_SCHEMA = pl.Schema(
    {
        "line": pl.Int64(),
        "status": pl.String(),
        "nas": pl.String(),
        "session_id": pl.String(),
        "session_time": pl.Int64(),
        "up": pl.Int64(),
        "down": pl.Int64(),
        "event": pl.Datetime("us", "UTC"),
        "line_msisdn": pl.Int64(),
        "imsi": pl.String(),
        "reason": pl.String(),
        "detail": pl.String(),
    }
)


def _int(attributes: dict[str, str], name: str) -> int | None:
    value = attributes.get(name, "0") or "0"
    return int(value) if value.isascii() and value.isdigit() else None


def _packet(block: _Block, options: RadiusOptions) -> tuple[object, ...]:
    """One block → a row of PACKET_SCHEMA (per record in Python: blocks are text records)."""
    a = block.attributes
    status_text = a.get("Acct-Status-Type", "").strip()
    status = STATUS.get(status_text) or STATUS_NAMES.get(status_text.lower(), "")
    nas = a.get("NAS-Identifier") or a.get("NAS-IP-Address") or ""
    sid = a.get("Acct-Session-Id", "")
    reason: RejectReason | None = None
    detail = ""
    counters = {name: _int(a, name) for name in COUNTERS}
    session_time = _int(a, "Acct-Session-Time")
    event = _event_time(block, options)
    raw_line = a.get(options.line_attribute)
    msisdn = to_e164(raw_line, options.plan())
    if not status:
        reason, detail = RejectReason.MALFORMED, f"Acct-Status-Type {status_text!r}: unknown"
    elif status in RANK and not sid:
        reason, detail = RejectReason.MALFORMED, "Acct-Session-Id: missing"
    elif status in RANK and event is None:
        reason, detail = RejectReason.BAD_TIMESTAMP, "Event-Timestamp/Timestamp: not a time"
    elif bad := [name for name, value in counters.items() if value is None]:
        reason, detail = RejectReason.BAD_VOLUME, f"{bad[0]} {a[bad[0]]!r}: expected an integer"
    elif session_time is None:
        reason = RejectReason.BAD_DURATION
        detail = f"Acct-Session-Time {a['Acct-Session-Time']!r}: expected an integer"
    elif status in ("interim", "stop") and msisdn is None:
        reason = RejectReason.BAD_NUMBER
        detail = f"{options.line_attribute} {raw_line!r}: {rule_text(options.plan())}"
    up = down = None
    if reason is None:
        up = (counters["Acct-Input-Gigawords"] or 0) * GIGA + (counters["Acct-Input-Octets"] or 0)
        down = (counters["Acct-Output-Gigawords"] or 0) * GIGA + (
            counters["Acct-Output-Octets"] or 0
        )
    return (
        block.line,
        status,
        nas,
        sid,
        session_time,
        up,
        down,
        event,
        msisdn,
        a.get("3GPP-IMSI") or None,
        reason.value if reason else None,
        detail or None,
    )


def _event_time(block: _Block, options: RadiusOptions) -> datetime | None:
    a = block.attributes
    delay = timedelta(seconds=_int(a, "Acct-Delay-Time") or 0)
    stamp = a.get("Event-Timestamp")
    if stamp:
        return _parse_stamp(stamp, options)
    received = a.get("Timestamp")
    if received and received.isdigit():
        return datetime.fromtimestamp(int(received), UTC) - delay
    try:
        naive = datetime.strptime(" ".join(block.header.split()), "%a %b %d %H:%M:%S %Y")  # noqa: DTZ007 (local wall time, converted below)
    except ValueError:
        return None
    local = local_to_utc(naive, options.timezone, options.nonexistent)
    return None if local is None else local - delay


def _parse_stamp(text: str, options: RadiusOptions) -> datetime | None:
    """Event-Timestamp as FreeRADIUS writes it (``Mar  4 2026 10:00:00 CET``) or epoch."""
    text = text.strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    parts = text.split()
    zone_name = parts[-1] if parts and parts[-1].isalpha() else None
    clock = " ".join(parts[:-1] if zone_name else parts)
    try:
        naive = datetime.strptime(clock, "%b %d %Y %H:%M:%S")  # noqa: DTZ007 (local wall time, converted below)
    except ValueError:
        return None
    if zone_name in ZONE_ABBREVIATIONS:
        return (naive - timedelta(hours=ZONE_ABBREVIATIONS[zone_name])).replace(tzinfo=UTC)
    return local_to_utc(naive, options.timezone, options.nonexistent)


def _deltas(frame: pl.DataFrame, baseline: Sequence[SessionPoint]) -> tuple[pl.DataFrame, int]:
    """Packets → one row per Interim/Stop (delta, or a reject), and the ignored count."""
    rejected = frame.filter(pl.col("reason").is_not_null())
    good = frame.filter(pl.col("reason").is_null())
    usable = good.filter(pl.col("status").is_in(list(RANK)))
    ignored = good.height - usable.height
    signature = ["nas", "session_id", "status", "session_time", "event", "up", "down"]
    first = usable.select(pl.struct(signature).is_first_distinct()).to_series()
    ignored += usable.height - int(first.sum())
    usable = usable.filter(first)
    if baseline:
        points = pl.DataFrame(
            {
                "line": [0] * len(baseline),
                "status": ["start"] * len(baseline),
                "nas": [p.nas for p in baseline],
                "session_id": [p.session_id for p in baseline],
                "session_time": [p.session_time for p in baseline],
                "up": [p.volume_up for p in baseline],
                "down": [p.volume_down for p in baseline],
            }
        )
        usable = pl.concat([points, usable], how="diagonal_relaxed")
    key = ["nas", "session_id"]
    rank = pl.col("status").replace_strict(RANK, return_dtype=pl.Int8)
    usable = usable.sort([*key, "session_time", "event", rank, "line"], nulls_last=False)
    prior_up = pl.col("up").cum_max().shift(1).over(key).fill_null(0)
    prior_down = pl.col("down").cum_max().shift(1).over(key).fill_null(0)
    prior_time = pl.col("session_time").cum_max().shift(1).over(key).fill_null(0)
    usable = usable.with_columns(
        prior_up.alias("prior_up"),
        prior_down.alias("prior_down"),
        prior_time.alias("prior_time"),
    )
    billed = usable.filter(pl.col("status").is_in(["interim", "stop"]) & (pl.col("line") > 0))
    ignored += usable.filter(pl.col("line") > 0).height - billed.height
    backwards = (pl.col("up") < pl.col("prior_up")) | (pl.col("down") < pl.col("prior_down"))
    seconds = (pl.col("session_time") - pl.col("prior_time")).clip(lower_bound=0)
    records = billed.with_columns(
        pl.format(
            "{}@{}#{}/{}",
            pl.col("session_id"),
            pl.col("nas"),
            pl.col("session_time"),
            pl.col("status"),
        ).alias("record_id"),
        (pl.col("event") - pl.duration(seconds=seconds)).alias("start"),
        seconds.cast(pl.Int32).alias("duration_s"),
        (pl.col("up") - pl.col("prior_up")).alias("volume_up"),
        (pl.col("down") - pl.col("prior_down")).alias("volume_down"),
        pl.when(backwards).then(pl.lit(RejectReason.BAD_VOLUME.value)).alias("reason"),
        pl.when(backwards)
        .then(
            pl.format(
                "counters went backwards: in {} < {} or out {} < {} already accounted",
                pl.col("up"),
                pl.col("prior_up"),
                pl.col("down"),
                pl.col("prior_down"),
            )
        )
        .alias("detail"),
        pl.col("line_msisdn").alias("a_number"),
    )
    columns = [
        "record_id", "line_msisdn", "imsi", "a_number", "start", "duration_s",
        "volume_up", "volume_down", "line", "reason", "detail",
    ]  # fmt: skip
    return pl.concat([records.select(columns), rejected], how="diagonal_relaxed"), ignored
