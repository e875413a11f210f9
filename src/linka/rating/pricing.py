"""Stateful pricing steps of the kernel: allowances, volume tiers and rounding.

Allowances and tiers are consumed per line and bill period in row order, so both are
grouped running totals (one Polars ``cum_sum().over()`` each). Prices are exact: the sum
of tier units × tier price is formed in 128-bit integers and rounded once, by the
tariff's rule, to its rounding unit.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from linka.kernel.money import Rounding
from linka.rating.plan import MODE_CODES, RatingPlan
from linka.rating.ratetables import NO_TIER

I64 = npt.NDArray[np.int64]


def running_total(groups: list[I64], units: I64) -> I64:
    """Units used before each row within its group, in row order."""
    frame = pl.DataFrame({f"g{i}": g for i, g in enumerate(groups)} | {"u": units})
    before = frame.select(
        (pl.col("u").cum_sum() - pl.col("u")).over([f"g{i}" for i in range(len(groups))])
    )
    result: I64 = before.to_series().to_numpy()
    return result


def consume_allowances(
    plan: RatingPlan,
    priced: npt.NDArray[np.bool_],
    billable: I64,
    service: I64,
    zone: I64,
    location: I64,
    offering: I64,
    line: I64,
    period: I64,
) -> tuple[I64, I64]:
    """Units covered by allowances (and the first allowance used), in row order."""
    included = np.zeros(len(billable), dtype=np.int64)
    first = np.full(len(billable), -1, dtype=np.int64)
    remaining = billable.copy()
    tables = plan.allowances
    for slot in range(tables.slots.shape[1]):
        allowance = np.where(offering >= 0, tables.slots[np.maximum(offering, 0), slot], -1)
        safe = np.maximum(allowance, 0)
        applies = (
            priced
            & (allowance >= 0)
            & (remaining > 0)
            & (tables.service[safe] == service)
            & tables.zone_ok[safe, zone]
            & tables.place_ok[safe, location]
        )
        rows = np.nonzero(applies)[0]
        if len(rows) == 0:
            continue
        units = remaining[rows]
        before = running_total([line[rows], period[rows], allowance[rows]], units)
        take = np.clip(tables.quantity[allowance[rows]] - before, 0, units)
        included[rows] += take
        remaining[rows] -= take
        first[rows] = np.where((first[rows] < 0) & (take > 0), allowance[rows], first[rows])
    return included, first


def price(
    plan: RatingPlan,
    key: I64,
    charged: I64,
    tariff: I64,
    service: I64,
    line: I64,
    period: I64,
) -> I64:
    """fee + round(Σ tier units × tier price / divisor) with the tariff's rule; ≥ minimum."""
    rates = plan.rates
    safe_key = np.maximum(key, 0)
    tier_from = rates.tier_from[safe_key]
    tier_price = rates.tier_price[safe_key]
    width = int(rates.tier_from.shape[-1])
    units = np.zeros((len(key), width), dtype=np.int64)
    units[:, 0] = charged
    if width > 1:
        tiered = np.nonzero((key >= 0) & (charged > 0) & (tier_from[:, 1] < NO_TIER))[0]
        if len(tiered):
            group = rates.tier_group[safe_key[tiered]]
            before = running_total([line[tiered], period[tiered], group], charged[tiered])
            after = before + charged[tiered]
            lower = tier_from[tiered]
            upper = np.concatenate([lower[:, 1:], np.full((len(tiered), 1), NO_TIER)], axis=1)
            units[tiered] = np.clip(after[:, None], lower, upper) - np.clip(
                before[:, None], lower, upper
            )
    safe_tariff = np.maximum(tariff, 0)
    divisor = np.select([service == 0, service == 2], [60, plan.data_unit[safe_tariff]], 1)
    unit = plan.rounding_unit[safe_tariff]
    rounded = _round(units, tier_price, divisor * unit, plan.rounding_mode[safe_tariff])
    result: I64 = np.maximum(
        rates.fee_micro[safe_key] + rounded * unit, rates.minimum_micro[safe_key]
    )
    return result


_SAFE = 2**62


def _round(units: I64, prices: I64, den: I64, mode: I64) -> I64:
    """round(Σ units × prices / den) per row by its mode: exact int64 arithmetic for rows
    whose products cannot overflow (nearly all), Polars' 128-bit integers for the rest."""
    width = units.shape[1]
    bound = (np.abs(units).astype(np.float64) * np.abs(prices).astype(np.float64)).max(axis=1)
    wide = bound * width >= _SAFE / 4  # generous margin: the float bound is only a guard
    result = np.empty(len(units), dtype=np.int64)
    narrow = ~wide
    if narrow.any():
        result[narrow] = _round_int64(units[narrow], prices[narrow], den[narrow], mode[narrow])
    if wide.any():
        result[wide] = _round_int128(units[wide], prices[wide], den[wide], mode[wide])
    return result


def _round_int64(units: I64, prices: I64, den: I64, mode: I64) -> I64:
    numerator = (units * prices).sum(axis=1)
    quotient, rest = np.divmod(numerator, den)
    half_up = (2 * numerator + den) // (2 * den)
    up = quotient + (rest > 0)
    even = quotient + ((2 * rest > den) | ((2 * rest == den) & (quotient % 2 == 1)))
    result: I64 = np.select(
        [mode == _HALF_UP, mode == _DOWN, mode == _UP], [half_up, quotient, up], even
    )
    return result


def _round_int128(units: I64, prices: I64, den: I64, mode: I64) -> I64:
    width = units.shape[1]
    columns = {f"u{t}": units[:, t] for t in range(width)}
    columns |= {f"p{t}": prices[:, t] for t in range(width)}
    frame = pl.DataFrame(columns | {"den": den, "mode": mode})
    wide = pl.sum_horizontal(
        pl.col(f"u{t}").cast(pl.Int128) * pl.col(f"p{t}") for t in range(width)
    )
    divisor = pl.col("den").cast(pl.Int128)
    quotient, rest = wide // divisor, wide % divisor
    column = pl.col("mode")
    result: I64 = (
        frame.select(
            pl.when(column == _HALF_UP)
            .then((2 * wide + divisor) // (2 * divisor))
            .when(column == _DOWN)
            .then(quotient)
            .when(column == _UP)
            .then((wide + divisor - 1) // divisor)
            .otherwise(
                quotient + ((2 * rest > divisor) | ((2 * rest == divisor) & (quotient % 2 == 1)))
            )
            .cast(pl.Int64)
        )
        .to_series()
        .to_numpy()
    )
    return result


_HALF_UP = MODE_CODES[Rounding.HALF_UP]
_DOWN = MODE_CODES[Rounding.DOWN]
_UP = MODE_CODES[Rounding.UP]
