"""Inputs handed to compiled functions have one type, however Polars gave them."""

from __future__ import annotations

import numba
import numpy as np
import polars as pl

from linka.kernel.compiled import read_only


def test_a_copy_and_a_shared_view_of_a_column_pass_as_the_same_type() -> None:
    # given a column Polars shares with numpy (read-only) and a computed array (writable)
    shared = pl.Series([1, 2, 3]).to_numpy()
    copied = np.array([1, 0, 3], dtype=np.int64)
    assert numba.typeof(shared) != numba.typeof(copied)
    # then as read-only views they are one Numba type (one compiled version), no copy
    views = read_only(shared), read_only(copied)
    assert numba.typeof(views[0]) == numba.typeof(views[1])
    assert not views[1].flags.writeable
    assert np.shares_memory(views[1], copied)
    assert copied.flags.writeable  # the original is left as it was
