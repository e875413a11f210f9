"""Collecting due invoices by SEPA direct debit: choosing them and writing the pain.008.

An invoice is collected on ``--date D`` (the requested collection date) when it is
issued, due on or before D, has something open in the ledger, its account pays by
``direct_debit`` and holds an active mandate signed on or before D, and no live
(``submitted``) debit already collects it. The open amount is collected, so a partly
paid invoice is collected for the rest. Running the export again for the same date
therefore adds nothing.

An invoice whose debit came back is collected again by the next export, as a new
attempt, unless the bank's reason says that trying again is pointless (account closed,
no mandate, debtor refused or deceased: :data:`FINAL_REASONS`) or it has been tried
:data:`MAX_ATTEMPTS` times; then dunning takes over.

The end-to-end id names the invoice: its number (``FA2026000004``), and for a later
attempt the number with a letter (``FA2026000004-B``, ``-C``) so that the digits, which
the statement import takes as the variable symbol, are still the invoice's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import and_, case, func, insert, select, update
from sqlalchemy.orm import Session

from linka.billing.model import InvoiceKind, InvoiceStatus
from linka.billing.tables import InvoiceRow
from linka.customers.model import PaymentMethod
from linka.customers.tables import BillingAccountRow
from linka.kernel.clock import Clock
from linka.payments.ledger import CHUNK, open_items
from linka.payments.sepa.errors import SepaError
from linka.payments.sepa.mandates import ACTIVE
from linka.payments.sepa.pain import (
    Creditor,
    cents,
    direct_debit_document,
    export_document,
    write_file,
)
from linka.payments.sepa.tables import DirectDebitRow, MandateRow
from linka.store.bulk import chunked

SUBMITTED = "submitted"
RETURNED = "returned"
REJECTED = "rejected"
FIRST = "FRST"
RECURRING = "RCUR"
MAX_ATTEMPTS = 3
# Return and reject reasons after which collecting the same invoice again cannot work:
# account closed or blocked, wrong account, no valid mandate, debtor deceased, refused by
# the debtor, refund requested by the debtor, creditor's direct debits refused.
FINAL_REASONS = frozenset(
    {"AC01", "AC04", "AC06", "AG01", "MD01", "MD06", "MD07", "MS02", "SL01", "BE05"}
)


@dataclass(frozen=True)
class Collection:
    """One invoice in a pain.008 file."""

    invoice: str
    account: str
    mandate: str
    debtor: str
    sequence: str  # FRST | RCUR
    amount: Decimal
    currency: str
    end_to_end_id: str


@dataclass(frozen=True)
class CollectionFile:
    message_id: str
    currency: str
    path: Path
    collections: tuple[Collection, ...]

    @property
    def total(self) -> Decimal:
        return sum((c.amount for c in self.collections), Decimal(0))


def end_to_end_id(invoice_number: str, attempt: int) -> str:
    """The debit's end-to-end id: the invoice number, then ``-B``, ``-C`` … per attempt."""
    if not 1 <= attempt <= 26:
        raise ValueError(f"attempt {attempt} out of range")
    return invoice_number if attempt == 1 else f"{invoice_number}-{chr(ord('A') + attempt - 1)}"


@dataclass(frozen=True)
class _Due:
    invoice_id: int
    number: str
    account_id: int
    account: str
    currency: str
    attempt: int
    mandate: MandateRow


def _due(session: Session, on: date) -> list[_Due]:
    history = (
        select(
            DirectDebitRow.invoice_id,
            func.count().label("attempts"),
            func.sum(case((DirectDebitRow.status == SUBMITTED, 1), else_=0)).label("live"),
            func.sum(case((DirectDebitRow.return_reason.in_(FINAL_REASONS), 1), else_=0)).label(
                "final"
            ),
        )
        .group_by(DirectDebitRow.invoice_id)
        .subquery()
    )
    attempts = func.coalesce(history.c.attempts, 0)
    query = (
        select(
            InvoiceRow.id,
            InvoiceRow.number_text,
            InvoiceRow.account_id,
            BillingAccountRow.number,
            InvoiceRow.currency,
            attempts,
            MandateRow,
        )
        .join(BillingAccountRow, BillingAccountRow.id == InvoiceRow.account_id)
        .join(
            MandateRow,
            and_(MandateRow.account_id == InvoiceRow.account_id, MandateRow.status == ACTIVE),
        )
        .outerjoin(history, history.c.invoice_id == InvoiceRow.id)
        .where(
            InvoiceRow.status == InvoiceStatus.ISSUED.value,
            InvoiceRow.kind == InvoiceKind.INVOICE.value,
            InvoiceRow.due_date <= on,
            BillingAccountRow.payment_method == PaymentMethod.DIRECT_DEBIT.value,
            MandateRow.signed_on <= on,
            func.coalesce(history.c.live, 0) == 0,
            func.coalesce(history.c.final, 0) == 0,
            attempts < MAX_ATTEMPTS,
        )
        .order_by(BillingAccountRow.number, InvoiceRow.due_date, InvoiceRow.id)
    )
    return [
        _Due(invoice_id, number or "", account_id, account, currency, tried + 1, mandate)
        for invoice_id, number, account_id, account, currency, tried, mandate in session.execute(
            query
        )
    ]


def export_collections(
    session: Session, on: date, directory: Path, creditor: Creditor, clock: Clock
) -> list[CollectionFile]:
    """Collect the due invoices on ``on``: one pain.008 file per currency in ``directory``
    and a ``submitted`` debit per invoice. Nothing due: no file."""
    today = clock.now().date()
    if on < today:
        raise SepaError(f"collection date {on} is in the past (today is {today})")
    due = _due(session, on)
    opened = {
        item.invoice_id: item.open
        for items in open_items(session, sorted({d.account_id for d in due})).values()
        for item in items
        if item.invoice_id is not None
    }
    now = clock.now()
    by_currency: dict[str, list[tuple[_Due, Collection]]] = defaultdict(list)
    for candidate in due:
        amount = opened.get(candidate.invoice_id, Decimal(0))
        if amount <= 0:
            continue
        mandate = candidate.mandate
        collection = Collection(
            invoice=candidate.number,
            account=candidate.account,
            mandate=mandate.reference,
            debtor=mandate.debtor_name,
            sequence=FIRST if mandate.first_collected_on is None else RECURRING,
            amount=amount,
            currency=candidate.currency,
            end_to_end_id=end_to_end_id(candidate.number, candidate.attempt),
        )
        by_currency[candidate.currency].append((candidate, collection))
    documents: list[tuple[str, str, bytes, list[tuple[_Due, Collection]]]] = []
    for currency, chosen in sorted(by_currency.items()):
        message_id = f"LINKA-DD-{now:%Y%m%d%H%M%S%f}-{currency}"[:35]
        document = direct_debit_document(creditor, currency, message_id)
        for candidate, collection in chosen:
            document.add_payment(_payment(candidate, collection, on, creditor))
        documents.append((currency, str(document.msg_id), export_document(document), chosen))
    rows = [
        {
            "invoice_id": candidate.invoice_id,
            "mandate_id": candidate.mandate.id,
            "account_id": candidate.account_id,
            "amount": collection.amount,
            "currency": collection.currency,
            "collection_date": on,
            "sequence": collection.sequence,
            "end_to_end_id": collection.end_to_end_id,
            "batch_id": message_id,
            "status": SUBMITTED,
            "created_at": now,
        }
        for _, message_id, _, chosen in documents
        for candidate, collection in chosen
    ]
    if rows:
        session.execute(insert(DirectDebitRow), rows)
    first = sorted(
        {
            candidate.mandate.id
            for _, _, _, chosen in documents
            for candidate, _ in chosen
            if candidate.mandate.first_collected_on is None
        }
    )
    for ids in chunked(first, CHUNK):
        session.execute(
            update(MandateRow).where(MandateRow.id.in_(ids)).values(first_collected_on=on)
        )
    session.flush()
    return [
        CollectionFile(
            message_id,
            currency,
            write_file(directory, "pain.008", on, message_id, data),
            tuple(collection for _, collection in chosen),
        )
        for currency, message_id, data, chosen in documents
    ]


def _payment(
    candidate: _Due, collection: Collection, on: date, creditor: Creditor
) -> dict[str, object]:
    """One debit as sepaxml takes it."""
    payment: dict[str, object] = {
        "name": collection.debtor, "IBAN": candidate.mandate.debtor_iban,
        "amount": cents(collection.amount), "type": collection.sequence,
        "collection_date": on, "mandate_id": collection.mandate,
        "mandate_date": candidate.mandate.signed_on,
        "description": f"{collection.invoice} {creditor.name}",
        "endtoend_id": collection.end_to_end_id,
    }  # fmt: skip
    if candidate.mandate.debtor_bic:
        payment["BIC"] = candidate.mandate.debtor_bic
    return payment
