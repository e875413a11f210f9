"""Billing use cases around the bill run: discounts, adjustments, one-time charges, and
reading invoices. Each changes only what the next bill run will see; nothing here
touches an issued invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from linka.billing.charges import Pricebook
from linka.billing.tables import (
    AdjustmentRow,
    DiscountRow,
    InvoiceLineRow,
    InvoiceRow,
    InvoiceVatRow,
    OneTimeChargeRow,
)
from linka.catalog.services import read_catalog
from linka.customers.model import Actor
from linka.customers.tables import BillingAccountRow
from linka.kernel.clock import Clock
from linka.kernel.errors import LinkaError
from linka.subscriptions.services import find_line


class BillingInputError(LinkaError):
    """A discount, adjustment or charge that cannot be recorded as given."""


def _account(session: Session, number: str) -> BillingAccountRow:
    row = session.scalars(
        select(BillingAccountRow).where(BillingAccountRow.number == number)
    ).one_or_none()
    if row is None:
        raise BillingInputError(f"no billing account {number!r}")
    return row


def add_discount(
    session: Session,
    account_number: str,
    *,
    percent: Decimal | None,
    amount: Decimal | None,
    valid_from: date,
    valid_to: date | None,
    description: str,
    clock: Clock,
    actor: Actor,
    line_msisdn: str | None = None,
    offering_id: str | None = None,
) -> DiscountRow:
    """A percentage of recurring fees, or a fixed amount per bill period, for a while."""
    if (percent is None) == (amount is None):
        raise BillingInputError("give either --percent or --amount")
    if percent is not None and not 0 < percent <= 100:
        raise BillingInputError("--percent must be more than 0 and at most 100")
    if amount is not None and amount <= 0:
        raise BillingInputError("--amount must be positive (it is credited)")
    if valid_to is not None and valid_to <= valid_from:
        raise BillingInputError("--to must be after --from")
    account = _account(session, account_number)
    line_id = None
    if line_msisdn is not None:
        line = find_line(session, line_msisdn)
        if line.account_id != account.id:
            raise BillingInputError(f"line {line.msisdn} is not on account {account_number}")
        line_id = line.id
    row = DiscountRow(
        account_id=account.id, line_id=line_id, offering_id=offering_id, percent=percent,
        amount=amount, valid_from=valid_from, valid_to=valid_to,
        description=description.strip()[:200], created_at=clock.now(),
        created_by=actor.name[:100],
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def add_adjustment(
    session: Session,
    account_number: str,
    *,
    amount: Decimal,
    vat_code: str,
    description: str,
    reason: str,
    approved_by: str,
    effective_on: date,
    clock: Clock,
    line_msisdn: str | None = None,
) -> AdjustmentRow:
    """A manual credit (negative) or debit (positive), net of VAT, with who approved it."""
    if amount == 0:
        raise BillingInputError("an adjustment of 0 changes nothing")
    if amount != amount.quantize(Decimal("0.01")):
        raise BillingInputError(f"{amount}: at most 2 decimal places")
    if not reason.strip() or not approved_by.strip():
        raise BillingInputError("an adjustment needs a reason and who approved it")
    account = _account(session, account_number)
    catalog = read_catalog(session, effective_on)
    try:
        catalog.vat_rate(vat_code, effective_on)
    except KeyError as exc:
        raise BillingInputError(str(exc.args[0])) from None
    line_id = find_line(session, line_msisdn).id if line_msisdn else None
    row = AdjustmentRow(
        account_id=account.id, line_id=line_id, amount=amount, vat_code=vat_code,
        description=description.strip()[:200], reason=reason.strip()[:500],
        approved_by=approved_by.strip()[:100], effective_on=effective_on, created_at=clock.now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def add_one_time_charge(
    session: Session,
    line_msisdn: str,
    fee_id: str,
    *,
    occurred_on: date,
    clock: Clock,
    source: str,
) -> OneTimeChargeRow:
    """A one-time fee of the line's offering (e.g. sim-swap) that happened on a day."""
    line = find_line(session, line_msisdn)
    book = Pricebook((read_catalog(session, occurred_on),))
    offering = book.offering_on(line.offering_id, occurred_on)
    fee = next((f for f in offering.one_time_fees if f.id == fee_id), None)
    if fee is None:
        known = ", ".join(f.id for f in offering.one_time_fees) or "none"
        raise BillingInputError(f"offering {offering.id} has no one-time fee {fee_id!r} ({known})")
    row = OneTimeChargeRow(
        account_id=line.account_id, line_id=line.id, fee_id=fee.id, amount=fee.amount,
        vat_code=offering.vat_rate, description_cs=fee.name.cs, description_en=fee.name.en,
        occurred_on=occurred_on, source=source[:200], created_at=clock.now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class InvoiceView:
    invoice: InvoiceRow
    lines: list[InvoiceLineRow]
    vat: list[InvoiceVatRow]
    account_number: str


def invoice_view(session: Session, invoice: InvoiceRow) -> InvoiceView:
    lines = list(
        session.scalars(
            select(InvoiceLineRow)
            .where(InvoiceLineRow.invoice_id == invoice.id)
            .order_by(InvoiceLineRow.position)
        )
    )
    vat = list(
        session.scalars(
            select(InvoiceVatRow)
            .where(InvoiceVatRow.invoice_id == invoice.id)
            .order_by(InvoiceVatRow.vat_code)
        )
    )
    account = session.get_one(BillingAccountRow, invoice.account_id)
    return InvoiceView(invoice, lines, vat, account.number)


def find_document(session: Session, reference: str) -> InvoiceRow:
    """An invoice by its number (FA2026000001) or, for drafts, by its id (#123)."""
    if reference.startswith("#") and reference[1:].isdigit():
        row = session.get(InvoiceRow, int(reference[1:]))
    else:
        row = session.scalars(
            select(InvoiceRow).where(InvoiceRow.number_text == reference)
        ).one_or_none()
    if row is None:
        raise BillingInputError(f"no invoice {reference!r} (use its number, or #id for a draft)")
    return row


def list_invoices(
    session: Session,
    *,
    account_number: str | None = None,
    status: str | None = None,
    run_id: int | None = None,
    limit: int = 50,
) -> list[tuple[InvoiceRow, str]]:
    query = select(InvoiceRow, BillingAccountRow.number).join(
        BillingAccountRow, BillingAccountRow.id == InvoiceRow.account_id
    )
    if account_number is not None:
        query = query.where(BillingAccountRow.number == account_number)
    if status is not None:
        query = query.where(InvoiceRow.status == status)
    if run_id is not None:
        query = query.where(InvoiceRow.bill_run_id == run_id)
    rows = session.execute(query.order_by(InvoiceRow.id.desc()).limit(limit)).all()
    return [(invoice, number) for invoice, number in rows]
