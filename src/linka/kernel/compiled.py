"""The one way linka compiles a hot loop with Numba (rating kernel, switch CSV readers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

F = TypeVar("F", bound=Callable[..., Any])


def compiled(function: F) -> F:
    """Compiled on first use and cached on disk (later processes load the machine code),
    with the GIL released so other threads read and write meanwhile."""
    return cast(F, numba.njit(cache=True, nogil=True)(function))
