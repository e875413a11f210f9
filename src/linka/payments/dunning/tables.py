"""Dunning steps taken, the lines they moved, promises to pay, and exemptions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from linka.store.base import Base
from linka.store.types import Amount, UTCDateTime


class DunningStepRow(Base):
    """A ladder step taken for an account in one overdue episode."""

    __tablename__ = "dunning_steps"
    __table_args__ = (
        UniqueConstraint("account_id", "episode_start", "step"),
        Index("ix_dunning_steps_account", "account_id", "taken_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"))
    episode_start: Mapped[date]  # due date of the oldest overdue item that opened it
    step: Mapped[str] = mapped_column(String(40))  # the ladder step's id
    action: Mapped[str] = mapped_column(String(20))  # reminder | fee | suspend | bar | …
    taken_on: Mapped[date]
    overdue_amount: Mapped[Decimal] = mapped_column(Amount())
    fee_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    restored_on: Mapped[date | None]  # suspension/barring lifted after payment
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DunningLineRow(Base):
    """A line a dunning step moved (suspended, barred, terminated) and what it was before.

    Restore reads these: a line goes back to ``from_status`` of its earliest unrestored
    row, and only while it still has the ``to_status`` dunning left it in.
    """

    __tablename__ = "dunning_lines"
    __table_args__ = (
        UniqueConstraint("step_id", "line_id"),
        Index("ix_dunning_lines_line", "line_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("dunning_steps.id"))
    line_id: Mapped[int] = mapped_column(ForeignKey("service_lines.id"))
    from_status: Mapped[str] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    restored_on: Mapped[date | None]  # the line went back (or the record was closed)


class PaymentPromiseRow(Base):
    """A customer's promise to pay by a date: the ladder waits until then."""

    __tablename__ = "payment_promises"
    __table_args__ = (Index("ix_payment_promises_account", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"))
    promised_on: Mapped[date]
    pay_by: Mapped[date]
    amount: Mapped[Decimal | None] = mapped_column(Amount())
    note: Mapped[str] = mapped_column(String(300))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DunningExemptionRow(Base):
    """An account the ladder leaves alone, from a date and optionally until one."""

    __tablename__ = "dunning_exemptions"
    __table_args__ = (Index("ix_dunning_exemptions_account", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_accounts.id"))
    valid_from: Mapped[date]
    valid_until: Mapped[date | None]
    reason: Mapped[str] = mapped_column(String(300))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
