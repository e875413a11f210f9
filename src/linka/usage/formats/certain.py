"""The call records of a switch CSV block whose values the compiled readers are certain of.

Asterisk and FreeSWITCH blocks share one shape: the caller's and the called number, start,
answer and end as local times, duration and billable seconds, an id and a few text
columns. :func:`certain_rows` reads them with :mod:`linka.usage.formats.compiled` and
keeps the rows where every value is certain (numbers and counts in canonical form and in
range, the start present, answer and end present or empty, the id not empty, the times
converted to UTC). :meth:`CertainRows.records` turns those into usage records by the
format's rule for "answered" and "charged", runs every other row through the format's
Polars path — which decides it exactly as if no compiled reader existed and words the
reject detail — and returns both in line order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from linka.usage.formats import compiled
from linka.usage.formats.csvlines import BlockRows
from linka.usage.formats.parsed import REJECT_COLUMNS
from linka.usage.localtime import Nonexistent, localise
from linka.usage.numbers import NumberPlan

MAX_SECONDS = 2**31 - 1
PolarsPath = Callable[[pl.DataFrame], tuple[pl.DataFrame, pl.DataFrame]]
"""A format's Polars path: text columns + ``line`` → (accepted, rejected)."""


@dataclass(frozen=True)
class Columns:
    """Where a switch's CSV keeps each part of a call record."""

    caller: str  # the calling line's number
    called: str
    start: str  # local time; required
    answer: str  # local time; empty: not answered
    end: str  # local time; may be empty
    duration: str  # seconds from start to end
    billed: str  # billable seconds
    id: str  # required
    texts: Sequence[str] = ()  # carried as they are (disposition, hangup cause)
    duration_limit: int | None = None  # the largest duration accepted (None: any)


@dataclass(frozen=True)
class CertainRows:
    """``frame``: the certain rows' typed columns (numbers and counts under their own
    names, times as ``<name>_utc``, the id and texts, ``line``); ``others``: the
    positions of the other rows of the block that are not blank."""

    rows: BlockRows
    columns: Columns
    frame: pl.DataFrame
    others: npt.NDArray[np.intp]

    def utc(self, name: str) -> pl.Expr:
        return pl.col(f"{name}_utc")

    def records(
        self, answered: pl.Expr, charged: pl.Expr, polars_path: PolarsPath
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(accepted fields + ``line``, rejects) of the whole block: the certain rows as
        records (started at answer when ``answered``, billable seconds when ``charged``),
        the others by ``polars_path``, in line order."""
        columns = self.columns
        records = self.frame.select(
            pl.col(columns.id).alias("record_id"),
            pl.col(columns.caller).alias("line_msisdn"),
            pl.col(columns.caller).alias("a_number"),
            pl.col(columns.called).alias("b_number"),
            pl.when(answered)
            .then(self.utc(columns.answer))
            .otherwise(self.utc(columns.start))
            .alias("start"),
            pl.when(charged)
            .then(pl.col(columns.billed))
            .otherwise(0)
            .cast(pl.Int32)
            .alias("duration_s"),
            pl.lit(0, dtype=pl.Int64).alias("volume_up"),
            pl.lit(0, dtype=pl.Int64).alias("volume_down"),
            "line",
        )
        if len(self.others) == 0:
            return records, pl.DataFrame(schema=REJECT_COLUMNS)
        accepted, rejected = polars_path(self.rows.frame_of(self.others))
        return pl.concat([records, accepted]).sort("line"), rejected


def certain_rows(
    rows: BlockRows,
    columns: Columns,
    plan: NumberPlan,
    timezone: str,
    nonexistent: Nonexistent,
) -> CertainRows:
    """Read a block's values; see the module docstring. The end is converted to UTC only
    with ``nonexistent="reject"``, where a time in a DST gap is refused: otherwise a
    valid end cannot be, and only the start and answer are used."""
    table = rows.table
    certain = pc.greater(pc.binary_length(table[columns.id]), 0).to_numpy()  # blank: empty
    typed: dict[str, npt.NDArray[np.int64]] = {}
    for name in (columns.caller, columns.called):
        typed[name], state = compiled.numbers(table[name], plan)
        certain &= state == compiled.OK
    limits = {columns.duration: columns.duration_limit, columns.billed: MAX_SECONDS}
    for name, limit in limits.items():
        typed[name], state = compiled.counts(table[name])
        certain &= state == compiled.OK
        if limit is not None:
            certain &= typed[name] <= limit
    times = {
        name: compiled.times(table[name]) for name in (columns.start, columns.answer, columns.end)
    }
    for name, (_, state) in times.items():
        certain &= (state == compiled.OK) if name == columns.start else (state != compiled.OTHER)
    keep = np.flatnonzero(certain)
    every = len(keep) == len(certain)  # the common case: no copies of whole columns
    read: dict[str, pa.ChunkedArray | npt.NDArray[np.int64]] = {
        name: values if every else values[keep] for name, values in typed.items()
    }
    convert = [columns.start, columns.answer, *([columns.end] if nonexistent == "reject" else [])]
    for name in convert:
        values, state = times[name]
        if not every:
            values, state = values[keep], state[keep]
        read[f"{name}_naive"] = pa.array(values, pa.timestamp("us"), mask=state == compiled.EMPTY)
    for name in (columns.id, *columns.texts):
        read[name] = table[name] if every else table[name].take(keep)
    read["line"] = rows.numbers if every else rows.numbers[keep]
    frame = pl.from_arrow(pa.table(read))
    assert isinstance(frame, pl.DataFrame)
    utc = {f"{name}_naive": f"{name}_utc" for name in convert}
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
    return CertainRows(rows, columns, frame.drop(utc.keys()), np.flatnonzero(others))
