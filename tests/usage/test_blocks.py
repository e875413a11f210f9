"""Switch CSV files read in blocks: the result never depends on where the blocks end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linka.usage.checksum import file_checksum
from linka.usage.earlier import KnownIds
from linka.usage.formats import asterisk, csvlines, dedup, freeswitch
from linka.usage.formats.parsed import Parsed
from linka.usage.records import RejectReason
from tests.usage.test_asterisk import row
from tests.usage.test_freeswitch import row as freeswitch_row

BLOCK_SIZES = [1, 40, 400, 1000, 1 << 20]


def write(tmp_path: Path, lines: list[str], end: str = "\n") -> Path:
    path = tmp_path / "Master.csv"
    path.write_bytes((end.join(lines) + end).encode())
    return path


def summary(parsed: Parsed) -> tuple[object, ...]:
    rejects = [(r.raw_ref, r.reason, r.detail, r.raw, r.source) for r in parsed.rejects]
    return parsed.table.to_pylist(), rejects, parsed.read, parsed.ignored


def messy_lines() -> list[str]:
    """Good records between every kind of broken line, and ids repeated far apart."""
    return [
        row(uniqueid="1"),
        row(uniqueid="2", start="2026-02-30 10:00:00"),
        "",
        row(uniqueid="3", dst="12345"),
        '"602123456","602123456","+420777000111","ctx","unterminated,"SIP/x"',
        row(uniqueid="4"),
        '"short","line"',
        row(uniqueid="1"),  # repeats line 1
        row(uniqueid="5", billsec="abc"),
        "   ",
        row(uniqueid="4"),  # repeats line 6
        row(uniqueid="6", duration=" 7 "),  # blanks around a number are fine
        row(uniqueid="1"),  # repeats line 1 again
        row(uniqueid="7", src=" 602123456\t"),
        row(uniqueid="8", width=21),  # too wide
        row(uniqueid="9"),
    ]


@pytest.mark.parametrize("block", BLOCK_SIZES)
def test_any_block_size_gives_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    path = write(tmp_path, messy_lines())
    whole = summary(asterisk.parse(path))
    monkeypatch.setattr(csvlines, "BLOCK_BYTES", block)
    assert summary(asterisk.parse(path)) == whole


def test_the_messy_file(tmp_path: Path) -> None:
    lines = messy_lines()
    parsed = asterisk.parse(write(tmp_path, lines))
    assert parsed.read == 14  # two blank lines are not records
    assert parsed.table.column("record_id").to_pylist() == ["1", "4", "6", "7", "9"]
    got = [(r.raw_ref, r.reason, r.detail) for r in parsed.rejects]
    assert [(ref, reason) for ref, reason, _ in got] == [
        ("Master.csv:2", RejectReason.BAD_TIMESTAMP),
        ("Master.csv:4", RejectReason.BAD_NUMBER),
        ("Master.csv:5", RejectReason.MALFORMED),
        ("Master.csv:7", RejectReason.MALFORMED),
        ("Master.csv:8", RejectReason.DUPLICATE),
        ("Master.csv:9", RejectReason.BAD_DURATION),
        ("Master.csv:11", RejectReason.DUPLICATE),
        ("Master.csv:13", RejectReason.DUPLICATE),
        ("Master.csv:15", RejectReason.MALFORMED),
    ]
    assert got[4][2] == "record_id 1 already read at line 1"
    assert got[6][2] == "record_id 4 already read at line 6"
    assert got[7][2] == "record_id 1 already read at line 1"
    assert got[8][2] == "21 columns, expected 18"
    raws = {r.raw_ref: r.raw for r in parsed.rejects}
    assert raws["Master.csv:9"] == lines[8]
    assert raws["Master.csv:13"] == lines[12]


@pytest.mark.parametrize("end", ["\r\n", "\n"])
@pytest.mark.parametrize("block", [1, 300, 1 << 20])
def test_line_ends_and_a_last_line_without_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, end: str, block: int
) -> None:
    monkeypatch.setattr(csvlines, "BLOCK_BYTES", block)
    lines = [row(uniqueid=str(i)) for i in range(5)] + [row(uniqueid="0")]
    path = tmp_path / "Master.csv"
    path.write_bytes(end.join(lines).encode())  # no line end after the last line
    parsed = asterisk.parse(path)
    assert parsed.table.column("raw_line").to_pylist() == [1, 2, 3, 4, 5]
    assert [(r.raw_ref, r.raw) for r in parsed.rejects] == [("Master.csv:6", lines[5])]


def test_repeats_are_found_when_different_ids_share_a_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a hash under which every id collides, and blocks of a few lines
    def colliding(seen: dedup.SeenIds, ids: pl.Series) -> dedup.HashedIds:
        return seen.from_hashes(pl.Series([7] * len(ids), dtype=pl.UInt64).to_numpy())

    monkeypatch.setattr(dedup.SeenIds, "hashed", colliding)
    monkeypatch.setattr(csvlines, "BLOCK_BYTES", 700)
    ids = ["a", "b", "c", "b", "d", "a", "e", "e", "c"]
    parsed = asterisk.parse(write(tmp_path, [row(uniqueid=i) for i in ids]))
    # then only real repeats are rejected, each naming its first line
    assert parsed.table.column("record_id").to_pylist() == ["a", "b", "c", "d", "e"]
    assert [(r.raw_ref, r.detail) for r in parsed.rejects] == [
        ("Master.csv:4", "record_id b already read at line 2"),
        ("Master.csv:6", "record_id a already read at line 1"),
        ("Master.csv:8", "record_id e already read at line 7"),
        ("Master.csv:9", "record_id c already read at line 3"),
    ]


def test_many_blocks_of_many_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # given 3,000 calls, every 7th a repeat of an earlier one, in blocks of ~20 lines
    ids = [str(i if i % 7 else i // 2) for i in range(1, 3001)]
    path = write(tmp_path, [row(uniqueid=i) for i in ids])
    monkeypatch.setattr(csvlines, "BLOCK_BYTES", 5000)
    parsed = asterisk.parse(path)
    # then the first occurrence of each id is kept and every later one names it
    frame = pl.DataFrame({"id": ids}).with_row_index("n", 1)
    first = frame.group_by("id").agg(pl.col("n").min().alias("first"))
    later = frame.join(first, on="id").filter(pl.col("n") != pl.col("first")).sort("n")
    assert parsed.table.num_rows == first.height
    assert [r.raw_ref for r in parsed.rejects] == [f"Master.csv:{n}" for n in later["n"]]
    assert [r.detail for r in parsed.rejects] == [
        f"record_id {i} already read at line {f}"
        for i, f in later.select("id", "first").iter_rows()
    ]


def test_the_checksum_is_computed_while_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csvlines, "BLOCK_BYTES", 1000)
    path = write(tmp_path, messy_lines())
    stream = asterisk.stream(path)
    assert stream.checksum is None
    parts = list(stream)
    assert len(parts) > 3
    assert stream.checksum == file_checksum(path)


@pytest.mark.parametrize("block", [1, 500])
def test_freeswitch_reads_in_blocks_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    lines = [freeswitch_row("a"), freeswitch_row("b", number="12"), freeswitch_row("a")]
    path = write(tmp_path, lines)
    whole = summary(freeswitch.parse(path))
    monkeypatch.setattr(csvlines, "BLOCK_BYTES", block)
    assert summary(freeswitch.parse(path)) == whole
    assert [(r.raw_ref, r.reason) for r in freeswitch.parse(path).rejects] == [
        ("Master.csv:2", RejectReason.BAD_NUMBER),
        ("Master.csv:3", RejectReason.DUPLICATE),
    ]


@given(
    st.lists(st.integers(0, 2**64 - 1), max_size=50),
    st.lists(st.integers(0, 2**24 - 1), max_size=5),
)
def test_a_part_is_ordered_by_its_full_hashes(hashes: list[int], low: list[int]) -> None:
    # given hashes, some of which share their top 40 bits with another and differ below
    pairs = zip(hashes, low, strict=False)
    tied = [(h >> dedup.ROW_BITS << dedup.ROW_BITS) | bits for h, bits in pairs]
    values = np.array(hashes + tied, dtype=np.uint64)
    hashed = dedup.SeenIds(100).from_hashes(values)
    # then the rows come out in the order of the whole hash, stable among equal ones
    assert hashed.order.tolist() == np.argsort(values, kind="stable").tolist()
    assert hashed.sorted.tolist() == sorted(values.tolist())


def test_earlier_ids_are_compared_exactly_when_hashes_collide() -> None:
    known = KnownIds(
        pl.Series([7, 7, 7, 9], dtype=pl.UInt64).to_numpy(), pl.Series(["a", "b", "c", "x"])
    )
    asked = pl.Series(["b", "d", "c", "a", "x", "y"])
    hashes = pl.Series([7, 7, 7, 7, 9, 9], dtype=pl.UInt64).to_numpy()
    assert known.found(asked, hashes).tolist() == [True, False, True, True, True, False]


def test_blank_rows_are_not_records_on_either_path(tmp_path: Path) -> None:
    # given a row of empty values, once in a clean block and once in a block that a
    # quote left open sends line by line
    blank = "," * 17
    clean = write(tmp_path, [row(uniqueid="1"), blank, row(uniqueid="2")])
    parsed = asterisk.parse(clean)
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join([row(uniqueid="1"), '"602123456","open', blank, row(uniqueid="2")]))
    line_by_line = asterisk.parse(broken)
    # then neither counts it as read, and read = accepted + rejected
    assert (parsed.read, parsed.table.num_rows, len(parsed.rejects)) == (2, 2, 0)
    assert (line_by_line.read, line_by_line.table.num_rows, len(line_by_line.rejects)) == (3, 2, 1)
