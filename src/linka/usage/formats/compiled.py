"""Switch CSV values read straight from Arrow's string buffers, compiled with Numba.

Arrow splits a block into columns of strings; turning them into times, counts and
E.164 numbers with Polars string functions made a dozen passes over those strings, about a
sixth of the import's CPU. These loops read each value's bytes once and write
the typed value and a **state** beside it:

* ``OK``: the value is certain and equal to what the Polars path computes;
* ``EMPTY``: the text is empty (a time column may be, e.g. an unanswered call's answer);
* ``OTHER``: anything else — not only bad values but also forms the Polars path
  accepts in its own way (blanks around digits, a ``+`` sign). A row with such a value
  is handed to the Polars path whole, which decides and words the reject detail.

Only canonical forms are ``OK`` here, so the two paths cannot disagree on a value: a
time is exactly ``YYYY-MM-DD HH:MM:SS`` of a real calendar day, a count 1 to 18 ASCII
digits, a number follows :func:`linka.usage.numbers.to_e164` without blanks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from linka.kernel.compiled import compiled
from linka.usage.numbers import MAX_DIGITS, MIN_DIGITS, NumberPlan

OK, EMPTY, OTHER = 0, 1, 2
MAX_COUNT_DIGITS = 18  # below 2**63
MIN_YEAR, MAX_YEAR = 1900, 2199  # other years take the Polars path
_US_PER_S = 1_000_000
_ZERO, _NINE = 48, 57

States = npt.NDArray[np.int8]
Values = npt.NDArray[np.int64]


@compiled
def _digits(data: Any, begin: int, end: int) -> int:
    """The decimal value of data[begin:end] (-1 when a byte is not a digit)."""
    value = 0
    for i in range(begin, end):
        byte = data[i]
        if byte < _ZERO or byte > _NINE:
            return -1
        value = value * 10 + (byte - _ZERO)
    return value


@compiled
def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


@compiled
def _month_days(year: int, month: int) -> int:
    if month == 2:
        leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


@compiled
def _pair(data: Any, at: int) -> int:
    """The two digits at ``at`` as a number (-1: not two digits)."""
    high, low = int(data[at]) - _ZERO, int(data[at + 1]) - _ZERO
    if high < 0 or high > 9 or low < 0 or low > 9:
        return -1
    return high * 10 + low


@compiled
def parse_times(offsets: Any, data: Any, out: Any, state: Any) -> None:
    """``YYYY-MM-DD HH:MM:SS`` → naive microseconds since 1970 (local wall time)."""
    for row in range(len(out)):
        begin, end = offsets[row], offsets[row + 1]
        out[row] = 0
        state[row] = OTHER if end > begin else EMPTY
        if end - begin != 19:
            continue
        if data[begin + 4] != 45 or data[begin + 7] != 45 or data[begin + 10] != 32:
            continue  # - - space
        if data[begin + 13] != 58 or data[begin + 16] != 58:
            continue  # : :
        century, year = _pair(data, begin), _pair(data, begin + 2)
        month, day = _pair(data, begin + 5), _pair(data, begin + 8)
        hour, minute, second = (
            _pair(data, begin + 11),
            _pair(data, begin + 14),
            _pair(data, begin + 17),
        )
        if century < 0 or year < 0 or hour < 0 or minute < 0 or second < 0:
            continue
        year += century * 100
        if year < MIN_YEAR or year > MAX_YEAR or month < 1 or month > 12 or day < 1:
            continue
        if day > _month_days(year, month) or hour > 23 or minute > 59 or second > 59:
            continue
        days = _days_from_civil(year, month, day)
        out[row] = (((days * 24 + hour) * 60 + minute) * 60 + second) * _US_PER_S
        state[row] = OK


@compiled
def parse_counts(offsets: Any, data: Any, out: Any, state: Any) -> None:
    """Non-negative integers written as 1 to 18 ASCII digits."""
    for row in range(len(out)):
        begin, end = offsets[row], offsets[row + 1]
        out[row] = 0
        if end == begin:
            state[row] = EMPTY
            continue
        value = _digits(data, begin, end) if end - begin <= MAX_COUNT_DIGITS else -1
        state[row] = OK if value >= 0 else OTHER
        out[row] = max(value, 0)


@compiled
def parse_numbers(offsets: Any, data: Any, plan: Any, out: Any, state: Any) -> None:
    """Telephone numbers → E.164 digits, by the rules of :func:`linka.usage.numbers.to_e164`;
    ``plan`` is (country code, its digits, national length)."""
    country_code, code_digits, national_length = plan
    for row in range(len(out)):
        begin, end = offsets[row], offsets[row + 1]
        out[row] = 0
        state[row] = OTHER if end > begin else EMPTY
        if end == begin:
            continue
        if data[begin] == 43:  # +
            prefix, national = 1, False
        elif end - begin >= 2 and data[begin] == _ZERO and data[begin + 1] == _ZERO:
            prefix, national = 2, False
        elif end - begin == national_length and data[begin] != _ZERO:
            prefix, national = 0, True
        else:
            continue
        size = end - begin - prefix + (code_digits if national else 0)
        if size < MIN_DIGITS or size > MAX_DIGITS or data[begin + prefix] == _ZERO:
            continue
        value = _digits(data, begin + prefix, end)
        if value < 0:
            continue
        if national:
            value += country_code * 10**national_length
        out[row] = value
        state[row] = OK


def _string_buffers(array: pa.Array) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    """The offsets (one per value and one more) and bytes of a large_string array."""
    if array.type != pa.large_string() or array.null_count:
        raise TypeError(f"expected large_string without nulls, got {array.type}")
    _, offsets, data = array.buffers()
    assert offsets is not None
    starts = np.frombuffer(offsets, dtype=np.int64)[array.offset : array.offset + len(array) + 1]
    if data is None:
        return starts, np.zeros(1, dtype=np.uint8)
    return starts, np.frombuffer(data, dtype=np.uint8)


def _read(
    column: pa.ChunkedArray, kernel: Callable[..., None], *extra: Any
) -> tuple[Values, States]:
    """``kernel`` over every chunk of a string column, into one value and one state array."""
    out, state = np.empty(len(column), np.int64), np.empty(len(column), np.int8)
    at = 0
    for chunk in column.chunks:
        offsets, data = _string_buffers(chunk)
        end = at + len(chunk)
        kernel(offsets, data, *extra, out[at:end], state[at:end])
        at = end
    return out, state


def times(column: pa.ChunkedArray) -> tuple[Values, States]:
    """Naive microseconds of ``YYYY-MM-DD HH:MM:SS`` values, and their states."""
    return _read(column, parse_times)


def counts(column: pa.ChunkedArray) -> tuple[Values, States]:
    """Non-negative integers, and their states."""
    return _read(column, parse_counts)


def numbers(column: pa.ChunkedArray, plan: NumberPlan) -> tuple[Values, States]:
    """E.164 digits by ``plan``, and their states."""
    rules = (int(plan.country_code), len(plan.country_code), plan.national_length)
    return _read(column, parse_numbers, rules)
