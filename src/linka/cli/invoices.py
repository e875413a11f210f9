"""``linka invoices``: list, show, issue and correct invoices."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from rich.table import Table

from linka.billing import services
from linka.billing.corrections import credit_invoice
from linka.billing.explain import explain_invoice
from linka.billing.export import DocumentFormat, Selection, export_documents
from linka.billing.model import InvoiceStatus
from linka.billing.runs import approve_drafts, issue_drafts
from linka.billing.tables import InvoiceRow
from linka.cli import runtime
from linka.cli.runtime import (
    console,
    fail,
    frame_table,
    open_database,
    parse_day,
    phase_progress,
    user_errors,
)
from linka.kernel.clock import local_today
from linka.usage.store import UsageStore

PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")

app = typer.Typer(help="Invoices and credit notes: list, show, issue, credit, export, explain.")


def _name(invoice: InvoiceRow) -> str:
    return invoice.number_text or f"#{invoice.id}"


@app.command("list")
@user_errors
def list_(
    account: str = typer.Option(None, help="Only this billing account."),
    status: InvoiceStatus = typer.Option(None, help="Only this status."),
    run: int = typer.Option(None, help="Only this bill run."),
    limit: int = typer.Option(30, help="How many (newest first)."),
) -> None:
    """Invoices, newest first."""
    with open_database() as database, database.session() as session:
        rows = services.list_invoices(
            session,
            account_number=account,
            status=status.value if status else None,
            run_id=run,
            limit=limit,
        )
        table = Table(title="Invoices")
        for column in ("number", "kind", "status", "account", "issued", "period", "net", "VAT",
                       "due", "cur"):  # fmt: skip
            table.add_column(column, justify="right" if column in {"net", "VAT", "due"} else "left")
        for invoice, number in rows:
            table.add_row(
                _name(invoice), invoice.kind, invoice.status, number,
                str(invoice.issue_date or ""),
                f"{invoice.period_start}–{invoice.period_end}", f"{invoice.total_net:,.2f}",
                f"{invoice.total_vat:,.2f}", f"{invoice.amount_due:,.2f}", invoice.currency,
            )  # fmt: skip
    console.print(table)


@app.command("show")
@user_errors
def show(reference: str = typer.Argument(..., help="Invoice number, or #id of a draft.")) -> None:
    """An invoice with its lines, VAT summary and totals."""
    with open_database() as database, database.session() as session:
        view = services.invoice_view(session, services.find_document(session, reference))
        invoice = view.invoice
        console.print(
            f"[bold]{_name(invoice)}[/] {invoice.kind}, {invoice.status}, account "
            f"{view.account_number}, VS {invoice.variable_symbol}; issued {invoice.issue_date}, "
            f"DUZP {invoice.tax_point_date}, due {invoice.due_date}",
            highlight=False,
        )
        table = Table()
        for column in ("#", "line", "description", "net", "VAT %", "VAT"):
            table.add_column(
                column, justify="right" if column in {"net", "VAT %", "VAT"} else "left"
            )
        for line in view.lines:
            text = line.description_cs if invoice.language == "cs" else line.description_en
            table.add_row(
                str(line.position), line.line_msisdn or "", text, f"{line.net:,.2f}",
                f"{line.vat_rate.normalize():f}", f"{line.vat:,.2f}",
            )  # fmt: skip
        console.print(table)
        for vat in view.vat:
            console.print(
                f"VAT {vat.rate.normalize():f} %: base {vat.base:,.2f}, VAT {vat.vat:,.2f}"
            )
        console.print(
            f"net {invoice.total_net:,.2f} + VAT {invoice.total_vat:,.2f} = "
            f"{invoice.total_gross:,.2f}; rounding {invoice.rounding:,.2f}; "
            f"[bold]due {invoice.amount_due:,.2f} {invoice.currency}[/]"
        )
        for note in invoice.notes:
            console.print(note)


def _selected(run: int | None, references: list[str] | None, *statuses: InvoiceStatus) -> list[int]:
    """The invoices of a run in these statuses, or the ones named."""
    with open_database() as database, database.session() as session:
        if run is None:
            return [services.find_document(session, r).id for r in references or []]
        return sorted(
            invoice.id
            for status in statuses
            for invoice, _ in services.list_invoices(
                session, run_id=run, status=status.value, limit=10_000_000
            )
        )


@app.command("approve")
@user_errors
def approve(
    run: int = typer.Option(None, help="Approve the drafts of this bill run."),
    references: list[str] = typer.Argument(None, help="Or these drafts (#id)."),
) -> None:
    """Mark drafts as reviewed (draft → approved); `issue` then numbers them."""
    ids = _selected(run, references, InvoiceStatus.DRAFT)
    with open_database() as database, database.session() as session:
        count = approve_drafts(session, ids, clock=runtime.clock())
    console.print(f"approved {count:,} drafts")


@app.command("issue")
@user_errors
def issue(
    run: int = typer.Option(None, help="Issue the drafts and approved invoices of this run."),
    references: list[str] = typer.Argument(None, help="Or these drafts (#id)."),
    on: str = typer.Option(None, "--date", help="Issue date (default today)."),
    approved_only: bool = typer.Option(
        False, "--approved-only", help="With --run: only what was approved."
    ),
) -> None:
    """Number and issue drafts: from then on they never change."""
    settings = runtime.settings()
    issue_date = parse_day(on, "--date") or local_today(runtime.clock(), settings.timezone)
    statuses = (
        (InvoiceStatus.APPROVED,)
        if approved_only
        else (InvoiceStatus.DRAFT, InvoiceStatus.APPROVED)
    )
    ids = _selected(run, references, *statuses)
    with open_database() as database, database.session() as session:
        numbers = issue_drafts(
            session, ids, issue_date=issue_date, clock=runtime.clock(), settings=settings
        )
    first = f" ({numbers[0]} … {numbers[-1]})" if numbers else ""
    console.print(f"issued {len(numbers):,} invoices{first}")


@app.command("credit")
@user_errors
def credit(
    number: str = typer.Argument(..., help="The issued invoice to correct."),
    reason: str = typer.Option(..., help="Why (printed on the credit note)."),
    lines: str = typer.Option(None, help="Only these line positions, e.g. 2,5 (default: all)."),
    on: str = typer.Option(None, "--date", help="Issue date (default today)."),
) -> None:
    """Issue a credit note (opravný daňový doklad) reversing the invoice or some lines."""
    settings = runtime.settings()
    issue_date = parse_day(on, "--date") or local_today(runtime.clock(), settings.timezone)
    positions = [int(p) for p in lines.split(",")] if lines else None
    with open_database() as database, database.session() as session:
        note = credit_invoice(
            session, number, reason=reason, clock=runtime.clock(), settings=settings,
            issue_date=issue_date, positions=positions,
        )  # fmt: skip
        console.print(
            f"credit note [bold]{note.number_text}[/] for {number}: {note.amount_due:,.2f} "
            f"{note.currency}"
        )


@app.command("export")
@user_errors
def export(
    out: Path = typer.Option(..., "--out", help="Folder to write the documents into."),
    formats: list[DocumentFormat] = typer.Option(
        [DocumentFormat.PDF],
        "--format",
        help="pdf, isdoc, ubl, facturx or png (first page); repeat for several.",
    ),
    period: str = typer.Option(None, help="Only bill periods starting in this month (YYYY-MM)."),
    run: int = typer.Option(None, help="Only the invoices of this bill run."),
    numbers: list[str] = typer.Argument(None, help="Only these documents (numbers)."),
) -> None:
    """Write issued invoices and credit notes as files, named by their number.

    Write-once: a document already in the folder is kept as it is, so running the export
    again only adds what is missing.
    """
    if period is not None and not PERIOD.fullmatch(period):
        raise fail(f"--period {period!r}: give a month as YYYY-MM")
    settings = runtime.settings()
    selection = Selection(period=period, run_id=run, numbers=tuple(numbers or ()))
    with open_database() as database, phase_progress() as progress:
        result = export_documents(
            database, UsageStore.in_data_dir(settings.data_dir), out, formats, selection,
            settings, progress=progress,
        )  # fmt: skip
    written = ", ".join(f"{count:,} {kind}" for kind, count in result.written.items())
    console.print(
        f"{result.documents:,} documents: wrote {written}; kept {result.kept:,} existing files; "
        f"{result.seconds:.1f} s → {out}",
        highlight=False,
    )


@app.command("explain")
@user_errors
def explain(
    number: str = typer.Argument(..., help="The invoice or credit note."),
    records: bool = typer.Option(False, "--records", help="Also list every rated record."),
) -> None:
    """Each line with what produced it: fee and proration, adjustment, or the rated
    records, tariff rules (with their catalog file and line) and allowances behind it."""
    settings = runtime.settings()
    with open_database() as database, database.session() as session:
        invoice = services.find_document(session, number)
        store = UsageStore.in_data_dir(settings.data_dir)
        for item in explain_invoice(session, store, invoice, records=records):
            line = item.line
            console.print(
                f"[bold]{line.position}.[/] {line.line_msisdn or ''} {line.description_en} "
                f"[bold]{line.net:,.2f}[/] ({line.charge_key})",
                highlight=False,
            )
            console.print(f"   from: {item.origin}", highlight=False)
            if item.earlier:
                console.print(
                    f"   due {item.earlier + line.net:,.2f}, earlier documents hold "
                    f"{item.earlier:,.2f}: this line is the difference",
                    highlight=False,
                )
            if item.rules is not None and not item.rules.is_empty():
                console.print(frame_table(item.rules))
            if item.records is not None and not item.records.is_empty():
                console.print(frame_table(item.records))
