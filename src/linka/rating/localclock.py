"""UTC instants → local wall-clock time, from the zone's own transitions.

Converting ten million timestamps with a time-zone library is slow; but within any
month a zone has at most a couple of UTC-offset changes. We find them once (from
:mod:`zoneinfo`, to the second) and the compiled kernel (:mod:`linka.rating.compiled`)
adds the offset in force to each instant after a comparison with a handful of
boundaries. Weekday, minute of the week and local date then fall out of integer
arithmetic.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
DAY = 86_400
_BLOCK_DAYS = 32  # offset tables cover whole blocks of days (cached per block)


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


def offset_tables(zones: list[str], epoch_seconds: I64) -> tuple[I64, I64, I64]:
    """Every zone's offset changes over the instants' span, as the compiled kernel reads
    them: (change instants [zone, i], offsets from each on [zone, i], changes per zone)."""
    first, last = (
        (int(epoch_seconds.min()) // DAY, int(epoch_seconds.max()) // DAY)
        if len(epoch_seconds)
        else (0, 0)
    )
    # whole blocks of days, so that the parts of one period find the table computed
    first, last = first - first % _BLOCK_DAYS, last - last % _BLOCK_DAYS + _BLOCK_DAYS - 1
    changes = [offset_table(zone, first, last) for zone in zones]
    width = max((len(bounds) for bounds, _ in changes), default=1)
    bounds, offsets = (np.zeros((max(len(zones), 1), width), dtype=np.int64) for _ in range(2))
    for z, (zone_bounds, zone_offsets) in enumerate(changes):
        bounds[z, : len(zone_bounds)], offsets[z, : len(zone_offsets)] = zone_bounds, zone_offsets
    sizes = np.array([len(b) for b, _ in changes] or [1], dtype=np.int64)
    return bounds, offsets, sizes
