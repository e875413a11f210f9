"""Rating results: statuses and the columns every rated record carries.

Prices are integers in micro-units (10^-6 of the currency), exact and fast to sum; the
rule, zone, band and allowance ids explain how each price came about.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

import polars as pl

MICRO = 1_000_000


class RatedStatus(StrEnum):
    CHARGED = "charged"
    INCLUDED = "included"  # fully covered by an allowance
    NOT_CHARGED = "not charged"  # nothing billable: unanswered, zero length, free incoming
    NO_DESTINATION = "rejected: no destination"  # no tariff rate for the number, band or place
    NO_OFFERING = "rejected: no offering"  # the line's offering is not in the catalog version
    NO_LINE = "rejected: no line"  # the number had no line in service at that time


STATUSES: tuple[RatedStatus, ...] = tuple(RatedStatus)
"""A status is stored as its position in this tuple (an Int8 code)."""

CODE_SCHEMA: dict[str, pl.DataType] = {
    "status": pl.Int8(),  # position in STATUSES
    "key": pl.Int32(),  # rate key of the plan (null: none)
    "tariff_idx": pl.Int32(),
    "location_idx": pl.Int8(),
    "billable": pl.Int64(),
    "included": pl.Int64(),
    "allowance_idx": pl.Int32(),  # first allowance that covered part of the record
    "price_micro": pl.Int64(),
}
"""What the kernel computes per record: integers only, decoded with the plan's tables."""

RATED_SCHEMA: dict[str, pl.DataType] = {
    "status": pl.String(),
    "tariff_id": pl.String(),
    "zone_id": pl.String(),
    "band_id": pl.String(),
    "rule_id": pl.String(),
    "prefix": pl.String(),  # the longest tariff prefix the number matched
    "location": pl.String(),  # 'home' or the roaming zone the line was in
    "billable": pl.Int64(),  # seconds (after increments), messages or bytes (after rounding)
    "included": pl.Int64(),  # of which covered by allowances
    "allowance_id": pl.String(),  # the (first) allowance that covered part of the record
    "price_micro": pl.Int64(),
    "currency": pl.String(),
}


def to_micro(amount: Decimal) -> int:
    """Exact micro-units of an amount that has at most 6 decimals."""
    micro = amount.scaleb(6)
    if micro != micro.to_integral_value():
        raise ValueError(f"{amount} has more than 6 decimal places")
    return int(micro)


def from_micro(micro: int) -> Decimal:
    return Decimal(micro).scaleb(-6)


def micro_amount(column: str) -> pl.Expr:
    """An integer micro-unit column as an exact Decimal(38, 6) column."""
    return (pl.col(column).cast(pl.Decimal(38, 0)) * pl.lit(Decimal("0.000001"))).cast(
        pl.Decimal(38, 6)
    )
