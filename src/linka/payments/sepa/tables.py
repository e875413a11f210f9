"""SEPA mandates, the direct debits collected under them, and refunds paid out."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from linka.store.base import Base
from linka.store.types import Amount, UTCDateTime


class MandateRow(Base):
    """A debtor's SEPA Core mandate on a billing account (one active at a time)."""

    __tablename__ = "sepa_mandates"
    __table_args__ = (Index("ix_sepa_mandates_account", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"))
    reference: Mapped[str] = mapped_column(String(35), unique=True)  # UMR
    debtor_name: Mapped[str] = mapped_column(String(140))
    debtor_iban: Mapped[str] = mapped_column(String(34))
    debtor_bic: Mapped[str | None] = mapped_column(String(11))
    signed_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(10))  # active | revoked
    revoked_on: Mapped[date | None]
    first_collected_on: Mapped[date | None]  # None: the next collection is FRST
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DirectDebitRow(Base):
    """One invoice collected in a pain.008 file, and what became of it.

    ``submitted`` is live: the invoice is not collected again while it lasts (the money,
    once credited, pays the invoice through the statement import). ``returned``: the bank
    took the money back and ``payment_id`` is the payment reversed; ``rejected``: a pain.002
    status report refused it before any money moved.
    """

    __tablename__ = "sepa_direct_debits"
    __table_args__ = (
        Index("ix_sepa_debits_invoice", "invoice_id"),
        Index("ix_sepa_debits_batch", "batch_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    mandate_id: Mapped[int] = mapped_column(ForeignKey("sepa_mandates.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"))
    amount: Mapped[Decimal] = mapped_column(Amount())
    currency: Mapped[str] = mapped_column(String(3))
    collection_date: Mapped[date]
    sequence: Mapped[str] = mapped_column(String(4))  # FRST | RCUR
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    batch_id: Mapped[str] = mapped_column(String(35))  # the pain.008 message id
    status: Mapped[str] = mapped_column(String(10))  # submitted | returned | rejected
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))  # reversed
    return_reason: Mapped[str | None] = mapped_column(String(35))  # ISO code, e.g. AM04
    returned_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RefundRow(Base):
    """Credit paid back to a customer by a pain.001 credit transfer."""

    __tablename__ = "refunds"
    __table_args__ = (Index("ix_refunds_account", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"))
    amount: Mapped[Decimal] = mapped_column(Amount())
    currency: Mapped[str] = mapped_column(String(3))
    creditor_name: Mapped[str] = mapped_column(String(140))
    creditor_iban: Mapped[str] = mapped_column(String(34))
    creditor_bic: Mapped[str | None] = mapped_column(String(11))
    requested_on: Mapped[date]
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    batch_id: Mapped[str | None] = mapped_column(String(35))  # set when exported
    ledger_entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
