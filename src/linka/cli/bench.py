"""``linka bench``: benchmarks that print figures (human table or one JSON object)."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from linka.benchmarks import billrun as billrun_bench
from linka.benchmarks import catalog as catalog_bench
from linka.benchmarks import payments as payments_bench
from linka.benchmarks import rating as rating_bench
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
        if isinstance(value, int | float) and not isinstance(value, bool):
            table.add_row(key, f"{value:,}")
        else:
            table.add_row(key, str(value))
    console.print(table)


@app.command("catalog")
@user_errors
def catalog(
    prefixes: int = typer.Option(100_000, min=1, help="Prefixes in the generated rate deck."),
    database_url: str | None = DATABASE_URL,
    as_json: bool = JSON,
) -> None:
    """Validate and load a catalog with a generated carrier deck of PREFIXES prefixes."""
    figures = catalog_bench.run_catalog_benchmark(prefixes, database_url)
    show("Catalog validate + load", catalog_bench.as_dict(figures), as_json)


@app.command("rating")
@user_errors
def rating(
    records: int = typer.Option(10_000_000, min=1, help="Usage records of the month."),
    import_records: int | None = typer.Option(
        None, help="Records in the Asterisk file of the import measurement (default: --records)."
    ),
    database_url: str | None = DATABASE_URL,
    as_json: bool = JSON,
) -> None:
    """Import (Asterisk CSV) and rate (Parquet store) a month for the demo operator."""
    figures = rating_bench.run_rating_benchmark(records, import_records, database_url)
    show("Usage import and rating", rating_bench.as_dict(figures), as_json)


@app.command("billrun")
@user_errors
def billrun(
    accounts: int = typer.Option(100_000, min=1, help="Billing accounts (~1.26 lines each)."),
    pdfs: int = typer.Option(200, min=1, help="Invoices to render as PDF for the throughput."),
    database_url: str | None = DATABASE_URL,
    as_json: bool = JSON,
) -> None:
    """Bill run with issuing for a rated month (100 records per account), then PDFs."""
    figures = billrun_bench.run_billrun_benchmark(accounts, database_url, pdfs)
    show("Bill run and documents", billrun_bench.as_dict(figures), as_json)


@app.command("payments")
@user_errors
def payments(
    lines: int = typer.Option(100_000, min=10, help="Entries in the statement (one per invoice)."),
    database_url: str | None = DATABASE_URL,
    as_json: bool = JSON,
) -> None:
    """Import and match a camt.053 statement of LINES payments against issued invoices."""
    figures = payments_bench.run_payments_benchmark(lines, database_url)
    show("Statement import and matching", payments_bench.as_dict(figures), as_json)
