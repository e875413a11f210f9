"""Clocks: the only source of "now" for services, so tests can move time.

Services take a :class:`Clock`; production passes :class:`SystemClock`, tests and the
deterministic demo pass :class:`FakeClock`. Every instant is an aware ``datetime`` in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


def ensure_utc(instant: datetime) -> datetime:
    """Return ``instant`` in UTC; naive datetimes are refused, never guessed."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime {instant.isoformat()}: an aware instant is required")
    return instant.astimezone(UTC)


class Clock(Protocol):
    """Tells the current instant (aware, UTC)."""

    def now(self) -> datetime: ...


def local_today(clock: Clock, timezone: str) -> date:
    """The calendar date now in ``timezone`` (billing dates are local to the account)."""
    return clock.now().astimezone(ZoneInfo(timezone)).date()


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that stands still until a test (or the demo) moves it."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("a clock does not run backwards")
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> datetime:
        instant = ensure_utc(instant)
        if instant < self._now:
            raise ValueError("a clock does not run backwards")
        self._now = instant
        return self._now
