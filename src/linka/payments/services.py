"""What people do with payments: look at the queue, match by hand, read a ledger.

Matching by hand is the same booking as the import's (allocation to the named invoice,
then the oldest open ones; the rest is credit; one ledger entry; lines dunning stopped
restored when the debt is cleared), recorded with who did it. A payment is matched
once: a wrong match is corrected by a new booking, not by editing this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from linka.billing.model import InvoiceKind, InvoiceStatus
from linka.billing.tables import InvoiceRow
from linka.customers.model import Actor
from linka.customers.tables import BillingAccountRow
from linka.kernel.clock import Clock
from linka.kernel.errors import LinkaError
from linka.payments.allocation import allocate
from linka.payments.dunning.restore import restore_cleared
from linka.payments.imports import payment_entry
from linka.payments.ledger import balances, open_items, store_allocations, store_entries
from linka.payments.model import IncomingPayment, MatchRule, OpenItem, PaymentStatus
from linka.payments.tables import LedgerEntryRow, PaymentRow


class PaymentInputError(LinkaError):
    """A payment, invoice or account named by a person does not fit."""


def unmatched(session: Session, limit: int = 100) -> list[PaymentRow]:
    return list(
        session.scalars(
            select(PaymentRow)
            .where(PaymentRow.status == PaymentStatus.UNMATCHED.value)
            .order_by(PaymentRow.booked_on, PaymentRow.id)
            .limit(limit)
        )
    )


def find_payment(session: Session, reference: str) -> PaymentRow:
    """A payment by its id (``#12`` or ``12``) or its bank reference."""
    key = reference.removeprefix("#")
    row = session.get(PaymentRow, int(key)) if key.isdigit() else None
    row = (
        row or session.scalars(select(PaymentRow).where(PaymentRow.reference == reference)).first()
    )
    if row is None:
        raise PaymentInputError(f"no payment {reference!r} (give its #id or bank reference)")
    return row


def match_manually(
    session: Session, reference: str, target: str, *, clock: Clock, actor: Actor
) -> tuple[PaymentRow, list[tuple[int | None, Decimal]], Decimal]:
    """Give a waiting payment to an invoice (its number) or an account (its number).

    Returns the payment, (invoice id, amount) allocations and the credit left over.
    """
    payment = find_payment(session, reference)
    if payment.status != PaymentStatus.UNMATCHED.value:
        raise PaymentInputError(f"payment #{payment.id} is {payment.status}, not waiting")
    invoice = session.scalars(
        select(InvoiceRow).where(
            InvoiceRow.number_text == target,
            InvoiceRow.status == InvoiceStatus.ISSUED.value,
            InvoiceRow.kind == InvoiceKind.INVOICE.value,
        )
    ).first()
    if invoice is not None:
        account_id: int = invoice.account_id
    else:
        account = session.scalars(
            select(BillingAccountRow).where(BillingAccountRow.number == target)
        ).first()
        if account is None:
            raise PaymentInputError(f"{target!r} is neither an issued invoice nor an account")
        account_id = account.id
    account_row = session.get_one(BillingAccountRow, account_id)
    if account_row.currency != payment.currency:
        raise PaymentInputError(
            f"payment #{payment.id} is in {payment.currency}, account {account_row.number} "
            f"is billed in {account_row.currency}"
        )
    items: list[OpenItem] = open_items(session, [account_id]).get(account_id, [])
    allocations, left = allocate(payment.amount, items, invoice.id if invoice else None)
    now = clock.now()
    payment.account_id = account_id
    payment.status = PaymentStatus.MATCHED.value
    payment.match_rule = MatchRule.MANUAL.value
    payment.match_note = f"matched to {target} by {actor.name}"
    payment.matched_at = now
    payment.matched_by = actor.name
    session.flush()
    store_allocations(
        session, [(payment.id, None, a) for a in allocations], payment.booked_on, clock
    )
    incoming = IncomingPayment(
        payment.reference, payment.booked_on, payment.amount, payment.currency,
        payment.variable_symbol, payment.counterparty_account, payment.counterparty_name,
        payment.message, payment.statement,
    )  # fmt: skip
    store_entries(session, [payment_entry(payment.id, account_id, incoming)], clock)
    restore_cleared(session, [account_id], payment.booked_on, clock, actor)
    return payment, [(a.invoice_id, a.amount) for a in allocations], left


@dataclass(frozen=True)
class AccountLedger:
    account: BillingAccountRow
    entries: list[LedgerEntryRow]
    balance: Decimal
    open_items: list[OpenItem]


def account_ledger(session: Session, account_ref: str | int) -> AccountLedger:
    """A billing account's ledger, by its number (or its id)."""
    if isinstance(account_ref, int):
        account = session.get(BillingAccountRow, account_ref)
    else:
        account = session.scalars(
            select(BillingAccountRow).where(BillingAccountRow.number == account_ref)
        ).first()
    if account is None:
        raise PaymentInputError(f"no billing account {account_ref!r}")
    entries = list(
        session.scalars(
            select(LedgerEntryRow)
            .where(LedgerEntryRow.account_id == account.id)
            .order_by(LedgerEntryRow.booked_on, LedgerEntryRow.id)
        )
    )
    return AccountLedger(
        account,
        entries,
        balances(session, [account.id]).get(account.id, Decimal(0)),
        open_items(session, [account.id]).get(account.id, []),
    )
