"""Bill cycles: half-open periods [start, end) of local dates, starting on the cycle day.

Cycle days run from 1 to 28, so every month has the day and adding months never
overflows. An account with cycle day 15 has periods 15 March – 14 April, and so on.
"""

from __future__ import annotations

from datetime import date


def add_months(day: date, months: int) -> date:
    """The same day of the month ``months`` later (days ≤ 28 only)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, day.day)


def period_start(day: date, cycle_day: int) -> date:
    """First day of the bill period containing ``day``."""
    start = date(day.year, day.month, cycle_day)
    return start if day >= start else add_months(start, -1)


def period_of(day: date, cycle_day: int) -> tuple[date, date]:
    """The bill period [start, end) containing ``day``."""
    start = period_start(day, cycle_day)
    return start, add_months(start, 1)


def last_bill_date(day: date, cycle_day: int) -> date:
    """The account's latest bill date (cycle boundary) on or before ``day``."""
    return period_start(day, cycle_day)


def periods(first: date, until: date, cycle_day: int, months: int = 1) -> list[tuple[date, date]]:
    """Consecutive periods of ``months`` months from the one containing ``first``, up to
    the last one starting before ``until``."""
    result = []
    start = period_start(first, cycle_day)
    while start < until:
        end = add_months(start, months)
        result.append((start, end))
        start = end
    return result


def days(start: date, end: date) -> int:
    return (end - start).days


def overlap(a: tuple[date, date], b: tuple[date, date]) -> int:
    """Days two half-open ranges share."""
    return max(0, (min(a[1], b[1]) - max(a[0], b[0])).days)
