"""Catalog errors: each issue names the file, the line or row, the field and what was expected."""

from __future__ import annotations

from dataclasses import dataclass

from linka.kernel.errors import LinkaError


@dataclass(frozen=True, slots=True, order=True)
class CatalogIssue:
    """One problem in a catalog folder, located as precisely as the file allows."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class CatalogInvalidError(LinkaError):
    """The catalog folder has problems; nothing was loaded."""

    def __init__(self, issues: list[CatalogIssue]) -> None:
        self.issues = sorted(issues)
        shown = "\n".join(f"  {issue}" for issue in self.issues[:50])
        more = f"\n  … and {len(self.issues) - 50} more" if len(self.issues) > 50 else ""
        super().__init__(f"catalog is invalid ({len(self.issues)} problems):\n{shown}{more}")


class CatalogNotLoadedError(LinkaError):
    """No catalog version covers the requested date."""
