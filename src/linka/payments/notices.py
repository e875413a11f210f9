"""The receipt a customer gets when payments are booked to their account.

Accounts that take their bills by e-mail get one e-mail per import that booked money to
them — every payment of that import listed with its date, amount and variable symbol, and
what is still open (or the credit kept) — in the account's language, enqueued in the
transaction that books the payments. One e-mail per account rather than per payment: a
customer who paid two invoices in one statement gets one receipt, and a statement of a
hundred thousand payments enqueues one message per paying account. The dedupe key is the
account's first payment of the batch, so importing the statement again sends nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from linka.customers.model import InvoiceDelivery
from linka.customers.tables import BillingAccountRow
from linka.engagement.bulk import BulkEnqueued, MessageRequest, enqueue_messages
from linka.engagement.model import MessageChannel, MessageKind
from linka.kernel.clock import Clock
from linka.payments.imports import Booked
from linka.payments.ledger import CHUNK, balances
from linka.settings import Settings

_TEXT = {
    "cs": (
        "Přijali jsme vaši platbu",
        "Dobrý den,\n\nděkujeme, přijali jsme:\n{payments}\n\n{state}\n\nS pozdravem\n{operator}",
        "{day}  {amount} {currency}  (variabilní symbol {symbol})",
        "Zbývá uhradit {balance} {currency}.",
        "Vše je uhrazeno.",
        "Přeplatek {balance} {currency} započteme proti další faktuře.",
    ),
    "en": (
        "We received your payment",
        "Hello,\n\nthank you, we received:\n{payments}\n\n{state}\n\nKind regards\n{operator}",
        "{day}  {amount} {currency}  (variable symbol {symbol})",
        "Still to pay: {balance} {currency}.",
        "Everything is paid.",
        "The overpayment of {balance} {currency} is set against your next invoice.",
    ),
}


def _amount(value: Decimal) -> str:
    return f"{abs(value):,.2f}".replace(",", " ")


def enqueue_receipts(
    session: Session, booked: Sequence[Booked], clock: Clock, settings: Settings
) -> BulkEnqueued:
    """One e-mail per account of the booked payments that takes its bills by e-mail."""
    paid: dict[int, list[Booked]] = defaultdict(list)
    for item in booked:
        paid[item.account_id].append(item)
    ids = sorted(paid)
    accounts: dict[int, tuple[str, int, str | None]] = {}
    for start in range(0, len(ids), CHUNK):
        for account_id, language, customer_id, email in session.execute(
            select(
                BillingAccountRow.id, BillingAccountRow.language,
                BillingAccountRow.customer_id, BillingAccountRow.billing_email,
            ).where(
                BillingAccountRow.id.in_(ids[start : start + CHUNK]),
                BillingAccountRow.invoice_delivery == InvoiceDelivery.EMAIL.value,
            )
        ):  # fmt: skip
            accounts[account_id] = (language, customer_id, email)
    totals = balances(session, sorted(accounts))
    requests = []
    for account_id, (language, customer_id, billing_email) in accounts.items():
        payments = paid[account_id]
        subject, body, line, owing, settled, credit = _TEXT[language if language in _TEXT else "cs"]
        balance = totals.get(account_id, Decimal(0))
        currency = payments[0].payment.currency
        state = owing if balance > 0 else settled if balance == 0 else credit
        listed = "\n".join(
            line.format(
                day=f"{p.booked_on:%d.%m.%Y}", amount=_amount(p.amount), currency=p.currency,
                symbol=p.variable_symbol or "—",
            )
            for p in (item.payment for item in payments)
        )  # fmt: skip
        requests.append(
            MessageRequest(
                kind=MessageKind.PAYMENT_RECEIVED.value,
                channel=MessageChannel.EMAIL,
                dedupe_key=f"payment-received:{payments[0].payment_id}",
                subject=subject,
                body=body.format(
                    payments=listed,
                    state=state.format(balance=_amount(balance), currency=currency),
                    operator=settings.operator_name,
                ),
                customer_id=customer_id,
                recipient=billing_email or None,
            )
        )
    return enqueue_messages(session, requests, clock)
