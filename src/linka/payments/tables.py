"""Payments received, their allocation to invoices, and the customer ledger.

All three are append-only: database triggers (created by the migration) refuse updates
and deletes of allocations and ledger entries, so history is never rewritten. A payment
row changes only its matching (account, rule, status) while it waits in the queue; once
it is matched, what it paid is the allocations, and correcting a match means booking
opposite allocations, never editing. Open amounts and balances are derived by summing.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from linka.store.base import Base
from linka.store.types import Amount, UTCDateTime


class PaymentRow(Base):
    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(200), unique=True)  # the bank's entry id
    statement: Mapped[str] = mapped_column(String(300))
    booked_on: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(Amount())  # received, > 0
    currency: Mapped[str] = mapped_column(String(3))
    variable_symbol: Mapped[str | None] = mapped_column(String(20))
    counterparty_account: Mapped[str | None] = mapped_column(String(64))
    counterparty_name: Mapped[str | None] = mapped_column(String(200))
    message: Mapped[str | None] = mapped_column(String(500))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("billing_accounts.id"))
    status: Mapped[str] = mapped_column(String(10))  # matched | unmatched | returned
    match_rule: Mapped[str] = mapped_column(String(20))
    match_note: Mapped[str] = mapped_column(String(300))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    matched_by: Mapped[str | None] = mapped_column(String(100))


class BankStatementRow(Base):
    """A bank statement read once: importing it again is recognised by its key."""

    __tablename__ = "bank_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # account key / statement id
    file_name: Mapped[str] = mapped_column(String(300))
    checksum: Mapped[str] = mapped_column(String(64))  # SHA-256 of the file
    format: Mapped[str] = mapped_column(String(10))
    account: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    from_date: Mapped[date | None]
    to_date: Mapped[date | None]
    opening_balance: Mapped[Decimal | None] = mapped_column(Amount())
    closing_balance: Mapped[Decimal | None] = mapped_column(Amount())
    entries: Mapped[int]
    credits: Mapped[int]  # money received
    returns: Mapped[int]  # money taken back (returned debits, reversals)
    others: Mapped[int]  # other debits: not the ledger's business
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AllocationRow(Base):
    """Money paying an open item: an invoice, or a debit entry of the ledger (a fee, a
    refund). The money comes from a payment or from a credit note's credit."""

    __tablename__ = "payment_allocations"
    __table_args__ = (
        Index("ix_allocations_invoice", "invoice_id"),
        Index("ix_allocations_payment", "payment_id"),
        Index("ix_allocations_credit", "credit_note_id"),
        Index("ix_allocations_entry", "entry_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    amount: Mapped[Decimal] = mapped_column(Amount())  # negative only when reversing
    allocated_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LedgerEntryRow(Base):
    """One movement on a billing account; the balance is the sum of them."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_account", "account_id", "booked_on", "id"),
        Index("ix_ledger_invoice", "invoice_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100), unique=True)  # invoice:12, payment:7 …
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"))
    kind: Mapped[str] = mapped_column(String(16))  # EntryKind
    amount: Mapped[Decimal] = mapped_column(Amount())  # + owed by the customer, − in favour
    currency: Mapped[str] = mapped_column(String(3))
    booked_on: Mapped[date]
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    description: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
