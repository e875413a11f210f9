"""Events the catalog context emits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class CatalogVersionLoaded:
    """A catalog folder was stored as a new version or replaced an existing one."""

    catalog_id: str
    version: str
    effective_from: date
    version_id: int
    replaced: bool
