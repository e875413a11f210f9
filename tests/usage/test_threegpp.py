"""3GPP TS 32.298 BER CDRs: fixtures encoded with pycrate, decoded back to usage records."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from linka.usage.formats.threegpp import parse, timestamp
from linka.usage.plmn import country_of, decode_plmn, encode_plmn
from linka.usage.records import RejectReason

CDR = pytest.importorskip("pycrate_asn1dir.CDR")


def bcd(digits: str) -> bytes:
    digits += "F" * (len(digits) % 2)
    return bytes(int(digits[i + 1] + digits[i], 16) for i in range(0, len(digits), 2))


def pgw(
    sequence: int, msisdn: str = "420602123456", plmn: bytes = encode_plmn("262", "01")
) -> bytes:
    value: dict[str, Any] = {
        "recordType": 85,
        "servedIMSI": bcd("230011234567890"),
        "p-GWAddress": ("iPBinaryAddress", ("iPBinV4Address", bytes([10, 0, 0, 1]))),
        "chargingID": 4711,
        "servingNodeAddress": [("iPBinaryAddress", ("iPBinV4Address", bytes([10, 0, 0, 2])))],
        "servingNodeType": ["gTPSGW"],
        "chargingCharacteristics": b"\x08\x00",
        "recordOpeningTime": bytes.fromhex("261025023000") + b"+" + bytes.fromhex("0200"),
        "duration": 600,
        "causeForRecClosing": 16,
        "recordSequenceNumber": sequence,
        "nodeID": "pgw01",
        "servedMSISDN": b"\x91" + bcd(msisdn),
        "servingNodePLMNIdentifier": plmn,
        "listOfTrafficVolumes": [
            {
                "dataVolumeGPRSUplink": 1000,
                "dataVolumeGPRSDownlink": 5_000_000_000,
                "changeCondition": "tariffTime",
                "changeTime": bytes.fromhex("261025025000") + b"+" + bytes.fromhex("0200"),
            },
            {
                "dataVolumeGPRSUplink": 24,
                "dataVolumeGPRSDownlink": 1,
                "changeCondition": "recordClosure",
                "changeTime": bytes.fromhex("261025024000") + b"+" + bytes.fromhex("0200"),
            },
        ],
    }
    record = CDR.GPRSChargingDataTypes.GPRSRecord
    record.set_val(("pGWRecord", value))
    return bytes(record.to_ber())


def mo_call(called: bytes) -> bytes:
    value: dict[str, Any] = {
        "recordType": 1,
        "servedIMSI": bcd("230011234567890"),
        "servedMSISDN": b"\x91" + bcd("420602123456"),
        "calledNumber": called,
        "recordingEntity": b"\x91" + bcd("420600000001"),
        "seizureTime": bytes.fromhex("260329015955") + b"+" + bytes.fromhex("0100"),
        "answerTime": bytes.fromhex("260329030005") + b"+" + bytes.fromhex("0200"),
        "callDuration": 42,
        "causeForTerm": 0,
        "callReference": b"\x01\x02",
    }
    record = CDR.CSChargingDataTypes.CSRecord
    record.set_val(("moCallRecord", value))
    return bytes(record.to_ber())


def test_round_trip_data_and_voice(tmp_path: Path) -> None:
    # given BER records encoded with pycrate: two PGW records and two MO calls
    path = tmp_path / "cdrs.ber"
    national = b"\xa1" + bcd("777000111")  # TON national
    path.write_bytes(
        pgw(1)
        + mo_call(national)
        + pgw(2, plmn=encode_plmn("230", "03"))
        + mo_call(b"\xa1" + bcd("12"))
    )
    # when parsed
    parsed = parse(path)
    # then the data record carries volumes, IMSI, roaming country, UTC start
    assert parsed.read == 4
    rows = parsed.table.to_pylist()
    assert [r["record_id"] for r in rows[::2]] == ["pgw01:4711:1", "pgw01:4711:2"]
    first = rows[0]
    assert (first["service"], first["line_msisdn"], first["imsi"]) == (
        "data",
        420602123456,
        "230011234567890",
    )
    assert first["start"] == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert (first["duration_s"], first["volume_up"], first["volume_down"]) == (
        600,
        1024,
        5_000_000_001,
    )
    assert first["roaming_country"] == "DE"
    assert rows[2]["roaming_country"] is None  # home PLMN
    voice = rows[1]
    assert voice["record_id"].startswith("h:")
    assert (voice["service"], voice["direction"], voice["a_number"], voice["b_number"]) == (
        "voice",
        "mo",
        420602123456,
        420777000111,
    )
    assert (voice["start"], voice["duration_s"]) == (datetime(2026, 3, 29, 1, 0, 5, tzinfo=UTC), 42)
    assert [(r.raw_ref, r.reason) for r in parsed.rejects] == [
        ("cdrs.ber:4", RejectReason.BAD_NUMBER)
    ]
    assert parsed.rejects[0].detail.startswith("calledNumber '12'")


def test_broken_record_and_truncated_file(tmp_path: Path) -> None:
    good = pgw(1)
    broken = bytes([0xBF, 0x4F, 0x03, 0x80, 0x01, 0xFF])  # pGWRecord with garbage inside
    path = tmp_path / "cdrs.ber"
    path.write_bytes(good + broken + good[:10])
    parsed = parse(path)
    assert parsed.table.num_rows == 0
    assert [r.reason for r in parsed.rejects] == [RejectReason.MALFORMED]
    assert "runs past the end" in parsed.rejects[0].detail
    path.write_bytes(good + broken)
    parsed = parse(path)
    assert parsed.table.num_rows == 1
    assert [(r.raw_ref, r.reason) for r in parsed.rejects] == [
        ("cdrs.ber:2", RejectReason.MALFORMED)
    ]


def test_timestamp_and_plmn_helpers() -> None:
    assert timestamp(bytes.fromhex("261231235959") + b"-" + bytes.fromhex("0500")) == datetime(
        2027, 1, 1, 4, 59, 59, tzinfo=UTC
    )
    assert timestamp(b"\x00" * 9) is None
    assert decode_plmn(encode_plmn("310", "410")) == ("310", "410")
    assert country_of("230") == "CZ"
    assert country_of("234", "99") == "GB"
    assert country_of("901") is None
