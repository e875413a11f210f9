"""Errors of the usage context."""

from __future__ import annotations

from linka.kernel.errors import LinkaError


class UsageImportError(LinkaError):
    """A file could not be imported at all (unreadable, unknown format); nothing was stored."""
