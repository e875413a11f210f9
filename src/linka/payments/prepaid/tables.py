"""Prepaid credit movements per line, and the vouchers that can top it up."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from linka.store.base import Base
from linka.store.types import Amount, UTCDateTime


class PrepaidEntryRow(Base):
    """One movement of a line's prepaid credit: + added, − used or expired."""

    __tablename__ = "prepaid_entries"
    __table_args__ = (Index("ix_prepaid_line", "line_id", "booked_on", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("service_lines.id"))
    kind: Mapped[str] = mapped_column(String(12))  # top_up | voucher | usage | expiry
    amount: Mapped[Decimal] = mapped_column(Amount())
    currency: Mapped[str] = mapped_column(String(3))
    source: Mapped[str] = mapped_column(String(120), unique=True)
    booked_on: Mapped[date]
    expires_on: Mapped[date | None]  # for credit added: when what is left of it lapses
    description: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class VoucherRow(Base):
    """A top-up voucher; only a hash of its secret code is kept."""

    __tablename__ = "prepaid_vouchers"

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(20), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    amount: Mapped[Decimal] = mapped_column(Amount())
    currency: Mapped[str] = mapped_column(String(3))
    valid_until: Mapped[date]
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    redeemed_line_id: Mapped[int | None] = mapped_column(ForeignKey("service_lines.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
