"""The last step of issuing documents, shared by the bill run, draft issue and credit notes.

In the transaction that issues them: the status becomes *issued* (from here on the
database refuses any change), the documents are booked in the customer ledger (where the
account's credit pays them at once as far as it goes) and the e-mail announcing each is
enqueued in the outbox. Doing all three in one place and one transaction is what makes
"every issued invoice is in the ledger and mailed once" true whichever path issued it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.orm import Session

from linka.billing.model import InvoiceStatus
from linka.billing.notices import enqueue_issued_notices
from linka.billing.tables import InvoiceRow
from linka.kernel.clock import Clock
from linka.payments.ledger import book_invoices
from linka.settings import Settings


def mark_issued(
    session: Session, invoice_ids: Sequence[int], *, clock: Clock, settings: Settings
) -> None:
    """Issue the (approved, numbered) documents; book them; enqueue their e-mails."""
    ids = list(invoice_ids)
    for start in range(0, len(ids), 1_000):
        session.execute(
            update(InvoiceRow)
            .where(InvoiceRow.id.in_(ids[start : start + 1_000]))
            .values(status=InvoiceStatus.ISSUED.value)
        )
    book_invoices(session, ids, clock)
    enqueue_issued_notices(session, ids, clock, settings)
