"""``linka payments``: import bank statements, the unmatched queue, matching by hand, ledgers."""

from __future__ import annotations

import typer

from linka.cli import sepa as sepa_cli

app = typer.Typer(
    help="Payments: bank statements, matching, the customer ledger, SEPA.", no_args_is_help=True
)
sepa_cli.register(app)
