"""Stored invoices → :class:`~linka.documents.model.InvoiceDocument` for the renderers.

Everything printed comes from the stored invoice: its lines, VAT rows and totals as the
bill run computed them, and the parties as they were snapshotted when it was issued. This
module only chooses the language's texts and units and adds the itemised usage; it
computes no money. Only issued documents are rendered: a draft has no number yet.
Batches are loaded set-based (one query per table, one scan per rating run).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from linka.billing.itemisation import UsageRequest, usage_items
from linka.billing.loaders import zone_names
from linka.billing.model import ChargeKind, InvoiceKind, InvoiceStatus, TaxMode
from linka.billing.tables import InvoiceLineRow, InvoiceRow, InvoiceVatRow
from linka.catalog.services import read_version
from linka.catalog.tables import CatalogVersionRow
from linka.customers.tables import BillingAccountRow
from linka.documents.model import (
    Address,
    BankDetails,
    DocumentKind,
    DocumentLine,
    DocumentParty,
    InvoiceDocument,
    LineKind,
    VatLine,
)
from linka.kernel.errors import LinkaError
from linka.settings import Settings
from linka.usage.store import UsageStore

# Billing's unit → (Czech, English, UN/ECE Rec 20 code). "piece" is a fee or a usage
# total: a count without a physical unit, hence C62 ("one").
UNITS = {"month": ("měs.", "month", "MON"), "piece": ("ks", "pcs", "C62")}
# Documents are identified across systems by a UUID derived from supplier and number.
DOCUMENT_NAMESPACE = uuid.UUID("0c0f4a2e-6a52-4b8e-9d0e-6c696e6b6121")


class NotIssuedError(LinkaError):
    """Only issued invoices and credit notes have documents."""


def document_uuid(supplier_ico: str, number: str) -> str:
    return str(uuid.uuid5(DOCUMENT_NAMESPACE, f"{supplier_ico}/{number}"))


ZoneNames = dict[tuple[int, str, str], tuple[str, str]]


def load_documents(
    session: Session,
    store: UsageStore,
    invoice_ids: Sequence[int],
    settings: Settings,
    names: ZoneNames | None = None,
) -> list[InvoiceDocument]:
    """The documents of these issued invoices, in the order of ``invoice_ids``.

    ``names`` (from :func:`read_zone_names`) saves re-reading the catalog per batch.
    """
    invoices = {
        row.id: row
        for row in session.scalars(select(InvoiceRow).where(InvoiceRow.id.in_(invoice_ids)))
    }
    for invoice_id in invoice_ids:
        row = invoices.get(invoice_id)
        if row is None or row.status != InvoiceStatus.ISSUED:
            raise NotIssuedError(f"invoice #{invoice_id} is not issued: only issued ones print")
    lines: dict[int, list[InvoiceLineRow]] = defaultdict(list)
    for line in session.scalars(
        select(InvoiceLineRow)
        .where(InvoiceLineRow.invoice_id.in_(invoice_ids))
        .order_by(InvoiceLineRow.invoice_id, InvoiceLineRow.position)
    ):
        lines[line.invoice_id].append(line)
    vat: dict[int, list[InvoiceVatRow]] = defaultdict(list)
    for vat_row in session.scalars(
        select(InvoiceVatRow)
        .where(InvoiceVatRow.invoice_id.in_(invoice_ids))
        .order_by(InvoiceVatRow.invoice_id, InvoiceVatRow.rate)
    ):
        vat[vat_row.invoice_id].append(vat_row)
    original_ids = {i.original_invoice_id for i in invoices.values() if i.original_invoice_id}
    originals = {
        row.id: row
        for row in session.scalars(select(InvoiceRow).where(InvoiceRow.id.in_(original_ids)))
    }
    timezones = dict(
        session.execute(
            select(BillingAccountRow.id, BillingAccountRow.timezone).where(
                BillingAccountRow.id.in_({i.account_id for i in invoices.values()})
            )
        ).all()
    )
    usage = usage_items(
        session,
        store,
        [
            UsageRequest(
                invoice.id,
                line.line_id,
                line.period_start,
                line.line_msisdn,
                timezones[invoice.account_id],
                invoice.language,
            )
            for invoice in invoices.values()
            if invoice.kind == InvoiceKind.INVOICE
            for line in lines[invoice.id]
            if line.kind == ChargeKind.USAGE
            and line.line_id is not None
            and line.line_msisdn is not None
            and line.period_start is not None
        ],
        names if names is not None else read_zone_names(session),
    )
    logo = settings.operator_logo.read_text(encoding="utf-8") if settings.operator_logo else None
    return [
        build_document(
            invoices[i],
            lines[i],
            vat[i],
            originals.get(invoices[i].original_invoice_id or 0),
            usage.get(i, ()),
            brand_color=settings.operator_brand_color,
            logo_svg=logo,
        )
        for i in invoice_ids
    ]


def read_zone_names(session: Session) -> ZoneNames:
    """Zone names of every catalog version, for the itemisation."""
    rows = session.scalars(select(CatalogVersionRow))
    return zone_names({row.id: read_version(session, row) for row in rows})


def build_document(
    invoice: InvoiceRow,
    lines: Sequence[InvoiceLineRow],
    vat: Sequence[InvoiceVatRow],
    original: InvoiceRow | None,
    usage: Any = (),
    *,
    brand_color: str = "#1d4f91",
    logo_svg: str | None = None,
) -> InvoiceDocument:
    """One issued invoice as a document; amounts are copied, never recomputed."""
    if invoice.status != InvoiceStatus.ISSUED or invoice.number_text is None:
        raise NotIssuedError(f"invoice #{invoice.id} is not issued: only issued ones print")
    if invoice.parties is None or invoice.issue_date is None or invoice.due_date is None:
        raise NotIssuedError(f"invoice {invoice.number_text} lacks its issue snapshot")
    supplier, customer = invoice.parties["supplier"], invoice.parties["customer"]
    language = invoice.language
    return InvoiceDocument(
        kind=DocumentKind(invoice.kind),
        number=invoice.number_text,
        uuid=document_uuid(supplier["ico"], invoice.number_text),
        issue_date=invoice.issue_date,
        tax_point_date=invoice.tax_point_date,
        due_date=invoice.due_date,
        period_start=invoice.period_start,
        period_end=invoice.period_end - timedelta(days=1),
        currency=invoice.currency,
        language=language,
        supplier=_party(supplier),
        supplier_bank=_bank(supplier),
        supplier_registration=supplier["registration"],
        customer=_party(customer),
        customer_number=customer["customer_number"],
        account_number=customer["account_number"],
        variable_symbol=invoice.variable_symbol,
        payment_method=customer["payment_method"],
        lines=tuple(_line(line, language) for line in lines),
        vat=tuple(VatLine(rate=row.rate, base=row.base, vat=row.vat) for row in vat),
        total_net=invoice.total_net,
        total_vat=invoice.total_vat,
        total_gross=invoice.total_gross,
        rounding=invoice.rounding,
        amount_due=invoice.amount_due,
        reverse_charge=invoice.tax_mode == TaxMode.REVERSE_CHARGE,
        tax_note=" ".join(invoice.notes) or None,
        original_number=original.number_text if original else None,
        original_issue_date=original.issue_date if original else None,
        correction_reason=invoice.correction_reason,
        usage=tuple(usage),
        brand_color=brand_color,
        logo_svg=logo_svg,
    )


def _line(line: InvoiceLineRow, language: str) -> DocumentLine:
    cs, en, code = UNITS.get(line.unit, (line.unit, line.unit, None))
    return DocumentLine(
        position=line.position,
        kind=LineKind(line.kind),
        description=line.description_cs if language == "cs" else line.description_en,
        quantity=line.quantity,
        unit=cs if language == "cs" else en,
        unit_price=line.unit_price,
        net=line.net,
        vat_rate=line.vat_rate,
        vat=line.vat,
        gross=line.net + line.vat,
        line_msisdn=line.line_msisdn,
        period_start=line.period_start,
        period_end=line.period_end - timedelta(days=1) if line.period_end else None,
        unit_code=code,
    )


def _party(values: dict[str, Any]) -> DocumentParty:
    address = None
    if values.get("street") and values.get("city"):
        address = Address(
            street=values["street"],
            city=values["city"],
            postal_code=values.get("postal_code") or "",
            country=values.get("country") or "CZ",
        )
    return DocumentParty(
        name=values["name"],
        address=address,
        ico=values.get("ico"),
        dic=values.get("dic"),
        email=values.get("email"),
        phone=values.get("phone"),
    )


def _bank(supplier: dict[str, Any]) -> BankDetails:
    return BankDetails(
        account_number=supplier["bank_account"],
        bank_code=supplier["bank_account"].partition("/")[2],
        iban=supplier["iban"],
        bic=supplier["bic"],
        bank_name=supplier["bank_name"],
    )
