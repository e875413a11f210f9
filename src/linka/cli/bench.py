"""``linka bench``: benchmarks that print figures (human table or one JSON object)."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from linka.benchmarks.catalog import as_dict, run_catalog_benchmark
from linka.cli.runtime import console, user_errors

app = typer.Typer(help="Benchmarks: speed and memory figures on this machine.")

DATABASE_URL = typer.Option(
    None,
    "--database-url",
    help="Measure on this database (PostgreSQL: a temporary schema). Default: temporary SQLite.",
)
JSON = typer.Option(False, "--json", help="Print one JSON object instead of a table.")


def show(title: str, figures: dict[str, object], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(figures))
        return
    table = Table(title=title)
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in figures.items():
        table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
    console.print(table)


@app.command("catalog")
@user_errors
def catalog(
    prefixes: int = typer.Option(100_000, min=1, help="Prefixes in the generated rate deck."),
    database_url: str | None = DATABASE_URL,
    as_json: bool = JSON,
) -> None:
    """Validate and load a catalog with a generated carrier deck of PREFIXES prefixes."""
    figures = run_catalog_benchmark(prefixes, database_url)
    show("Catalog validate + load", as_dict(figures), as_json)
