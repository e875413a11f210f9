"""``linka catalog``: validate and load catalog folders, list stored versions."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from linka.catalog import services
from linka.catalog.errors import CatalogInvalidError
from linka.catalog.version import CatalogVersion
from linka.cli import runtime
from linka.cli.runtime import console, open_database, user_errors
from linka.usage.sources import check_sources

app = typer.Typer(help="Products, tariffs, rate decks, taxes and roaming as data.")

FOLDER = typer.Argument(..., exists=True, file_okay=False, help="Catalog folder.")


def _validated(folder: Path) -> CatalogVersion:
    """Compile the folder and check its usage sources against the readers."""
    catalog = services.validate_catalog(folder)
    issues = check_sources(catalog)
    if issues:
        raise CatalogInvalidError(issues)
    return catalog


@app.command("validate")
@user_errors
def validate(folder: Path = FOLDER) -> None:
    """Check a catalog folder completely without touching the database."""
    catalog = _validated(folder)
    manifest = catalog.manifest
    console.print(
        f"[green]valid[/]: {manifest.id} version {manifest.version} effective from "
        f"{manifest.effective_from}: {len(catalog.offerings)} offerings, "
        f"{len(catalog.tariffs)} tariffs, {catalog.rates.height:,} rate rows"
    )


@app.command("load")
@user_errors
def load(
    folder: Path = FOLDER,
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and report, store nothing."),
) -> None:
    """Store a catalog folder as the version for its effective_from date.

    A later effective_from adds a version (older ones stay for older usage); the same
    effective_from with changed content replaces that version; identical content is a no-op.
    """
    catalog = _validated(folder)
    with open_database() as database, database.session() as session:
        result = services.load_catalog(
            session, catalog, source=str(folder.resolve()), clock=runtime.clock(), dry_run=dry_run
        )
    prefix = "[yellow]dry run[/]: would be " if dry_run else ""
    manifest = catalog.manifest
    console.print(
        f"{prefix}{result.outcome.value}: {manifest.id} {manifest.version} effective from "
        f"{manifest.effective_from} ({result.offerings} offerings, {result.tariffs} tariffs, "
        f"{result.rates:,} rate rows)"
    )


@app.command("versions")
@user_errors
def versions() -> None:
    """List the stored catalog versions."""
    with open_database() as database, database.session() as session:
        rows = services.list_versions(session)
        table = Table(title="Catalog versions")
        for column in ("catalog", "version", "effective from", "loaded at", "checksum"):
            table.add_column(column)
        for row in rows:
            table.add_row(
                row.catalog_id,
                row.version,
                row.effective_from.isoformat(),
                row.loaded_at.strftime("%Y-%m-%d %H:%M UTC"),
                row.checksum[:12],
            )
    console.print(table)
