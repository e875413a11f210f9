"""``linka db``: schema migrations and a content digest."""

from __future__ import annotations

import typer
from rich.table import Table

from linka.cli.runtime import console, open_database, user_errors
from linka.store.digest import digest_database
from linka.store.migrate import current_revision, head_revision

app = typer.Typer(help="Database schema and housekeeping.", no_args_is_help=True)


@app.command("upgrade")
@user_errors
def upgrade() -> None:
    """Apply all pending migrations (other commands do this automatically)."""
    with open_database(upgrade=False) as database:
        before = current_revision(database.engine)
        database.upgrade()
        after = current_revision(database.engine)
    if before == after:
        console.print(f"Schema is up to date at revision [bold]{after}[/].")
    else:
        console.print(f"Schema upgraded from {before or 'empty'} to [bold]{after}[/].")


@app.command("status")
@user_errors
def status() -> None:
    """Show the database in use and its schema revision."""
    with open_database(upgrade=False) as database:
        current = current_revision(database.engine)
        console.print(f"database: {database.url.render_as_string(hide_password=True)}")
        console.print(f"revision: {current or 'empty'} (newest: {head_revision()})")


@app.command("digest")
@user_errors
def digest(
    tables: bool = typer.Option(False, "--tables", help="Also show each table's rows and digest."),
) -> None:
    """Print a SHA-256 over the whole database content (equal content, equal digest).

    Rows are read in key order and values rendered canonically, so SQLite and PostgreSQL
    holding the same data agree; see linka.store.digest for what is left out.
    """
    with open_database() as database, database.session() as session:
        result = digest_database(session)
    if tables:
        table = Table(title="Content digest per table")
        table.add_column("table")
        table.add_column("rows", justify="right")
        table.add_column("sha256")
        for item in result.tables:
            table.add_row(item.name, f"{item.rows:,}", item.sha256)
        console.print(table)
    console.print(f"{result.sha256}  ({result.rows:,} rows in {len(result.tables)} tables)")
