"""The rating kernel's passes over the records, compiled to machine code with Numba.

numpy rated each rule as a separate pass over all records (about 150 of them, each
reading and writing arrays of millions of elements): the kernel was bound by memory
traffic, at about 300 ns a record. Here every rule of a record is applied while its
values sit in registers, in two main loops:

* :func:`rate_rows` (record order, independent records): tariff, table, longest prefix
  (a walk down the compiled trie of :mod:`linka.rating.lookup`), local minute of the
  week in the tariff's zone, band, rate key, status, billable quantity and the bits of
  the allowances that may cover the record;
* :func:`consume_rows` (consumption order): allowances and volume tiers as counters per
  line, bill period and allowance or tier group, kept in a table that carries them from
  one part of a period to the next, the price with the tariff's rounding and the
  minimum charge.

Before them, :func:`place_rows` finds each record's line (by MSISDN and the line's
service dates in its account's zone), bill period, catalog version and offering, and
:func:`consumption_order` sorts the records by line and start; :func:`tally` sums a
rated part by status and tariff.

The arithmetic is the same integer arithmetic the Decimal reference rater
(:mod:`linka.rating.reference`) is checked against record by record. Products that
could exceed int64 (a quantity above the key's ``safe_units``) are only flagged here
and priced exactly in 128-bit integers afterwards (:mod:`linka.rating.pricing`).

Compiled functions are cached on disk (``cache=True``): the first use on a machine
compiles them (a few seconds), later processes load them. They release the GIL, so
reading and writing Parquet in other threads runs alongside.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np

from linka.kernel.compiled import compiled
from linka.kernel.money import Rounding
from linka.rating.localclock import DAY

F = TypeVar("F", bound=Callable[..., Any])


def _reader(function: F) -> F:
    """A helper given arrays inside a hot loop (it may write into them, never allocates):
    compiled without Numba's runtime.

    With the runtime, every call pays the reference counting of the arrays passed
    (lookups were 7 times slower, measured); without it, calls are plain calls.
    """
    options: dict[str, Any] = {"_nrt": False}
    return cast(F, numba.njit(cache=True, nogil=True, **options)(function))


MINUTES_PER_WEEK = 7 * 24 * 60
MODE_CODES = {mode: i for i, mode in enumerate(Rounding)}
PRICE = -1  # status of a record still to be priced (see linka.rating.engine)
NO_TIER = np.iinfo(np.int64).max
_POW10 = np.array([10**k for k in range(16)], dtype=np.int64)
MAX_DIGITS, ROOT_DIGITS, BLOCK_SLOTS = 15, 6, 10  # the trie's layout (linka.rating.lookup)
_WEEK_S, _MONDAY_S = 7 * DAY, 3 * DAY  # 1970-01-01 was a Thursday
_HALF_UP, _DOWN, _UP = (MODE_CODES[r] for r in (Rounding.HALF_UP, Rounding.DOWN, Rounding.UP))


@_reader
def _longest_prefix(trie: Any, prefix_set: int, number: int) -> int:
    """Position of the longest prefix of ``number`` in its set (-1: none); see lookup.py."""
    roots, blocks, root_of, constant_of, offsets, lengths, parents, longest = trie
    if prefix_set < 0:
        return -1
    constant = constant_of[prefix_set]
    root = root_of[prefix_set]
    if root < 0 or number <= 0 or number >= _POW10[MAX_DIGITS] or len(roots) == 0:
        return int(constant)
    digits = 1
    while digits < MAX_DIGITS and number >= _POW10[digits]:
        digits += 1
    padded = number * _POW10[MAX_DIGITS - digits]
    value = int(roots[root + padded // _POW10[MAX_DIGITS - ROOT_DIGITS]])
    consumed = ROOT_DIGITS
    while value <= -2 and consumed < MAX_DIGITS:
        consumed += 1
        chunk = (padded // _POW10[MAX_DIGITS - consumed]) % BLOCK_SLOTS
        value = int(blocks[(-value - 2) * BLOCK_SLOTS + chunk])
    if digits < longest:  # a padded match may be longer than the number itself
        base = offsets[prefix_set]
        while value >= 0 and lengths[base + value] > digits:
            value = int(parents[base + value])
    return value


@compiled
def longest_prefixes(trie: Any, sets: Any, numbers: Any, out: Any) -> None:
    for i in range(len(numbers)):
        out[i] = _longest_prefix(trie, sets[i], numbers[i])


@_reader
def _local_offset(zone: int, epoch: int, bounds: Any, offsets: Any, sizes: Any) -> int:
    """UTC offset in force at ``epoch`` in a zone (its few changes within the records' span)."""
    offset = offsets[zone, 0]
    for change in range(1, sizes[zone]):
        if epoch < bounds[zone, change]:
            break
        offset = offsets[zone, change]
    return int(offset)


@compiled
def rate_rows(usage: Any, tables: Any, trie: Any, zones: Any, status_table: Any, out: Any) -> None:
    """Everything that does not depend on other records, for each record in row order."""
    offering, service, direction, b_number, epoch_s, quantity, location, rates_place = usage
    (
        offering_tariff, table_code, services, places, table_set, table_base, band_table,
        key_of, bands, key_first, key_step, key_class, key_classes, allowance_bits,
    ) = tables  # fmt: skip
    zone_of, bounds, offsets, sizes = zones
    status_out, key_out, tariff_out, billable_out, eligible_out = out
    for i in range(len(offering)):
        o, q = offering[i], quantity[i]
        tariff = offering_tariff[o] if o >= 0 else -1
        table = -1
        if tariff >= 0:
            cell = (tariff * services + service[i]) * 2 + direction[i]
            table = table_code[cell * places + rates_place[i]]
        key = -1
        if table >= 0:
            ordinal = _longest_prefix(trie, table_set[table], b_number[i])
            if ordinal >= 0:
                zone = zone_of[tariff]
                local = epoch_s[i] + _local_offset(zone, epoch_s[i], bounds, offsets, sizes)
                minute = (local + _MONDAY_S) % _WEEK_S // 60
                band = band_table[tariff * MINUTES_PER_WEEK + minute]
                key = key_of[(table_base[table] + ordinal) * bands + band]
        flags = (
            (8 if o < 0 else 0)
            | (4 if q <= 0 else 0)
            | (2 if table < 0 and direction[i] == 1 else 0)
            | (1 if key < 0 else 0)
        )
        status = status_table[flags]
        billable, eligible = 0, 0
        if status == PRICE:
            first, step = key_first[key], key_step[key]
            billable = first
            if q > first:
                billable += ((q - first - 1) // step + 1) * step
            eligible = allowance_bits[(o * key_classes + key_class[key]) * places + location[i]]
        else:
            key = -1
        status_out[i] = status
        key_out[i] = key
        tariff_out[i] = tariff
        billable_out[i] = billable
        eligible_out[i] = eligible


@compiled
def _rounded(numerator: int, den: int, mode: int) -> int:
    quotient, rest = numerator // den, numerator % den
    if mode == _HALF_UP:
        return quotient + (1 if 2 * rest >= den else 0)
    if mode == _DOWN:
        return quotient
    if mode == _UP:
        return quotient + (1 if rest > 0 else 0)
    half_even = 2 * rest > den or (2 * rest == den and quotient % 2 == 1)
    return quotient + (1 if half_even else 0)


_MIX = (0x5851F42D4C957F2D, 0x14057B7EF767814F, 0x2545F4914F6CDD1D)  # odd, below 2^63


@_reader
def _claim(counters: Any, line: int, period: int, ident: int) -> int:
    """The slot of counter (line, period, ident) in the open-addressing table, claimed
    (at 0 units) when it is not there yet."""
    table_line, table_period, table_id, table_used, fill = counters
    mask = len(table_id) - 1
    mixed = line * _MIX[0] + period * _MIX[1] + ident * _MIX[2]
    slot = (mixed ^ (mixed >> 29)) & mask
    while table_id[slot] != -1:
        if table_line[slot] == line and table_period[slot] == period and table_id[slot] == ident:
            return int(slot)
        slot = (slot + 1) & mask
    table_line[slot], table_period[slot], table_id[slot], table_used[slot] = line, period, ident, 0
    fill[0] += 1
    return int(slot)


@compiled
def grown(counters: Any, capacity: int) -> Any:
    """The counters in a table of ``capacity`` slots (a power of two)."""
    table_line, table_period, table_id, table_used, _ = counters
    larger = (
        np.zeros(capacity, dtype=np.int64),
        np.zeros(capacity, dtype=np.int64),
        np.full(capacity, -1, dtype=np.int64),
        np.zeros(capacity, dtype=np.int64),
        np.zeros(1, dtype=np.int64),
    )
    for slot in range(len(table_id)):
        if table_id[slot] != -1:
            moved = _claim(larger, table_line[slot], table_period[slot], table_id[slot])
            larger[3][moved] = table_used[slot]
    return larger


@compiled
def consume_rows(
    order: Any,
    begin: int,
    grouping: Any,
    rows: Any,
    allowances: Any,
    prices: Any,
    codes: Any,
    out: Any,
    counters: Any,
) -> int:
    """Allowances, tiers and prices of the records to price, visited in ``order`` from
    position ``begin``; returns the position reached (``len(order)`` when done).

    Units used are counted per line, bill period and allowance (or tier group) in
    ``counters``, an open-addressing table that outlives the call: a period rated in
    parts of a few days each carries them from one part to the next. When the table is
    half full the call stops at the start of a run of one line and period, for the
    caller to grow it (:func:`grown`) and call again from there; within a run the
    counters are kept in small arrays, so the table is read and written once per
    counter and run.
    """
    line, period, offering = grouping
    status, key, billable, eligible = rows
    slots, allowance_quantity = allowances
    (
        tier_from, tier_price, has_tiers, tier_group_code, tier_groups, safe_units,
        fee, minimum, den, mode, unit,
    ) = prices  # fmt: skip
    charged_code, included_code = codes
    included_out, allowance_out, price_out, wide_out, tier_before_out = out
    tier_id = len(allowance_quantity)  # tier group t counts as ident tier_id + t
    idents = tier_id + tier_groups
    # within a run of one line and period, a counter is kept here and written back to
    # its slot when the run ends (``touched`` lists the counters the run has used)
    seen = np.full(idents, -1, dtype=np.int64)
    slot_of = np.zeros(idents, dtype=np.int64)
    used = np.zeros(idents, dtype=np.int64)
    touched = np.zeros(idents, dtype=np.int64)
    count = 0
    tiers = tier_from.shape[1]
    run, last_line, last_period = -1, 0, 0
    for position in range(begin, len(order)):
        r = order[position]
        if status[r] != PRICE:
            continue
        if run < 0 or line[r] != last_line or period[r] != last_period:
            for j in range(count):
                counters[3][slot_of[touched[j]]] = used[touched[j]]
            count = 0
            if 2 * (counters[4][0] + idents) > len(counters[2]):
                return position
            run, last_line, last_period = run + 1, line[r], period[r]
        k, units = key[r], billable[r]
        remaining, first_allowance = units, -1
        bits, bit = eligible[r], 0
        while bits != 0 and remaining > 0:
            if bits & 1:
                a = slots[offering[r], bit]
                if seen[a] != run:
                    seen[a], slot_of[a] = run, _claim(counters, last_line, last_period, a)
                    used[a], touched[count], count = counters[3][slot_of[a]], a, count + 1
                take = min(max(allowance_quantity[a] - used[a], 0), remaining)
                used[a] += take
                remaining -= take
                if take > 0 and first_allowance < 0:
                    first_allowance = a
            bits >>= 1
            bit += 1
        included_out[r] = units - remaining
        allowance_out[r] = first_allowance
        status[r] = charged_code if remaining > 0 else included_code
        if remaining <= 0:
            price_out[r] = 0
            continue
        before = 0
        if has_tiers[k]:
            t = tier_id + tier_group_code[k]
            if seen[t] != run:
                seen[t], slot_of[t] = run, _claim(counters, last_line, last_period, t)
                used[t], touched[count], count = counters[3][slot_of[t]], t, count + 1
            before = used[t]
            used[t] = before + remaining
            numerator = 0
            for tier in range(tiers):
                low = tier_from[k, tier]
                high = tier_from[k, tier + 1] if tier + 1 < tiers else NO_TIER
                units_in = min(max(before + remaining, low), high) - min(max(before, low), high)
                numerator += units_in * tier_price[k, tier]
        else:
            numerator = remaining * tier_price[k, 0]
        if remaining > safe_units[k]:  # the product may not fit: priced in 128 bits later
            wide_out[r] = True
            tier_before_out[r] = before
            continue
        charge = fee[k] + _rounded(numerator, den[k], mode[k]) * unit[k]
        price_out[r] = max(charge, minimum[k])
    for j in range(count):
        counters[3][slot_of[touched[j]]] = used[touched[j]]
    return len(order)


@_reader
def _first_at_least(values: Any, value: int) -> int:
    """Position of the first of the sorted ``values`` that is >= ``value``."""
    low, high = 0, len(values)
    while low < high:
        middle = (low + high) // 2
        if values[middle] < value:
            low = middle + 1
        else:
            high = middle
    return low


@compiled
def _day_of_month(day: int) -> int:
    """Day of the month (1–31) of a day counted since 1970 (H. Hinnant's civil date)."""
    z = day + 719_468
    day_of_era = z - z // 146_097 * 146_097
    year_of_era = (
        day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096
    ) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    return int(day_of_year - (153 * ((5 * day_of_year + 2) // 153) + 2) // 5 + 1)


@compiled
def _period_start(day: int, cycle_day: int) -> int:
    """First day (days since 1970) of the bill period with ``cycle_day`` holding ``day``:
    the cycle day of this month or, before it, of the previous one (counted from the
    month's first day, so day 31 of a shorter month runs on into the next)."""
    first = day - _day_of_month(day) + 1
    if day - first + 1 < cycle_day:
        first -= _day_of_month(first - 1)
    return int(first + cycle_day - 1)


@compiled
def place_rows(
    records: Any, lines: Any, zones: Any, calendar: Any, offerings: Any, out: Any
) -> None:
    """Line (directory row), bill period, catalog version and offering of each record.

    A record's candidates are the directory rows with its MSISDN (newest line first);
    the first in service on the record's local day (in its own account's zone) is its
    line. A record whose number had no line in service keeps the local day of its first
    candidate (or the operator's zone: the sentinel row's) for its period and version.
    Records come in runs of one number and days, so the search and the calendar are
    only consulted when the number or the day changes.
    """
    msisdn, epoch_s = records
    line_msisdn, run, zone, first_day, last_day, cycle, line_offering = lines
    bounds, offsets, sizes = zones
    version_day, version_id = calendar
    row_out, period_out, version_out, offering_out = out
    none_row = len(line_msisdn) - 1  # the sentinel row: no line
    last_number, low, count = -1, 0, 0
    seen_day, seen_cycle, period, position = -(2**62), -1, 0, -1
    for i in range(len(msisdn)):
        number, epoch = msisdn[i], epoch_s[i]
        if number != last_number:
            last_number = number
            low = _first_at_least(line_msisdn, number)
            count = run[low] if number != 0 and line_msisdn[low] == number else 0
        row = none_row
        first_zone = zone[low if count else none_row]
        day = (epoch + _local_offset(first_zone, epoch, bounds, offsets, sizes)) // DAY
        for candidate in range(low, low + count):
            candidate_day = day
            if candidate != low:
                local = epoch + _local_offset(zone[candidate], epoch, bounds, offsets, sizes)
                candidate_day = local // DAY
            if first_day[candidate] <= candidate_day <= last_day[candidate]:
                row, day = candidate, candidate_day
                break
        if day != seen_day or cycle[row] != seen_cycle:
            if day != seen_day:
                position = -1
                while position + 1 < len(version_day) and version_day[position + 1] <= day:
                    position += 1
            seen_day, seen_cycle = day, cycle[row]
            period = _period_start(day, seen_cycle)
        row_out[i] = row if row != none_row else -1
        period_out[i] = period
        version_out[i] = version_id[position] if position >= 0 else -1
        code = line_offering[row]
        offering_out[i] = offerings[position, code] if position >= 0 and code >= 0 else -1


@compiled
def consumption_order(rank: Any, start: Any, ranks: int) -> Any:
    """Rows in consumption order: by line (``rank`` in [-1, ranks), -1 first), then by
    start, stably (rows of one second keep their order).

    A counting sort by line, then a check per line: store files are daily and time
    ordered within a line, so a line's rows read file after file are nearly always in
    order already; a line that is not gets a stable sort of its own rows.
    """
    n = len(rank)
    position = np.zeros(ranks + 2, dtype=np.int64)  # slot = rank + 1; slot s starts at [s]
    for i in range(n):
        position[rank[i] + 2] += 1
    for slot in range(1, ranks + 2):
        position[slot] += position[slot - 1]
    order = np.empty(n, dtype=np.int64)
    for i in range(n):
        slot = rank[i] + 1
        order[position[slot]] = i
        position[slot] += 1  # ends as the slot's end
    begin = 0
    for slot in range(ranks + 1):
        end = position[slot]
        for j in range(begin + 1, end):
            if start[order[j]] < start[order[j - 1]]:
                rows = order[begin:end].copy()
                order[begin:end] = rows[np.argsort(start[rows], kind="mergesort")]
                break
        begin = end
    return order


@compiled
def tally(status: Any, tariff: Any, price: Any, keep: Any, statuses: int, tariffs: int) -> Any:
    """Records and summed prices per status and tariff (column 0: none) of the rows
    ``keep`` marks (all rows when it is empty), exactly, in int64."""
    records = np.zeros((statuses, tariffs + 1), dtype=np.int64)
    micro = np.zeros((statuses, tariffs + 1), dtype=np.int64)
    every = len(keep) == 0
    for i in range(len(status)):
        if every or keep[i]:
            records[status[i], tariff[i] + 1] += 1
            micro[status[i], tariff[i] + 1] += price[i]
    return records, micro


# Numba builds its type registries on the first call of any compiled function (about
# 0.2 s, once per process): making that call when the kernel is imported keeps it out of
# the first rating, like the rest of the start-up work of the libraries linka imports.
_rounded(0, 1, _HALF_UP)
