"""``linka dunning``: run the collections ladder, promises to pay, exemptions."""

from __future__ import annotations

import typer

app = typer.Typer(help="Dunning: reminders, fees, suspension, restore.", no_args_is_help=True)
