"""Booking received payments: once each, matched, allocated, in one transaction.

A statement's credit lines arrive as :class:`IncomingPayment` values (the statement
parsers make them); a payment whose bank reference is already stored is skipped, so
importing a statement again books nothing. The rest are matched (:mod:`matching`),
allocated to the matched account's open invoices (:mod:`allocation`), and stored with
their allocations and ledger entries in bulk. An unmatched payment belongs to no account
yet: it waits in the queue and enters the ledger when a person matches it. A payment whose
variable symbol is a prepaid line's number is that line's top-up: it goes to the line's
prepaid credit (:mod:`linka.payments.prepaid`), not to the account's ledger.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from linka.billing.model import InvoiceKind, InvoiceStatus
from linka.billing.tables import InvoiceRow
from linka.customers.model import Actor, PaymentType
from linka.customers.tables import BillingAccountRow
from linka.kernel.clock import Clock
from linka.payments.allocation import after, allocate
from linka.payments.ledger import AMOUNT, CHUNK, open_items, store_allocations, store_entries
from linka.payments.matching import (
    Directory,
    Match,
    match_payment,
    national_symbol,
    payer_key,
    symbol_digits,
)
from linka.payments.model import Allocation, EntryKind, IncomingPayment, PaymentStatus
from linka.payments.prepaid.balances import top_up
from linka.payments.prepaid.lines import PrepaidTerms
from linka.payments.tables import PaymentRow
from linka.store.bulk import bulk_insert, frame_of, reserve_ids
from linka.subscriptions.model import LineStatus
from linka.subscriptions.tables import LineRow

INSTANT = pl.Datetime("us", "UTC")
_PAYMENT = EntryKind.PAYMENT.value  # enum look-ups are slow in a 100,000-row loop
_MATCHED = PaymentStatus.MATCHED.value
_UNMATCHED = PaymentStatus.UNMATCHED.value
_TOP_UP = PaymentStatus.TOP_UP.value
IMPORT = Actor("payments import", "system")
"""Who books what an imported payment does: top-ups, restored lines."""


@dataclass(frozen=True)
class Booked:
    payment_id: int
    account_id: int
    payment: IncomingPayment


@dataclass
class PaymentImport:
    read: int = 0
    already: int = 0  # booked by an earlier import
    matched: int = 0
    unmatched: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    received: dict[str, Decimal] = field(default_factory=dict)  # per currency
    allocated: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)  # matched money no open invoice took
    top_ups: int = 0  # payments that topped up a prepaid line (matched, not in the ledger)
    seconds: float = 0.0
    booked: list[Booked] = field(default_factory=list)  # matched payments, in booking order

    def add(self, other: PaymentImport) -> None:
        """Fold another import's counts into this one."""
        self.read += other.read
        self.already += other.already
        self.matched += other.matched
        self.unmatched += other.unmatched
        for rule, count in other.by_rule.items():
            self.by_rule[rule] = self.by_rule.get(rule, 0) + count
        for currency, amount in other.received.items():
            self.received[currency] = self.received.get(currency, Decimal(0)) + amount
        self.allocated += other.allocated
        self.credit += other.credit
        self.top_ups += other.top_ups
        self.seconds += other.seconds
        self.booked += other.booked


def load_directory(session: Session) -> Directory:
    """Invoice numbers, account symbols and known payers, for matching."""
    invoices = {
        symbol: (invoice_id, account_id)
        for invoice_id, account_id, number in session.execute(
            select(InvoiceRow.id, InvoiceRow.account_id, InvoiceRow.number_text).where(
                InvoiceRow.status == InvoiceStatus.ISSUED.value,
                InvoiceRow.kind == InvoiceKind.INVOICE.value,
            )
        )
        if (symbol := symbol_digits(number)) is not None
    }
    accounts: dict[str, int] = {}
    currencies: dict[int, str] = {}
    candidates: dict[str, set[int]] = defaultdict(set)
    for account_id, symbol, currency, iban in session.execute(
        select(
            BillingAccountRow.id, BillingAccountRow.variable_symbol,
            BillingAccountRow.currency, BillingAccountRow.iban,
        )
    ):  # fmt: skip
        digits = symbol_digits(symbol)
        if digits is not None:
            accounts[digits] = account_id
        currencies[account_id] = currency
        if (key := payer_key(iban)) is not None:
            candidates[key].add(account_id)
    for payer, paid_for in session.execute(
        select(PaymentRow.counterparty_account, PaymentRow.account_id)
        .where(PaymentRow.account_id.is_not(None), PaymentRow.counterparty_account.is_not(None))
        .distinct()
    ):
        if (key := payer_key(payer)) is not None and paid_for is not None:
            candidates[key].add(paid_for)
    payers = {key: next(iter(ids)) for key, ids in candidates.items() if len(ids) == 1}
    lines = {
        symbol: (account_id, msisdn)
        for account_id, msisdn in session.execute(
            select(LineRow.account_id, LineRow.msisdn)
            .join(BillingAccountRow, BillingAccountRow.id == LineRow.account_id)
            .where(
                BillingAccountRow.payment_type == PaymentType.PREPAID.value,
                LineRow.status != LineStatus.TERMINATED.value,
            )
        )
        if (symbol := national_symbol(msisdn)) is not None
    }
    return Directory(invoices, accounts, payers, currencies, lines)


def known_references(session: Session, references: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(references), CHUNK):
        chunk = list(references[start : start + CHUNK])
        found |= set(
            session.scalars(select(PaymentRow.reference).where(PaymentRow.reference.in_(chunk)))
        )
    return found


def import_payments(
    session: Session,
    payments: Sequence[IncomingPayment],
    clock: Clock,
    terms: PrepaidTerms | None = None,
) -> PaymentImport:
    """Book the payments not booked before; returns what happened to them. A payment
    naming a prepaid line tops up its credit under ``terms`` (validity, low balance)."""
    started = time.perf_counter()
    result = PaymentImport(read=len(payments))
    unique = list({p.reference: p for p in payments}.values())
    known = known_references(session, [p.reference for p in unique])
    new = [p for p in unique if p.reference not in known]
    result.already = len(payments) - len(new)
    if not new:
        result.seconds = time.perf_counter() - started
        return result
    directory = load_directory(session)
    items = open_items(session)
    ids = reserve_ids(session, PaymentRow, len(new))
    now = clock.now()
    rows: list[dict[str, object]] = []
    allocations: list[tuple[int | None, int | None, Allocation]] = []
    entries: list[dict[str, object]] = []
    top_ups: list[tuple[int, str, IncomingPayment]] = []
    for payment_id, payment in zip(ids, new, strict=True):
        match = match_payment(payment, directory, items)
        result.received[payment.currency] = (
            result.received.get(payment.currency, Decimal(0)) + payment.amount
        )
        rows.append(_row(payment_id, payment, match, now))
        result.by_rule[match.rule.value] = result.by_rule.get(match.rule.value, 0) + 1
        if match.account_id is None:
            result.unmatched += 1
            continue
        result.matched += 1
        if match.msisdn is not None:
            top_ups.append((payment_id, match.msisdn, payment))
            continue
        result.booked.append(Booked(payment_id, match.account_id, payment))
        account_items = items.get(match.account_id, [])
        paid, left = allocate(payment.amount, account_items, match.invoice_id)
        items[match.account_id] = after(account_items, paid)
        allocations += [(payment_id, None, allocation) for allocation in paid]
        result.allocated += payment.amount - left
        result.credit += left
        entries.append(payment_entry(payment_id, match.account_id, payment))
    bulk_insert(session, PaymentRow, frame_of(rows, PAYMENT_SCHEMA))
    if allocations:
        store_allocations(session, allocations, max(p.booked_on for p in new), clock)
    if entries:
        store_entries(session, entries, clock)
    for payment_id, msisdn, payment in top_ups:
        top_up(
            session, msisdn, payment.amount, reference=f"payment:{payment_id}", clock=clock,
            actor=IMPORT, terms=terms or PrepaidTerms(),
        )  # fmt: skip
    result.top_ups += len(top_ups)
    result.seconds = time.perf_counter() - started
    return result


def payment_entry(payment_id: int, account_id: int, payment: IncomingPayment) -> dict[str, object]:
    """The ledger entry of a matched payment: money in the customer's favour."""
    symbol, payer = payment.variable_symbol, payment.counterparty_name
    return {
        "source": f"payment:{payment_id}", "account_id": account_id, "kind": _PAYMENT,
        "amount": -payment.amount, "currency": payment.currency,
        "booked_on": payment.booked_on, "invoice_id": None, "payment_id": payment_id,
        "description": f"payment {symbol or ''} {payer or ''}".strip().replace("  ", " "),
    }  # fmt: skip


def _row(
    payment_id: int, payment: IncomingPayment, match: Match, now: datetime
) -> dict[str, object]:
    matched = match.account_id is not None
    status = _TOP_UP if match.msisdn is not None else _MATCHED if matched else _UNMATCHED
    return {
        "id": payment_id, "reference": payment.reference, "statement": payment.statement,
        "booked_on": payment.booked_on, "amount": payment.amount, "currency": payment.currency,
        "variable_symbol": payment.variable_symbol,
        "counterparty_account": payment.counterparty_account,
        "counterparty_name": payment.counterparty_name, "message": payment.message,
        "account_id": match.account_id,
        "status": status,
        "match_rule": match.rule.value, "match_note": match.reason,
        "imported_at": now, "matched_at": now if matched else None,
        "matched_by": "automatic" if matched else None,
    }  # fmt: skip


PAYMENT_SCHEMA = pl.Schema(
    {
        "id": pl.Int64(),
        "reference": pl.String(),
        "statement": pl.String(),
        "booked_on": pl.Date(),
        "amount": AMOUNT,
        "currency": pl.String(),
        "variable_symbol": pl.String(),
        "counterparty_account": pl.String(),
        "counterparty_name": pl.String(),
        "message": pl.String(),
        "account_id": pl.Int64(),
        "status": pl.String(),
        "match_rule": pl.String(),
        "match_note": pl.String(),
        "imported_at": INSTANT,
        "matched_at": INSTANT,
        "matched_by": pl.String(),
    }
)
