"""Placing records (line, bill period, catalog version, offering) equals a plain-Python
reading of the rules: the newest line with the record's number in service on the
record's local date in its account's zone; the period from that date and the cycle day;
the version valid that day; the line's offering in that version."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from linka.rating.compiled import _period_start
from linka.rating.prepare import Lines, place_records
from tests.rating.test_parts import ANCHOR_DAYS, NUMBERS, directories

OPERATOR_ZONE = "Europe/Prague"
EPOCH = date(1970, 1, 1)


def period_start(day: date, cycle_day: int) -> date:
    """The cycle day of this month, or of the previous one before it, counted from the
    month's first day (so day 31 of a 30-day month is the next month's 1st)."""
    first = day.replace(day=1)
    if day.day < cycle_day:
        first = (first - timedelta(days=1)).replace(day=1)
    return first + timedelta(days=cycle_day - 1)


@settings(deadline=None)  # the first call compiles (or loads) the kernel
@given(
    day=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
    cycle_day=st.integers(1, 31),
)
def test_the_compiled_period_start_is_the_calendar_rule(day: date, cycle_day: int):
    got = _period_start((day - EPOCH).days, cycle_day)
    assert EPOCH + timedelta(days=got) == period_start(day, cycle_day)


def expected(
    rows: list[dict[str, Any]],
    number: int,
    start: datetime,
    versions: list[tuple[int, date]],
    offerings: dict[tuple[int, str], int],
) -> tuple[int, date, int, int]:
    candidates = sorted((r for r in rows if r["msisdn"] == number), key=lambda r: -r["line_id"])

    def local_day(row: dict[str, Any] | None) -> date:
        zone = (row or {}).get("timezone") or OPERATOR_ZONE
        return start.astimezone(ZoneInfo(zone)).date()

    chosen, day = None, local_day(candidates[0] if candidates else None)
    for row in candidates:
        candidate_day = local_day(row)
        until = row["active_until"] or date.max
        if row["active_from"] <= candidate_day <= until:
            chosen, day = row, candidate_day
            break
    valid = [v for v, d in sorted(versions, key=lambda v: v[1]) if d <= day]
    version = valid[-1] if valid else -1
    offering = offerings.get((version, chosen["offering_id"]), -1) if chosen else -1
    cycle = chosen["bill_cycle_day"] if chosen else 1
    return (chosen["line_id"] if chosen else -1), period_start(day, cycle), version, offering


@settings(max_examples=80, deadline=None)
@given(
    data=st.data(),
    directory=directories(),
    versions=st.lists(
        st.sampled_from([*ANCHOR_DAYS, date(2020, 1, 1)]), min_size=1, max_size=3, unique=True
    ),
)
def test_every_record_is_placed_by_the_rules(
    data: st.DataObject, directory: pl.DataFrame, versions: list[date]
):
    numbered = [(i + 1, day) for i, day in enumerate(versions)]
    offerings = {(v, "o"): 10 + v for v, _ in numbered}  # "gone" is in no version
    count = data.draw(st.integers(1, 40))
    numbers = [data.draw(st.sampled_from([*NUMBERS, 420609999999, 0])) for _ in range(count)]
    starts = [
        datetime.combine(data.draw(st.sampled_from(ANCHOR_DAYS)), datetime.min.time(), UTC)
        + timedelta(seconds=data.draw(st.integers(-4 * 86_400, 4 * 86_400)))
        for _ in range(count)
    ]
    frame = pl.DataFrame(
        [{"version_id": v, "offering_id": o, "offering_idx": i} for (v, o), i in offerings.items()],
        schema={"version_id": pl.Int64, "offering_id": pl.String, "offering_idx": pl.Int32},
    )
    lines = Lines.of(directory, OPERATOR_ZONE)
    placed = place_records(
        np.array(numbers, dtype=np.int64),
        np.array([int(s.timestamp()) for s in starts], dtype=np.int64),
        lines,
        numbered,
        frame,
    )
    rows = directory.to_dicts()
    for i, (number, start) in enumerate(zip(numbers, starts, strict=True)):
        got = (
            int(lines.line_id[placed.row[i]]) if placed.row[i] >= 0 else -1,
            EPOCH + timedelta(days=int(placed.period[i])),
            int(placed.version_id[i]),
            int(placed.offering[i]),
        )
        assert got == expected(rows, number, start, numbered, offerings), (number, start)
