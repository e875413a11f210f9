"""The bill run: load everything set-based, bill each account purely, store in bulk.

Accounts are billed in chunks, each chunk one transaction: a run killed at any point
leaves whole chunks stored and nothing half-written, and running it again invoices only
what is still due — reconciliation by charge key makes that safe. With ``issue`` the
invoices are numbered and issued in the same transaction that stores them; otherwise
they are drafts, which count as invoiced for reconciliation until they are issued.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from linka.billing import loaders, parties
from linka.billing.charges import AccountProblemError, Pricebook
from linka.billing.issuing import mark_issued
from linka.billing.model import AccountFacts, InvoiceDraft, InvoiceKind, InvoiceStatus
from linka.billing.numbering import number_text, reserve_numbers
from linka.billing.statement import AccountInputs, bill_account
from linka.billing.tables import BillRunRow, InvoiceLineRow, InvoiceRow, InvoiceVatRow
from linka.catalog.services import read_version
from linka.catalog.tables import CatalogVersionRow
from linka.kernel.clock import Clock
from linka.settings import Settings
from linka.store.bulk import bulk_insert, reserve_ids
from linka.store.database import Database
from linka.usage.store import UsageStore

Progress = Callable[[str, int, int], None]
AMOUNT = pl.Decimal(20, 6)
INSTANT = pl.Datetime("us", "UTC")
# The invoices table as a frame for bulk_insert; its JSON columns (notes, parties) are
# given as JSON text, which bulk_insert passes through.
INVOICE_SCHEMA = pl.Schema(
    {
        "id": pl.Int64(),
        "bill_run_id": pl.Int64(),
        "account_id": pl.Int64(),
        "kind": pl.String(),
        "status": pl.String(),
        "series": pl.String(),
        "year": pl.Int32(),
        "number": pl.Int64(),
        "number_text": pl.String(),
        "issue_date": pl.Date(),
        "tax_point_date": pl.Date(),
        "due_date": pl.Date(),
        "period_start": pl.Date(),
        "period_end": pl.Date(),
        "currency": pl.String(),
        "language": pl.String(),
        "tax_mode": pl.String(),
        "notes": pl.String(),
        "variable_symbol": pl.String(),
        "total_net": AMOUNT,
        "total_vat": AMOUNT,
        "total_gross": AMOUNT,
        "rounding": AMOUNT,
        "amount_due": AMOUNT,
        "original_invoice_id": pl.Int64(),
        "correction_reason": pl.String(),
        "parties": pl.String(),
        "created_at": INSTANT,
        "approved_at": INSTANT,
        "issued_at": INSTANT,
    }
)


@dataclass(frozen=True)
class Problem:
    account: str
    reason: str


@dataclass
class BillRunResult:
    run_id: int | None
    run_date: date
    dry_run: bool
    accounts: int = 0
    invoices: int = 0
    issued: int = 0
    problems: list[Problem] = field(default_factory=list)
    totals: dict[tuple[str, Decimal], tuple[Decimal, Decimal]] = field(default_factory=dict)
    amount_due: dict[str, Decimal] = field(default_factory=dict)
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)  # load_s, bill_s, store_s


def _quiet(_phase: str, _done: int, _total: int) -> None:
    """No progress display."""


def run_bill_run(
    database: Database,
    store: UsageStore,
    run_date: date,
    *,
    since: date,
    clock: Clock,
    settings: Settings,
    accounts: Sequence[str] | None = None,
    dry_run: bool = False,
    issue: bool = False,
    progress: Progress = _quiet,
) -> BillRunResult:
    """Invoice every charge due by ``run_date`` that earlier invoices do not hold yet."""
    started = time.perf_counter()
    result = BillRunResult(None, run_date, dry_run)
    with database.session() as session:
        rows = list(
            session.scalars(select(CatalogVersionRow).order_by(CatalogVersionRow.effective_from))
        )
        versions = {row.id: read_version(session, row) for row in rows}
        book = Pricebook(tuple(versions[row.id] for row in rows))
        facts = loaders.load_accounts(session, accounts)
        ids = [a.account_id for a in facts] if accounts is not None else None
        usage = loaders.load_usage(session, store, versions, since, run_date)
        discounts = loaders.load_discounts(session, ids)
        adjustments = loaders.load_adjustments(session, ids)
        one_time = loaders.load_one_time(session, ids)
        invoiced = loaders.load_invoiced(session, ids)
        if not dry_run:
            run = BillRunRow(
                run_date=run_date, since=since, started_at=clock.now(), finished_at=None,
                accounts=len(facts), invoices=0, problems=[],
            )  # fmt: skip
            session.add(run)
            session.flush()
            result.run_id = run.id
    result.accounts = len(facts)
    result.steps["load_s"] = time.perf_counter() - started
    drafts: list[tuple[AccountFacts, InvoiceDraft]] = []
    for done, account in enumerate(facts, start=1):
        inputs = AccountInputs(
            account,
            {line.line_id: usage.get(line.line_id, ()) for line in account.lines},
            discounts.get(account.account_id, ()),
            adjustments.get(account.account_id, ()),
            one_time.get(account.account_id, ()),
            invoiced.get(account.account_id, {}),
        )
        try:
            draft = bill_account(
                inputs, book, run_date, since, round_to_whole=settings.invoice_round_to_whole
            )
        except AccountProblemError as problem:
            result.problems.append(Problem(account.number, str(problem)))
            continue
        if draft is not None:
            drafts.append((account, draft))
        if done % 5_000 == 0 or done == len(facts):
            progress("billing accounts", done, len(facts))
    _summarise(result, [draft for _, draft in drafts])
    result.steps["bill_s"] = time.perf_counter() - started - result.steps["load_s"]
    if not dry_run:
        assert result.run_id is not None
        size = settings.bill_run_chunk
        for start in range(0, len(drafts), size):
            chunk = drafts[start : start + size]
            with database.session() as session:
                _store(session, result.run_id, chunk, run_date, clock, settings, issue)
            progress("storing invoices", start + len(chunk), len(drafts))
        with database.session() as session:
            run = session.get_one(BillRunRow, result.run_id)
            run.finished_at = clock.now()
            run.invoices = len(drafts)
            run.problems = [{"account": p.account, "reason": p.reason} for p in result.problems]
    result.invoices = len(drafts)
    result.issued = len(drafts) if issue and not dry_run else 0
    result.seconds = time.perf_counter() - started
    result.steps["store_s"] = result.seconds - result.steps["load_s"] - result.steps["bill_s"]
    return result


def _summarise(result: BillRunResult, drafts: list[InvoiceDraft]) -> None:
    totals: dict[tuple[str, Decimal], tuple[Decimal, Decimal]] = defaultdict(
        lambda: (Decimal(0), Decimal(0))
    )
    due: dict[str, Decimal] = defaultdict(Decimal)
    for draft in drafts:
        for vat in draft.vat:
            base, tax = totals[(draft.currency, vat.rate)]
            totals[(draft.currency, vat.rate)] = (base + vat.base, tax + vat.vat)
        due[draft.currency] += draft.amount_due
    result.totals = dict(sorted(totals.items()))
    result.amount_due = dict(sorted(due.items()))


def _store(
    session: Session,
    run_id: int,
    chunk: list[tuple[AccountFacts, InvoiceDraft]],
    run_date: date,
    clock: Clock,
    settings: Settings,
    issue: bool,
) -> None:
    """Insert the chunk's invoices (issued with numbers, or drafts), lines and VAT rows."""
    now = clock.now()
    numbers = (
        reserve_numbers(session, settings.invoice_series, run_date.year, len(chunk))
        if issue
        else []
    )
    snapshots = parties.customers(session, [a.account_id for a, _ in chunk]) if issue else {}
    supplier = parties.supplier(settings) if issue else None
    ids = reserve_ids(session, InvoiceRow, len(chunk))
    rows: list[dict[str, Any]] = []
    for index, (account, draft) in enumerate(chunk):
        number = numbers[index] if issue else None
        rows.append(
            {
                "id": ids[index],
                "bill_run_id": run_id,
                "account_id": account.account_id,
                "kind": InvoiceKind.INVOICE.value,
                # issued only once its lines are in: the database refuses changes after
                "status": (InvoiceStatus.APPROVED if issue else InvoiceStatus.DRAFT).value,
                "series": settings.invoice_series,
                "year": run_date.year,
                "number": number,
                "number_text": number_text(settings.invoice_series, run_date.year, number)
                if number is not None
                else None,
                "issue_date": run_date if issue else None,
                "tax_point_date": draft.tax_point_date,
                "due_date": run_date + timedelta(days=settings.invoice_due_days) if issue else None,
                "period_start": draft.period_start,
                "period_end": draft.period_end,
                "currency": draft.currency,
                "language": account.language,
                "tax_mode": draft.tax_mode.value,
                "notes": json.dumps(list(draft.notes), ensure_ascii=False),
                "variable_symbol": account.variable_symbol,
                "total_net": draft.total_net,
                "total_vat": draft.total_vat,
                "total_gross": draft.total_gross,
                "rounding": draft.rounding,
                "amount_due": draft.amount_due,
                "original_invoice_id": None,
                "correction_reason": None,
                "parties": json.dumps(
                    {"supplier": supplier, "customer": snapshots[account.account_id]},
                    ensure_ascii=False,
                )
                if issue
                else None,
                "created_at": now,
                "approved_at": now if issue else None,
                "issued_at": now if issue else None,
            }
        )
    bulk_insert(session, InvoiceRow, pl.DataFrame(rows, schema=INVOICE_SCHEMA))
    store_lines(session, list(zip(ids, (draft for _, draft in chunk), strict=True)))
    if issue:
        mark_issued(session, ids, clock=clock, settings=settings)


def store_lines(session: Session, invoices: list[tuple[int, InvoiceDraft]]) -> None:
    """The lines and VAT rows of invoices just inserted (column-wise bulk inserts)."""
    lines: dict[str, list[Any]] = defaultdict(list)
    vat: dict[str, list[Any]] = defaultdict(list)
    for invoice_id, draft in invoices:
        for position, item in enumerate(draft.lines, start=1):
            charge = item.charge
            lines["invoice_id"].append(invoice_id)
            lines["position"].append(position)
            lines["charge_key"].append(charge.key)
            lines["kind"].append(charge.kind.value)
            lines["line_id"].append(charge.line_id)
            lines["line_msisdn"].append(charge.line_msisdn)
            lines["description_cs"].append(charge.description_cs[:300])
            lines["description_en"].append(charge.description_en[:300])
            lines["quantity"].append(charge.quantity)
            lines["unit"].append(charge.unit)
            lines["unit_price"].append(item.net if charge.quantity == 1 else charge.unit_price)
            lines["net"].append(item.net)
            lines["vat_code"].append(charge.vat_code)
            lines["vat_rate"].append(item.vat_rate)
            lines["vat"].append(item.vat)
            lines["period_start"].append(charge.period_start)
            lines["period_end"].append(charge.period_end)
            lines["source"].append(charge.source[:300])
        for summary in draft.vat:
            vat["invoice_id"].append(invoice_id)
            vat["vat_code"].append(summary.code)
            vat["rate"].append(summary.rate)
            vat["base"].append(summary.base)
            vat["vat"].append(summary.vat)
    amount = AMOUNT
    bulk_insert(
        session,
        InvoiceLineRow,
        pl.DataFrame(
            lines,
            schema={
                "invoice_id": pl.Int64, "position": pl.Int32, "charge_key": pl.String,
                "kind": pl.String, "line_id": pl.Int64, "line_msisdn": pl.String,
                "description_cs": pl.String, "description_en": pl.String, "quantity": amount,
                "unit": pl.String, "unit_price": amount, "net": amount, "vat_code": pl.String,
                "vat_rate": pl.Decimal(20, 4), "vat": amount, "period_start": pl.Date,
                "period_end": pl.Date, "source": pl.String,
            },
        ),
    )  # fmt: skip
    bulk_insert(
        session,
        InvoiceVatRow,
        pl.DataFrame(
            vat,
            schema={
                "invoice_id": pl.Int64, "vat_code": pl.String, "rate": pl.Decimal(20, 4),
                "base": amount, "vat": amount,
            },
        ),
    )  # fmt: skip


def approve_drafts(session: Session, invoice_ids: Sequence[int], *, clock: Clock) -> int:
    """Mark drafts as reviewed (draft → approved); returns how many changed."""
    approved = session.scalars(
        update(InvoiceRow)
        .where(
            InvoiceRow.id.in_(list(invoice_ids)),
            InvoiceRow.status == InvoiceStatus.DRAFT.value,
        )
        .values(status=InvoiceStatus.APPROVED.value, approved_at=clock.now())
        .returning(InvoiceRow.id)
    ).all()
    return len(approved)


def issue_drafts(
    session: Session,
    invoice_ids: Sequence[int],
    *,
    issue_date: date,
    clock: Clock,
    settings: Settings,
) -> list[str]:
    """Number and issue drafts (or approved invoices); returns the numbers given."""
    drafts = list(
        session.scalars(
            select(InvoiceRow)
            .where(
                InvoiceRow.id.in_(list(invoice_ids)),
                InvoiceRow.status != InvoiceStatus.ISSUED.value,
            )
            .order_by(InvoiceRow.id)
        )
    )
    numbers = reserve_numbers(session, settings.invoice_series, issue_date.year, len(drafts))
    snapshots = parties.customers(session, [d.account_id for d in drafts])
    supplier = parties.supplier(settings)
    now = clock.now()
    given = []
    for draft, number in zip(drafts, numbers, strict=True):
        text = number_text(settings.invoice_series, issue_date.year, number)
        session.execute(
            update(InvoiceRow)
            .where(InvoiceRow.id == draft.id)
            .values(
                status=InvoiceStatus.APPROVED.value,
                series=settings.invoice_series,
                year=issue_date.year,
                number=number,
                number_text=text,
                issue_date=issue_date,
                due_date=issue_date + timedelta(days=settings.invoice_due_days),
                parties={"supplier": supplier, "customer": snapshots[draft.account_id]},
                approved_at=draft.approved_at or now,
                issued_at=now,
            )
        )
        given.append(text)
    mark_issued(session, [draft.id for draft in drafts], clock=clock, settings=settings)
    return given
