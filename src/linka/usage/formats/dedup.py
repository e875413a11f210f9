"""Within one file, a repeated ``record_id`` is a ``duplicate`` reject naming the first line.

A file is read in parts (blocks of lines), so the ids of the parts read so far must be
remembered — for a 10M-record file that is 10M ids. Keeping the strings would cost
30-40 bytes each; :class:`SeenIds` keeps a 64-bit hash and the line of each id instead
(16 bytes): one run per part, sorted by hash on the worker thread that read the part.

Looking every new id up in every run would cost more than reading the file, so a bitmap
indexed by the top bits of the hash (one bit per id, sized for the file, at most 64 MiB)
answers first: only ids whose bit is set — real repeats and about 1-2 % of false
alarms — are searched in the runs. Runs are merged when there are many of them.

A hash match is still only a *candidate*: two different ids can share a hash. The
candidate's string is compared with the id at the earlier line, which the caller fetches
again (:data:`IdsAt`: the CSV reader parses that block again). Real repeats are rare in
switch files, so this costs nothing in the common case and stays exact in every case.

Polars' hash is used (fast, vectorised); it is not stable across Polars versions, which
does not matter because the hashes never leave one import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

SEED = 0x5EED
MAX_RUNS = 32
MAX_BITMAP_BITS = 29  # 64 MiB
Hashes = npt.NDArray[np.uint64]
Lines = npt.NDArray[np.int64]
Rows = npt.NDArray[np.intp]
IdsAt = Callable[[Lines], pl.DataFrame]
"""The ``line, record_id`` of accepted records at the given earlier lines."""

_NONE: tuple[Rows, Lines] = (np.empty(0, dtype=np.intp), np.empty(0, dtype=np.int64))


@dataclass(frozen=True)
class HashedIds:
    """The ids of a part, hashed, with the order that sorts them (computed on a worker)."""

    hashes: Hashes  # in row order
    order: Rows  # rows sorted by hash

    @classmethod
    def of(cls, ids: pl.Series) -> HashedIds:
        hashes = ids.hash(seed=SEED).to_numpy()
        return cls(hashes, np.argsort(hashes).astype(np.intp))


class SeenIds:
    """Hashes and lines of the ids accepted so far in a file; see the module docstring."""

    def __init__(self, expected: int) -> None:
        bits = int(np.clip(np.ceil(np.log2(max(expected, 1) * 32)), 16, MAX_BITMAP_BITS))
        self._shift = np.uint64(64 - bits)
        self._words = np.zeros(1 << (bits - 6), dtype=np.uint64)
        self._runs: list[tuple[Hashes, Lines]] = []

    def __len__(self) -> int:
        return sum(len(hashes) for hashes, _ in self._runs)

    def add(self, hashes: Hashes, lines: Lines) -> None:
        """Remember ids; ``hashes`` sorted, ``lines`` in the same order."""
        if len(hashes) == 0:
            return
        position = hashes >> self._shift
        word = (position >> np.uint64(6)).astype(np.intp)
        bit = np.uint64(1) << (position & np.uint64(63))
        first = np.concatenate([[0], np.flatnonzero(np.diff(word)) + 1])
        self._words[word[first]] |= np.bitwise_or.reduceat(bit, first)
        self._runs.append((hashes, lines))
        if len(self._runs) > MAX_RUNS:
            merged = np.concatenate([h for h, _ in self._runs])
            order = np.argsort(merged, kind="stable")
            self._runs = [(merged[order], np.concatenate([ln for _, ln in self._runs])[order])]

    def candidates(self, hashes: Hashes) -> tuple[Rows, Lines]:
        """(index into ``hashes``, earlier line) for every earlier id with an equal hash."""
        if len(hashes) == 0 or not self._runs:
            return _NONE
        position = hashes >> self._shift
        word = self._words[(position >> np.uint64(6)).astype(np.intp)]
        maybe = np.flatnonzero((word >> (position & np.uint64(63))) & np.uint64(1))
        if len(maybe) == 0:
            return _NONE
        order = np.argsort(hashes[maybe])
        wanted, asked = hashes[maybe][order], maybe[order]
        rows: list[Rows] = []
        lines: list[Lines] = []
        for run_hashes, run_lines in self._runs:
            found = np.searchsorted(run_hashes, wanted)
            step = 0
            while True:  # more than one step only where different ids share a hash
                at = found + step
                hit = at < len(run_hashes)
                hit[hit] = run_hashes[at[hit]] == wanted[hit]
                if not hit.any():
                    break
                rows.append(asked[hit])
                lines.append(run_lines[at[hit]])
                step += 1
        if not rows:
            return _NONE
        return np.concatenate(rows), np.concatenate(lines)


def duplicates(
    ids: pl.Series, lines: Lines, hashed: HashedIds, seen: SeenIds, ids_at: IdsAt
) -> tuple[npt.NDArray[np.bool_], Lines]:
    """Which of these accepted records repeat an id accepted earlier in the file, and the
    line where it was first accepted. Adds the others to ``seen``."""
    hashes = hashed.hashes
    count = len(ids)
    repeated = np.zeros(count, dtype=bool)
    first_line = np.zeros(count, dtype=np.int64)
    first_row = np.full(count, -1, dtype=np.int64)  # within this part: the first row
    if not bool(pl.Series(hashes).is_first_distinct().all()):
        suspects = np.flatnonzero(pl.Series(hashes).is_duplicated().to_numpy())
        frame = pl.DataFrame({"row": suspects, "id": ids.gather(suspects)})
        first = frame.get_column("id").is_first_distinct()
        later = frame.filter(~first).join(
            frame.filter(first).rename({"row": "first_row"}), on="id", how="left"
        )
        rows = later.get_column("row").to_numpy()
        repeated[rows] = True
        first_row[rows] = later.get_column("first_row").to_numpy()
        first_line[rows] = lines[first_row[rows]]
    fresh = np.flatnonzero(~repeated)
    found, earlier = seen.candidates(hashes[fresh])
    if len(found):
        rows = fresh[found]
        pairs = pl.DataFrame({"row": rows, "line": earlier, "id": ids.gather(rows)})
        known = ids_at(np.unique(earlier)).select("line", pl.col("record_id").alias("id"))
        confirmed = (
            pairs.join(known, on=["line", "id"], how="semi")
            .group_by("row")
            .agg(pl.col("line").min())
        )
        rows = confirmed.get_column("row").to_numpy()
        repeated[rows] = True
        first_line[rows] = confirmed.get_column("line").to_numpy()
        # a repeat within this part of a record that itself repeats an earlier part
        inherits = np.flatnonzero(first_row >= 0)
        inherits = inherits[np.isin(first_row[inherits], rows)]
        first_line[inherits] = first_line[first_row[inherits]]
    order = hashed.order
    if repeated.any():
        order = order[~repeated[order]]
    seen.add(hashes[order], lines[order])
    return repeated, first_line
