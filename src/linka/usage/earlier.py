"""Records a source delivered already in an earlier batch, found by ``record_id``.

Switches and mediation platforms re-send records (a retried transfer, overlapping daily
files). A record counts once per source: the import drops records whose id an earlier
batch of the same source stored for the same UTC day, or still keeps waiting in suspense.
Only the ``record_id`` column of those files is read, one day at a time as the file
being imported reaches it, and a day the file has moved past is forgotten again, so
memory follows the days in reach rather than everything the source ever sent.

A file is imported in parts, so one day's earlier ids are compared with many parts.
Joining every part with them would hash the same earlier ids again for each part; they
are hashed once instead (64-bit, sorted), each part is looked up by binary search, and
only ids whose hash matches are compared as strings, so the result stays exact.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from linka.usage.store import UsageStore
from linka.usage.tables import UsageBatchFileRow, UsageBatchRow

SEED = 0xE41


@dataclass(frozen=True)
class KnownIds:
    """Earlier ids, sorted by their hash."""

    hashes: npt.NDArray[np.uint64]
    ids: pl.Series

    @classmethod
    def of(cls, ids: pl.Series) -> KnownIds:
        hashes = ids.hash(seed=SEED).to_numpy()
        order = np.argsort(hashes)
        return cls(hashes[order], ids.gather(order))

    def found(self, ids: pl.Series, hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.bool_]:
        """Which of ``ids`` (with their ``hashes``) are among these ids."""
        result = np.zeros(len(ids), dtype=bool)
        rows = np.arange(len(ids))
        at = np.searchsorted(self.hashes, hashes)
        while len(rows):  # more than one round only where different ids share a hash
            inside = at < len(self.hashes)
            rows, at = rows[inside], at[inside]
            same = self.hashes[at] == hashes[rows]
            rows, at = rows[same], at[same]
            if len(rows):
                equal = (ids.gather(rows) == self.ids.gather(at)).to_numpy()
                result[rows[equal]] = True
                rows, at = rows[~equal], at[~equal] + 1
        return result


class EarlierIds:
    """The ids of one source's committed batches, loaded per day on demand."""

    def __init__(self, session: Session, store: UsageStore, source: str) -> None:
        self.store = store
        rows = session.execute(
            select(UsageBatchFileRow.kind, UsageBatchFileRow.day, UsageBatchFileRow.path)
            .join(UsageBatchRow, UsageBatchRow.id == UsageBatchFileRow.batch_id)
            .where(
                UsageBatchRow.source == source,
                (UsageBatchFileRow.kind == "records")
                | (
                    (UsageBatchFileRow.kind == "suspense") & UsageBatchFileRow.released_at.is_(None)
                ),
            )
        ).all()
        self._paths: defaultdict[date, list[str]] = defaultdict(list)
        self._suspense_paths: list[str] = []
        for kind, day, path in rows:
            if kind == "records" and day is not None:
                self._paths[day].append(path)
            else:
                self._suspense_paths.append(path)
        self._days: dict[date, KnownIds] = {}
        self._suspense: KnownIds | None = None
        self._previous: set[date] = set()

    def without_earlier(self, records: pl.DataFrame) -> pl.DataFrame:
        """``records`` minus those an earlier batch delivered (order kept)."""
        if records.height == 0 or not (self._paths or self._suspense_paths):
            return records
        days = {
            day
            for day in records.get_column("start").dt.date().unique().to_list()
            if day in self._paths
        }
        for day in [d for d in self._days if d not in days and d not in self._previous]:
            del self._days[day]  # the file moved past it
        self._previous = days
        known = [self._ids_of(day) for day in sorted(days)]
        if self._suspense_paths:
            if self._suspense is None:
                self._suspense = KnownIds.of(self._read(self._suspense_paths))
            known.append(self._suspense)
        if not known:
            return records
        ids = records.get_column("record_id")
        hashes = ids.hash(seed=SEED).to_numpy()
        delivered = np.zeros(records.height, dtype=bool)
        for earlier in known:
            if len(earlier.hashes):
                delivered |= earlier.found(ids, hashes)
        return records.filter(pl.Series(~delivered)) if delivered.any() else records

    def _ids_of(self, day: date) -> KnownIds:
        if day not in self._days:
            self._days[day] = KnownIds.of(self._read(self._paths[day]))
        return self._days[day]

    def _read(self, paths: list[str]) -> pl.Series:
        return self.store.scan(paths).select("record_id").collect().get_column("record_id")
