"""The rating kernel on arrays: one integer array per input column in, codes out.

The plan's rules are compiled into flat lookup tables (:class:`~linka.rating.plan.
KernelTables`); two compiled passes (:mod:`linka.rating.compiled`) apply them: one over
the records in row order (tariff, prefix, band, key, status, billable quantity), one in
consumption order (allowances, volume tiers, prices). Here the arrays are gathered,
roaming places and time zones prepared, and the rare prices beyond int64 finished in
128-bit integers (:mod:`linka.rating.pricing`).

Rows must be in consumption order within each line and bill period; the fastest input
is also grouped by line and period (as the rating parts are), but any order works.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from linka.kernel.compiled import read_only
from linka.rating.compiled import PRICE, consume_rows, grown, rate_rows
from linka.rating.localclock import offset_tables
from linka.rating.model import CODE_SCHEMA, STATUSES, RatedStatus
from linka.rating.plan import RatingPlan
from linka.rating.pricing import price_wide

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
I8 = npt.NDArray[np.int8]
Bools = npt.NDArray[np.bool_]
Index = npt.NDArray[np.intp]


@dataclass(frozen=True)
class UsageArrays:
    """Kernel input, one array per column, same length."""

    line: I64  # line id (-1: none)
    period: I64  # bill period key (e.g. days since 1970 of its first day)
    version_id: I64  # catalog version (-1: none)
    offering: I64  # the plan's offering index (-1: none)
    service: npt.NDArray[np.integer]  # SERVICE_CODES
    direction: npt.NDArray[np.integer]  # DIRECTION_CODES
    b_number: I64  # E.164 digits (0: none)
    epoch_s: I64  # start, seconds since 1970-01-01 UTC
    quantity: I64  # used: seconds (voice), bytes (data), 1 (sms), 0 (other)
    country: I64  # position in ``countries`` of the roaming country (-1: none)
    countries: list[str]
    # consumption order grouped by line and period, ascending (None: the rows' order)
    order: Index | None = None

    def __len__(self) -> int:
        return len(self.line)


@dataclass(frozen=True)
class Codes:
    """Kernel output: :data:`CODE_SCHEMA` as arrays, -1 for none."""

    status: npt.NDArray[np.int8]
    key: I32
    tariff: I32
    location: npt.NDArray[np.int8]
    billable: I64
    included: I64
    allowance: I32
    price: I64

    def frame(self) -> pl.DataFrame:
        """As a :data:`CODE_SCHEMA` frame (-1 → null in the nullable columns); the arrays
        have the schema's types already, so the frame shares their memory."""
        raw = pl.DataFrame(
            {
                "status": self.status,
                "key": self.key,
                "tariff_idx": self.tariff,
                "location_idx": self.location,
                "billable": self.billable,
                "included": self.included,
                "allowance_idx": self.allowance,
                "price_micro": self.price,
            }
        )
        nullable = ("key", "tariff_idx", "allowance_idx")
        return raw.select(
            pl.when(pl.col(c) >= 0).then(pl.col(c)).alias(c) if c in nullable else pl.col(c)
            for c in CODE_SCHEMA
        )


_CHARGED = STATUSES.index(RatedStatus.CHARGED)
_INCLUDED = STATUSES.index(RatedStatus.INCLUDED)


def _status_table() -> npt.NDArray[np.int8]:
    """Status by 4 flags: no offering (8), nothing used (4), free incoming (2), no key (1).

    The first flag set wins, in that order; none set means "price it" (PRICE).
    """
    table = np.empty(16, dtype=np.int8)
    for flags in range(16):
        if flags & 8:
            status = STATUSES.index(RatedStatus.NO_OFFERING)
        elif flags & 6:
            status = STATUSES.index(RatedStatus.NOT_CHARGED)
        elif flags & 1:
            status = STATUSES.index(RatedStatus.NO_DESTINATION)
        else:
            status = PRICE
        table[flags] = status
    return table


_STATUS = _status_table()


class Counters:
    """Units used so far per line, bill period and allowance or tier group.

    A period rated in parts (a few days each, in time order) passes the same counters
    to every part, so the allowances and tiers of a line run on across parts exactly as
    if the period were rated at once.
    """

    def __init__(self, lines: int = 0) -> None:
        """Room for about four counters a line (the table grows when needed)."""
        capacity = 1 << max(12, min(22, (8 * lines).bit_length()))
        self.tables: tuple[I64, I64, I64, I64, I64] = (
            np.zeros(capacity, dtype=np.int64),  # line
            np.zeros(capacity, dtype=np.int64),  # period
            np.full(capacity, -1, dtype=np.int64),  # allowance or tier group (-1: free)
            np.zeros(capacity, dtype=np.int64),  # units used
            np.zeros(1, dtype=np.int64),  # slots taken
        )


def rate_arrays(usage: UsageArrays, plan: RatingPlan, counters: Counters | None = None) -> Codes:
    """Rate every record; codes in the same row order.

    The first compiled pass does everything that does not depend on other records, in
    row order; the second visits the records to price in consumption order
    (``usage.order``, or the rows' own order grouped by line and period) for the
    allowances, tiers and prices, counting on from ``counters`` (fresh ones if none).
    """
    counters = Counters() if counters is None else counters
    n = len(usage)
    tables = plan.kernel_tables
    location, rates_place = _places(usage, plan)
    status = np.empty(n, dtype=np.int8)
    key, tariff = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32)
    billable, eligible = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    rate_rows(
        (
            *map(read_only, (
                usage.offering, usage.service, usage.direction, usage.b_number,
                usage.epoch_s, usage.quantity,
            )),
            location, rates_place,
        ),
        (
            tables.offering_tariff, tables.table_code, tables.services, tables.places,
            tables.table_set, tables.table_base, tables.band_table, tables.key_of, tables.bands,
            tables.key_first, tables.key_step, tables.key_class, tables.key_classes,
            tables.allowance_bits,
        ),
        plan.rates.prefixes.kernel_arrays,
        _zones(usage, plan),
        _STATUS,
        (status, key, tariff, billable, eligible),
    )  # fmt: skip
    del rates_place
    rates, allowances = plan.rates, plan.allowances
    included = np.zeros(n, dtype=np.int64)
    allowance = np.full(n, -1, dtype=np.int32)
    price = np.zeros(n, dtype=np.int64)
    wide = np.zeros(n, dtype=np.bool_)
    tier_before = np.empty(n, dtype=np.int64)  # written where wide only
    order, begin = _consumption_order(usage, status), 0
    while True:  # a call stops where the counters need a larger table
        begin = consume_rows(
            order,
            begin,
            (usage.line, usage.period, usage.offering),
            (status, key, billable, eligible),
            (allowances.slots, allowances.quantity),
            (
                rates.tier_from, rates.tier_price, rates.has_tiers, rates.tier_group_code,
                rates.tier_groups, rates.safe_units, rates.fee_micro, rates.minimum_micro,
                plan.key_den, plan.key_mode, plan.key_unit,
            ),
            (_CHARGED, _INCLUDED),
            (included, allowance, price, wide, tier_before),
            counters.tables,
        )  # fmt: skip
        if begin == len(order):
            break
        counters.tables = grown(counters.tables, 2 * len(counters.tables[2]))
    if wide.any():
        rows = np.flatnonzero(wide)
        charged = billable[rows] - included[rows]
        price[rows] = price_wide(plan, key[rows], charged, tier_before[rows])
    return Codes(status, key, tariff, location, billable, included, allowance, price)


def _consumption_order(usage: UsageArrays, status: npt.NDArray[np.int8]) -> Index:
    """Rows in consumption order, grouped by line and period (rows not to price may be
    among them: the compiled pass skips them).

    With ``usage.order`` that is the caller's order; otherwise the rows to price in
    their own order, sorted stably by line and period when they are not grouped already.
    """
    if usage.order is not None:
        return usage.order
    rows = np.flatnonzero(status == PRICE)
    line, period = usage.line[rows], usage.period[rows]
    same_line = line[1:] == line[:-1]
    if ((line[1:] > line[:-1]) | (same_line & (period[1:] >= period[:-1]))).all():
        return rows
    return rows[np.lexsort((period, line))]


def _places(usage: UsageArrays, plan: RatingPlan) -> tuple[I8, I8]:
    """Where each record was made (location) and whose rates apply (0: home rates).

    Only records with a roaming country are looked up, in a small table of
    (version, country) built for the countries present. Places are few (CODE_SCHEMA
    keeps them in a byte).
    """
    n = len(usage)
    location = np.zeros(n, dtype=np.int8)
    rates_place = np.zeros(n, dtype=np.int8)
    abroad = np.flatnonzero(usage.country >= 0)
    if len(abroad) == 0:
        return location, rates_place
    index = plan.place_index
    versions = sorted(plan.versions)
    found: dict[tuple[int, str], tuple[int, int]] = {}
    for version_id, country, place, rates in plan.places.iter_rows():
        found.setdefault((version_id, country), (index[place], index[rates] if rates else 0))
    shape = (len(versions) + 1, len(usage.countries))
    table_location = np.zeros(shape, dtype=np.int8)
    table_rates = np.zeros(shape, dtype=np.int8)
    for v, version_id in enumerate(versions):
        rest = found.get((version_id, "*"), (0, 0))
        for c, country in enumerate(usage.countries):
            table_location[v, c], table_rates[v, c] = found.get((version_id, country), rest)
    version = usage.version_id[abroad]
    position = np.searchsorted(np.array(versions, dtype=np.int64), version)
    known = (position < len(versions)) & (
        np.array([*versions, -1], dtype=np.int64)[np.minimum(position, len(versions))] == version
    )
    row = np.where(known, position, len(versions))  # the last row: home
    country = usage.country[abroad]
    location[abroad] = table_location[row, country]
    rates_place[abroad] = table_rates[row, country]
    return location, rates_place


def _zones(usage: UsageArrays, plan: RatingPlan) -> tuple[I64, I64, I64, I64]:
    """Each tariff's zone and the zones' UTC-offset changes over the records' span."""
    zones = sorted({t.timezone for t in plan.tariffs}) or ["UTC"]
    zone_of = np.array([zones.index(t.timezone) for t in plan.tariffs] + [0], dtype=np.int64)
    return (zone_of, *offset_tables(zones, usage.epoch_s))
