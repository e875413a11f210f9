"""Clocks that tests can move, and ids that sort by time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from linka.kernel.clock import FakeClock, SystemClock, ensure_utc, local_today
from linka.kernel.ids import check_slug, uuid7


def test_fake_clock_moves_only_forward():
    clock = FakeClock(datetime(2026, 3, 1, 12, tzinfo=UTC))
    assert clock.advance(timedelta(days=31)) == datetime(2026, 4, 1, 12, tzinfo=UTC)
    with pytest.raises(ValueError, match="does not run backwards"):
        clock.set(datetime(2026, 3, 15, tzinfo=UTC))
    with pytest.raises(ValueError, match="does not run backwards"):
        clock.advance(timedelta(seconds=-1))


def test_instants_are_aware_utc():
    prague_summer = timezone(timedelta(hours=2))
    assert ensure_utc(datetime(2026, 7, 1, 2, 0, tzinfo=prague_summer)) == datetime(
        2026, 7, 1, 0, 0, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="naive datetime"):
        ensure_utc(datetime(2026, 7, 1))  # noqa: DTZ001
    assert SystemClock().now().tzinfo is UTC


def test_local_today_uses_the_accounts_time_zone():
    clock = FakeClock(datetime(2026, 3, 31, 22, 30, tzinfo=UTC))  # 00:30 on 1 April in Prague
    assert local_today(clock, "Europe/Prague").isoformat() == "2026-04-01"
    assert local_today(clock, "UTC").isoformat() == "2026-03-31"


def test_uuid7_sorts_by_time_and_is_version_7():
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    first = uuid7(clock, random_bits=2**73)
    clock.advance(timedelta(milliseconds=1))
    second = uuid7(clock, random_bits=0)
    assert first.version == 7
    assert first.variant == "specified in RFC 4122"
    assert first < second
    assert uuid7(clock, random_bits=5) == uuid7(clock, random_bits=5)


def test_slugs():
    assert check_slug("mobile-basic_2026.1") == "mobile-basic_2026.1"
    for bad in ("Mobile", "-x", "a b", "", "x" * 64):
        with pytest.raises(ValueError, match="invalid id"):
            check_slug(bad)
