"""UTC instants → local wall-clock seconds, vectorised, from the zone's own transitions.

Converting ten million timestamps with a time-zone library is slow; but within any
month a zone has at most a couple of UTC-offset changes. We find them once (from
:mod:`zoneinfo`, to the second) and add the offset in force to each instant with one
binary search over a handful of boundaries. Weekday, minute of day and local date then
fall out of integer arithmetic.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
DAY = 86_400


def _offset(zone: ZoneInfo, epoch: int) -> int:
    instant = datetime.fromtimestamp(epoch, UTC).astimezone(zone)
    delta = instant.utcoffset() or timedelta(0)
    return int(delta.total_seconds())


@lru_cache(maxsize=256)
def offset_table(timezone: str, first_day: int, last_day: int) -> tuple[I64, I64]:
    """Boundaries (epoch seconds) and the UTC offset in force from each one on."""
    zone = ZoneInfo(timezone)
    start, stop = (first_day - 1) * DAY, (last_day + 2) * DAY
    boundaries, offsets = [start], [_offset(zone, start)]
    for hour in range(start + 3600, stop + 1, 3600):
        current = _offset(zone, hour)
        if current != offsets[-1]:
            low, high = hour - 3600, hour  # offset changes in (low, high]
            while high - low > 1:
                middle = (low + high) // 2
                if _offset(zone, middle) == offsets[-1]:
                    low = middle
                else:
                    high = middle
            boundaries.append(high)
            offsets.append(current)
    return np.array(boundaries, dtype=np.int64), np.array(offsets, dtype=np.int64)


def local_seconds(epoch_seconds: I64, timezone: str) -> I64:
    """Local wall-clock time of each instant, as seconds since 1970-01-01 00:00 local.

    A month has a handful of offset changes at most: each adds its step to the instants
    from it on (a comparison and an addition), cheaper than a search per instant.
    """
    if len(epoch_seconds) == 0:
        return epoch_seconds.copy()
    first = int(epoch_seconds.min()) // DAY
    last = int(epoch_seconds.max()) // DAY
    boundaries, offsets = offset_table(timezone, first, last)
    if len(boundaries) > _FEW_CHANGES:
        position = np.searchsorted(boundaries, epoch_seconds, side="right") - 1
        found: I64 = epoch_seconds + offsets[np.maximum(position, 0)]
        return found
    result: I64 = epoch_seconds + offsets[0]
    for boundary, step in zip(boundaries[1:].tolist(), np.diff(offsets).tolist(), strict=True):
        result += (epoch_seconds >= boundary) * step
    return result


_FEW_CHANGES = 4
_WEEK = 7 * DAY
_MONDAY = 3 * DAY  # 1970-01-01 was a Thursday: Monday 00:00 is 3 days later, mod a week


def minute_of_week(local: I64) -> I64:
    """Minute of the week, Monday 00:00 = 0."""
    result: I64 = (local + _MONDAY) % _WEEK // 60
    return result
