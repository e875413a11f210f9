"""Entry point of the ``linka`` console script."""

from __future__ import annotations

import typer
from rich.table import Table

from linka import __version__
from linka.cli import bench as bench_cli
from linka.cli import billing as billing_cli
from linka.cli import catalog as catalog_cli
from linka.cli import customers as customers_cli
from linka.cli import db as db_cli
from linka.cli import demo as demo_cli
from linka.cli import dunning as dunning_cli
from linka.cli import invoices as invoices_cli
from linka.cli import lines as lines_cli
from linka.cli import outbox as outbox_cli
from linka.cli import payments as payments_cli
from linka.cli import prepaid as prepaid_cli
from linka.cli import rating as rating_cli
from linka.cli import reports as reports_cli
from linka.cli import usage as usage_cli
from linka.cli.runtime import console, settings
from linka.settings import describe_settings

app = typer.Typer(
    name="linka",
    help="linka — telecom billing and CRM. Run a demo operator end to end with `linka demo`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db_cli.app, name="db")
app.add_typer(catalog_cli.app, name="catalog")
app.add_typer(customers_cli.app, name="customers")
app.add_typer(lines_cli.app, name="lines")
app.add_typer(usage_cli.app, name="usage")
app.command("rate")(rating_cli.rate)
app.add_typer(billing_cli.app, name="bill")
app.add_typer(invoices_cli.app, name="invoices")
app.add_typer(payments_cli.app, name="payments")
app.add_typer(prepaid_cli.app, name="prepaid")
app.add_typer(dunning_cli.app, name="dunning")
app.add_typer(outbox_cli.app, name="outbox")
app.add_typer(reports_cli.app, name="reports")
app.add_typer(bench_cli.app, name="bench")
app.command("demo")(demo_cli.demo)


@app.command("version")
def version() -> None:
    """Print linka's version."""
    console.print(f"linka {__version__}")


@app.command("config")
def config() -> None:
    """Show every LINKA_* setting with its current value, default and meaning."""
    table = Table(title="Settings (environment variables)")
    for column in ("variable", "value", "default", "meaning"):
        table.add_column(column, overflow="fold")
    for row in describe_settings(settings()):
        table.add_row(*row)
    console.print(table)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
