"""Identifiers: readable stable ids for data, time-ordered UUIDs for events and batches.

Stable ids (catalog entries, sources) are lower-case slugs so that they read well in
files, URLs and explanations. Event and batch ids are UUIDv7 (RFC 9562): sortable by
creation time, drawn from the injected clock so a fake clock gives reproducible order.
"""

from __future__ import annotations

import re
import secrets
import uuid

from linka.kernel.clock import Clock

SLUG_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,62}$"
_SLUG = re.compile(SLUG_PATTERN)


def check_slug(value: str) -> str:
    """Return ``value`` if it is a valid stable id, else raise ``ValueError``."""
    if not _SLUG.match(value):
        raise ValueError(
            f"invalid id {value!r}: expected lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit, at most 63 characters"
        )
    return value


def uuid7(clock: Clock, random_bits: int | None = None) -> uuid.UUID:
    """A UUIDv7 for the clock's current millisecond; ``random_bits`` (74 bits) for tests."""
    millis = int(clock.now().timestamp() * 1000)
    rand = secrets.randbits(74) if random_bits is None else random_bits & ((1 << 74) - 1)
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (rand >> 62) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)
