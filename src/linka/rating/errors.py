"""Errors of the rating context."""

from __future__ import annotations

from linka.kernel.errors import LinkaError


class RerateRequiredError(LinkaError):
    """The catalog changed since the period was rated: prices may change, so say --rerate."""


class NotRatedError(LinkaError):
    """The period has no rating run yet."""
