"""Building blocks for ledger tests: accounts, issued invoices, statements, in a few lines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from linka.billing.tables import InvoiceRow
from linka.customers.tables import BillingAccountRow, CustomerRow
from linka.kernel.clock import FakeClock
from linka.payments.ledger import book_invoices
from linka.payments.statements import Statement, StatementEntry, StatementFormat

D = Decimal
NOW = datetime(2026, 4, 20, 6, 0, tzinfo=UTC)
OPERATOR_IBAN = "CZ6508000000192000145399"


def account(
    session: Session, n: int, *, delivery: str = "email", currency: str = "CZK",
    iban: str | None = None,
) -> BillingAccountRow:  # fmt: skip
    """Customer n with billing account 2000000n, variable symbol 2000000n."""
    customer = CustomerRow(
        number=f"1000000{n}", segment="consumer", party_kind="person", name=f"Jana Nová {n}",
        first_name="Jana", last_name="Nová", email=f"jana{n}@example.cz", created_at=NOW,
    )  # fmt: skip
    session.add(customer)
    session.flush()
    row = BillingAccountRow(
        customer_id=customer.id, number=f"2000000{n}", currency=currency, bill_cycle_day=1,
        payment_type="postpaid", payment_method="bank_transfer", variable_symbol=f"2000000{n}",
        invoice_delivery=delivery, language="cs", tax_profile_id="domestic",
        timezone="Europe/Prague", iban=iban, created_at=NOW,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def invoice(
    session: Session, owner: BillingAccountRow, number: int, amount: str, *,
    due: date = date(2026, 4, 15), book: bool = True,
) -> InvoiceRow:  # fmt: skip
    """Issued invoice FA2026<number> of ``amount``, booked in the ledger as billing does."""
    row = InvoiceRow(
        account_id=owner.id, kind="invoice", status="issued", series="FA", year=2026,
        number=number, number_text=f"FA2026{number:06d}", issue_date=date(2026, 4, 1),
        tax_point_date=date(2026, 3, 31), due_date=due, period_start=date(2026, 3, 1),
        period_end=date(2026, 4, 1), currency=owner.currency, language="cs",
        tax_mode="domestic", notes=[], variable_symbol=owner.variable_symbol,
        total_net=D(amount), total_vat=D(0), total_gross=D(amount), rounding=D(0),
        amount_due=D(amount), created_at=NOW, issued_at=NOW,
    )  # fmt: skip
    session.add(row)
    session.flush()
    if book:
        book_invoices(session, [row.id], FakeClock(NOW))
    return row


def paid(
    reference: str, amount: str, symbol: str | None, *, day: date = date(2026, 4, 14),
    payer: str | None = None,
) -> StatementEntry:  # fmt: skip
    """A credit entry of the operator's statement."""
    return StatementEntry(
        reference=f"{OPERATOR_IBAN}/{reference}", booking_date=day, value_date=day,
        amount=D(amount), currency="CZK", variable_symbol=symbol, counterparty_account=payer,
        counterparty_name="Jana Nová", message=f"platba {reference}",
    )  # fmt: skip


def statement(statement_id: str, *entries: StatementEntry) -> Statement:
    """The operator's camt.053 statement holding ``entries``, balances adding up."""
    opening = D("10000.00")
    return Statement(
        statement_id=statement_id, number="1", iban=OPERATOR_IBAN, account=None,
        currency="CZK", opening_balance=opening,
        closing_balance=opening + sum((e.amount for e in entries), D(0)),
        from_date=date(2026, 4, 1), to_date=date(2026, 4, 20), entries=entries,
        source_format=StatementFormat.CAMT053,
    )  # fmt: skip
