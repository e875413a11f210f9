"""Invoices, their lines and VAT, number series, bill runs, and what feeds them.

Issued invoices are immutable: database triggers (created by the migration) refuse any
change to an issued invoice or to the lines and VAT rows of one, on SQLite and on
PostgreSQL alike. Numbers are unique per (series, year) and come from
``invoice_number_series``, whose row is updated in the transaction that issues, so a
rolled-back issue leaves no gap and two concurrent runs queue on the row.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from linka.store.base import Base
from linka.store.types import Amount, UTCDateTime


class BillRunRow(Base):
    __tablename__ = "bill_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_date: Mapped[date]
    since: Mapped[date]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accounts: Mapped[int]  # accounts looked at
    invoices: Mapped[int]  # invoices created
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # accounts skipped and why


class InvoiceRow(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("series", "year", "number"),
        Index("ix_invoices_account", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_run_id: Mapped[int | None] = mapped_column(ForeignKey("bill_runs.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"))
    kind: Mapped[str] = mapped_column(String(12))  # invoice | credit_note
    status: Mapped[str] = mapped_column(String(10))  # draft | approved | issued
    series: Mapped[str] = mapped_column(String(10))
    year: Mapped[int]
    number: Mapped[int | None]  # sequence within (series, year), set when issued
    number_text: Mapped[str | None] = mapped_column(String(30), unique=True)
    issue_date: Mapped[date | None]
    tax_point_date: Mapped[date]
    due_date: Mapped[date | None]
    period_start: Mapped[date]
    period_end: Mapped[date]  # exclusive
    currency: Mapped[str] = mapped_column(String(3))
    language: Mapped[str] = mapped_column(String(2))
    tax_mode: Mapped[str] = mapped_column(String(20))
    notes: Mapped[list[str]] = mapped_column(JSON)
    variable_symbol: Mapped[str] = mapped_column(String(10))
    total_net: Mapped[Decimal] = mapped_column(Amount())
    total_vat: Mapped[Decimal] = mapped_column(Amount())
    total_gross: Mapped[Decimal] = mapped_column(Amount())
    rounding: Mapped[Decimal] = mapped_column(Amount())
    amount_due: Mapped[Decimal] = mapped_column(Amount())
    original_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    correction_reason: Mapped[str | None] = mapped_column(String(500))
    parties: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # snapshot taken at issue
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InvoiceLineRow(Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (Index("ix_invoice_lines_invoice", "invoice_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    position: Mapped[int]
    charge_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12))
    line_id: Mapped[int | None]
    line_msisdn: Mapped[str | None] = mapped_column(String(16))
    description_cs: Mapped[str] = mapped_column(String(300))
    description_en: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(Amount())
    unit: Mapped[str] = mapped_column(String(10))
    unit_price: Mapped[Decimal] = mapped_column(Amount())
    net: Mapped[Decimal] = mapped_column(Amount())
    vat_code: Mapped[str] = mapped_column(String(63))
    vat_rate: Mapped[Decimal] = mapped_column(Amount(scale=4))
    vat: Mapped[Decimal] = mapped_column(Amount())
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    source: Mapped[str] = mapped_column(String(300))


class InvoiceVatRow(Base):
    __tablename__ = "invoice_vat"

    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True
    )
    vat_code: Mapped[str] = mapped_column(String(63), primary_key=True)
    rate: Mapped[Decimal] = mapped_column(Amount(scale=4))
    base: Mapped[Decimal] = mapped_column(Amount())
    vat: Mapped[Decimal] = mapped_column(Amount())


class NumberSeriesRow(Base):
    """The last number given in a series and year; updated only while issuing."""

    __tablename__ = "invoice_number_series"

    series: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_number: Mapped[int]


class DiscountRow(Base):
    __tablename__ = "billing_discounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("service_lines.id"))
    offering_id: Mapped[str | None] = mapped_column(String(63))
    percent: Mapped[Decimal | None] = mapped_column(Amount(scale=4))
    amount: Mapped[Decimal | None] = mapped_column(Amount())
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    description: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(100))


class AdjustmentRow(Base):
    """A manual credit or debit, with the reason and who approved it."""

    __tablename__ = "billing_adjustments"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("service_lines.id"))
    amount: Mapped[Decimal] = mapped_column(Amount())
    vat_code: Mapped[str] = mapped_column(String(63))
    description: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(500))
    approved_by: Mapped[str] = mapped_column(String(100))
    effective_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OneTimeChargeRow(Base):
    """A one-time fee that happened (SIM swap, late fee …), waiting to be invoiced."""

    __tablename__ = "billing_charges"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("service_lines.id"))
    fee_id: Mapped[str] = mapped_column(String(63))
    amount: Mapped[Decimal] = mapped_column(Amount())
    vat_code: Mapped[str] = mapped_column(String(63))
    description_cs: Mapped[str] = mapped_column(String(200))
    description_en: Mapped[str] = mapped_column(String(200))
    occurred_on: Mapped[date]
    source: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
