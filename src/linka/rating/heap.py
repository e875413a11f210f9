"""Keeping freed memory in the process while a period is rated (glibc only).

The kernel makes many short-lived arrays of a few MB. By default glibc serves each from
a fresh ``mmap`` and unmaps it when freed, so the next array page-faults its memory in
again, zero-filled by the kernel: on the development VMs that cost a quarter of the
rating time. While rating, large blocks come from the heap instead and freed blocks
stay there for the next array; afterwards the heap is trimmed and glibc's default
limits are set again. Elsewhere (musl, macOS, Windows) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_MAX = 32 * 1024 * 1024  # glibc's largest on 64-bit
_DEFAULT_THRESHOLD = 128 * 1024  # and the default top pad
_TOP_PAD = 64 * 1024 * 1024
_NEVER_TRIM = 2**31 - 1


@cache
def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version.restype = ctypes.c_char_p
        libc.gnu_get_libc_version()
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):
        return None
    return libc


@contextmanager
def reuse_freed_memory() -> Iterator[None]:
    """Serve large arrays from the heap and keep freed ones for reuse, then trim."""
    libc = _glibc()
    if libc is None:
        yield
        return
    libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX)
    libc.mallopt(_M_TRIM_THRESHOLD, _NEVER_TRIM)
    libc.mallopt(_M_TOP_PAD, _TOP_PAD)
    try:
        yield
    finally:
        libc.mallopt(_M_MMAP_THRESHOLD, _DEFAULT_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_THRESHOLD)
        libc.mallopt(_M_TOP_PAD, _DEFAULT_THRESHOLD)
        libc.malloc_trim(0)
