"""The e-mail that goes with an issued invoice or credit note, enqueued as it is issued.

Accounts with invoice delivery by e-mail get one message per document, in the account's
language, to the account's billing address (else the customer's own), with the PDF
attached by reference: ``documents/<number>.pdf`` under the data directory, written by
``linka invoices export`` (the demo writes it too). Until that file exists the outbox
retries the message, so an invoice is never mailed without its PDF. The dedupe key is
the document number: issuing is once, so is the e-mail.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from linka.billing.model import InvoiceKind
from linka.billing.tables import InvoiceRow
from linka.customers.model import InvoiceDelivery
from linka.customers.tables import BillingAccountRow
from linka.engagement.bulk import BulkEnqueued, MessageRequest, enqueue_messages
from linka.engagement.model import Attachment, MessageChannel, MessageKind
from linka.kernel.clock import Clock
from linka.settings import Settings

CHUNK = 10_000

_TEXT = {
    ("cs", InvoiceKind.INVOICE): (
        "Faktura {number} od {operator}",
        "Dobrý den,\n\nv příloze posíláme fakturu {number} za období {start} – {end}.\n"
        "K úhradě: {amount} {currency}, splatnost {due}.\n"
        "Účet: {bank} (IBAN {iban}), variabilní symbol {symbol}.\n\n"
        "S pozdravem\n{operator}\n{phone}",
    ),
    ("en", InvoiceKind.INVOICE): (
        "Invoice {number} from {operator}",
        "Hello,\n\nplease find attached invoice {number} for {start} – {end}.\n"
        "Amount due: {amount} {currency}, due on {due}.\n"
        "Pay to: {bank} (IBAN {iban}), variable symbol {symbol}.\n\n"
        "Kind regards\n{operator}\n{phone}",
    ),
    ("cs", InvoiceKind.CREDIT_NOTE): (
        "Opravný daňový doklad {number} od {operator}",
        "Dobrý den,\n\nv příloze posíláme opravný daňový doklad {number}.\n"
        "Ve váš prospěch: {amount} {currency}; započteme jej proti dalším fakturám.\n\n"
        "S pozdravem\n{operator}\n{phone}",
    ),
    ("en", InvoiceKind.CREDIT_NOTE): (
        "Credit note {number} from {operator}",
        "Hello,\n\nplease find attached credit note {number}.\n"
        "In your favour: {amount} {currency}; it is set against your next invoices.\n\n"
        "Kind regards\n{operator}\n{phone}",
    ),
}


def _amount(value: Decimal) -> str:
    return f"{abs(value):,.2f}".replace(",", " ")


def enqueue_issued_notices(
    session: Session, invoice_ids: Sequence[int], clock: Clock, settings: Settings
) -> BulkEnqueued:
    """One e-mail per issued document of an account that wants its bills by e-mail."""
    requests: list[MessageRequest] = []
    ids = list(invoice_ids)
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(InvoiceRow, BillingAccountRow.customer_id, BillingAccountRow.billing_email)
            .join(BillingAccountRow, BillingAccountRow.id == InvoiceRow.account_id)
            .where(
                InvoiceRow.id.in_(ids[start : start + CHUNK]),
                BillingAccountRow.invoice_delivery == InvoiceDelivery.EMAIL.value,
                InvoiceRow.number_text.is_not(None),
            )
        ).all()
        for invoice, customer_id, billing_email in rows:
            language = invoice.language if invoice.language in ("cs", "en") else "cs"
            subject, body = _TEXT[(language, InvoiceKind(invoice.kind))]
            values = {
                "number": invoice.number_text, "operator": settings.operator_name,
                "start": f"{invoice.period_start:%d.%m.%Y}",
                "end": f"{invoice.period_end:%d.%m.%Y}",
                "amount": _amount(invoice.amount_due), "currency": invoice.currency,
                "due": f"{invoice.due_date:%d.%m.%Y}" if invoice.due_date else "",
                "bank": settings.operator_bank_account, "iban": settings.operator_iban,
                "symbol": invoice.variable_symbol, "phone": settings.operator_phone,
            }  # fmt: skip
            requests.append(
                MessageRequest(
                    kind=MessageKind.INVOICE_ISSUED.value,
                    channel=MessageChannel.EMAIL,
                    dedupe_key=f"invoice-issued:{invoice.number_text}",
                    subject=subject.format(**values),
                    body=body.format(**values),
                    customer_id=customer_id,
                    recipient=billing_email or None,
                    attachments=(
                        Attachment(
                            f"{invoice.number_text}.pdf",
                            f"documents/{invoice.number_text}.pdf",
                            "application/pdf",
                        ),
                    ),
                )
            )
    return enqueue_messages(session, requests, clock)
