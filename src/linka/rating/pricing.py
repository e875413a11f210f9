"""Prices beyond int64: the rare records whose products could overflow, in 128 bits.

The compiled pass (:mod:`linka.rating.compiled`) prices every record in int64 where
units × the key's dearest tier price cannot exceed 2^62 (``safe_units``), which is every
record ever seen in practice. A bigger quantity is only flagged there, with its tier
counter, and priced here exactly: the sum of tier units × tier price in Polars' 128-bit
integers, rounded once by the tariff's rule to its rounding unit, never below the
minimum charge.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from linka.kernel.money import Rounding
from linka.rating.compiled import MODE_CODES, NO_TIER
from linka.rating.plan import RatingPlan

I64 = npt.NDArray[np.int64]


def price_wide(plan: RatingPlan, k: npt.NDArray[np.integer], charged: I64, before: I64) -> I64:
    """Prices of records with rate keys ``k``, ``charged`` units and their tier counters
    ``before`` (units charged earlier in the period in the key's tier group)."""
    rates = plan.rates
    lower = rates.tier_from[k]
    tiered = rates.has_tiers[k]
    units = np.zeros_like(lower)
    units[~tiered, 0] = charged[~tiered]
    if tiered.any():
        low, start = lower[tiered], before[tiered]
        upper = np.concatenate([low[:, 1:], np.full((len(low), 1), NO_TIER)], axis=1)
        end = (start + charged[tiered])[:, None]
        units[tiered] = np.clip(end, low, upper) - np.clip(start[:, None], low, upper)
    rounded = _round_int128(units, rates.tier_price[k], plan.key_den[k], plan.key_mode[k])
    result: I64 = np.maximum(
        rates.fee_micro[k] + rounded * plan.key_unit[k], rates.minimum_micro[k]
    )
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
