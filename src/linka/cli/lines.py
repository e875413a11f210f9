"""``linka lines``: add a line to an account, change its status, show it with its history."""

from __future__ import annotations

import typer
from rich.table import Table

from linka.cli import customers as customers_cli
from linka.cli import runtime
from linka.cli.runtime import console, open_database, parse_day, user_errors
from linka.customers.errors import InvalidInputError
from linka.customers.tables import BillingAccountRow, CustomerRow
from linka.subscriptions import services
from linka.subscriptions.bulk import LineInput
from linka.subscriptions.model import TRANSITIONS, LineStatus

app = typer.Typer(help="Service lines (MSISDN, SIM) and their status lifecycle.")


@app.command("add")
@user_errors
def add(
    account: str = typer.Argument(..., help="Billing account number."),
    msisdn: str = typer.Option(..., help="MSISDN (E.164 or Czech national)."),
    offering: str = typer.Option(..., help="Catalog offering id."),
    iccid: str = typer.Option(None, help="SIM ICCID."),
    imsi: str = typer.Option(None, help="SIM IMSI."),
    status: str = typer.Option(None, help="active (default) | pending."),
    activation_date: str = typer.Option(None, help="YYYY-MM-DD (default today)."),
    installation_street: str = typer.Option(None, help="Installation address: street."),
    installation_city: str = typer.Option(None, help="Installation address: city."),
    installation_postal_code: str = typer.Option(None, help="Installation address: code."),
    installation_country: str = typer.Option(None, help="Installation address: country."),
) -> None:
    """Add a line to a billing account."""
    line = LineInput(
        msisdn=msisdn,
        offering=offering,
        iccid=iccid,
        imsi=imsi,
        line_status=status,
        activation_date=activation_date,
        installation_street=installation_street,
        installation_city=installation_city,
        installation_postal_code=installation_postal_code,
        installation_country=installation_country,
    )
    with open_database() as database, database.session() as session:
        try:
            created = services.add_line(
                session, account, line, clock=runtime.clock(), actor=runtime.actor()
            )
        except InvalidInputError as exc:
            raise customers_cli.option_errors(exc, "line", {"line_status": "status"}) from None
        row = created.line
    console.print(
        f"[green]created[/] line [bold]{row.msisdn}[/] on account {account}: "
        f"{row.offering_id}, {row.status}"
    )


@app.command("status")
@user_errors
def status(
    msisdn: str = typer.Argument(..., help="MSISDN of the line."),
    to: LineStatus = typer.Option(..., "--to", help="New status."),
    reason: str = typer.Option(..., help="Why (kept in the history)."),
    on: str = typer.Option(None, "--date", help="Effective date YYYY-MM-DD (default today)."),
) -> None:
    """Move a line to another status; the lifecycle table decides what is allowed."""
    effective = parse_day(on, "--date")
    with open_database() as database, database.session() as session:
        try:
            change = services.change_line_status(
                session,
                msisdn,
                to,
                reason=reason,
                clock=runtime.clock(),
                actor=runtime.actor(),
                effective_on=effective,
            )
        except InvalidInputError as exc:
            raise customers_cli.option_errors(exc, "status change") from None
        row = change.change
    console.print(
        f"line {change.line.msisdn}: {row.from_status} → {row.to_status} "
        f"from {row.effective_on} ({row.reason})"
    )


@app.command("offering")
@user_errors
def offering(
    msisdn: str = typer.Argument(..., help="MSISDN of the line."),
    to: str = typer.Option(..., "--to", help="Id of the new offering."),
    reason: str = typer.Option(..., help="Why (kept in the history)."),
    on: str = typer.Option(None, "--date", help="Effective date YYYY-MM-DD (default today)."),
) -> None:
    """Move a line to another offering; the next bill credits and charges pro rata."""
    effective = parse_day(on, "--date")
    with open_database() as database, database.session() as session:
        try:
            change = services.change_line_offering(
                session,
                msisdn,
                to,
                reason=reason,
                clock=runtime.clock(),
                actor=runtime.actor(),
                effective_on=effective,
            )
        except InvalidInputError as exc:
            raise customers_cli.option_errors(exc, "offering change") from None
        event = change.events[0]
    console.print(
        f"line {event.msisdn}: {event.from_offering} → {event.to_offering} "
        f"from {event.effective_on} ({event.reason})"
    )


@app.command("show")
@user_errors
def show(msisdn: str = typer.Argument(..., help="MSISDN of the line.")) -> None:
    """Show a line (the live one, else the last to hold the number) and its history."""
    with open_database() as database, database.session() as session:
        line = services.find_line(session, msisdn)
        account = session.get_one(BillingAccountRow, line.account_id)
        customer = session.get_one(CustomerRow, account.customer_id)
        history = services.status_history(session, line.id)
    table = Table(title=f"Line {line.msisdn}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    allowed = ", ".join(sorted(TRANSITIONS[LineStatus(line.status)])) or "none (final)"
    for label, value in (
        ("customer", f"{customer.number} ({customer.name})"),
        ("account", account.number),
        ("status", line.status),
        ("next allowed", allowed),
        ("offering", line.offering_id),
        ("ICCID", line.iccid),
        ("IMSI", line.imsi),
        ("activated on", line.activated_on),
        ("terminated on", line.terminated_on),
    ):
        if value:
            table.add_row(label, str(value))
    console.print(table)
    history_table = Table(title="Status history")
    for column in ("effective", "from", "to", "reason", "by", "recorded (UTC)"):
        history_table.add_column(column, overflow="fold")
    for h in history:
        history_table.add_row(
            h.effective_on.isoformat(),
            h.from_status or "",
            h.to_status,
            h.reason,
            f"{h.actor} ({h.actor_channel})",
            h.recorded_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(history_table)
