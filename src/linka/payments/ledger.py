"""The customer ledger: booking invoices and payments, open items, credit, balances, ageing.

Everything here is set-based: one query per question for any number of accounts, bulk
inserts for what is booked. Issued invoices and credit notes are booked by the billing
context in the transaction that issues them (:func:`book_invoices`), so the ledger never
misses one; payments are booked by the statement import. Booking is idempotent: every
entry has a unique ``source`` (``invoice:12``, ``payment:7``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from linka.billing.model import InvoiceKind, InvoiceStatus
from linka.billing.tables import InvoiceRow
from linka.kernel.clock import Clock
from linka.payments.allocation import after, allocate
from linka.payments.model import DEBIT_ITEMS, Allocation, EntryKind, OpenItem, PaymentStatus
from linka.payments.tables import AllocationRow, LedgerEntryRow, PaymentRow
from linka.store.bulk import bulk_insert, chunked, frame_of

ZERO = Decimal(0)
AMOUNT = pl.Decimal(20, 6)
CHUNK = 10_000  # ids per IN (…) list


@dataclass(frozen=True)
class Credit:
    """Money of an account not yet allocated: from a payment or from a credit note."""

    account_id: int
    available: Decimal
    payment_id: int | None = None
    credit_note_id: int | None = None
    names: int | None = None  # the invoice this money is meant for (a credit note's original)


def open_items(
    session: Session, account_ids: Sequence[int] | None = None
) -> dict[int, list[OpenItem]]:
    """Per account: issued invoices, fees and refunds with something left to pay, oldest
    due first."""
    result: dict[int, list[OpenItem]] = defaultdict(list)
    for ids in chunked(account_ids, CHUNK) if account_ids is not None else [None]:
        for item in _open_invoices(session, ids) + _open_entries(session, ids):
            result[item.account_id].append(item)
    for items in result.values():
        items.sort(key=lambda item: (item.due_date, item.invoice_id is None, item.number))
    return result


def _open_invoices(session: Session, ids: Sequence[int] | None) -> list[OpenItem]:
    paid = (
        select(AllocationRow.invoice_id, func.sum(AllocationRow.amount).label("paid"))
        .where(AllocationRow.invoice_id.is_not(None))
        .group_by(AllocationRow.invoice_id)
        .subquery()
    )
    query = (
        select(
            InvoiceRow.id,
            InvoiceRow.account_id,
            InvoiceRow.number_text,
            InvoiceRow.due_date,
            InvoiceRow.amount_due,
            func.coalesce(paid.c.paid, 0),
        )
        .outerjoin(paid, paid.c.invoice_id == InvoiceRow.id)
        .where(
            InvoiceRow.status == InvoiceStatus.ISSUED.value,
            InvoiceRow.kind == InvoiceKind.INVOICE.value,
            InvoiceRow.amount_due > func.coalesce(paid.c.paid, 0),
        )
    )
    chosen = query if ids is None else query.where(InvoiceRow.account_id.in_(ids))
    return [
        OpenItem(invoice_id, account_id, number, due, Decimal(amount_due) - Decimal(allocated))
        for invoice_id, account_id, number, due, amount_due, allocated in session.execute(chosen)
    ]


def _open_entries(session: Session, ids: Sequence[int] | None) -> list[OpenItem]:
    paid = (
        select(AllocationRow.entry_id, func.sum(AllocationRow.amount).label("paid"))
        .where(AllocationRow.entry_id.is_not(None))
        .group_by(AllocationRow.entry_id)
        .subquery()
    )
    query = (
        select(
            LedgerEntryRow.id,
            LedgerEntryRow.account_id,
            LedgerEntryRow.source,
            LedgerEntryRow.booked_on,
            LedgerEntryRow.amount,
            func.coalesce(paid.c.paid, 0),
        )
        .outerjoin(paid, paid.c.entry_id == LedgerEntryRow.id)
        .where(
            LedgerEntryRow.kind.in_([kind.value for kind in DEBIT_ITEMS]),
            LedgerEntryRow.amount > func.coalesce(paid.c.paid, 0),
        )
    )
    chosen = query if ids is None else query.where(LedgerEntryRow.account_id.in_(ids))
    return [
        OpenItem(None, account_id, source, due, Decimal(amount) - Decimal(allocated), entry_id)
        for entry_id, account_id, source, due, amount, allocated in session.execute(chosen)
    ]


def credits(session: Session, account_ids: Sequence[int]) -> dict[int, list[Credit]]:
    """Per account: money received or credited that no invoice has taken yet."""
    result: dict[int, list[Credit]] = defaultdict(list)
    used_payment = (
        select(AllocationRow.payment_id, func.sum(AllocationRow.amount).label("used"))
        .where(AllocationRow.payment_id.is_not(None))
        .group_by(AllocationRow.payment_id)
        .subquery()
    )
    used_credit = (
        select(AllocationRow.credit_note_id, func.sum(AllocationRow.amount).label("used"))
        .where(AllocationRow.credit_note_id.is_not(None))
        .group_by(AllocationRow.credit_note_id)
        .subquery()
    )
    for ids in chunked(account_ids, CHUNK):
        payments = session.execute(
            select(
                PaymentRow.id,
                PaymentRow.account_id,
                PaymentRow.amount,
                func.coalesce(used_payment.c.used, 0),
            )
            .outerjoin(used_payment, used_payment.c.payment_id == PaymentRow.id)
            .where(
                PaymentRow.account_id.in_(ids),
                PaymentRow.status == PaymentStatus.MATCHED.value,
                PaymentRow.amount > func.coalesce(used_payment.c.used, 0),
            )
            .order_by(PaymentRow.id)
        )
        for payment_id, account_id, amount, used in payments:
            result[account_id].append(
                Credit(account_id, Decimal(amount) - Decimal(used), payment_id=payment_id)
            )
        notes = session.execute(
            select(
                InvoiceRow.id,
                InvoiceRow.account_id,
                InvoiceRow.amount_due,
                InvoiceRow.original_invoice_id,
                func.coalesce(used_credit.c.used, 0),
            )
            .outerjoin(used_credit, used_credit.c.credit_note_id == InvoiceRow.id)
            .where(
                InvoiceRow.account_id.in_(ids),
                InvoiceRow.status == InvoiceStatus.ISSUED.value,
                InvoiceRow.kind == InvoiceKind.CREDIT_NOTE.value,
                -InvoiceRow.amount_due > func.coalesce(used_credit.c.used, 0),
            )
            .order_by(InvoiceRow.id)
        )
        for note_id, account_id, amount_due, original, used in notes:
            result[account_id].append(
                Credit(
                    account_id,
                    -Decimal(amount_due) - Decimal(used),
                    credit_note_id=note_id,
                    names=original,
                )
            )
    return result


def apply_credits(
    session: Session, account_ids: Sequence[int], on: date, clock: Clock
) -> list[tuple[Credit, Allocation]]:
    """Let the accounts' unallocated money pay their open invoices; book the allocations."""
    items = open_items(session, account_ids)
    booked: list[tuple[Credit, Allocation]] = []
    for account_id, available in credits(session, account_ids).items():
        remaining = items.get(account_id, [])
        for credit in available:
            if not remaining:
                break
            allocations, _ = allocate(credit.available, remaining, credit.names)
            booked += [(credit, allocation) for allocation in allocations]
            remaining = after(remaining, allocations)
    store_allocations(
        session,
        [(c.payment_id, c.credit_note_id, a) for c, a in booked],
        on,
        clock,
    )
    return booked


def store_allocations(
    session: Session,
    allocations: Sequence[tuple[int | None, int | None, Allocation]],
    on: date,
    clock: Clock,
) -> None:
    """Bulk insert (payment id, credit note id, allocation) triples."""
    now = clock.now()
    bulk_insert(
        session,
        AllocationRow,
        pl.DataFrame(
            [
                (a.invoice_id, a.entry_id, payment, note, a.amount, on, now)
                for payment, note, a in allocations
            ],
            schema={
                "invoice_id": pl.Int64,
                "entry_id": pl.Int64,
                "payment_id": pl.Int64,
                "credit_note_id": pl.Int64,
                "amount": AMOUNT,
                "allocated_on": pl.Date,
                "created_at": pl.Datetime("us", "UTC"),
            },
            orient="row",
        ),
    )


def store_entries(session: Session, entries: Sequence[dict[str, object]], clock: Clock) -> None:
    """Bulk insert ledger entries (dicts with the columns but ``id`` and ``created_at``)."""
    now = clock.now()
    bulk_insert(
        session,
        LedgerEntryRow,
        frame_of(
            [entry | {"created_at": now} for entry in entries],
            {
                "source": pl.String,
                "account_id": pl.Int64,
                "kind": pl.String,
                "amount": AMOUNT,
                "currency": pl.String,
                "booked_on": pl.Date,
                "invoice_id": pl.Int64,
                "payment_id": pl.Int64,
                "description": pl.String,
                "created_at": pl.Datetime("us", "UTC"),
            },
        ),
    )


def book_invoices(session: Session, invoice_ids: Sequence[int], clock: Clock) -> int:
    """Book issued invoices and credit notes into the ledger (once), then let the accounts'
    credit pay them. Returns how many were booked now."""
    rows: list[Any] = []
    for ids in chunked(list(invoice_ids), CHUNK):
        rows += session.execute(
            select(
                InvoiceRow.id,
                InvoiceRow.account_id,
                InvoiceRow.kind,
                InvoiceRow.amount_due,
                InvoiceRow.currency,
                InvoiceRow.issue_date,
                InvoiceRow.number_text,
            )
            .outerjoin(
                LedgerEntryRow,
                and_(
                    LedgerEntryRow.invoice_id == InvoiceRow.id,
                    LedgerEntryRow.kind.in_([EntryKind.INVOICE, EntryKind.CREDIT_NOTE]),
                ),
            )
            .where(
                InvoiceRow.id.in_(ids),
                InvoiceRow.status == InvoiceStatus.ISSUED.value,
                LedgerEntryRow.id.is_(None),
            )
        ).all()
    entries = [
        {
            "source": f"invoice:{invoice_id}",
            "account_id": account_id,
            "kind": kind,
            "amount": Decimal(amount_due),
            "currency": currency,
            "booked_on": issued,
            "invoice_id": invoice_id,
            "payment_id": None,
            "description": f"{kind.replace('_', ' ')} {number}",
        }
        for invoice_id, account_id, kind, amount_due, currency, issued, number in rows
    ]
    store_entries(session, entries, clock)
    if rows:
        apply_credits(session, sorted({row[1] for row in rows}), max(row[5] for row in rows), clock)
    return len(rows)


def balances(session: Session, account_ids: Sequence[int] | None = None) -> dict[int, Decimal]:
    """Per account: the sum of its ledger entries (+ the customer owes, − credit)."""
    query = select(LedgerEntryRow.account_id, func.sum(LedgerEntryRow.amount)).group_by(
        LedgerEntryRow.account_id
    )
    result: dict[int, Decimal] = {}
    for ids in chunked(account_ids, CHUNK) if account_ids is not None else [None]:
        chosen = query if ids is None else query.where(LedgerEntryRow.account_id.in_(ids))
        result |= {account_id: Decimal(total) for account_id, total in session.execute(chosen)}
    return result


AGE_BUCKETS = ((0, "not due"), (1, "1–30"), (31, "31–60"), (61, "61–90"), (91, "over 90"))


def age_bucket(days_overdue: int) -> str:
    """The ageing column of an amount ``days_overdue`` past its due date."""
    label = AGE_BUCKETS[0][1]
    for first_day, name in AGE_BUCKETS:
        if days_overdue >= first_day:
            label = name
    return label


def ageing(items: dict[int, list[OpenItem]], on: date) -> dict[int, dict[str, Decimal]]:
    """Per account: open amounts by how long they are overdue on ``on``."""
    result: dict[int, dict[str, Decimal]] = {}
    for account_id, account_items in items.items():
        buckets = {name: ZERO for _, name in AGE_BUCKETS}
        for item in account_items:
            buckets[age_bucket((on - item.due_date).days)] += item.open
        result[account_id] = buckets
    return result
