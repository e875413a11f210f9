"""Hand-computed rating scenarios on the demo catalog, checked on the kernel and the
reference rater alike (prices in CZK, 4 decimals, half-up)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from linka.catalog.compile import compile_catalog
from linka.kernel.money import Rounding, round_amount
from linka.rating.compiled import _rounded
from linka.rating.kernel import rate_usage
from linka.rating.plan import MODE_CODES, compile_plan
from linka.rating.pricing import _round_int128
from linka.rating.reference import ReferenceRater
from tests.rating.test_kernel_matches_reference import frame_of


def record(**fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "line_id": 1,
        "period": 0,
        "version_id": 1,
        "offering_id": "mobile-prepaid",
        "service": "voice",
        "direction": "mo",
        "b_number": 420601123456,
        "start": datetime(2026, 3, 11, 9, 0, tzinfo=UTC),  # Wednesday 10:00 in Prague: peak
        "duration_s": 60,
        "volume": 0,
        "roaming_country": None,
    }
    return values | fields


def day(number: int) -> datetime:
    """10:00 Prague time on a March 2026 weekday."""
    return datetime(2026, 3, number, 9, 0, tzinfo=UTC)


def rate(catalog_dir: Path, records: list[dict[str, Any]]) -> list[tuple[str, Decimal, int]]:
    """(status, price, included units) per record — asserting kernel == reference."""
    version = compile_catalog(catalog_dir)
    plan = compile_plan({1: version})
    fast = rate_usage(frame_of(records, plan), plan).to_dicts()
    slow = ReferenceRater({1: version}).rate(records)
    results = []
    for f, s in zip(fast, slow, strict=True):
        assert (f["status"], f["price_micro"], f["included"], f["rule_id"]) == (
            s["status"], s["price_micro"], s["included"], s["rule_id"]
        )  # fmt: skip
        results.append((f["status"], Decimal(f["price_micro"]).scaleb(-6), f["included"]))
    return results


def test_increments_60_1_against_1_1(catalog_dir: Path):
    calls = [
        record(offering_id="mobile-prepaid", duration_s=30),  # 1/1: 30 s × 3.7190 / 60
        record(offering_id="mobile-prepaid", duration_s=61),  # 61 s × 3.7190 / 60 = 3.78098…
        record(offering_id="voip-fixed", duration_s=30, b_number=420222333444, line_id=2),
        record(offering_id="voip-fixed", duration_s=61, b_number=420222333444, line_id=3),
    ]
    # voip-fixed: 200 national minutes included, so lines 2 and 3 use their allowance:
    # billable 60 s (60/1 minimum) and 61 s, both fully included
    assert rate(catalog_dir, calls) == [
        ("charged", Decimal("1.8595"), 0),
        ("charged", Decimal("3.7810"), 0),
        ("included", Decimal(0), 60),
        ("included", Decimal(0), 61),
    ]


def test_a_call_across_the_end_of_the_allowance_is_split(catalog_dir: Path):
    # mobile-basic: 100 national minutes = 6,000 s; cz-mobile peak 3.2231/min, 60/1
    calls = [
        record(offering_id="mobile-basic", duration_s=5_990),
        record(offering_id="mobile-basic", duration_s=70, start=day(12)),
        record(offering_id="mobile-basic", duration_s=30, start=day(13)),
    ]
    assert rate(catalog_dir, calls) == [
        ("included", Decimal(0), 5_990),
        # 10 s left: 70 s billable → 10 included, 60 charged at 3.2231/min
        ("charged", Decimal("3.2231"), 10),
        # nothing left: 60 s (60/1 minimum) charged
        ("charged", Decimal("3.2231"), 0),
    ]


def test_time_bands_follow_prague_summer_time(catalog_dir: Path):
    # prepaid 1/1, 60 s: peak 3.7190, off-peak 2.8926 (peak: Mon–Fri 07:00–19:00 local)
    calls = [
        record(start=datetime(2026, 3, 27, 5, 30, tzinfo=UTC)),  # Fri 06:30 CET: off-peak
        record(start=datetime(2026, 3, 30, 5, 30, tzinfo=UTC)),  # Mon 07:30 CEST: peak
        # Sun 2026-10-25 02:30 CEST, an hour across the change back to CET: priced
        # by its start (Sunday, off-peak) for its real length of 3,600 s
        record(start=datetime(2026, 10, 25, 0, 30, tzinfo=UTC), duration_s=3_600),
    ]
    assert rate(catalog_dir, calls) == [
        ("charged", Decimal("2.8926"), 0),
        ("charged", Decimal("3.7190"), 0),
        ("charged", Decimal("173.5560"), 0),
    ]


def test_roaming_sms(catalog_dir: Path):
    sms = [
        record(service="sms", roaming_country="US"),  # world-1: 8.2645 per message
        record(service="sms", roaming_country="DE"),  # EU: home price to cz-mobile 1.2397
        record(service="sms", roaming_country="JP"),  # rest of the world: 12.3967
        # mobile-basic in the EU: 100 national SMS included there too
        record(service="sms", roaming_country="AT", offering_id="mobile-basic", line_id=9),
    ]
    assert rate(catalog_dir, sms) == [
        ("charged", Decimal("8.2645"), 0),
        ("charged", Decimal("1.2397"), 0),
        ("charged", Decimal("12.3967"), 0),
        ("included", Decimal(0), 1),
    ]


def test_data_volume_tiers_and_increments(catalog_dir: Path):
    # prepaid data: first 1,000 MB at 0.4132, then 0.2066; volumes rounded up to 1 kB
    sessions = [
        record(service="data", b_number=None, volume=1_500_000_000),
        record(service="data", b_number=None, volume=1, start=day(12)),
    ]
    assert rate(catalog_dir, sessions) == [
        ("charged", Decimal("516.5000"), 0),  # 1000 × 0.4132 + 500 × 0.2066
        ("charged", Decimal("0.0002"), 0),  # 1 B → 1,000 B × 0.2066 / 10^6 = 0.0002066
    ]


def test_incoming_calls_cost_nothing_at_home_and_are_priced_abroad(catalog_dir: Path):
    calls = [
        record(direction="mt", duration_s=120),
        record(direction="mt", duration_s=61, roaming_country="CH"),  # 60/60: 2 min × 8.2645
    ]
    assert rate(catalog_dir, calls) == [
        ("not charged", Decimal(0), 0),
        ("charged", Decimal("16.5290"), 0),
    ]


@pytest.mark.parametrize("rule", list(Rounding))
def test_rounding_is_exact_in_64_and_128_bits(rule: Rounding):
    mode = MODE_CODES[rule]
    # small: the compiled int64 path; huge (beyond 2^63 before division): Polars' 128 bits
    numerators = [0, 1, 49, 50, 51, 150, 250, 12_345_678_901_234, -0]
    den = 100
    expected = [int(round_amount(Decimal(n) / den, 0, rule)) for n in numerators]
    assert [_rounded(n, den, mode) for n in numerators] == expected

    units = np.array([[3_000_000_000_000, 7], [5, 0], [1, 1]], dtype=np.int64)
    prices = np.array([[999_999_999, 3], [1, 0], [25, 25]], dtype=np.int64)
    dens = np.array([60 * 100, 100, 100], dtype=np.int64)
    exact = [
        sum(int(a) * int(b) for a, b in zip(u, p, strict=True))
        for u, p in zip(units, prices, strict=True)
    ]
    expected = [
        int(round_amount(Decimal(n) / int(d), 0, rule)) for n, d in zip(exact, dens, strict=True)
    ]
    wide = _round_int128(units, prices, dens, np.full(3, mode, dtype=np.int64))
    assert wide.tolist() == expected
