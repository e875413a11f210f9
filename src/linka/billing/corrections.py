"""Credit notes (opravné daňové doklady): the only way to correct an issued invoice.

A credit note reverses lines of an issued invoice — all of them, or the ones named — with
the same charge keys and negative amounts, in its own number series, referencing the
original and stating why. Because it carries the same keys, the amounts it reverses
count as not invoiced any more: the next bill run invoices them again as they are due
then (a wrong address fixed, a re-rated month). To waive a charge for good, record an
adjustment that credits it instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from linka.billing import parties
from linka.billing.assemble import invoice_draft
from linka.billing.issuing import mark_issued
from linka.billing.model import Charge, ChargeKind, InvoiceKind, InvoiceStatus, TaxMode
from linka.billing.numbering import number_text, reserve_numbers
from linka.billing.runs import store_lines
from linka.billing.tables import InvoiceLineRow, InvoiceRow, InvoiceVatRow
from linka.kernel.clock import Clock
from linka.kernel.errors import LinkaError
from linka.settings import Settings


class CorrectionError(LinkaError):
    """The invoice cannot be corrected as asked."""


def find_invoice(session: Session, number: str) -> InvoiceRow:
    row = session.scalars(select(InvoiceRow).where(InvoiceRow.number_text == number)).one_or_none()
    if row is None:
        raise CorrectionError(f"no issued document has the number {number!r}")
    return row


def credit_invoice(
    session: Session,
    number: str,
    *,
    reason: str,
    clock: Clock,
    settings: Settings,
    issue_date: date,
    positions: Sequence[int] | None = None,
) -> InvoiceRow:
    """Issue a credit note reversing the invoice's lines (all, or those at ``positions``)."""
    original = find_invoice(session, number)
    if original.kind != InvoiceKind.INVOICE.value or original.status != InvoiceStatus.ISSUED.value:
        raise CorrectionError(f"{number} is not an issued invoice")
    text = " ".join(reason.split())
    if not text:
        raise CorrectionError("a credit note needs a reason")
    lines = list(
        session.scalars(
            select(InvoiceLineRow)
            .where(InvoiceLineRow.invoice_id == original.id)
            .order_by(InvoiceLineRow.position)
        )
    )
    if positions is not None:
        unknown = sorted(set(positions) - {line.position for line in lines})
        if unknown:
            raise CorrectionError(f"{number} has no line(s) {unknown}")
        lines = [line for line in lines if line.position in set(positions)]
    if not lines:
        raise CorrectionError(f"{number}: nothing to credit")
    reversed_lines = [
        (
            Charge(
                key=line.charge_key,
                kind=ChargeKind(line.kind),
                amount=-line.net,
                vat_code=line.vat_code,
                description_cs=line.description_cs,
                description_en=line.description_en,
                unit=line.unit,
                line_id=line.line_id,
                line_msisdn=line.line_msisdn,
                period_start=line.period_start,
                period_end=line.period_end,
                source=f"credit of {number} line {line.position}",
            ),
            -line.net,
        )
        for line in lines
    ]
    rates = {
        row.vat_code: row.rate
        for row in session.scalars(
            select(InvoiceVatRow).where(InvoiceVatRow.invoice_id == original.id)
        )
    }
    draft = invoice_draft(
        original.account_id,
        reversed_lines,
        mode=TaxMode(original.tax_mode),
        rates=rates,  # the original's rates, as the VAT act requires for corrections
        tax_point=issue_date,
        period=(original.period_start, original.period_end),
        currency=original.currency,
        round_to_whole=original.rounding != 0,
        notes=tuple(original.notes),
    )
    (sequence,) = reserve_numbers(session, settings.credit_note_series, issue_date.year, 1)
    now = clock.now()
    note = InvoiceRow(
        bill_run_id=None,
        account_id=original.account_id,
        kind=InvoiceKind.CREDIT_NOTE.value,
        status=InvoiceStatus.APPROVED.value,  # issued once its lines are in
        series=settings.credit_note_series,
        year=issue_date.year,
        number=sequence,
        number_text=number_text(settings.credit_note_series, issue_date.year, sequence),
        issue_date=issue_date,
        tax_point_date=issue_date,
        due_date=issue_date + timedelta(days=settings.invoice_due_days),
        period_start=original.period_start,
        period_end=original.period_end,
        currency=original.currency,
        language=original.language,
        tax_mode=original.tax_mode,
        notes=list(original.notes),
        variable_symbol=original.variable_symbol,
        total_net=draft.total_net,
        total_vat=draft.total_vat,
        total_gross=draft.total_gross,
        rounding=draft.rounding,
        amount_due=draft.amount_due,
        original_invoice_id=original.id,
        correction_reason=text[:500],
        parties={
            "supplier": parties.supplier(settings),
            "customer": parties.customers(session, [original.account_id])[original.account_id],
        },
        created_at=now,
        approved_at=now,
        issued_at=now,
    )
    session.add(note)
    session.flush()
    store_lines(session, [(note.id, draft)])
    mark_issued(session, [note.id], clock=clock, settings=settings)
    session.refresh(note)
    return note
