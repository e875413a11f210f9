"""The rating kernel on arrays: one integer array per input column in, codes out.

Each step is a few passes of numpy over all records: the offering's tariff, the place
(roaming) and the prefix table are gathers from small tables; the prefix is a trie
lookup; the band is a gather from a minute-of-week table; quantities and statuses are
integer arithmetic; allowances and volume tiers are running totals per line and period
(:mod:`linka.rating.pricing`). Lookup tables carry a sentinel last row for "none", so a
-1 index reads "none" without a mask (numpy's ``a[-1]`` is the last element).

Rows must be in consumption order within each line and bill period; the fastest input
is also grouped by line and period (as the rating parts are), but any order works.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from linka.rating.localclock import local_seconds, minute_of_week
from linka.rating.model import CODE_SCHEMA, STATUSES, RatedStatus
from linka.rating.plan import MINUTES_PER_WEEK, RatingPlan
from linka.rating.pricing import consume_allowances, group_ids, price

I64 = npt.NDArray[np.int64]
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
    # the starts' local time in a zone, when the caller has it (the kernel needs it in
    # the tariffs' zone)
    local: tuple[str, I64] | None = None

    def __len__(self) -> int:
        return len(self.line)


@dataclass(frozen=True)
class Codes:
    """Kernel output: :data:`CODE_SCHEMA` as arrays, -1 for none."""

    status: npt.NDArray[np.int8]
    key: I64
    tariff: I64
    location: I64
    billable: I64
    included: I64
    allowance: I64
    price: I64

    def frame(self) -> pl.DataFrame:
        """As a :data:`CODE_SCHEMA` frame (-1 → null in the nullable columns)."""
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
            pl.when(pl.col(c) >= 0).then(pl.col(c)).cast(t).alias(c)
            if c in nullable
            else pl.col(c).cast(t)
            for c, t in CODE_SCHEMA.items()
        )


_CHARGED = STATUSES.index(RatedStatus.CHARGED)
_INCLUDED = STATUSES.index(RatedStatus.INCLUDED)
_PRICE = -1  # still to be priced


def _status_table() -> npt.NDArray[np.int8]:
    """Status by 4 flags: no offering (8), nothing used (4), free incoming (2), no key (1).

    The first flag set wins, in that order; none set means "price it".
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
            status = _PRICE
        table[flags] = status
    return table


_STATUS = _status_table()


def rate_arrays(usage: UsageArrays, plan: RatingPlan) -> Codes:
    """Rate every record; codes in the same row order.

    Everything but allowances and tiers is independent of order and runs in row order;
    the records to price are then visited in consumption order (``usage.order`` or
    the rows' own order, grouped by line and period) for the running totals.
    """
    tables = plan.kernel_tables
    offering = usage.offering
    tariff = tables.offering_tariff[offering]
    location, rates_place = _places(usage, plan)
    service, direction = usage.service.astype(np.int64), usage.direction.astype(np.int64)
    table_index = ((tariff * tables.services + service) * 2 + direction) * tables.places
    table_index += rates_place
    table = tables.table_code[table_index]
    del table_index, rates_place
    ordinal = plan.rates.prefixes.lookup(tables.table_set[table], usage.b_number)
    entry = tables.table_base[table]  # (+ 1) · found - 1: -1 when not found
    entry += ordinal + 1
    entry *= ordinal >= 0
    entry -= 1
    del ordinal
    slot = _minute_of_week(usage, plan, tariff)
    slot += tariff * MINUTES_PER_WEEK
    band = tables.band_table[slot]
    entry *= tables.bands
    entry += band
    key = tables.key_of[entry]
    del entry, band, slot

    quantity = usage.quantity
    flags = (offering < 0).view(np.int8) << 3
    flags |= (quantity <= 0).view(np.int8) << 2
    flags |= ((table < 0) & (direction == 1)).view(np.int8) << 1
    flags |= (key < 0).view(np.int8)
    status = _STATUS[flags]
    del flags, table, service, direction
    to_price = status == _PRICE
    key += 1  # (key + 1) · to price - 1: -1 when not priced
    key *= to_price
    key -= 1
    first, step = tables.key_first[key], tables.key_step[key]  # key -1: (0, 1)
    # first + whole steps beyond it (quantity > first), else first; 0 when not priced
    billable = (quantity - first - 1) // step + 1
    billable *= step
    billable *= quantity > first
    billable += first
    billable *= to_price
    del first, step
    eligible = tables.allowance_bits[
        (offering * tables.key_classes + tables.key_class[key]) * tables.places + location
    ]

    rows = _consumption_order(usage, to_price)
    groups = group_ids(usage.line[rows], usage.period[rows])
    k, units = key[rows], billable[rows]
    included, allowance = consume_allowances(plan, units, eligible[rows], offering[rows], groups)
    units -= included
    charged = units
    prices = price(plan, k, charged, groups)
    del k, units, groups, eligible

    n = len(usage)
    out_included = np.zeros(n, dtype=np.int64)
    out_included[rows] = included
    out_allowance = np.full(n, -1, dtype=np.int64)
    out_allowance[rows] = allowance
    out_price = np.zeros(n, dtype=np.int64)
    out_price[rows] = prices
    status += to_price.view(np.int8) * np.int8(_INCLUDED - _PRICE)
    status += (billable > out_included).view(np.int8) * np.int8(_CHARGED - _INCLUDED)
    return Codes(status, key, tariff, location, billable, out_included, out_allowance, out_price)


def _consumption_order(usage: UsageArrays, to_price: Bools) -> Index:
    """The rows to price in consumption order, grouped by line and period.

    With ``usage.order`` that is the caller's order; otherwise the rows' own order,
    sorted stably by line and period when they are not grouped already.
    """
    if usage.order is not None:
        return usage.order[to_price[usage.order]]
    rows = np.flatnonzero(to_price)
    line, period = usage.line[rows], usage.period[rows]
    same_line = line[1:] == line[:-1]
    if ((line[1:] > line[:-1]) | (same_line & (period[1:] >= period[:-1]))).all():
        return rows
    return rows[np.lexsort((period, line))]


def _places(usage: UsageArrays, plan: RatingPlan) -> tuple[I64, I64]:
    """Where each record was made (location) and whose rates apply (0: home rates).

    Only records with a roaming country are looked up, in a small table of
    (version, country) built for the countries present.
    """
    n = len(usage)
    location = np.zeros(n, dtype=np.int64)
    rates_place = np.zeros(n, dtype=np.int64)
    abroad = np.flatnonzero(usage.country >= 0)
    if len(abroad) == 0:
        return location, rates_place
    index = plan.place_index
    versions = sorted(plan.versions)
    found: dict[tuple[int, str], tuple[int, int]] = {}
    for version_id, country, place, rates in plan.places.iter_rows():
        found.setdefault((version_id, country), (index[place], index[rates] if rates else 0))
    shape = (len(versions) + 1, len(usage.countries))
    table_location = np.zeros(shape, dtype=np.int64)
    table_rates = np.zeros(shape, dtype=np.int64)
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


def _minute_of_week(usage: UsageArrays, plan: RatingPlan, tariff: I64) -> I64:
    """Minute of the week (Monday 00:00 = 0) of each start in its tariff's time zone."""
    zones = sorted({t.timezone for t in plan.tariffs})
    if len(zones) <= 1:
        zone = zones[0] if zones else "UTC"
        if usage.local is not None and usage.local[0] == zone:
            return minute_of_week(usage.local[1])
        return minute_of_week(local_seconds(usage.epoch_s, zone))
    minutes = np.zeros(len(usage), dtype=np.int64)
    zone_of = np.array([zones.index(t.timezone) for t in plan.tariffs] + [-1], dtype=np.int64)
    code = zone_of[tariff]
    for z, zone in enumerate(zones):
        members = code == z
        if members.any():
            minutes[members] = minute_of_week(local_seconds(usage.epoch_s[members], zone))
    return minutes
