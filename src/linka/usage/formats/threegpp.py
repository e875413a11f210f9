"""3GPP TS 32.298 ASN.1 BER CDRs → usage records, decoded with pycrate.

The ASN.1 modules are the ones compiled into ``pycrate_asn1dir.CDR`` (from the pycrate
package, LGPL); none of the 3GPP text is in this repository. Decoding is per record.

**File layout:** a plain concatenation of BER-encoded records, each a ``GPRSRecord``
(``sGWRecord [78]``, ``pGWRecord [79]``) or a ``CSRecord`` (``moCallRecord [0]``,
``mtCallRecord [1]``) CHOICE alternative, told apart by the outer tag. Other record types
are ignored (counted). The TS 32.297 file/CDR header framing is not read yet.
``raw_ref`` is ``file:N`` for the N-th record; a reject's raw text is its BER in hex.

Data (PGW/SGW): line = servedMSISDN, imsi = servedIMSI (TBCD), start = recordOpeningTime,
duration_s = duration, volumes = the sums of ``listOfTrafficVolumes`` uplink/downlink (or
of ``listOfServiceData`` FBC volumes when there are no traffic volumes), roaming country =
the MCC of servingNodePLMNIdentifier when it is not ``home_mcc`` (see
:mod:`linka.usage.plmn`). record_id = ``nodeID:chargingID:recordSequenceNumber`` (or
localSequenceNumber).

Voice (MSC): MO: line = a = servedMSISDN (callingNumber when absent), b = calledNumber;
MT: line = b = servedMSISDN, a = callingNumber. Numbers are BCD with a TON/NPI octet:
international numbers get ``+``, others go through the national rule. start = answerTime,
else seizureTime; duration_s = callDuration. record_id = ``h:`` + BLAKE2b-128 of recording
entity, call reference, IMSI, seizure/answer time and sequence number.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import polars as pl

from linka.usage.formats.parsed import Options, Parsed, assemble
from linka.usage.numbers import NumberPlan, rule_text, to_e164
from linka.usage.plmn import country_of, decode_plmn
from linka.usage.records import RejectReason, UsageService

NAME = "3gpp"
PS_TAGS = {78: "sGWRecord", 79: "pGWRecord"}
CS_TAGS = {0: "moCallRecord", 1: "mtCallRecord"}
ROWS = pl.Schema(
    {
        "record_id": pl.String(),
        "service": pl.String(),
        "direction": pl.String(),
        "line_msisdn": pl.Int64(),
        "imsi": pl.String(),
        "a_number": pl.Int64(),
        "b_number": pl.Int64(),
        "start": pl.Datetime("us", "UTC"),
        "duration_s": pl.Int32(),
        "volume_up": pl.Int64(),
        "volume_down": pl.Int64(),
        "roaming_country": pl.String(),
        "line": pl.Int64(),
        "reason": pl.String(),
        "detail": pl.String(),
    }
)


@dataclass(frozen=True, kw_only=True)
class ThreegppOptions(Options):
    home_mcc: str = "230"  # serving PLMNs with this MCC are home, not roaming
    domain: Literal["auto", "ps", "cs"] = "auto"


@lru_cache(maxsize=1)
def _modules() -> tuple[Any, Any]:
    from pycrate_asn1dir import CDR  # type: ignore[import-untyped]

    return CDR.GPRSChargingDataTypes.GPRSRecord, CDR.CSChargingDataTypes.CSRecord


class FramingError(ValueError):
    """The bytes at an offset are not a BER TLV (the rest of the file cannot be framed)."""


def split_tlvs(data: bytes) -> list[tuple[int, int, bytes]]:
    """Concatenated BER records → ``(offset, tag number, bytes)``; raises at broken framing."""
    out: list[tuple[int, int, bytes]] = []
    pos = 0
    while pos < len(data):
        if data[pos] == 0 and pos + 1 < len(data) and data[pos + 1] == 0:
            pos += 2  # padding between records (some writers pad blocks with zeros)
            continue
        start = pos
        first = data[pos]
        pos += 1
        tag = first & 0x1F
        if tag == 0x1F:
            tag = 0
            while True:
                if pos >= len(data):
                    raise FramingError(f"offset {start}: truncated tag")
                byte = data[pos]
                pos += 1
                tag = (tag << 7) | (byte & 0x7F)
                if not byte & 0x80:
                    break
        if pos >= len(data):
            raise FramingError(f"offset {start}: truncated length")
        length = data[pos]
        pos += 1
        if length == 0x80:
            raise FramingError(f"offset {start}: indefinite length is not supported")
        if length & 0x80:
            count = length & 0x7F
            length = int.from_bytes(data[pos : pos + count], "big")
            pos += count
        end = pos + length
        if end > len(data):
            raise FramingError(f"offset {start}: record of {length} bytes runs past the end")
        out.append((start, tag, data[start:end]))
        pos = end
    return out


def tbcd(octets: bytes) -> str:
    """TBCD digits (low nibble first, F filler), e.g. IMSI."""
    digits: list[str] = []
    for byte in octets:
        for nibble in (byte & 0x0F, byte >> 4):
            if nibble == 0xF:
                return "".join(digits)
            digits.append("0123456789*#abc"[nibble])
    return "".join(digits)


def address(octets: bytes | None, plan: NumberPlan) -> tuple[int | None, str]:
    """BCD number with a TON/NPI octet → (E.164 digits or None, the text read)."""
    if not octets:
        return None, ""
    ton = (octets[0] >> 4) & 0x07
    digits = tbcd(octets[1:])
    text = ("+" + digits) if ton == 1 else digits
    return to_e164(text, plan), text


def timestamp(octets: bytes | None) -> datetime | None:
    """TS 32.298 TimeStamp: BCD YYMMDDhhmmss, ASCII sign, BCD hhmm offset → UTC."""
    if octets is None or len(octets) != 9:
        return None
    digits = octets[:6].hex() + octets[7:].hex()
    sign = chr(octets[6])
    if not digits.isdigit() or sign not in "+-":
        return None
    try:
        local = datetime.strptime(digits[:12], "%y%m%d%H%M%S")  # noqa: DTZ007 (local wall time, converted below)
    except ValueError:
        return None
    offset = timedelta(hours=int(digits[12:14]), minutes=int(digits[14:16]))
    return (local - offset if sign == "+" else local + offset).replace(tzinfo=UTC)


def parse(path: Path, options: ThreegppOptions | None = None) -> Parsed:
    options = options or ThreegppOptions()
    source = options.source_or(NAME)
    data = path.read_bytes()
    rows: list[dict[str, Any]] = []
    raws: dict[int, str] = {}
    ignored = 0
    try:
        records = split_tlvs(data)
        broken: str | None = None
    except FramingError as error:
        records, broken = [], str(error)
    for index, (_, tag, chunk) in enumerate(records, start=1):
        kind = _kind(tag, options)
        if kind is None:
            ignored += 1
            continue
        raws[index] = chunk.hex()
        try:
            rows.append(_decode(kind, chunk, index, options))
        except Exception as error:  # pycrate raises many types for bad input
            rows.append(_row(index, RejectReason.MALFORMED, f"BER decode failed: {error}"))
    read = len(records)
    if broken is not None:
        read += 1
        rows.append(_row(read, RejectReason.MALFORMED, broken))
        raws[read] = data[:64].hex()
    frame = pl.DataFrame(rows, schema=ROWS)
    return assemble(
        frame,
        constants={"source": source},
        source=source,
        path=path,
        raw=lambda lines: {line: raws.get(line, "") for line in lines},
        read=read,
        ignored=ignored,
    )


def _kind(tag: int, options: ThreegppOptions) -> str | None:
    if options.domain in ("auto", "ps") and tag in PS_TAGS:
        return PS_TAGS[tag]
    if options.domain in ("auto", "cs") and tag in CS_TAGS:
        return CS_TAGS[tag]
    return None


def _row(
    line: int, reason: RejectReason | None = None, detail: str | None = None
) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(ROWS.names())
    row.update(line=line, reason=reason.value if reason else None, detail=detail)
    return row


def _decode(kind: str, chunk: bytes, index: int, options: ThreegppOptions) -> dict[str, Any]:
    gprs, cs = _modules()
    codec = gprs if kind in PS_TAGS.values() else cs
    codec.from_ber(chunk)
    name, value = codec.get_val()
    if name in PS_TAGS.values():
        return _data_row(value, index, options)
    return _voice_row(name, value, index, options)


def _data_row(value: dict[str, Any], index: int, options: ThreegppOptions) -> dict[str, Any]:
    plan = options.plan()
    row = _row(index)
    opened = timestamp(value.get("recordOpeningTime"))
    msisdn, text = address(value.get("servedMSISDN"), plan)
    up = down = 0
    for change in value.get("listOfTrafficVolumes", []):
        up += change.get("dataVolumeGPRSUplink", 0)
        down += change.get("dataVolumeGPRSDownlink", 0)
    if not value.get("listOfTrafficVolumes"):
        for service in value.get("listOfServiceData", []):
            up += service.get("datavolumeFBCUplink", 0)
            down += service.get("datavolumeFBCDownlink", 0)
    sequence = value.get("recordSequenceNumber", value.get("localSequenceNumber", 0))
    plmn = decode_plmn(value.get("servingNodePLMNIdentifier", b""))
    roaming = None
    if plmn is not None and plmn[0] != options.home_mcc:
        roaming = country_of(*plmn)
    row.update(
        record_id=f"{value.get('nodeID', '')}:{value.get('chargingID')}:{sequence}",
        service=UsageService.DATA.value,
        direction="mo",
        line_msisdn=msisdn,
        imsi=tbcd(value["servedIMSI"]) if "servedIMSI" in value else None,
        a_number=msisdn,
        start=opened,
        duration_s=value.get("duration", 0),
        volume_up=up,
        volume_down=down,
        roaming_country=roaming,
    )
    if opened is None:
        row.update(
            reason=RejectReason.BAD_TIMESTAMP.value,
            detail="recordOpeningTime: missing or not a TS 32.298 TimeStamp",
        )
    elif msisdn is None:
        row.update(
            reason=RejectReason.BAD_NUMBER.value, detail=f"servedMSISDN {text!r}: {rule_text(plan)}"
        )
    elif not 0 <= row["duration_s"] < 2**31:
        row.update(
            reason=RejectReason.BAD_DURATION.value,
            detail=f"duration {row['duration_s']}: expected 0 or more",
        )
    return row


def _voice_row(
    name: str, value: dict[str, Any], index: int, options: ThreegppOptions
) -> dict[str, Any]:
    plan = options.plan()
    row = _row(index)
    served, served_text = address(value.get("servedMSISDN"), plan)
    calling, calling_text = address(value.get("callingNumber"), plan)
    called, called_text = address(value.get("calledNumber"), plan)
    mo = name == "moCallRecord"
    line, line_text = (
        (served, served_text) if served is not None or not mo else (calling, calling_text)
    )
    a, b = (line, called) if mo else (calling, served)
    begin = value.get("answerTime") or value.get("seizureTime")
    identity = "\x1f".join(
        str(part)
        for part in (
            name,
            value.get("recordingEntity", b"").hex(),
            value.get("callReference", b"").hex(),
            value.get("servedIMSI", b"").hex(),
            (begin or b"").hex(),
            value.get("sequenceNumber", ""),
        )
    )
    row.update(
        record_id="h:" + hashlib.blake2b(identity.encode(), digest_size=16).hexdigest(),
        service=UsageService.VOICE.value,
        direction="mo" if mo else "mt",
        line_msisdn=line,
        imsi=tbcd(value["servedIMSI"]) if "servedIMSI" in value else None,
        a_number=a,
        b_number=b,
        start=timestamp(begin),
        duration_s=value.get("callDuration", 0),
        volume_up=0,
        volume_down=0,
    )
    if row["start"] is None:
        row.update(
            reason=RejectReason.BAD_TIMESTAMP.value,
            detail="answerTime/seizureTime: missing or not a TimeStamp",
        )
    elif line is None:
        row.update(
            reason=RejectReason.BAD_NUMBER.value,
            detail=f"servedMSISDN {line_text!r}: {rule_text(plan)}",
        )
    elif mo and called is None:
        row.update(
            reason=RejectReason.BAD_NUMBER.value,
            detail=f"calledNumber {called_text!r}: {rule_text(plan)}",
        )
    elif not 0 <= row["duration_s"] < 2**31:
        row.update(
            reason=RejectReason.BAD_DURATION.value,
            detail=f"callDuration {row['duration_s']}: expected 0 or more",
        )
    return row
