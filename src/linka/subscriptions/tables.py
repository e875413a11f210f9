"""Line tables: service lines and the dated history of their status changes.

An MSISDN (and a SIM's ICCID and IMSI) is unique among lines that are not terminated:
partial unique indexes enforce it on SQLite and PostgreSQL alike, so a terminated
number can be given to a new line while the old line keeps its history.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from linka.store.base import Base
from linka.store.types import UTCDateTime

_STATUSES = "('pending', 'active', 'suspended', 'barred', 'terminated')"
_LIVE = "status <> 'terminated'"


def _live_unique(name: str, column: str, *, nullable: bool = True) -> Index:
    where = text(f"{column} IS NOT NULL AND {_LIVE}" if nullable else _LIVE)
    return Index(name, column, unique=True, sqlite_where=where, postgresql_where=where)


class LineRow(Base):
    __tablename__ = "service_lines"
    __table_args__ = (
        CheckConstraint(f"status IN {_STATUSES}", name="status"),
        Index("ix_service_lines_msisdn", "msisdn"),
        _live_unique("uq_service_lines_live_msisdn", "msisdn", nullable=False),
        _live_unique("uq_service_lines_live_iccid", "iccid"),
        _live_unique("uq_service_lines_live_imsi", "imsi"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("billing_accounts.id", ondelete="RESTRICT"), index=True
    )
    msisdn: Mapped[str] = mapped_column(String(16))
    iccid: Mapped[str | None] = mapped_column(String(22))
    imsi: Mapped[str | None] = mapped_column(String(15))
    offering_id: Mapped[str] = mapped_column(String(63))
    status: Mapped[str] = mapped_column(String(12))
    activated_on: Mapped[date | None]
    terminated_on: Mapped[date | None]
    installation_street: Mapped[str | None] = mapped_column(String(200))
    installation_city: Mapped[str | None] = mapped_column(String(100))
    installation_postal_code: Mapped[str | None] = mapped_column(String(10))
    installation_country: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LineStatusChangeRow(Base):
    """One status change: the first row of a line has no ``from_status`` (its creation)."""

    __tablename__ = "line_status_changes"
    __table_args__ = (
        CheckConstraint(f"to_status IN {_STATUSES}", name="to_status"),
        Index("ix_line_status_changes_line", "line_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("service_lines.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    effective_on: Mapped[date]  # local date in the account's time zone
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(100))
    actor_channel: Mapped[str] = mapped_column(String(20))


class LineOfferingRow(Base):
    """Which offering a line had when: half-open local date ranges [valid_from, valid_to).

    The line's ``offering_id`` column is the current one; this history is what rating
    (the tariff at the time of each record) and billing (proration on a mid-cycle
    change) read.
    """

    __tablename__ = "line_offerings"
    __table_args__ = (Index("ix_line_offerings_line", "line_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("service_lines.id", ondelete="CASCADE"))
    offering_id: Mapped[str] = mapped_column(String(63))
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]  # exclusive; null: still valid
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(100))
