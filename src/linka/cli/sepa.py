"""``linka payments`` SEPA commands: mandates, pain.008 collections, returns, pain.001 refunds."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

import typer
from rich.table import Table

from linka.cli import runtime
from linka.cli.runtime import console, open_database, parse_day, user_errors
from linka.payments.sepa.debits import export_collections
from linka.payments.sepa.errors import SepaError
from linka.payments.sepa.mandates import add_mandate, list_mandates, revoke_mandate
from linka.payments.sepa.pain import Creditor
from linka.payments.sepa.refunds import export_refunds, request_refund
from linka.payments.sepa.returns import (
    ReturnReport,
    book_rejections,
    book_returns,
    read_status_report,
)
from linka.payments.statements import StatementFormat, read_statement

mandates = typer.Typer(help="SEPA Core mandates of billing accounts.", no_args_is_help=True)


@mandates.command("add")
@user_errors
def mandates_add(
    account: str = typer.Argument(..., help="Billing account number."),
    iban: str = typer.Option(..., help="The debtor's IBAN."),
    name: str = typer.Option(..., help="The debtor's name, as on the bank account."),
    bic: str = typer.Option(None, help="The debtor's bank's BIC (optional in SEPA)."),
    signed_on: str = typer.Option(None, help="Date of signature YYYY-MM-DD [today]."),
    reference: str = typer.Option(None, help="Mandate reference (UMR) [ACCOUNT-n]."),
) -> None:
    """Record a signed mandate; the account's invoices are collected while it is active."""
    with open_database() as database, database.session() as session:
        row = add_mandate(
            session, account, iban=iban, name=name, bic=bic, clock=runtime.clock(),
            signed_on=parse_day(signed_on, "--signed-on"), reference=reference,
        )  # fmt: skip
        console.print(
            f"mandate [bold]{row.reference}[/] on account {account}: {row.debtor_name}, "
            f"{row.debtor_iban}, signed {row.signed_on}; the first collection is FRST"
        )


@mandates.command("list")
@user_errors
def mandates_list(
    account: str = typer.Argument(None, help="Only this billing account."),
) -> None:
    """Mandates with their state: active or revoked, used (RCUR next) or not (FRST next)."""
    table = Table(title="SEPA mandates")
    for column in ("reference", "account", "pays by", "debtor", "IBAN", "BIC", "signed",
                   "status", "next"):  # fmt: skip
        table.add_column(column)
    with open_database() as database, database.session() as session:
        for view in list_mandates(session, account):
            table.add_row(
                view.reference, view.account, view.payment_method, view.debtor_name,
                view.debtor_iban, view.debtor_bic or "", str(view.signed_on),
                view.status if view.revoked_on is None else f"revoked {view.revoked_on}",
                "FRST" if view.first_collected_on is None else "RCUR",
            )  # fmt: skip
    console.print(table)


@mandates.command("revoke")
@user_errors
def mandates_revoke(reference: str = typer.Argument(..., help="Mandate reference.")) -> None:
    """End a mandate: nothing more is collected under it."""
    with open_database() as database, database.session() as session:
        row = revoke_mandate(session, reference, runtime.clock())
        console.print(f"mandate {row.reference} revoked on {row.revoked_on}")


def _directory(output: Path | None) -> Path:
    return output if output is not None else runtime.settings().data_dir / "sepa"


@user_errors
def sepa_export(
    date: str = typer.Option(..., "--date", help="Requested collection date YYYY-MM-DD."),
    output: Path = typer.Option(None, help="Folder for the pain.008 file [DATA_DIR/sepa]."),
) -> None:
    """Collect the invoices due on or before --date from accounts with an active mandate:
    one pain.008.001.02 file per currency. Invoices already collected are not again."""
    on = parse_day(date, "--date")
    assert on is not None
    creditor = Creditor.from_settings(runtime.settings())
    with open_database() as database, database.session() as session:
        files = export_collections(session, on, _directory(output), creditor, runtime.clock())
    if not files:
        console.print(f"nothing to collect on {on}")
        return
    for written in files:
        table = Table(title=f"Direct debits {written.message_id}, collected on {on}")
        for column in ("end-to-end id", "account", "mandate", "debtor", "seq", "amount", "cur"):
            table.add_column(column, justify="right" if column == "amount" else "left")
        for c in written.collections:
            table.add_row(
                c.end_to_end_id, c.account, c.mandate, c.debtor, c.sequence,
                f"{c.amount:,.2f}", c.currency,
            )  # fmt: skip
        console.print(table)
        console.print(
            f"{len(written.collections)} debits, {written.total:,.2f} {written.currency}: "
            f"{written.path}"
        )


@user_errors
def sepa_returns(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="pain.002 or camt.054."),
) -> None:
    """Book a bank's answer to direct debits: a pain.002 status report (rejected debits)
    or a camt.054/camt.053 with returned debits (their payments are reversed)."""
    head = file.read_bytes()[:2000]
    with open_database() as database, database.session() as session:
        if b"CstmrPmtStsRpt" in head:
            today = runtime.clock().now().date()
            report = book_rejections(session, read_status_report(file), today)
            done = "rejected"
        else:
            kind = StatementFormat.CAMT054 if b"camt.054" in head else StatementFormat.CAMT053
            entries = [e for s in read_statement(file, kind) for e in s.entries]
            report = book_returns(session, entries, runtime.clock())
            done = "returned"
    _print_report(report, done)


def _print_report(report: ReturnReport, done: str) -> None:
    console.print(f"{report.returned} debits {done}, {report.already} booked before")
    if report.unknown:
        table = Table(title="Not booked: for a person to look at")
        table.add_column("entry")
        table.add_column("why", overflow="fold")
        for entry, why in report.unknown:
            table.add_row(entry, why)
        console.print(table)


@user_errors
def refund(
    account: str = typer.Argument(..., help="Billing account number."),
    amount: str = typer.Argument(..., help="Amount to pay back, e.g. 120.50."),
    iban: str = typer.Option(None, help="Pay to this IBAN [the mandate's or the account's]."),
    name: str = typer.Option(None, help="Payee name [the mandate's debtor or the customer]."),
    bic: str = typer.Option(None, help="Payee's BIC (optional)."),
) -> None:
    """Book a refund of the account's credit; the next refunds-export pays it (pain.001)."""
    try:
        value = Decimal(amount.strip())
    except InvalidOperation:
        raise SepaError(f"amount {amount!r}: expected a number such as 120.50") from None
    with open_database() as database, database.session() as session:
        row = request_refund(
            session, account, value, clock=runtime.clock(), iban=iban, name=name, bic=bic
        )
        console.print(
            f"refund {row.end_to_end_id}: {row.amount:,.2f} {row.currency} to "
            f"{row.creditor_name}, {row.creditor_iban}; paid by the next refunds-export"
        )


@user_errors
def refunds_export(
    date: str = typer.Option(..., "--date", help="Requested execution date YYYY-MM-DD."),
    output: Path = typer.Option(None, help="Folder for the pain.001 file [DATA_DIR/sepa]."),
) -> None:
    """Pay the refunds not yet sent: one pain.001.001.03 file per currency."""
    on = parse_day(date, "--date")
    assert on is not None
    creditor = Creditor.from_settings(runtime.settings())
    with open_database() as database, database.session() as session:
        files = export_refunds(session, on, _directory(output), creditor, runtime.clock())
        summary = [
            (
                written.message_id, written.path, written.currency, written.total,
                [(r.end_to_end_id, r.creditor_name, r.creditor_iban, r.amount)
                 for r in written.refunds],
            )
            for written in files
        ]  # fmt: skip
    if not files:
        console.print("no refunds waiting")
        return
    for message_id, path, currency, total, refunds in summary:
        table = Table(title=f"Refunds {message_id}, executed on {on}")
        for column in ("end-to-end id", "payee", "IBAN", "amount"):
            table.add_column(column, justify="right" if column == "amount" else "left")
        for end_to_end, payee, account_iban, paid in refunds:
            table.add_row(end_to_end, payee, account_iban, f"{paid:,.2f}")
        console.print(table)
        console.print(f"{len(refunds)} refunds, {total:,.2f} {currency}: {path}")


def register(app: typer.Typer) -> None:
    """Add the SEPA commands to the ``linka payments`` group."""
    app.add_typer(mandates, name="mandates")
    app.command("sepa-export")(sepa_export)
    app.command("sepa-returns")(sepa_returns)
    app.command("refund")(refund)
    app.command("refunds-export")(refunds_export)
