"""Usage sources declared in the catalog (``sources.yaml``): format and reader options.

The catalog stores them as data; this module checks them against the readers (so a typo
in a column map is found when the catalog is validated, not at the first import) and
turns a source id into the format and options an import needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from linka.catalog.errors import CatalogIssue
from linka.catalog.services import version_for
from linka.catalog.tables import SourceRow
from linka.catalog.version import CatalogVersion
from linka.usage.errors import UsageImportError
from linka.usage.formats import FORMATS, UnknownFormatError, get_format


@dataclass(frozen=True)
class SourceSettings:
    source: str
    format_name: str
    options: dict[str, Any]


def check_sources(version: CatalogVersion) -> list[CatalogIssue]:
    """Problems with the catalog's usage sources, located in ``sources.yaml``."""
    issues = []
    for i, source in enumerate(version.sources):
        where = f"sources[{i}]"
        try:
            usage_format = get_format(source.format)
        except UnknownFormatError:
            issues.append(
                CatalogIssue(
                    "sources.yaml",
                    None,
                    f"{where}.format",
                    f"unknown format {source.format!r}: expected one of {', '.join(FORMATS)}",
                )
            )
            continue
        try:
            options = usage_format.options(source=source.id, **source.options)
            if hasattr(options, "map"):
                options.map()
        except (TypeError, ValueError, ValidationError) as exc:
            issues.append(CatalogIssue("sources.yaml", None, f"{where}.options", str(exc)))
    return issues


def source_settings(session: Session, source_id: str, on: date) -> SourceSettings:
    """The format and options of a source declared in the catalog valid on ``on``."""
    version = version_for(session, on)
    rows = session.scalars(select(SourceRow).where(SourceRow.version_id == version.id)).all()
    source = next((row for row in rows if row.id == source_id), None)
    if source is None:
        known = ", ".join(row.id for row in rows) or "none"
        raise UsageImportError(
            f"source {source_id!r} is not declared in the catalog's sources.yaml "
            f"(declared: {known}); give --format or declare it"
        )
    return SourceSettings(source.id, source.format, dict(source.options))
