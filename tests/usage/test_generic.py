"""The generic CSV/JSON-lines reader and its column map."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from linka.usage.formats import parse_file
from linka.usage.formats.generic import ColumnMap
from linka.usage.records import RejectReason

SMS_MAP = """
format: csv
delimiter: ";"
columns: {record_id: id, a_number: from, b_number: to, start: sent, volume_up: kb}
timestamp_format: "%d.%m.%Y %H:%M"
service: sms
volume_unit: kB
"""


def test_csv_with_yaml_map(tmp_path: Path) -> None:
    path = tmp_path / "sms.csv"
    path.write_text(
        "id;from;to;sent;kb\n"
        "m1;602123456;+420777000111;25.10.2026 02:30;2\n"
        "m2;602123456;abc;25.10.2026 03:30;1\n"
        "m3;602123456;+420777000111;31.02.2026 10:00;1\n"
    )
    parsed = parse_file("generic", path, column_map=ColumnMap.from_yaml(SMS_MAP), source="smsc")
    assert parsed.table.select(
        [
            "record_id",
            "source",
            "service",
            "line_msisdn",
            "start",
            "volume_up",
            "raw_file",
            "raw_line",
        ]
    ).to_pylist() == [
        {
            "record_id": "m1",
            "source": "smsc",
            "service": "sms",
            "line_msisdn": 420602123456,
            "start": datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
            "volume_up": 2000,
            "raw_file": "sms.csv",
            "raw_line": 2,
        }
    ]
    assert [(r.raw_ref, r.reason, r.detail.split(":")[0]) for r in parsed.rejects] == [
        ("sms.csv:3", RejectReason.BAD_NUMBER, "b_number abc"),
        ("sms.csv:4", RejectReason.BAD_TIMESTAMP, "start 31.02.2026 10"),
    ]


def test_jsonl_epoch_ms_and_hash_ids(tmp_path: Path) -> None:
    path = tmp_path / "usage.jsonl"
    path.write_text(
        '{"msisdn": "420602123456", "t": 1772400000000, "ms": 1500, "kind": "voice"}\n'
        '{"msisdn": "420602123456", "t": 1772400000000, "ms": -1, "kind": "voice"}\n'
    )
    cmap = {
        "format": "jsonl",
        "columns": {"line_msisdn": "msisdn", "start": "t", "duration_s": "ms", "service": "kind"},
        "timestamp_format": "epoch_ms",
        "duration_unit": "ms",
        "numbers": "e164",
    }
    parsed = parse_file("generic", path, column_map=cmap)
    rows = parsed.table.to_pylist()
    assert [(r["line_msisdn"], r["duration_s"], r["start"]) for r in rows] == [
        (420602123456, 2, datetime(2026, 3, 1, 21, 20, tzinfo=UTC))
    ]
    assert rows[0]["record_id"].startswith("h:")
    assert [r.reason for r in parsed.rejects] == [RejectReason.BAD_DURATION]


def test_map_validation_is_clear() -> None:
    with pytest.raises(ValidationError, match=r"columns\.start: required"):
        ColumnMap.model_validate({"columns": {"a_number": "x"}, "service": "voice"})
    with pytest.raises(ValidationError, match="service: give a constant"):
        ColumnMap.model_validate({"columns": {"start": "t", "a_number": "x"}})
    with pytest.raises(ValidationError, match="colour"):
        ColumnMap.model_validate(
            {"columns": {"start": "t", "a_number": "x"}, "service": "voice", "colour": 1}
        )
    with pytest.raises(ValidationError, match=r"columns\.bogus"):
        ColumnMap.model_validate({"columns": {"start": "t", "bogus": "x"}, "service": "voice"})
