"""Events the usage context emits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UsageBatchImported:
    batch_id: int
    source: str
    file_name: str
    accepted: int
    waiting: int
    rejected: int
    duplicates: int


@dataclass(frozen=True)
class SuspenseReleased:
    """Records that waited for their line were moved into the store as a new batch."""

    batch_id: int
    records: int
