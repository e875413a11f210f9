"""FreeSWITCH mod_cdr_csv ``example`` template."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from linka.usage.formats.freeswitch import FreeswitchOptions, parse
from linka.usage.records import RejectReason


def row(
    uuid: str,
    billsec: str = "60",
    cause: str = "NORMAL_CLEARING",
    answer: str = "2026-07-01 12:00:10",
    number: str = "602123456",
    start: str = "2026-07-01 12:00:00",
) -> str:
    return (
        f'"Customer","{number}","00421903123456","default","{start}",'
        f'"{answer}","2026-07-01 12:01:10","70","{billsec}","{cause}","{uuid}","","acc",'
        '"PCMA","PCMA"'
    )


def test_example_template(tmp_path: Path) -> None:
    path = tmp_path / "Master.csv"
    path.write_text(
        "\n".join(
            [
                row("a"),
                row("b", cause="ALLOTTED_TIMEOUT"),
                row("c", billsec="0", answer="", cause="NO_ANSWER"),
                row("d", number="12"),
                row("e", start="yesterday"),
                row("f", billsec="-1"),
            ]
        )
        + "\n"
    )
    parsed = parse(path)
    assert parsed.read == 6
    got = parsed.table.select(["record_id", "a_number", "b_number", "start", "duration_s"])
    assert got.to_pylist() == [
        {
            "record_id": "a",
            "a_number": 420602123456,
            "b_number": 421903123456,
            "start": datetime(2026, 7, 1, 10, 0, 10, tzinfo=UTC),  # CEST
            "duration_s": 60,
        },
        {
            "record_id": "b",
            "a_number": 420602123456,
            "b_number": 421903123456,
            "start": datetime(2026, 7, 1, 10, 0, 10, tzinfo=UTC),
            "duration_s": 60,  # answered and cut by the prepaid limit: still charged
        },
        {
            "record_id": "c",
            "a_number": 420602123456,
            "b_number": 421903123456,
            "start": datetime(2026, 7, 1, 10, 0, 0, tzinfo=UTC),
            "duration_s": 0,
        },
    ]
    assert [(r.raw_ref, r.reason) for r in parsed.rejects] == [
        ("Master.csv:4", RejectReason.BAD_NUMBER),
        ("Master.csv:5", RejectReason.BAD_TIMESTAMP),
        ("Master.csv:6", RejectReason.BAD_DURATION),
    ]
    assert parsed.rejects[0].detail.startswith("caller_id_number 12: expected +CC")


def test_strict_hangup_cause_rule(tmp_path: Path) -> None:
    path = tmp_path / "Master.csv"
    path.write_text(row("a") + "\n" + row("b", cause="ALLOTTED_TIMEOUT") + "\n")
    parsed = parse(path, FreeswitchOptions(charged_causes=frozenset({"NORMAL_CLEARING"})))
    assert parsed.table.column("duration_s").to_pylist() == [60, 0]


def test_billsec_out_of_range_is_a_reject(tmp_path: Path) -> None:
    # given an answered call whose billsec does not fit 32 bits
    path = tmp_path / "Master.csv"
    path.write_text(row("a", billsec="2147483648") + "\n" + row("b") + "\n")
    # when parsed, with and without the compiled readers
    for fast in (True, False):
        parsed = parse(path, fast=fast)
        # then that record is a bad_duration reject and the file goes on
        assert [r.reason for r in parsed.rejects] == [RejectReason.BAD_DURATION]
        assert parsed.table.column("record_id").to_pylist() == ["b"]
