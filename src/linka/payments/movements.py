"""Ledger movements beyond invoices and received payments: fees, refunds, returned payments.

Each is one new ledger entry (and allocations), never an edit: a fee is an open item the
account's credit pays at once if there is any; a refund takes the account's credit and
pays it out; a returned payment books the money back as owed and reverses what the
payment had paid, so the invoices it settled are open again (and other credit the account
holds pays them at once).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from linka.kernel.clock import Clock
from linka.kernel.errors import LinkaError
from linka.payments.ledger import (
    CHUNK,
    apply_credits,
    credits,
    store_allocations,
    store_entries,
)
from linka.payments.model import Allocation, EntryKind, PaymentStatus
from linka.payments.tables import AllocationRow, LedgerEntryRow, PaymentRow


class LedgerMovementError(LinkaError):
    """A fee, refund or return that the ledger cannot book as asked."""


@dataclass(frozen=True)
class Booked:
    entry_id: int
    created: bool  # False: the same source was booked before; nothing new


@dataclass(frozen=True)
class Debit:
    """A fee or a refund owed by an account, booked once per ``source``."""

    account_id: int
    kind: EntryKind  # fee | refund
    amount: Decimal  # > 0
    currency: str
    on: date
    source: str
    description: str


def _entry_by_source(session: Session, source: str) -> LedgerEntryRow | None:
    return session.scalars(select(LedgerEntryRow).where(LedgerEntryRow.source == source)).first()


def _entry_ids(session: Session, sources: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(sources), CHUNK):
        query = select(LedgerEntryRow.source, LedgerEntryRow.id).where(
            LedgerEntryRow.source.in_(sources[start : start + CHUNK])
        )
        for source, entry_id in session.execute(query):
            found[source] = entry_id
    return found


def book_debits(session: Session, debits: Sequence[Debit], clock: Clock) -> dict[str, int]:
    """Book fees and refunds owed by accounts, each once per ``source``; returns the
    ledger entry id of every source given (booked now or before).

    Sources already stored are skipped (one look-up for the batch), the new entries go
    in with one bulk insert, in the order given, and the unallocated credit of the
    accounts that hold any pays them at once as far as it goes.
    """
    return _book_debits(session, debits, clock)[0]


def _book_debits(
    session: Session, debits: Sequence[Debit], clock: Clock
) -> tuple[dict[str, int], set[str]]:
    for debit in debits:
        if debit.kind not in (EntryKind.FEE, EntryKind.REFUND):
            raise LedgerMovementError(f"{debit.kind} is not a debit item")
        if debit.amount <= 0:
            raise LedgerMovementError(f"a {debit.kind} must be positive, got {debit.amount}")
    sources = list(dict.fromkeys(debit.source for debit in debits))
    if not sources:
        return {}, set()
    stored = _entry_ids(session, sources)
    new: dict[str, Debit] = {}
    for debit in debits:
        if debit.source not in stored and debit.source not in new:
            new[debit.source] = debit
    if not new:
        return stored, set()
    store_entries(
        session,
        [
            {
                "source": d.source, "account_id": d.account_id, "kind": d.kind.value,
                "amount": d.amount, "currency": d.currency, "booked_on": d.on,
                "invoice_id": None, "payment_id": None, "description": d.description,
            }
            for d in new.values()
        ],
        clock,
    )  # fmt: skip
    booked = _entry_ids(session, list(new))
    days: dict[date, set[int]] = defaultdict(set)
    for debit in new.values():
        days[debit.on].add(debit.account_id)
    holding = {
        account_id
        for account_id, held in credits(session, sorted(set().union(*days.values()))).items()
        if any(credit.available > 0 for credit in held)
    }
    for on, account_ids in sorted(days.items()):
        paying = sorted(account_ids & holding)
        if paying:
            apply_credits(session, paying, on, clock)
    return stored | booked, set(new)


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
    debit = Debit(account_id, kind, amount, currency, on, source, description)
    ids, created = _book_debits(session, [debit], clock)
    return Booked(ids[source], created=source in created)


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
