"""E.164 normalisation: one rule set, a scalar and a vectorised implementation that agree."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linka.usage.numbers import NumberPlan, e164_series, to_e164


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+420602123456", 420602123456),
        ("00420602123456", 420602123456),
        ("602123456", 420602123456),
        (" 602123456\t", 420602123456),
        ("+12345678", 12345678),
        ("+999999999999999", 999999999999999),
        ("060212345", None),  # national numbers never start with 0
        ("60212345", None),  # 8 digits: not a national number
        ("+1234567", None),  # 7 digits: too short
        ("+1000000000000000", None),  # 16 digits: too long
        ("+0420602123", None),  # E.164 does not start with 0
        ("++420602123456", None),
        ("+420 602 123 456", None),
        ("100", None),
        ("sipp", None),
        ("", None),
        (None, None),
    ],
)
def test_rules_scalar_and_vectorised(raw: str | None, expected: int | None) -> None:
    # given one raw number / when normalised both ways / then both give the expected digits
    assert to_e164(raw) == expected
    assert e164_series(pl.Series([raw], dtype=pl.String)).to_list() == [expected]


def test_other_home_country() -> None:
    plan = NumberPlan(country_code="421", national_length=9)
    assert to_e164("903123456", plan) == 421903123456
    assert e164_series(pl.Series(["903123456"]), plan).to_list() == [421903123456]


def test_plan_validation() -> None:
    with pytest.raises(ValueError, match="country code"):
        NumberPlan(country_code="0420")


NUMBERISH = st.text(alphabet="0123456789+ \t-x", max_size=18) | st.from_regex(
    r"\A(\+|00)?[0-9]{0,16}\Z", fullmatch=True
)


@settings(max_examples=400, deadline=None)
@given(st.lists(NUMBERISH | st.text(max_size=6), max_size=30))
def test_vectorised_equals_scalar(raws: list[str]) -> None:
    # given arbitrary strings / when normalised as a column / then each equals the scalar rule
    got = e164_series(pl.Series(raws, dtype=pl.String)).to_list()
    assert got == [to_e164(raw) for raw in raws]
