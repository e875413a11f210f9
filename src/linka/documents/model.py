"""What a document renderer gets: one invoice or credit note, complete and final.

The billing context builds an :class:`InvoiceDocument` from a stored invoice (its lines,
VAT breakdown and totals are already computed and rounded there); renderers only lay it
out — PDF, ISDOC, UBL, Factur-X — and never compute money of their own. Amounts are
``Decimal`` in the invoice currency with 2 decimals (usage prices may have 4).

Signs: a credit note carries its lines, VAT breakdown and totals as negative amounts (they
reduce what the customer owes), exactly as the customer ledger books them. The PDF prints
them so; the e-invoice formats (ISDOC, UBL, CII), whose credit notes are stated in positive
amounts by their own rules, flip the sign when they write the XML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum


class DocumentKind(StrEnum):
    INVOICE = "invoice"  # daňový doklad (ISDOC DocumentType 1, UBL 380)
    CREDIT_NOTE = "credit_note"  # opravný daňový doklad – dobropis (ISDOC 2, UBL 381)


class LineKind(StrEnum):
    RECURRING = "recurring"
    ONE_TIME = "one_time"
    USAGE = "usage"
    DISCOUNT = "discount"
    ADJUSTMENT = "adjustment"


@dataclass(frozen=True)
class Address:
    street: str
    city: str
    postal_code: str
    country: str  # ISO 3166 alpha-2


@dataclass(frozen=True)
class DocumentParty:
    name: str
    address: Address | None
    ico: str | None = None  # Czech company id (IČO)
    dic: str | None = None  # VAT id (DIČ), e.g. CZ25596641 or an EU VAT id
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class BankDetails:
    account_number: str  # Czech form: [prefix-]number/bank code, e.g. 2000145399/0800
    bank_code: str
    iban: str
    bic: str
    bank_name: str


@dataclass(frozen=True)
class DocumentLine:
    position: int
    kind: LineKind
    description: str  # already in the document's language
    quantity: Decimal
    unit: str  # "měs." / "month", "min", "SMS", "MB", "ks" / "pcs" …
    unit_price: Decimal  # net, excluding VAT
    net: Decimal  # line amount excluding VAT (2 decimals)
    vat_rate: Decimal  # percent; 0 for reverse charge and outside scope
    vat: Decimal  # the line's share of VAT (2 decimals; for display and ISDOC lines)
    gross: Decimal  # net + vat
    line_msisdn: str | None = None  # the service line the charge belongs to
    period_start: date | None = None
    period_end: date | None = None  # inclusive, as printed
    # UN/ECE Recommendation 20 code of `unit` for the e-invoices (MON, MIN, C62, 4L …); when
    # None the renderers derive it from `unit` (see linka.documents.codes.unit_code).
    unit_code: str | None = None


@dataclass(frozen=True)
class VatLine:
    """VAT per rate, computed on the per-rate total (the Czech VAT act's rule)."""

    rate: Decimal
    base: Decimal
    vat: Decimal


@dataclass(frozen=True)
class UsageItem:
    """One rated record for the itemised part of the PDF."""

    line_msisdn: str
    start: datetime  # local time of the account
    service: str  # voice | sms | data
    direction: str  # mo | mt
    number: str  # the other party, or '' for data
    quantity: str  # "2:05", "1 SMS", "12.4 MB"
    zone: str
    band: str
    included: bool  # covered by an allowance
    price: Decimal  # net, 4 decimals


@dataclass(frozen=True)
class InvoiceDocument:
    kind: DocumentKind
    number: str  # evidenční číslo daňového dokladu
    uuid: str  # stable per document (ISDOC UUID), derived from the number
    issue_date: date
    tax_point_date: date  # DUZP
    due_date: date
    period_start: date
    period_end: date  # inclusive
    currency: str
    language: str  # cs | en
    supplier: DocumentParty
    supplier_bank: BankDetails
    supplier_registration: str  # e.g. "zapsaná v obchodním rejstříku … oddíl C, vložka …"
    customer: DocumentParty
    customer_number: str
    account_number: str
    variable_symbol: str
    payment_method: str  # bank_transfer | direct_debit | card
    lines: tuple[DocumentLine, ...]
    vat: tuple[VatLine, ...]
    total_net: Decimal
    total_vat: Decimal
    total_gross: Decimal
    rounding: Decimal  # to whole CZK when rounding applies, else 0
    amount_due: Decimal  # total_gross + rounding (negative for a credit note)
    reverse_charge: bool = False
    tax_note: str | None = None  # the legal note of the tax profile, printed as is
    original_number: str | None = None  # credit notes: the corrected invoice
    original_issue_date: date | None = None
    correction_reason: str | None = None
    usage: tuple[UsageItem, ...] = ()
    # The customer's consent to electronic invoices (ISDOC ElectronicPossibilityAgreementReference,
    # mandatory there), e.g. "Smlouva č. 100234, čl. 7"; when None the contract is named by
    # the customer number.
    einvoice_agreement: str | None = None
    brand_color: str = "#1d4f91"  # operator's colour for the PDF brand block (#rrggbb)
    logo_svg: str | None = None  # operator's logo as SVG text, printed in the brand block
