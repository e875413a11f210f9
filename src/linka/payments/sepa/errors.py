"""Errors of SEPA mandates, collections, returns and refunds, shown to the user as they are."""

from __future__ import annotations

from linka.kernel.errors import LinkaError


class SepaError(LinkaError):
    """A mandate, collection, status report or refund that cannot be done as asked."""
