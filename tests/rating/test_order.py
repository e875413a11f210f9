"""The consumption order (by line, then start, stable) equals numpy's stable lexsort,
whether the rows of a line come in time order (the usual case) or not."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from linka.rating.compiled import consumption_order


@settings(deadline=None)  # the first call compiles (or loads) the kernel
@given(
    rows=st.lists(st.tuples(st.integers(-1, 6), st.integers(0, 20)), max_size=80),
    time_ordered=st.booleans(),
)
def test_the_consumption_order_is_a_stable_sort_by_line_and_start(
    rows: list[tuple[int, int]], time_ordered: bool
):
    if time_ordered:
        rows = sorted(rows, key=lambda row: row[1])
    rank = np.array([r for r, _ in rows], dtype=np.int64)
    start = np.array([s for _, s in rows], dtype=np.int64)
    order = consumption_order(rank, start, 7)
    assert order.tolist() == np.lexsort((start, rank)).tolist()
