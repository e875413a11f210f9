"""Stateful pricing steps of the kernel: allowances, volume tiers and rounding.

Allowances and tiers are consumed per line and bill period in row order, so both are
grouped running totals: one cumulative sum minus each group's start, on rows already
grouped by line and period (the rating parts are; other input is sorted stably first).
Prices are exact: the sum of tier units × tier price is formed in int64 where it cannot
overflow and in 128-bit integers otherwise, and rounded once, by the tariff's rule, to
its rounding unit.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from linka.kernel.money import Rounding
from linka.rating.plan import MODE_CODES, RatingPlan
from linka.rating.ratetables import NO_TIER, RateTables

I64 = npt.NDArray[np.int64]


def group_ids(line: I64, period: I64) -> I64:
    """A dense id per (line, period) of rows grouped by line and period: its counters.

    Rows come grouped (each line's periods contiguous), so one pass numbers them.
    """
    n = len(line)
    ids = np.zeros(n, dtype=np.int64)
    if n > 1:
        np.cumsum((line[1:] != line[:-1]) | (period[1:] != period[:-1]), out=ids[1:])
    return ids


def running_total(group: I64, units: I64) -> I64:
    """Units used before each row within its group (an int64 id), in row order.

    One cumulative sum over all rows minus the sum at the start of each group's run.
    Rows whose groups are already contiguous and ascending need no sort; otherwise a
    stable sort brings them together (row order kept within a group). Sums may wrap
    around int64 across groups: the differences within a group are still exact.
    """
    n = len(group)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if not (group[1:] >= group[:-1]).all():
        order = np.argsort(group, kind="stable")
        result = np.empty(n, dtype=np.int64)
        result[order] = running_total(group[order], units[order])
        return result
    before = np.cumsum(units)
    before -= units
    starts = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1])))
    lengths = np.diff(np.append(starts, n))
    before -= np.repeat(before[starts], lengths)
    return before


def consume_allowances(
    plan: RatingPlan,
    billable: I64,
    eligible: npt.NDArray[np.integer],
    offering: I64,
    groups: I64,
) -> tuple[I64, I64]:
    """Units covered by allowances (and the first allowance used), in row order.

    All arguments are of the records to price, in consumption order: ``eligible`` has
    bit j set when the offering's j-th allowance covers the record's service, zone and
    place; ``groups`` numbers their (line, period).
    """
    n = len(billable)
    included = np.zeros(n, dtype=np.int64)
    first = np.full(n, -1, dtype=np.int64)
    tables = plan.allowances
    if n == 0 or not (tables.slots >= 0).any():
        return included, first
    count = len(tables.quantity)
    if not (eligible & (eligible - eligible.dtype.type(1))).any():
        # at most one allowance per record (the usual case): each record meets one
        # counter, so no units are left over for another allowance to track
        for slot in range(tables.slots.shape[1]):
            rows = np.flatnonzero((eligible & eligible.dtype.type(1 << slot)) != 0)
            if len(rows) == 0:
                continue
            allowance = tables.slots[offering[rows], slot].astype(np.int64)
            units = billable[rows]
            before = running_total(groups[rows] * count + allowance, units)
            take = np.clip(tables.quantity[allowance] - before, 0, units)
            included[rows] = take
            allowance += 1  # the allowance where it covered something, else -1
            allowance *= take > 0
            allowance -= 1
            first[rows] = allowance
        return included, first
    remaining = billable.copy()
    for slot in range(tables.slots.shape[1]):
        rows = np.flatnonzero((eligible & eligible.dtype.type(1 << slot)) != 0)
        rows = rows[remaining[rows] > 0]
        if len(rows) == 0:
            continue
        allowance = tables.slots[offering[rows], slot].astype(np.int64)
        units = remaining[rows]
        before = running_total(groups[rows] * count + allowance, units)
        take = np.clip(tables.quantity[allowance] - before, 0, units)
        included[rows] += take
        remaining[rows] -= take
        fresh = (first[rows] < 0) & (take > 0)
        first[rows[fresh]] = allowance[fresh]
    return included, first


def price(plan: RatingPlan, k: I64, charged: I64, groups: I64) -> I64:
    """fee + round(Σ tier units × tier price / divisor) with the tariff's rule; ≥ minimum.

    ``k`` are the rate keys of records to price and ``groups`` number their (line,
    period). Only records with something to charge are priced (the rest cost 0). Keys
    carry their divisor × rounding unit, rounding mode and the largest quantity whose
    product with their dearest tier still fits in 62 bits; bigger quantities (never seen
    in practice, but possible) are summed in 128-bit integers instead.
    """
    rates = plan.rates
    result = np.zeros(len(k), dtype=np.int64)
    rows = np.flatnonzero(charged > 0)
    if len(rows) == 0:
        return result
    k, units, groups = k[rows], charged[rows], groups[rows]
    numerator = units * rates.tier_price[k, 0]
    tiered = np.flatnonzero(rates.has_tiers[k])
    overflow = units > rates.safe_units[k]
    tier_units = None
    if len(tiered):
        tier_units = _tier_units(rates, k[tiered], units[tiered], groups[tiered])
        numerator[tiered] = (tier_units * rates.tier_price[k[tiered]]).sum(axis=1)
    den = plan.key_den[k]
    mode = plan.key_mode[k]
    modes = plan.modes
    if len(modes) == 1:
        rounded = _round_int64(numerator, den, modes[0])
    else:
        rounded = np.empty(len(rows), dtype=np.int64)
        for code in modes:
            same = np.flatnonzero(mode == code)
            rounded[same] = _round_int64(numerator[same], den[same], code)
    if overflow.any():
        wide = np.flatnonzero(overflow)
        wide_units = np.zeros((len(wide), rates.tier_price.shape[1]), dtype=np.int64)
        wide_units[:, 0] = units[wide]
        if tier_units is not None:
            is_tiered = rates.has_tiers[k[wide]]
            position = np.searchsorted(tiered, wide[is_tiered])
            wide_units[is_tiered] = tier_units[position]
        rounded[wide] = _round_int128(wide_units, rates.tier_price[k[wide]], den[wide], mode[wide])
    result[rows] = np.maximum(
        rates.fee_micro[k] + rounded * plan.key_unit[k], rates.minimum_micro[k]
    )
    return result


def _tier_units(rates: RateTables, k: I64, units: I64, groups: I64) -> I64:
    """Units of each record in each tier of its key, counting per line, period and group."""
    before = running_total(groups * rates.tier_groups + rates.tier_group_code[k], units)
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
