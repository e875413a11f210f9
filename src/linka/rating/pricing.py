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
from linka.rating.ratetables import NO_TIER, RateTables

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


def price(plan: RatingPlan, key: I64, charged: I64, line: I64, period: I64) -> I64:
    """fee + round(Σ tier units × tier price / divisor) with the tariff's rule; ≥ minimum.

    Only records with something to charge are priced (the rest cost 0). Keys carry their
    divisor × rounding unit, rounding mode and the largest quantity whose product with
    their dearest tier still fits in 62 bits; bigger quantities (never seen in practice,
    but possible) are summed in 128-bit integers instead.
    """
    rates = plan.rates
    result = np.zeros(len(key), dtype=np.int64)
    rows = np.nonzero((key >= 0) & (charged > 0))[0]
    if len(rows) == 0:
        return result
    k, units = key[rows], charged[rows]
    numerator = units * rates.tier_price[k, 0]
    tiered = np.nonzero(rates.has_tiers[k])[0]
    overflow = units > rates.safe_units[k]
    if len(tiered):
        tier_units = _tier_units(
            rates, k[tiered], units[tiered], line[rows][tiered], period[rows][tiered]
        )
        numerator[tiered] = (tier_units * rates.tier_price[k[tiered]]).sum(axis=1)
    den = plan.key_den[k]
    mode = plan.key_mode[k]
    rounded = np.empty(len(rows), dtype=np.int64)
    for code in np.unique(mode).tolist():
        same = np.nonzero((mode == code) & ~overflow)[0]
        rounded[same] = _round_int64(numerator[same], den[same], code)
    if overflow.any():
        wide = np.nonzero(overflow)[0]
        wide_units = (
            _tier_units(rates, k[wide], units[wide], line[rows][wide], period[rows][wide])
            if rates.tier_price.shape[1] > 1
            else units[wide][:, None]
        )
        rounded[wide] = _round_int128(
            wide_units, rates.tier_price[k[wide]][:, : wide_units.shape[1]], den[wide], mode[wide]
        )
    result[rows] = np.maximum(
        rates.fee_micro[k] + rounded * plan.key_unit[k], rates.minimum_micro[k]
    )
    return result


def _tier_units(rates: RateTables, k: I64, units: I64, line: I64, period: I64) -> I64:
    """Units of each record in each tier of its key, counting per line, period and group."""
    before = running_total([line, period, rates.tier_group[k]], units)
    after = before + units
    lower = rates.tier_from[k]
    upper = np.concatenate([lower[:, 1:], np.full((len(k), 1), NO_TIER)], axis=1)
    result: I64 = np.clip(after[:, None], lower, upper) - np.clip(before[:, None], lower, upper)
    return result


def _round_int64(numerator: I64, den: I64, mode: int) -> I64:
    """numerator / den rounded by one mode, in int64 (numerator < 2^62)."""
    quotient, rest = np.divmod(numerator, den)
    if mode == _HALF_UP:
        result: I64 = quotient + (2 * rest >= den)
    elif mode == _DOWN:
        result = quotient
    elif mode == _UP:
        result = quotient + (rest > 0)
    else:
        result = quotient + ((2 * rest > den) | ((2 * rest == den) & (quotient % 2 == 1)))
    return result


def _round_int128(units: I64, prices: I64, den: I64, mode: I64) -> I64:
    """Σ units × prices / den rounded per row by its mode, in Polars' 128-bit integers."""
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
            .then(quotient + (2 * rest >= divisor))
            .when(column == _DOWN)
            .then(quotient)
            .when(column == _UP)
            .then(quotient + (rest > 0))
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
