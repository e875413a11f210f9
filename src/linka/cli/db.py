"""``linka db``: schema migrations and a content digest."""

from __future__ import annotations

import typer

from linka.cli.runtime import console, open_database, user_errors
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
