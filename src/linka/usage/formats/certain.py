"""The rows of a switch CSV block whose values the compiled readers are certain of.

Asterisk and FreeSWITCH blocks share one shape: numbers, local times, counts, an id
and a few text columns. :func:`certain_rows` reads them with
:mod:`linka.usage.formats.compiled` and keeps the rows where every value is certain
(numbers and counts in canonical form and in range, the first time present, the others
present or empty, the id not empty, the times converted to UTC). The format builds its
records from those typed columns; :meth:`CertainRows.merged` runs every other row
through the format's Polars path — which decides it exactly as if no compiled reader
existed and words the reject detail — and returns both in line order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from linka.usage.formats import compiled
from linka.usage.formats.csvlines import FIRST, BlockRows
from linka.usage.formats.parsed import REJECT_COLUMNS
from linka.usage.localtime import Nonexistent, localise
from linka.usage.numbers import NumberPlan

Process = Callable[[pl.DataFrame], tuple[pl.DataFrame, pl.DataFrame]]
"""A format's Polars path: text columns + ``line`` → (accepted, rejected)."""


@dataclass(frozen=True)
class Columns:
    """Which columns of a block hold what."""

    numbers: Sequence[str]  # E.164 numbers, all required
    times: Sequence[str]  # local times; the first required, the others may be empty
    counts: Mapping[str, int]  # non-negative integers and their largest allowed value
    id: str  # the record id, required
    texts: Sequence[str] = ()  # carried as they are


@dataclass(frozen=True)
class CertainRows:
    """``frame``: the certain rows' typed columns (each number and count under its own
    name, times as ``<name>_utc``, the id and texts, ``line``); ``others``: the
    positions of the other (non-blank) rows of the block."""

    rows: BlockRows
    frame: pl.DataFrame
    others: npt.NDArray[np.intp]

    def merged(self, records: pl.DataFrame, process: Process) -> tuple[pl.DataFrame, pl.DataFrame]:
        """``records`` (built from ``frame``) with the other rows' records from
        ``process``, in line order, and their rejects."""
        if len(self.others) == 0:
            return records, pl.DataFrame(schema=REJECT_COLUMNS)
        table = self.rows.table.take(self.others)
        frame = pl.from_arrow(table.drop_columns([FIRST]) if FIRST in table.column_names else table)
        assert isinstance(frame, pl.DataFrame)
        lines = pl.Series("line", self.rows.numbers[self.others], dtype=pl.Int64)
        accepted, rejected = process(frame.with_columns(lines))
        return pl.concat([records, accepted]).sort("line"), rejected


def certain_rows(
    rows: BlockRows,
    columns: Columns,
    plan: NumberPlan,
    timezone: str,
    nonexistent: Nonexistent,
) -> CertainRows:
    table = rows.table
    certain = pc.greater(pc.binary_length(table[columns.id]), 0).to_numpy()
    typed: dict[str, npt.NDArray[np.int64]] = {}
    for name in columns.numbers:
        typed[name], state = compiled.numbers(table[name], plan)
        certain &= state == compiled.OK
    for name, largest in columns.counts.items():
        typed[name], state = compiled.counts(table[name])
        certain &= (state == compiled.OK) & (typed[name] <= largest)
    times = {name: compiled.times(table[name]) for name in columns.times}
    for position, (_, state) in enumerate(times.values()):
        certain &= (state == compiled.OK) if position == 0 else (state != compiled.OTHER)
    if rows.blank is not None:
        certain &= ~rows.blank
    keep = np.flatnonzero(certain)
    read: dict[str, pa.Array | pa.ChunkedArray | npt.NDArray[np.int64]] = {
        name: values[keep] for name, values in typed.items()
    }
    for name, (values, state) in times.items():
        empty = state[keep] == compiled.EMPTY
        read[f"{name}_naive"] = pa.array(values[keep], pa.timestamp("us"), mask=empty)
    for name in (columns.id, *columns.texts):
        read[name] = table[name].take(keep)
    read["line"] = rows.numbers[keep]
    frame = pl.from_arrow(pa.table(read))
    assert isinstance(frame, pl.DataFrame)
    utc = {f"{name}_naive": f"{name}_utc" for name in columns.times}
    frame = localise(frame, utc, timezone, nonexistent)
    refused = pl.any_horizontal(
        pl.col(naive).is_not_null() & pl.col(converted).is_null()
        for naive, converted in utc.items()
    )  # a DST-gap time with nonexistent="reject": the Polars path words the reject
    lost = frame.get_column("line").filter(frame.select(refused).to_series())
    if lost.len():
        certain[keep[np.isin(rows.numbers[keep], lost.to_numpy())]] = False
        frame = frame.filter(~refused)
    others = ~certain if rows.blank is None else ~certain & ~rows.blank
    return CertainRows(rows, frame.drop(utc.keys()), np.flatnonzero(others))
