"""``linka customers``: add, list, show, change and import customers.

Commands open one unit of work each: a refused command writes nothing. Customers added
here go through the same checks as the CSV import and the demo (the onboarding path).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from linka.cli import runtime
from linka.cli.runtime import console, open_database, phase_progress, settings, user_errors
from linka.customers import consents, contacts, services, timeline
from linka.customers.errors import InvalidInputError, problems
from linka.customers.model import (
    AccountDefaults,
    ConsentChannel,
    ConsentPurpose,
    ContactRole,
    Segment,
)
from linka.kernel.errors import LinkaError
from linka.subscriptions import services as lines
from linka.subscriptions.importing import ImportReport, import_customers
from linka.subscriptions.onboarding import OnboardingRow, onboard_customers

app = typer.Typer(help="Customers, billing accounts, contacts, consents and the timeline.")

TIMELINE_SHOWN = 20


def option_errors(
    exc: InvalidInputError, what: str, renamed: dict[str, str] | None = None
) -> LinkaError:
    """The problems of a single-record command, named by the options to fix."""
    names = renamed or {}
    lines_ = [
        f"  --{names.get(i.field, i.field).replace('_', '-')}: {i.message}" for i in exc.issues
    ]
    return LinkaError(f"{what} refused ({problems(len(exc.issues))}):\n" + "\n".join(lines_))


@app.command("add")
@user_errors
def add(
    first_name: str = typer.Option(None, help="Person: first name."),
    last_name: str = typer.Option(None, help="Person: last name."),
    birth_date: str = typer.Option(None, help="Person: birth date YYYY-MM-DD."),
    organisation_name: str = typer.Option(None, help="Organisation: registered name."),
    ico: str = typer.Option(None, help="Organisation: IČO (required for Czech ones)."),
    dic: str = typer.Option(None, help="Organisation: DIČ (CZ…) or EU VAT id."),
    customer_type: str = typer.Option(None, help="person | organisation (default: by name)."),
    segment: str = typer.Option(None, help="consumer | business (default: by type)."),
    email: str = typer.Option(None, help="E-mail address."),
    phone: str = typer.Option(None, help="Phone number (E.164 or Czech national)."),
    street: str = typer.Option(None, help="Address: street and number."),
    city: str = typer.Option(None, help="Address: city."),
    postal_code: str = typer.Option(None, help="Address: postal code."),
    country: str = typer.Option(None, help="Address: ISO country code (default CZ)."),
    tax_profile: str = typer.Option("domestic", help="Account: catalog tax profile id."),
    payment_type: str = typer.Option(None, help="Account: postpaid | prepaid."),
    payment_method: str = typer.Option(None, help="Account: bank_transfer | direct_debit | card."),
    variable_symbol: str = typer.Option(None, help="Account: default is the account number."),
    bill_cycle_day: int = typer.Option(None, help="Account: day of month 1–28 (default 1)."),
    currency: str = typer.Option(None, help="Account: ISO 4217 (default LINKA_CURRENCY)."),
    invoice_delivery: str = typer.Option(None, help="Account: email | post."),
    language: str = typer.Option(None, help="Account: cs | en."),
    timezone: str = typer.Option(None, help="Account: IANA zone (default LINKA_TIMEZONE)."),
    iban: str = typer.Option(None, help="Account: IBAN (required for direct_debit)."),
    billing_email: str = typer.Option(None, help="Account: where invoices are e-mailed."),
    msisdn: str = typer.Option(None, help="Line (optional): MSISDN."),
    offering: str = typer.Option(None, help="Line: catalog offering id."),
    iccid: str = typer.Option(None, help="Line: SIM ICCID."),
    imsi: str = typer.Option(None, help="Line: SIM IMSI."),
    line_status: str = typer.Option(None, help="Line: active (default) | pending."),
    activation_date: str = typer.Option(None, help="Line: YYYY-MM-DD (default today)."),
) -> None:
    """Add a person or an organisation with one billing account and optionally one line."""
    if country is None and any((street, city, postal_code)):
        country = "CZ"
    row = OnboardingRow(
        customer_type=customer_type,
        segment=segment,
        first_name=first_name,
        last_name=last_name,
        birth_date=birth_date,
        organisation_name=organisation_name,
        ico=ico,
        dic=dic,
        email=email,
        phone=phone,
        street=street,
        city=city,
        postal_code=postal_code,
        country=country,
        currency=currency,
        bill_cycle_day=bill_cycle_day,
        payment_type=payment_type,
        payment_method=payment_method,
        variable_symbol=variable_symbol,
        invoice_delivery=invoice_delivery,
        language=language,
        tax_profile=tax_profile,
        timezone=timezone,
        iban=iban,
        billing_email=billing_email,
        msisdn=msisdn,
        offering=offering,
        iccid=iccid,
        imsi=imsi,
        line_status=line_status,
        activation_date=activation_date,
    )
    with open_database() as database, database.session() as session:
        try:
            result = onboard_customers(
                session,
                [row],
                clock=runtime.clock(),
                actor=runtime.actor(),
                source="cli",
                defaults=AccountDefaults.from_settings(settings()),
            )
        except InvalidInputError as exc:
            raise option_errors(exc, "customer") from None
        customer = services.get_customer(session, result.customer_numbers[0])
        account = services.accounts_of(session, customer.id)[0]
        created = lines.lines_of_accounts(session, [account.id])
    line = f" and line {created[0].msisdn}" if created else ""
    console.print(
        f"[green]created[/] customer [bold]{customer.number}[/] ({customer.name}) with billing "
        f"account [bold]{account.number}[/] (variable symbol {account.variable_symbol}){line}"
    )


@app.command("list")
@user_errors
def list_customers(
    segment: Segment = typer.Option(None, help="Only this segment."),
    search: str = typer.Option(None, help="Part of name, e-mail, number, IČO or phone."),
    limit: int = typer.Option(50, min=1, max=10_000, help="Rows to show."),
    offset: int = typer.Option(0, min=0, help="Rows to skip."),
) -> None:
    """List customers by number."""
    with open_database() as database, database.session() as session:
        rows, total = services.find_customers(
            session, segment=segment, search=search, limit=limit, offset=offset
        )
        table = Table(title="Customers")
        for column in ("number", "name", "segment", "type", "IČO", "e-mail", "phone", "city"):
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(
                row.number,
                row.name,
                row.segment,
                row.party_kind,
                row.ico or "",
                row.email or "",
                row.phone or "",
                row.city or "",
            )
    console.print(table)
    shown = f"{offset + 1}–{offset + len(rows)}" if rows else "none"
    console.print(f"showing {shown} of {total}")


@app.command("show")
@user_errors
def show(
    number: str = typer.Argument(..., help="Customer number."),
    entries: int = typer.Option(TIMELINE_SHOWN, "--timeline", min=0, help="Timeline entries."),
) -> None:
    """Show a customer: party, accounts, lines with status history, contacts, consents,
    and the newest timeline entries."""
    with open_database() as database, database.session() as session:
        customer = services.get_customer(session, number)
        accounts = services.accounts_of(session, customer.id)
        console.print(_customer_table(customer))
        table = Table(title="Billing accounts")
        for column in (
            "number",
            "variable symbol",
            "payment",
            "method",
            "cycle day",
            "currency",
            "tax profile",
            "delivery",
            "language",
        ):
            table.add_column(column)
        for a in accounts:
            table.add_row(
                a.number,
                a.variable_symbol,
                a.payment_type,
                a.payment_method,
                str(a.bill_cycle_day),
                a.currency,
                a.tax_profile_id,
                a.invoice_delivery,
                a.language,
            )
        console.print(table)
        numbers = {a.id: a.number for a in accounts}
        line_table = Table(title="Lines")
        for column in ("MSISDN", "account", "offering", "status", "ICCID", "history"):
            line_table.add_column(column, overflow="fold")
        for line in lines.lines_of_accounts(session, list(numbers)):
            history = "; ".join(
                f"{h.effective_on} {h.from_status or 'new'}→{h.to_status} ({h.reason})"
                for h in lines.status_history(session, line.id)
            )
            line_table.add_row(
                line.msisdn,
                numbers[line.account_id],
                line.offering_id,
                line.status,
                line.iccid or "",
                history,
            )
        console.print(line_table)
        contact_table = Table(title="Contacts")
        for column in ("id", "name", "role", "account", "e-mail", "phone"):
            contact_table.add_column(column)
        for link in contacts.contacts_of_customer(session, customer.id):
            c = link.contact
            contact_table.add_row(
                str(c.id), c.name, link.role, link.account_number, c.email or "", c.phone or ""
            )
        console.print(contact_table)
        consent_table = Table(title="Consents (current)")
        for column in ("channel", "purpose", "granted", "since", "source"):
            consent_table.add_column(column)
        for state in consents.current_consents(session, customer.id).values():
            consent_table.add_row(
                state.channel,
                state.purpose,
                "yes" if state.granted else "no",
                state.recorded_at.strftime("%Y-%m-%d %H:%M UTC"),
                state.source,
            )
        console.print(consent_table)
        timeline_table = Table(title=f"Timeline (newest {entries})")
        for column in ("when (UTC)", "kind", "summary", "by"):
            timeline_table.add_column(column, overflow="fold")
        for entry in timeline.timeline(session, customer.id, limit=entries):
            timeline_table.add_row(
                entry.occurred_at.strftime("%Y-%m-%d %H:%M"),
                entry.kind,
                entry.summary,
                f"{entry.actor} ({entry.actor_channel})",
            )
        console.print(timeline_table)


def _customer_table(customer: Any) -> Table:
    table = Table(title=f"Customer {customer.number}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    address = ", ".join(
        part
        for part in (customer.street, customer.postal_code, customer.city, customer.country)
        if part
    )
    for label, value in (
        ("name", customer.name),
        ("type", customer.party_kind),
        ("segment", customer.segment),
        ("IČO", customer.ico),
        ("DIČ", customer.dic),
        ("birth date", customer.birth_date.isoformat() if customer.birth_date else None),
        ("e-mail", customer.email),
        ("phone", customer.phone),
        ("address", address),
        ("external ref", customer.external_ref),
        ("created", customer.created_at.strftime("%Y-%m-%d %H:%M UTC")),
    ):
        if value:
            table.add_row(label, str(value))
    return table


@app.command("update")
@user_errors
def update(
    number: str = typer.Argument(..., help="Customer number."),
    assignments: list[str] = typer.Option(
        ..., "--set", help="field=value, e.g. email=jan@example.cz; empty value clears."
    ),
) -> None:
    """Change customer fields (names as the CSV columns: email, phone, street, …)."""
    changes = _assignments(assignments)
    with open_database() as database, database.session() as session:
        try:
            change = services.update_customer(
                session, number, changes, clock=runtime.clock(), actor=runtime.actor()
            )
        except InvalidInputError as exc:
            raise LinkaError(str(exc)) from None
    _print_changes(f"customer {number}", change.changes)


@app.command("update-account")
@user_errors
def update_account(
    number: str = typer.Argument(..., help="Billing account number."),
    assignments: list[str] = typer.Option(
        ..., "--set", help="field=value, e.g. payment_method=card; empty value clears."
    ),
) -> None:
    """Change billing-account fields (names as the CSV columns)."""
    changes = _assignments(assignments)
    with open_database() as database, database.session() as session:
        change = services.update_account(
            session, number, changes, clock=runtime.clock(), actor=runtime.actor()
        )
    _print_changes(f"account {number}", change.changes)


def _assignments(assignments: list[str]) -> dict[str, str | None]:
    changes: dict[str, str | None] = {}
    for assignment in assignments:
        name, sep, value = assignment.partition("=")
        if not sep:
            raise LinkaError(f"--set {assignment!r}: expected field=value")
        changes[name.strip()] = value.strip() or None
    return changes


def _print_changes(what: str, changes: dict[str, dict[str, Any]]) -> None:
    if not changes:
        console.print(f"{what}: nothing changed")
        return
    for field, change in changes.items():
        console.print(f"{what}: {field}: {change['from']!r} → {change['to']!r}")


@app.command("consent")
@user_errors
def consent(
    number: str = typer.Argument(..., help="Customer number."),
    channel: ConsentChannel = typer.Option(..., help="Channel."),
    purpose: ConsentPurpose = typer.Option(..., help="Purpose."),
    granted: bool = typer.Option(..., "--grant/--withdraw", help="Grant or withdraw."),
    source: str = typer.Option(..., help="Where the answer was given (evidence)."),
) -> None:
    """Record a customer's consent answer for a channel and purpose (kept as history)."""
    with open_database() as database, database.session() as session:
        customer = services.get_customer(session, number)
        consents.record_consent(
            session,
            customer.id,
            channel,
            purpose,
            granted,
            source=source,
            clock=runtime.clock(),
            actor=runtime.actor(),
        )
    answer = "granted" if granted else "withdrawn"
    console.print(f"customer {number}: {purpose.value} by {channel.value} {answer}")


@app.command("contact")
@user_errors
def contact(
    account: str = typer.Argument(..., help="Billing account number."),
    name: str = typer.Option(..., help="Contact's name."),
    role: list[ContactRole] = typer.Option(..., help="owner | billing | technical (repeat)."),
    email: str = typer.Option(None, help="E-mail address."),
    phone: str = typer.Option(None, help="Phone number."),
    existing: int = typer.Option(None, help="Give roles to this existing contact id instead."),
) -> None:
    """Add a contact with roles on an account, or give roles to an existing contact."""
    with open_database() as database, database.session() as session:
        if existing is None:
            added = contacts.add_contact(
                session,
                name=name,
                email=email,
                phone=phone,
                roles=[(account, r) for r in role],
                clock=runtime.clock(),
                actor=runtime.actor(),
            )
            contact_id = added.contact.id
        else:
            contact_id = existing
            for r in role:
                contacts.assign_contact_role(
                    session, existing, account, r, clock=runtime.clock(), actor=runtime.actor()
                )
    console.print(f"contact {contact_id}: {', '.join(role)} of account {account}")


@app.command("import")
@user_errors
def import_file(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV file."),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Import the valid customers, write the rest to rejects."
    ),
    rejects: Path = typer.Option(None, help="Rejects CSV (default: <file>.rejects.csv)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check everything, store nothing."),
) -> None:
    """Import customers, accounts and lines from CSV (columns: see docs/customers.md).

    Without --skip-invalid the file is all or nothing. Exits with 1 when rows were rejected.
    """
    with (
        phase_progress() as progress,
        open_database() as database,
        database.session() as session,
    ):
        report = import_customers(
            session,
            file,
            clock=runtime.clock(),
            actor=runtime.actor(),
            defaults=AccountDefaults.from_settings(settings()),
            skip_invalid=skip_invalid,
            dry_run=dry_run,
            rejects_path=rejects,
            progress=progress,
        )
    _print_report(report)
    if report.rejected_rows:
        raise typer.Exit(1)


def _print_report(report: ImportReport) -> None:
    for problem in report.problems[:50]:
        console.print(f"[red]{problem}[/]", highlight=False, soft_wrap=True)
    if len(report.problems) > 50:
        console.print(f"… and {len(report.problems) - 50} more problems")
    if report.dry_run:
        outcome = "dry run: nothing stored"
    elif report.imported:
        outcome = "imported"
    else:
        outcome = "refused: nothing stored (fix the rows, or use --skip-invalid)"
    table = Table(title=f"Import of {report.file.name}")
    table.add_column("")
    table.add_column("count", justify="right")
    verb = "imported" if report.imported else "valid"
    for label, value in (
        ("rows read", report.rows),
        ("rows rejected", report.rejected_rows),
        (f"customers {verb}", report.customers),
        (f"accounts {verb}", report.accounts),
        (f"lines {verb}", report.lines),
    ):
        table.add_row(label, f"{value:,}")
    console.print(table)
    console.print(outcome)
    if report.rejects_file is not None:
        console.print(f"rejected rows written to {report.rejects_file}")
