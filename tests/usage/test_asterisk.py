"""Asterisk Master.csv: layouts, DST, charging rule, rejects and the shared conformance set."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from linka.usage.formats import parse_file
from linka.usage.formats.asterisk import AsteriskOptions, parse
from linka.usage.records import RECORD_SCHEMA, RejectReason


def row(
    src: str = "602123456",
    dst: str = "+420777000111",
    start: str = "2026-03-02 10:00:00",
    answer: str = "2026-03-02 10:00:05",
    end: str = "2026-03-02 10:01:05",
    duration: str = "65",
    billsec: str = "60",
    disposition: str = "ANSWERED",
    uniqueid: str | None = "1772400000.1",
    width: int = 18,
) -> str:
    answer_field = f'"{answer}"' if answer else ""
    fields = [
        f'"{src}"', f'"{src}"', f'"{dst}"', '"from-internal"', '"""Customer"" <602123456>"',
        '"SIP/602123456-00000001"', '"SIP/trunk-00000001"', '"Dial"', '"SIP/trunk/x,60"',
        f'"{start}"', answer_field, f'"{end}"', duration, billsec, f'"{disposition}"',
        '"DOCUMENTATION"',
    ]  # fmt: skip
    if width >= 18:
        fields += [f'"{uniqueid}"', '""']
    if width == 21:
        fields += ['""', f'"{uniqueid}"', "7"]
    return ",".join(fields)


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "Master.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def records(path: Path, **options: object) -> pl.DataFrame:
    parsed = parse_file("asterisk", path, **options)
    assert parsed.table.schema.equals(RECORD_SCHEMA)
    frame = pl.from_arrow(parsed.table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def test_answered_call_is_normalised(tmp_path: Path) -> None:
    # given one answered call in winter (CET, UTC+1)
    path = write(tmp_path, row())
    # when parsed
    parsed = parse(path)
    # then every field is exact
    assert parsed.read == 1
    assert parsed.rejects == []
    assert parsed.table.to_pylist() == [
        {
            "record_id": "1772400000.1",
            "source": "asterisk",
            "service": "voice",
            "direction": "mo",
            "line_msisdn": 420602123456,
            "imsi": None,
            "a_number": 420602123456,
            "b_number": 420777000111,
            "start": datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC),  # the answer time
            "duration_s": 60,
            "volume_up": 0,
            "volume_down": 0,
            "cell_id": None,
            "roaming_country": None,
            "raw_file": "Master.csv",
            "raw_line": 1,
        }
    ]


@pytest.mark.parametrize(
    ("disposition", "answer", "billsec", "start", "duration_s"),
    [
        ("ANSWERED", "2026-03-02 10:00:05", "60", datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC), 60),
        ("ANSWERED", "2026-03-02 10:00:05", "0", datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC), 0),
        ("NO ANSWER", "", "0", datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC), 0),
        ("BUSY", "", "0", datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC), 0),
        ("FAILED", "2026-03-02 10:00:05", "7", datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC), 0),
    ],
)
def test_only_answered_calls_with_billsec_cost(
    tmp_path: Path, disposition: str, answer: str, billsec: str, start: datetime, duration_s: int
) -> None:
    path = write(tmp_path, row(disposition=disposition, answer=answer, billsec=billsec))
    got = records(path).select("start", "duration_s").row(0)
    assert got == (start, duration_s)


def test_times_across_dst_changes(tmp_path: Path) -> None:
    # given calls answered just before/after both 2026 changes and inside the gap/overlap
    answers = {
        "1": "2026-03-29 01:59:59",  # CET
        "2": "2026-03-29 02:30:00",  # nonexistent: read with the offset before the gap
        "3": "2026-03-29 03:00:00",  # CEST
        "4": "2026-10-25 02:30:00",  # ambiguous: the earlier (CEST)
        "5": "2026-10-25 03:00:00",  # CET
    }
    lines = [
        row(start=a, answer=a, end=a, duration="0", billsec="0", uniqueid=u)
        for u, a in answers.items()
    ]
    got = records(write(tmp_path, *lines)).get_column("start").to_list()
    assert got == [
        datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 30, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 0, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 0, 30, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 2, 0, 0, tzinfo=UTC),
    ]


def test_nonexistent_time_can_be_rejected(tmp_path: Path) -> None:
    gap = "2026-03-29 02:30:00"
    path = write(tmp_path, row(start=gap, answer=gap, end=gap, billsec="0", duration="0"))
    parsed = parse(path, AsteriskOptions(nonexistent="reject"))
    assert parsed.table.num_rows == 0
    assert [(r.reason, r.detail) for r in parsed.rejects] == [
        (
            RejectReason.BAD_TIMESTAMP,
            "start 2026-03-29 02:30:00: local time does not exist in Europe/Prague (DST gap)",
        )
    ]


def test_usegmtime(tmp_path: Path) -> None:
    path = write(tmp_path, row())
    got = records(path, usegmtime=True).get_column("start").to_list()
    assert got == [datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC)]


@pytest.mark.parametrize("width", [16, 18, 21])
def test_layout_is_detected(tmp_path: Path, width: int) -> None:
    second = row(width=width, uniqueid="1772400000.2", dst="+420777000222")
    frame = records(write(tmp_path, row(width=width), second))
    assert frame.height == 2
    ids = frame.get_column("record_id").to_list()
    if width == 16:  # no uniqueid: a content hash, stable across runs
        assert all(i.startswith("h:") and len(i) == 34 for i in ids)
        assert ids[0] != ids[1]
        assert records(write(tmp_path, row(width=16))).get_column("record_id")[0] == ids[0]
    else:
        assert ids == ["1772400000.1", "1772400000.2"]


def test_sixteen_columns_same_content_is_a_duplicate(tmp_path: Path) -> None:
    parsed = parse(write(tmp_path, row(width=16), row(width=16)))
    assert parsed.table.num_rows == 1
    assert [(r.raw_ref, r.reason) for r in parsed.rejects] == [
        ("Master.csv:2", RejectReason.DUPLICATE)
    ]


def test_bad_records_are_rejected_and_the_file_continues(tmp_path: Path) -> None:
    lines = [
        row(uniqueid="1"),
        row(uniqueid="2", start="2026-02-30 10:00:00"),
        row(uniqueid="3", duration="-5"),
        row(uniqueid="4", billsec="abc"),
        row(uniqueid="5", dst="12345"),
        row(uniqueid="6", src="100"),
        '"602123456","602123456","+420777000111","ctx","unterminated,"SIP/x"',
        '"short","line"',
        "",
        row(uniqueid="1"),
        row(uniqueid="9"),
    ]
    parsed = parse(write(tmp_path, *lines))
    assert parsed.read == 10  # the blank line is not a record
    assert parsed.table.column("record_id").to_pylist() == ["1", "9"]
    assert parsed.table.column("raw_line").to_pylist() == [1, 11]
    got = [(r.raw_ref, r.reason, r.detail) for r in parsed.rejects]
    rule = "expected +CC…, 00CC… or a national number of 9 digits not starting with 0"
    assert got == [
        (
            "Master.csv:2",
            RejectReason.BAD_TIMESTAMP,
            "start 2026-02-30 10:00:00: expected a time as %Y-%m-%d %H:%M:%S",
        ),
        ("Master.csv:3", RejectReason.BAD_DURATION, "duration -5: expected a non-negative integer"),
        ("Master.csv:4", RejectReason.BAD_DURATION, "billsec abc: expected a non-negative integer"),
        ("Master.csv:5", RejectReason.BAD_NUMBER, f"dst 12345: {rule}"),
        ("Master.csv:6", RejectReason.BAD_NUMBER, f"src 100: {rule}"),
        ("Master.csv:7", RejectReason.MALFORMED, "unterminated quote; expected 18 columns"),
        ("Master.csv:8", RejectReason.MALFORMED, "2 columns, expected 18"),
        ("Master.csv:10", RejectReason.DUPLICATE, "record_id 1 already read at line 1"),
    ]
    assert parsed.rejects[1].raw == lines[2]
    assert parsed.rejects[5].source == "asterisk"


def test_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    # given a switch that wrote Latin-1: into a number, into a cut line and into a
    # caller name (a column linka does not read), among UTF-8 lines
    latin_number = row(uniqueid="2", dst="60212345\xe9").encode("latin-1")
    cut = b'"602123456","602123456","+420777000111","Jos\xe9"'
    latin_name = row(uniqueid="4").replace("Customer", "Nov\xe1k").encode("latin-1")
    czech = row(uniqueid="5").replace("from-internal", "Jiří").encode()
    lines = [row(uniqueid="1").encode(), latin_number, cut, latin_name, czech, b""]
    path = tmp_path / "Master.csv"
    path.write_bytes(b"\n".join(lines))
    # when parsed, with and without the compiled readers
    for fast in (True, False):
        parsed = parse(path, fast=fast)
        # then the number and the cut line are malformed rejects with their text; the
        # caller name does not matter; the rest of the file is read
        assert parsed.read == 5
        assert parsed.table.column("record_id").to_pylist() == ["1", "4", "5"]
        got = [(r.raw_ref, r.reason, r.detail) for r in parsed.rejects]
        assert got == [
            ("Master.csv:2", RejectReason.MALFORMED, "dst: not UTF-8 text"),
            ("Master.csv:3", RejectReason.MALFORMED, "4 columns, expected 18"),
        ]
        assert parsed.rejects[0].raw == latin_number.decode("utf-8", "replace")


def test_backslash_escaped_quotes(tmp_path: Path) -> None:
    line = row().replace('"""Customer"" <602123456>"', '"\\"Smith, J\\" <602123456>"')
    assert records(write(tmp_path, line)).height == 1


def test_conformance_rating_basic(shared: Path) -> None:
    # given the shared conformance set / when Master.csv is parsed
    folder = shared / "conformance" / "rating-basic"
    parsed = parse(folder / "Master.csv")
    expected = pl.read_csv(folder / "expected.csv", infer_schema=False)
    # then bad numbers are bad_number rejects and every other record is accepted
    bad = expected.filter(pl.col("status") == "rejected: bad number")
    rejected = {r.raw_ref for r in parsed.rejects if r.reason is RejectReason.BAD_NUMBER}
    assert len(rejected) == bad.height
    assert {r.reason for r in parsed.rejects} <= {RejectReason.BAD_NUMBER}
    frame = pl.from_arrow(parsed.table)
    assert isinstance(frame, pl.DataFrame)
    joined = expected.filter(pl.col("status") != "rejected: bad number").join(
        frame, left_on="uniqueid", right_on="record_id", how="left"
    )
    assert joined.get_column("duration_s").null_count() == 0
    # and the charged ones carry billsec, the others cost nothing
    charged = joined.filter(pl.col("status") == "charged")
    assert (charged.get_column("duration_s") > 0).all()
    assert joined.filter(pl.col("status") == "not charged").get_column("duration_s").sum() == 0
    assert parsed.read == expected.height
