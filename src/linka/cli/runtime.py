"""What every command shares: settings, the database (schema upgraded), the console.

Errors meant for users (``LinkaError``) are printed without a traceback and end the
command with exit code 1; anything else is a bug and shows its traceback.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import wraps
from typing import ParamSpec, TypeVar

import polars as pl
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from linka.customers.model import Actor
from linka.kernel.clock import Clock, SystemClock
from linka.kernel.errors import LinkaError
from linka.settings import Settings
from linka.store.database import Database

console = Console()
err_console = Console(stderr=True)

PhaseProgress = Callable[[str, int, int], None]

P = ParamSpec("P")
R = TypeVar("R")


def settings() -> Settings:
    return Settings()


def clock() -> Clock:
    """The clock commands use (tests put a FakeClock here)."""
    return SystemClock()


def actor() -> Actor:
    """The operating-system user running the command, recorded with every change."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError):  # no login name in this environment
        name = "unknown"
    return Actor(name, "cli")


@contextmanager
def open_database(upgrade: bool = True) -> Iterator[Database]:
    """The configured database, migrated to the newest schema unless told otherwise."""
    database = Database.from_settings(settings())
    try:
        if upgrade:
            database.upgrade()
        yield database
    finally:
        database.dispose()


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn LinkaError into a clear message and exit code 1."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except LinkaError as exc:
            raise fail(str(exc)) from None

    return wrapper


@contextmanager
def phase_progress() -> Iterator[PhaseProgress]:
    """A progress callback ``(phase, done, total)`` drawing one bar per phase."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield progress


def frame_table(frame: pl.DataFrame, title: str | None = None) -> Table:
    """A data frame as a console table: numbers right-aligned, empty cells for nulls."""
    table = Table(title=title)
    for name, dtype in frame.schema.items():
        numeric = isinstance(dtype, pl.Decimal) or dtype.is_numeric()
        table.add_column(name, overflow="fold", justify="right" if numeric else "left")
    for row in frame.iter_rows():
        table.add_row(*("" if value is None else str(value) for value in row))
    return table


def parse_day(text: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option value (None when not given), or a user error naming the option."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise LinkaError(f"{option} {text!r}: expected a date YYYY-MM-DD") from None
