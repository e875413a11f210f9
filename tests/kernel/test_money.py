"""Money: exact, currency-safe, rounded by one rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linka.kernel.money import CurrencyMismatchError, Money, Rounding, round_amount

amounts = st.decimals(
    min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=6, allow_nan=False
)
currencies = st.sampled_from(["CZK", "EUR", "USD", "JPY"])


@given(amounts, amounts, currencies)
def test_addition_is_exact_and_commutative(a: Decimal, b: Decimal, currency: str):
    left, right = Money(a, currency), Money(b, currency)
    assert (left + right).amount == a + b
    assert left + right == right + left
    assert (left + right) - right == left


@given(amounts, st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12))
def test_allocation_loses_and_invents_nothing(amount: Decimal, weights: list[int]):
    if sum(weights) == 0:
        weights[0] = 1
    whole = Money(amount, "CZK").rounded()
    parts = whole.allocate(weights)
    assert sum((p.amount for p in parts), Decimal(0)) == whole.amount
    assert all(p.amount == p.amount.quantize(Decimal("0.01")) for p in parts)
    # no part is more than one haléř away from its exact share
    total = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part.amount - whole.amount * weight / total) < Decimal("0.01")


@given(amounts, st.integers(min_value=0, max_value=6))
def test_rounding_half_up_is_within_half_a_unit(amount: Decimal, places: int):
    rounded = round_amount(amount, places, Rounding.HALF_UP)
    assert abs(rounded - amount) <= Decimal(1).scaleb(-places) / 2
    assert round_amount(rounded, places) == rounded


def test_rounding_modes_on_a_tie():
    assert round_amount(Decimal("2.125"), 2, Rounding.HALF_UP) == Decimal("2.13")
    assert round_amount(Decimal("2.125"), 2, Rounding.HALF_EVEN) == Decimal("2.12")
    assert round_amount(Decimal("-2.125"), 2, Rounding.HALF_UP) == Decimal("-2.13")
    assert round_amount(Decimal("2.121"), 2, Rounding.UP) == Decimal("2.13")
    assert round_amount(Decimal("2.129"), 2, Rounding.DOWN) == Decimal("2.12")


def test_currency_minor_units_drive_default_rounding():
    assert Money.of("10.005", "CZK").rounded() == Money.of("10.01", "CZK")
    assert Money.of("10.5", "JPY").rounded() == Money.of("11", "JPY")


def test_mixing_currencies_raises():
    with pytest.raises(CurrencyMismatchError, match="cannot combine CZK with EUR"):
        Money.of(1, "CZK") + Money.of(1, "EUR")
    with pytest.raises(CurrencyMismatchError):
        _ = Money.of(1, "CZK") < Money.of(2, "EUR")


def test_floats_and_unknown_currencies_are_refused():
    with pytest.raises(TypeError, match="not float"):
        Money.of(0.1, "CZK")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown currency 'XYZ'"):
        Money.of(1, "XYZ")
    with pytest.raises(ValueError, match="not a finite amount"):
        Money.of("NaN", "CZK")


def test_czech_formatting():
    assert Money.of("1234.5", "CZK").format("cs_CZ") == "1\xa0234,50\xa0Kč"
    assert Money.of("1234.5", "EUR").format("en_GB") == "€1,234.50"
