"""Within one file, a repeated ``record_id`` is a ``duplicate`` reject naming the first line.

A file is read in parts (blocks of lines), so the ids of the parts read so far must be
remembered — for a 10M-record file that is 10M ids. Keeping the strings would cost
30-40 bytes each; :class:`SeenIds` keeps a 64-bit hash and the line of each id instead
(16 bytes): one run per part, sorted by hash.

Looking every new id up in every run would cost more than reading the file, so a Bloom
filter answers first: one 64-bit word chosen by the top bits of the hash, three bits in
it chosen by the low bits (one memory access per id to test and to set; about 32 bits
per expected id, at most 64 MiB). Only ids whose three bits are all set — real repeats
and about one in 3,000 others — are searched in the runs. Merging runs costs more than
searching them while there are fewer than :data:`MAX_RUNS` (a few million ids), so they
are merged only beyond that. Everything that does not depend on earlier parts (hashing,
sorting, the filter words and bits) is computed on the worker thread that read the part
(:meth:`SeenIds.hashed`); the file-ordered step that remains is a few array passes.

A hash match is still only a *candidate*: two different ids can share a hash. The
candidate's string is compared with the id at the earlier line, which the caller fetches
again (:data:`IdsAt`: the CSV reader parses that block again). Real repeats are rare in
switch files, so this costs nothing in the common case and stays exact in every case.

Polars' hash is used (fast, vectorised); it is not stable across Polars versions, which
does not matter because the hashes never leave one import. A part's hashes are put in
order by one plain integer sort of their top 40 bits with the row in the low
:data:`ROW_BITS` (4× cheaper than an argsort, and this runs for every record); only in
the rare part where two top parts tie is an argsort needed. The runs keep all 64
bits: every candidate costs a block read again, so false ones must stay rare.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

SEED = 0x5EED
ROW_BITS = 24  # a part (one block of at most 32 MiB) has fewer rows than 2^24
MAX_RUNS = 128
MAX_FILTER_BITS = 29  # 64 MiB
BITS_PER_ID = 32
Hashes = npt.NDArray[np.uint64]
Lines = npt.NDArray[np.int64]
Rows = npt.NDArray[np.intp]
IdsAt = Callable[[Lines], pl.DataFrame]
"""The ``line, record_id`` of accepted records at the given earlier lines."""

_NONE: tuple[Rows, Lines] = (np.empty(0, dtype=np.intp), np.empty(0, dtype=np.int64))
_SIX, _ONE = np.uint64(63), np.uint64(1)
_ROWS = np.uint64((1 << ROW_BITS) - 1)


@dataclass(frozen=True)
class HashedIds:
    """The ids of a part, hashed, sorted and placed in the filter (worker side)."""

    hashes: Hashes  # in row order
    order: Rows  # rows sorted by hash
    sorted: Hashes  # hashes[order]
    repeats: bool  # some hash occurs twice in the part
    word: Rows  # the filter word of each sorted hash
    bits: Hashes  # and its three bits there
    first: Rows  # where a new word starts among the sorted hashes


class SeenIds:
    """Hashes and lines of the ids accepted so far in a file; see the module docstring."""

    def __init__(self, expected: int) -> None:
        bits = np.ceil(np.log2(max(expected, 1) * BITS_PER_ID))
        words = int(np.clip(bits, 16, MAX_FILTER_BITS)) - 6
        self._shift = np.uint64(64 - words)
        self._words = np.zeros(1 << words, dtype=np.uint64)
        self._runs: list[tuple[Hashes, Lines]] = []

    def __len__(self) -> int:
        return sum(len(hashes) for hashes, _ in self._runs)

    def hashed(self, ids: pl.Series) -> HashedIds:
        """Hash a part's ids (safe on any thread: reads nothing that changes)."""
        return self.from_hashes(ids.hash(seed=SEED).to_numpy())

    def from_hashes(self, hashes: Hashes) -> HashedIds:
        order = _hash_order(hashes)
        ordered = hashes[order]
        repeats = bool((ordered[1:] == ordered[:-1]).any())
        word = (ordered >> self._shift).astype(np.intp)
        bits = (
            (_ONE << (ordered & _SIX))
            | (_ONE << ((ordered >> np.uint64(6)) & _SIX))
            | (_ONE << ((ordered >> np.uint64(12)) & _SIX))
        )
        first = np.flatnonzero(np.diff(word, prepend=-1)).astype(np.intp)
        return HashedIds(hashes, order, ordered, repeats, word, bits, first)

    def candidates(self, hashed: HashedIds) -> tuple[Rows, Lines, Hashes]:
        """(row, earlier line) for every earlier id whose hash equals that of a row, and
        the filter words of the part as they were (for :meth:`add`)."""
        current = self._words[hashed.word]
        if not self._runs:
            return *_NONE, current
        maybe = np.flatnonzero((current & hashed.bits) == hashed.bits)
        if len(maybe) == 0:
            return *_NONE, current
        wanted, asked = hashed.sorted[maybe], hashed.order[maybe]
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
            return *_NONE, current
        return np.concatenate(rows), np.concatenate(lines), current

    def add(self, hashed: HashedIds, current: Hashes, lines: Lines, kept: Rows | None) -> None:
        """Remember a part: every hash in the filter (a repeat sets bits that are set
        already), the ``kept`` sorted positions (all if None) with their lines in a run."""
        first = hashed.first
        merged = current[first] | np.bitwise_or.reduceat(hashed.bits, first)
        self._words[hashed.word[first]] = merged
        order, ordered = hashed.order, hashed.sorted
        if kept is not None:
            order, ordered = order[kept], ordered[kept]
        if len(ordered) == 0:
            return
        self._runs.append((ordered, lines[order]))
        if len(self._runs) > MAX_RUNS:
            merged_hashes = np.concatenate([h for h, _ in self._runs])
            by_hash = np.argsort(merged_hashes, kind="stable")
            merged_lines = np.concatenate([ln for _, ln in self._runs])[by_hash]
            self._runs = [(merged_hashes[by_hash], merged_lines)]


def _hash_order(hashes: Hashes) -> Rows:
    """The rows in the order of their hashes (see the module docstring)."""
    rows = len(hashes)
    if rows <= 1 << ROW_BITS:
        keys = (hashes & ~_ROWS) | np.arange(rows, dtype=np.uint64)
        keys = pl.Series(keys).sort(multithreaded=False).to_numpy()
        top = keys & ~_ROWS
        if not (top[1:] == top[:-1]).any():
            return (keys & _ROWS).astype(np.intp)
    return np.argsort(hashes, kind="stable").astype(np.intp)


def duplicates(
    ids: pl.Series, lines: Lines, hashed: HashedIds, seen: SeenIds, ids_at: IdsAt
) -> tuple[npt.NDArray[np.bool_], Lines]:
    """Which of these accepted records repeat an id accepted earlier in the file, and the
    line where it was first accepted. Adds the others to ``seen``."""
    count = len(ids)
    repeated = np.zeros(count, dtype=bool)
    first_line = np.zeros(count, dtype=np.int64)
    first_row = np.full(count, -1, dtype=np.int64)  # within this part: the first row
    if hashed.repeats:
        suspects = np.flatnonzero(pl.Series(hashed.hashes).is_duplicated().to_numpy())
        frame = pl.DataFrame({"row": suspects, "id": ids.gather(suspects)})
        first = frame.get_column("id").is_first_distinct()
        later = frame.filter(~first).join(
            frame.filter(first).rename({"row": "first_row"}), on="id", how="left"
        )
        rows = later.get_column("row").to_numpy()
        repeated[rows] = True
        first_row[rows] = later.get_column("first_row").to_numpy()
        first_line[rows] = lines[first_row[rows]]
    rows, earlier, current = seen.candidates(hashed)
    if hashed.repeats and len(rows):
        fresh = ~repeated[rows]
        rows, earlier = rows[fresh], earlier[fresh]
    if len(rows):
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
    kept = np.flatnonzero(~repeated[hashed.order]) if repeated.any() else None
    seen.add(hashed, current, lines, kept)
    return repeated, first_line
