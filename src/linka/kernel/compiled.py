"""The one way linka compiles a hot loop with Numba (rating kernel, switch CSV readers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt

F = TypeVar("F", bound=Callable[..., Any])
D = TypeVar("D", bound=np.generic)


def compiled(function: F) -> F:
    """Compiled on first use and cached on disk (later processes load the machine code),
    with the GIL released so other threads read and write meanwhile."""
    return cast(F, numba.njit(cache=True, nogil=True)(function))


def read_only(array: npt.NDArray[D]) -> npt.NDArray[D]:
    """``array`` as a read-only view (no copy), to pass to a compiled function.

    Numba compiles a function once per combination of its arguments' types, and an
    array's type says whether it is writable. A numpy view of a Polars column is
    read-only where Polars could share its memory and writable where it had to copy —
    which depends on the data (nulls, chunks). Inputs passed read-only always keep each
    function at one compiled version: a machine that has rated once never compiles
    again in the middle of a run (2-4 s each time, seen on the first 10M-record month).
    """
    view = array.view()
    view.flags.writeable = False
    return view
