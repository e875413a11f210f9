"""Dunning errors: each names what to fix."""

from __future__ import annotations

from linka.catalog.errors import CatalogIssue
from linka.kernel.errors import LinkaError


class DunningError(LinkaError):
    """A dunning request that cannot be carried out as asked."""


class DunningLadderError(DunningError):
    """The ladder file has problems (each names file, line and field); nothing was dunned."""

    def __init__(self, issues: list[CatalogIssue]) -> None:
        self.issues = sorted(issues)
        shown = "\n".join(f"  {issue}" for issue in self.issues)
        super().__init__(f"dunning ladder is invalid ({len(self.issues)} problems):\n{shown}")
