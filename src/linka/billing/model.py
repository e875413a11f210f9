"""Billing values: what an account is made of, what it owes, what an invoice holds.

Charges are identified by a stable *key* (``rc:12:mobile-basic:monthly:2026-04-01`` is
line 12's monthly fee of mobile-basic for the period starting 1 April). The bill run
invoices, per key, the difference between what is due now and what earlier invoices
already hold — the reconciliation that makes re-running safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum


class ChargeKind(StrEnum):
    RECURRING = "recurring"
    ONE_TIME = "one_time"
    USAGE = "usage"
    DISCOUNT = "discount"
    ADJUSTMENT = "adjustment"


class InvoiceKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    ISSUED = "issued"


class TaxMode(StrEnum):
    DOMESTIC = "domestic"
    REVERSE_CHARGE = "reverse_charge"
    OUTSIDE_SCOPE = "outside_scope"


CHARGEABLE = frozenset({"active", "barred"})
"""Statuses in which recurring fees run; ``suspended`` runs only when the fee says so."""


@dataclass(frozen=True)
class Segment:
    """A stretch of a line's life with one offering and one status: [start, end)."""

    start: date
    end: date | None
    offering_id: str
    status: str


@dataclass(frozen=True)
class LineFacts:
    line_id: int
    msisdn: str
    segments: tuple[Segment, ...]
    activated_on: date | None


@dataclass(frozen=True)
class AccountFacts:
    account_id: int
    number: str
    customer_id: int
    segment: str  # consumer | business
    payment_type: str  # postpaid | prepaid
    currency: str
    cycle_day: int
    timezone: str
    tax_profile_id: str
    language: str
    variable_symbol: str
    lines: tuple[LineFacts, ...]


@dataclass(frozen=True)
class Charge:
    """Something an account owes (or is credited), net of VAT, rounded to 0.01."""

    key: str
    kind: ChargeKind
    amount: Decimal
    vat_code: str
    description_cs: str
    description_en: str
    quantity: Decimal = Decimal(1)
    unit: str = "piece"  # month | piece (aggregated usage) — see documents for codes
    unit_price: Decimal | None = None  # default: amount / quantity
    line_id: int | None = None
    line_msisdn: str | None = None
    period_start: date | None = None
    period_end: date | None = None  # exclusive
    source: str = ""  # what produced it: offering and fee, rating run, adjustment id …


@dataclass(frozen=True)
class UsageTotal:
    """Rated usage of one line, bill period, service and zone (from the rating run)."""

    line_id: int
    period_start: date
    period_end: date
    service: str
    zone_id: str
    zone_name_cs: str
    zone_name_en: str
    currency: str
    records: int
    billable: int  # seconds, messages or bytes
    included: int
    micro: int  # price in micro-units
    run_id: int


@dataclass(frozen=True)
class Discount:
    id: int
    account_id: int
    line_id: int | None
    offering_id: str | None
    percent: Decimal | None  # either a percentage of the recurring fees …
    amount: Decimal | None  # … or a fixed amount per bill period (prorated by days)
    valid_from: date
    valid_to: date | None  # exclusive
    description: str


@dataclass(frozen=True)
class Adjustment:
    id: int
    account_id: int
    line_id: int | None
    amount: Decimal  # net; negative credits the customer
    vat_code: str
    description: str
    effective_on: date


@dataclass(frozen=True)
class OneTimeCharge:
    id: int
    account_id: int
    line_id: int | None
    fee_id: str
    amount: Decimal
    vat_code: str
    description_cs: str
    description_en: str
    occurred_on: date


@dataclass(frozen=True)
class InvoicedKey:
    """What earlier invoices hold for one charge key, and how they described it."""

    amount: Decimal
    template: Charge


@dataclass(frozen=True)
class VatSummary:
    code: str
    rate: Decimal
    base: Decimal
    vat: Decimal


@dataclass(frozen=True)
class InvoiceLineDraft:
    charge: Charge
    net: Decimal  # the difference invoiced now
    vat_rate: Decimal
    vat: Decimal


@dataclass(frozen=True)
class InvoiceDraft:
    account_id: int
    kind: InvoiceKind
    tax_mode: TaxMode
    tax_point_date: date
    period_start: date
    period_end: date  # exclusive
    currency: str
    lines: tuple[InvoiceLineDraft, ...]
    vat: tuple[VatSummary, ...]
    total_net: Decimal
    total_vat: Decimal
    total_gross: Decimal
    rounding: Decimal
    amount_due: Decimal
    notes: tuple[str, ...] = field(default=())
