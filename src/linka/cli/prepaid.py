"""``linka prepaid``: prepaid credit of lines — top-ups, vouchers, usage deduction, expiry."""

from __future__ import annotations

import typer

app = typer.Typer(help="Prepaid credit: top-ups, vouchers, balances.", no_args_is_help=True)
