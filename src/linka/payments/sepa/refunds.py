"""Refunds: the account's credit paid back to the customer by a pain.001 credit transfer.

Asking for a refund books it in the ledger at once (``book_refund``, which refuses more
than the account's unallocated credit), so the same credit cannot be refunded twice or
pay an invoice meanwhile; the transfer itself goes to the bank with the next
``refunds-export``. The money goes to the IBAN given, else the active mandate's, else
the account's; the end-to-end id ``REFUND-<id>`` names the refund on the statement.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from linka.customers.services import get_account
from linka.customers.tables import BillingAccountRow, CustomerRow
from linka.kernel.clock import Clock
from linka.payments.ledger import CHUNK
from linka.payments.movements import book_refund
from linka.payments.sepa.errors import SepaError
from linka.payments.sepa.mandates import active_mandate
from linka.payments.sepa.pain import (
    Creditor,
    cents,
    checked_bic,
    checked_iban,
    export_document,
    transfer_document,
    write_file,
)
from linka.payments.sepa.tables import RefundRow
from linka.store.bulk import chunked, reserve_ids


@dataclass(frozen=True)
class RefundFile:
    message_id: str
    currency: str
    path: Path
    refunds: tuple[RefundRow, ...]

    @property
    def total(self) -> Decimal:
        return sum((refund.amount for refund in self.refunds), Decimal(0))


def request_refund(
    session: Session,
    account_number: str,
    amount: Decimal,
    *,
    clock: Clock,
    iban: str | None = None,
    name: str | None = None,
    bic: str | None = None,
) -> RefundRow:
    """Book a refund of ``amount`` of the account's credit, to be paid by the next export."""
    account = get_account(session, account_number)
    if amount <= 0:
        raise SepaError(f"a refund must be positive, got {amount}")
    cents(amount)
    default_name, default_iban = _payee(session, account)
    target = iban or default_iban
    if target is None:
        raise SepaError(f"account {account.number} has no IBAN to pay a refund to: give --iban")
    creditor_iban = checked_iban(target, "refund IBAN")
    refund_id = reserve_ids(session, RefundRow, 1)[0]
    today = clock.now().date()
    booked = book_refund(
        session, account_id=account.id, amount=amount, currency=account.currency, on=today,
        source=f"sepa-refund:{refund_id}", clock=clock,
    )  # fmt: skip
    row = RefundRow(
        id=refund_id, account_id=account.id, amount=amount, currency=account.currency,
        creditor_name=(name or default_name).strip()[:140], creditor_iban=creditor_iban,
        creditor_bic=checked_bic(bic, "refund BIC") if bic else None, requested_on=today,
        end_to_end_id=f"REFUND-{refund_id}", batch_id=None, ledger_entry_id=booked.entry_id,
        created_at=clock.now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def _payee(session: Session, account: BillingAccountRow) -> tuple[str, str | None]:
    """The active mandate's debtor and IBAN, else the customer and the account's IBAN."""
    mandate = active_mandate(session, account.id)
    if mandate is not None:
        return mandate.debtor_name, mandate.debtor_iban
    return session.get_one(CustomerRow, account.customer_id).name, account.iban


def export_refunds(
    session: Session, on: date, directory: Path, creditor: Creditor, clock: Clock
) -> list[RefundFile]:
    """Pay the refunds requested on or before ``on`` and not yet sent: one pain.001 file
    per currency, executed on ``on``. Nothing waiting: no file."""
    today = clock.now().date()
    if on < today:
        raise SepaError(f"execution date {on} is in the past (today is {today})")
    waiting = session.scalars(
        select(RefundRow)
        .where(RefundRow.batch_id.is_(None), RefundRow.requested_on <= on)
        .order_by(RefundRow.id)
        .with_for_update()
    ).all()
    by_currency: dict[str, list[RefundRow]] = defaultdict(list)
    for refund in waiting:
        by_currency[refund.currency].append(refund)
    documents: list[tuple[str, str, bytes, list[RefundRow]]] = []
    for currency, refunds in sorted(by_currency.items()):
        document = transfer_document(creditor, currency)
        for refund in refunds:
            payment: dict[str, object] = {
                "name": refund.creditor_name, "IBAN": refund.creditor_iban,
                "amount": cents(refund.amount), "execution_date": on,
                "description": f"{creditor.name} refund {refund.end_to_end_id}",
                "endtoend_id": refund.end_to_end_id,
            }  # fmt: skip
            if refund.creditor_bic:
                payment["BIC"] = refund.creditor_bic
            document.add_payment(payment)
        documents.append((currency, str(document.msg_id), export_document(document), refunds))
    for _, message_id, _, refunds in documents:
        for ids in chunked([refund.id for refund in refunds], CHUNK):
            session.execute(
                update(RefundRow).where(RefundRow.id.in_(ids)).values(batch_id=message_id)
            )
    session.flush()
    return [
        RefundFile(
            message_id,
            currency,
            write_file(directory, "pain.001", on, message_id, data),
            tuple(refunds),
        )
        for currency, message_id, data, refunds in documents
    ]
