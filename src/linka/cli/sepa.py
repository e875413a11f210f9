"""``linka payments`` SEPA commands: mandates, pain.008 collections, returns, pain.001 refunds."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the SEPA commands to the ``linka payments`` group."""
