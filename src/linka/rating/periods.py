"""Bill periods of usage records: local dates, cycle days, half-open [start, end).

A period with cycle day d starts on day d of a month (local time of the account) and ends
on day d of the next month. ``linka rate --period 2026-03`` rates every account's period
that *starts* in March 2026 — the calendar month for cycle day 1, 15 March–14 April for
cycle day 15.
"""

from __future__ import annotations

from datetime import date, timedelta


def parse_period(text: str) -> date:
    """'2026-03' → 2026-03-01; anything else is a ValueError naming the expected form."""
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise ValueError(f"period {text!r}: expected YYYY-MM, e.g. 2026-03") from None


def next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def utc_days_for(month: date) -> tuple[date, date]:
    """UTC days whose records can belong to a period starting in ``month`` (any cycle day)."""
    return month - timedelta(days=1), next_month(month) + timedelta(days=28)
