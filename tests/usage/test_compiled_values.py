"""The compiled value readers agree with the Polars path on every value and every row.

The compiled readers only claim values they are certain of and hand the rest of a row
to the Polars path, so whatever a file holds, both ways must give the same records,
rejects and counts.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from unittest.mock import patch

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from linka.usage.formats import compiled, csvlines, freeswitch
from linka.usage.formats.asterisk import AsteriskOptions, parse
from linka.usage.formats.parsed import Parsed
from linka.usage.numbers import CZECH, to_e164
from tests.usage.test_asterisk import row

GOOD_NUMBERS = st.one_of(
    st.from_regex(r"\A[1-9][0-9]{8}\Z"),
    st.from_regex(r"\A(\+|00)[1-9][0-9]{7,14}\Z"),
)
ODD_NUMBERS = st.one_of(
    st.sampled_from(
        [
            "602123456", "+420602123456", "00420602123456", "0602123456", "60212345",
            " 602123456", "602123456 ", "+0420602123456", "000420602123456", "+", "00", "",
            "6021234567", "+4206021234567890", "+4206021234567", "abc", "602 123 456",
            "+44 20 7946 0000", "+1234567", "+12345678", "١٢٣٤٥٦٧٨٩",
        ]
    ),
    st.from_regex(r"\A(\+|00)?[0-9]{1,16}\Z"),
)  # fmt: skip
NUMBERS = st.one_of(GOOD_NUMBERS, GOOD_NUMBERS, GOOD_NUMBERS, ODD_NUMBERS)
FIRST_TIME, LAST_TIME = datetime(1950, 1, 1), datetime(2150, 1, 1)  # noqa: DTZ001 (wall times)
GOOD_TIMES = st.datetimes(FIRST_TIME, LAST_TIME).map(lambda t: t.strftime("%Y-%m-%d %H:%M:%S"))
ODD_TIMES = st.one_of(
    st.sampled_from(
        [
            "", "2026-03-29 02:30:00", "2026-10-25 02:30:00", "2026-02-29 10:00:00",
            "2024-02-29 10:00:00", "2026-13-01 00:00:00", "2026-3-1 0:0:0",
            "2026-03-01T10:00:00", " 2026-03-01 10:00:00", "2026-03-01 24:00:00",
            "2026-03-01 23:59:60", "1899-12-31 23:59:59", "1900-01-01 00:00:00",
            "2199-12-31 23:59:59", "2200-01-01 00:00:00", "2026-03-01 10:00", "x",
        ]
    ),
)  # fmt: skip
TIMES = st.one_of(GOOD_TIMES, GOOD_TIMES, GOOD_TIMES, ODD_TIMES)
ODD_COUNTS = st.one_of(
    st.sampled_from(
        [
            "0", "67", "-5", " 7", "+7", "", "x", "2147483647", "2147483648", "007",
            "999999999999999999", "9999999999999999999", "99999999999999999999",
        ]
    ),
)  # fmt: skip
GOOD_COUNTS = st.integers(0, 10**6).map(str)
COUNTS = st.one_of(GOOD_COUNTS, GOOD_COUNTS, GOOD_COUNTS, ODD_COUNTS)
LINES = st.one_of(
    st.builds(
        row,
        src=NUMBERS,
        dst=NUMBERS,
        start=TIMES,
        answer=TIMES,
        end=TIMES,
        duration=COUNTS,
        billsec=COUNTS,
        disposition=st.sampled_from(["ANSWERED", "NO ANSWER", "answered", "BUSY", ""]),
        uniqueid=st.one_of(st.integers(0, 30).map(lambda n: f"1772400000.{n}"), st.just("")),
        width=st.sampled_from([18, 21]),
    ),
    st.sampled_from(["", ",,,,,,,,,,,,,,,,,", '"602123456","602123456"']),
)
ZONES = st.sampled_from(
    [
        "Europe/Prague",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Kathmandu",
        "Africa/Monrovia",
    ]
)  # fmt: skip  (Lord Howe: 30-minute DST; Kathmandu: +5:45; Monrovia: -0:44:30 until 1972)
PLANS = st.sampled_from([("420", 9), ("1", 10)])
BLOCKS = st.sampled_from([None, 700])  # None: one block; 700 bytes: a few lines a block
OPTIONS = st.builds(
    lambda plan, **others: AsteriskOptions(
        home_country_code=plan[0], national_length=plan[1], **others
    ),
    plan=PLANS,
    timezone=ZONES,
    nonexistent=st.sampled_from(["shift", "reject"]),
    usegmtime=st.booleans(),
)


def both_ways(lines: list[str], block: int | None, read: Callable[..., Parsed]) -> None:
    """Read the lines with the compiled readers and with Polars alone: the same records,
    rejects and counts."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "Master.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with patch.object(csvlines, "BLOCK_BYTES", block or csvlines.BLOCK_BYTES):
            fast, plain = read(path), read(path, fast=False)
    assert fast.table.equals(plain.table)
    assert fast.rejects == plain.rejects
    assert (fast.read, fast.ignored) == (plain.read, plain.ignored)


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(LINES, min_size=1, max_size=40), options=OPTIONS, block=BLOCKS)
def test_compiled_and_polars_paths_agree(
    lines: list[str], options: AsteriskOptions, block: int | None
) -> None:
    # given any mix of good, odd and bad lines, in one block or in several
    # when read both ways, then the same
    both_ways(lines, block, lambda path, **fast: parse(path, options, **fast))


def freeswitch_row(
    number: str,
    destination: str,
    start: str,
    answer: str,
    end: str,
    duration: str,
    billsec: str,
    cause: str,
    uuid: str,
) -> str:
    fields = [
        "Customer",
        number,
        destination,
        "default",
        start,
        answer,
        end,
        duration,
        billsec,
        cause,
        uuid,
        "",
        "acc",
        "PCMA",
        "PCMA",
    ]
    return ",".join(f'"{field}"' for field in fields)  # fmt: skip


FREESWITCH_LINES = st.one_of(
    st.builds(
        freeswitch_row,
        number=NUMBERS,
        destination=NUMBERS,
        start=TIMES,
        answer=TIMES,
        end=TIMES,
        duration=COUNTS,
        billsec=COUNTS,
        cause=st.sampled_from(["NORMAL_CLEARING", "ALLOTTED_TIMEOUT", "NO_ANSWER", ""]),
        uuid=st.one_of(st.uuids().map(str), st.just("")),
    ),
    st.sampled_from(["", ",,,,,,,,,,,,,,", '"Customer","602123456"']),
)
FREESWITCH_OPTIONS = st.builds(
    freeswitch.FreeswitchOptions,
    timezone=ZONES,
    nonexistent=st.sampled_from(["shift", "reject"]),
    charged_causes=st.sampled_from([None, frozenset({"NORMAL_CLEARING"})]),
)


@settings(max_examples=40, deadline=None)
@given(
    lines=st.lists(FREESWITCH_LINES, min_size=1, max_size=40),
    options=FREESWITCH_OPTIONS,
    block=BLOCKS,
)
def test_freeswitch_compiled_and_polars_paths_agree(
    lines: list[str], options: freeswitch.FreeswitchOptions, block: int | None
) -> None:
    # given any mix of good, odd and bad FreeSWITCH lines, in one block or in several
    # when read both ways, then the same
    both_ways(lines, block, lambda path, **fast: freeswitch.parse(path, options, **fast))


def _column(*values: str) -> pa.ChunkedArray:
    return pa.chunked_array([pa.array(values, pa.large_string())])


@given(st.lists(NUMBERS, min_size=1, max_size=30))
def test_numbers_are_claimed_only_when_certain(texts: list[str]) -> None:
    # when numbers are read by the compiled reader
    values, states = compiled.numbers(_column(*texts), CZECH)
    # then every claimed value is to_e164's, and every value it refuses is refused there
    for text, value, state in zip(texts, values, states, strict=True):
        expected = to_e164(text, CZECH)
        if state == compiled.OK:
            assert value == expected
        elif text == text.strip(" \t"):
            assert expected is None


@given(TIMES)
def test_times_are_read_as_strptime_reads_them(text: str) -> None:
    # when one time is read by the compiled reader
    values, states = compiled.times(_column(text))
    # then a claimed value is strptime's; empty is told apart from wrong
    if states[0] == compiled.OK:
        moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        assert values[0] == int(moment.timestamp()) * 1_000_000
    else:
        assert states[0] == (compiled.EMPTY if text == "" else compiled.OTHER)


def test_chunked_columns_and_counts() -> None:
    # given a column in two chunks, one of them a slice
    column = pa.chunked_array(
        [pa.array(["1", "x"], pa.large_string()), pa.array(["", "0", "42"], pa.large_string())[1:]]
    )
    # when read as counts
    values, states = compiled.counts(column)
    # then each chunk lands at its rows
    assert values.tolist() == [1, 0, 0, 42]
    assert states.tolist() == [compiled.OK, compiled.OTHER, compiled.OK, compiled.OK]
    assert np.array_equal(compiled.times(_column(""))[1], [compiled.EMPTY])
