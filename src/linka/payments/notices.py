"""The receipt a customer gets when a payment is booked to their account.

Accounts that take their bills by e-mail get an e-mail saying what arrived, what it paid
and what is still open (or the credit kept), in the account's language, enqueued in the
transaction that books the payment. The dedupe key is the payment, so a receipt is sent
once however often the statement is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from linka.customers.model import InvoiceDelivery
from linka.customers.tables import BillingAccountRow
from linka.engagement.bulk import BulkEnqueued, MessageRequest, enqueue_messages
from linka.engagement.model import MessageChannel, MessageKind
from linka.kernel.clock import Clock
from linka.payments.ledger import CHUNK, balances
from linka.payments.tables import PaymentRow
from linka.settings import Settings

_TEXT = {
    "cs": (
        "Přijali jsme vaši platbu {amount} {currency}",
        "Dobrý den,\n\ndne {day} jsme přijali vaši platbu {amount} {currency} "
        "(variabilní symbol {symbol}). Děkujeme.\n{state}\n\nS pozdravem\n{operator}",
        "Zbývá uhradit {balance} {currency}.",
        "Vše je uhrazeno.",
        "Přeplatek {balance} {currency} započteme proti další faktuře.",
    ),
    "en": (
        "We received your payment of {amount} {currency}",
        "Hello,\n\non {day} we received your payment of {amount} {currency} "
        "(variable symbol {symbol}). Thank you.\n{state}\n\nKind regards\n{operator}",
        "Still to pay: {balance} {currency}.",
        "Everything is paid.",
        "The overpayment of {balance} {currency} is set against your next invoice.",
    ),
}


def _amount(value: Decimal) -> str:
    return f"{abs(value):,.2f}".replace(",", " ")


def enqueue_receipts(
    session: Session, booked: Sequence[tuple[int, int]], clock: Clock, settings: Settings
) -> BulkEnqueued:
    """An e-mail per booked (payment id, account id) of an account billed by e-mail."""
    account_ids = sorted({account_id for _, account_id in booked})
    totals = balances(session, account_ids)
    requests: list[MessageRequest] = []
    payment_ids = [payment_id for payment_id, _ in booked]
    for start in range(0, len(payment_ids), CHUNK):
        rows = session.execute(
            select(PaymentRow, BillingAccountRow)
            .join(BillingAccountRow, BillingAccountRow.id == PaymentRow.account_id)
            .where(
                PaymentRow.id.in_(payment_ids[start : start + CHUNK]),
                BillingAccountRow.invoice_delivery == InvoiceDelivery.EMAIL.value,
            )
        ).all()
        for payment, account in rows:
            language = account.language if account.language in _TEXT else "cs"
            subject, body, owing, settled, credit = _TEXT[language]
            balance = totals.get(account.id, Decimal(0))
            state = owing if balance > 0 else settled if balance == 0 else credit
            values = {
                "amount": _amount(payment.amount), "currency": payment.currency,
                "day": f"{payment.booked_on:%d.%m.%Y}",
                "symbol": payment.variable_symbol or "—", "operator": settings.operator_name,
                "balance": _amount(balance),
            }  # fmt: skip
            requests.append(
                MessageRequest(
                    kind=MessageKind.PAYMENT_RECEIVED.value,
                    channel=MessageChannel.EMAIL,
                    dedupe_key=f"payment-received:{payment.id}",
                    subject=subject.format(**values),
                    body=body.format(**values, state=state.format(**values)),
                    customer_id=account.customer_id,
                    recipient=account.billing_email or None,
                )
            )
    return enqueue_messages(session, requests, clock)
