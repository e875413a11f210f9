"""Ledger movements beyond invoices and received payments: fees, refunds, returned payments.

Each is one new ledger entry (and allocations), never an edit: a fee is an open item the
account's credit pays at once if there is any; a refund takes the account's credit and
pays it out; a returned payment books the money back as owed and reverses what the
payment had paid, so the invoices it settled are open again (and other credit the account
holds pays them at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from linka.kernel.clock import Clock
from linka.kernel.errors import LinkaError
from linka.payments.ledger import apply_credits, credits, store_allocations, store_entries
from linka.payments.model import Allocation, EntryKind, PaymentStatus
from linka.payments.tables import AllocationRow, LedgerEntryRow, PaymentRow


class LedgerMovementError(LinkaError):
    """A fee, refund or return that the ledger cannot book as asked."""


@dataclass(frozen=True)
class Booked:
    entry_id: int
    created: bool  # False: the same source was booked before; nothing new


def _entry_by_source(session: Session, source: str) -> LedgerEntryRow | None:
    return session.scalars(select(LedgerEntryRow).where(LedgerEntryRow.source == source)).first()


def book_debit(
    session: Session,
    *,
    account_id: int,
    kind: EntryKind,
    amount: Decimal,
    currency: str,
    on: date,
    source: str,
    description: str,
    clock: Clock,
) -> Booked:
    """Book a fee or a refund owed by the account (``amount`` > 0) once per ``source``;
    the account's unallocated credit pays it at once as far as it goes."""
    if kind not in (EntryKind.FEE, EntryKind.REFUND):
        raise LedgerMovementError(f"{kind} is not a debit item")
    if amount <= 0:
        raise LedgerMovementError(f"a {kind} must be positive, got {amount}")
    found = _entry_by_source(session, source)
    if found is not None:
        return Booked(found.id, created=False)
    store_entries(
        session,
        [
            {
                "source": source, "account_id": account_id, "kind": kind.value,
                "amount": amount, "currency": currency, "booked_on": on, "invoice_id": None,
                "payment_id": None, "description": description,
            }
        ],
        clock,
    )  # fmt: skip
    entry = _entry_by_source(session, source)
    assert entry is not None
    apply_credits(session, [account_id], on, clock)
    return Booked(entry.id, created=True)


def available_credit(session: Session, account_id: int) -> Decimal:
    """Money of the account that no open item has taken."""
    return sum(
        (credit.available for credit in credits(session, [account_id]).get(account_id, [])),
        Decimal(0),
    )


def book_refund(
    session: Session,
    *,
    account_id: int,
    amount: Decimal,
    currency: str,
    on: date,
    source: str,
    clock: Clock,
) -> Booked:
    """Pay ``amount`` of the account's credit back to the customer: refused when the
    account holds less credit than that."""
    if _entry_by_source(session, source) is None:
        held = available_credit(session, account_id)
        if amount > held:
            raise LedgerMovementError(
                f"refund of {amount} {currency} exceeds the account's credit of {held} {currency}"
            )
    return book_debit(
        session, account_id=account_id, kind=EntryKind.REFUND, amount=amount,
        currency=currency, on=on, source=source, description=f"refund {amount} {currency}",
        clock=clock,
    )  # fmt: skip


def reverse_payment(
    session: Session, payment_id: int, *, on: date, reason: str, clock: Clock
) -> bool:
    """The bank took a payment back (a returned direct debit, a reversal): mark it
    returned, reverse its allocations and book the money as owed again. Returns False
    when it was returned before."""
    payment = session.get_one(PaymentRow, payment_id, with_for_update=True)
    if payment.status == PaymentStatus.RETURNED.value:
        return False
    if payment.status != PaymentStatus.MATCHED.value or payment.account_id is None:
        raise LedgerMovementError(f"payment #{payment_id} is {payment.status}: nothing to return")
    net = session.execute(
        select(AllocationRow.invoice_id, AllocationRow.entry_id, func.sum(AllocationRow.amount))
        .where(AllocationRow.payment_id == payment_id)
        .group_by(AllocationRow.invoice_id, AllocationRow.entry_id)
    ).all()
    store_allocations(
        session,
        [
            (payment_id, None, Allocation(invoice_id, -Decimal(total), entry_id))
            for invoice_id, entry_id, total in net
            if Decimal(total) != 0
        ],
        on,
        clock,
    )
    store_entries(
        session,
        [
            {
                "source": f"payment-return:{payment_id}", "account_id": payment.account_id,
                "kind": EntryKind.PAYMENT_RETURN.value, "amount": payment.amount,
                "currency": payment.currency, "booked_on": on, "invoice_id": None,
                "payment_id": payment_id, "description": f"payment returned: {reason}",
            }
        ],
        clock,
    )  # fmt: skip
    payment.status = PaymentStatus.RETURNED.value
    payment.match_note = f"returned: {reason}"[:300]
    session.flush()
    apply_credits(session, [payment.account_id], on, clock)  # other credit pays what reopened
    return True
