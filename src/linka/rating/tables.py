"""Rating runs: which rated set is current for a bill period, its totals and what changed.

Every run rates a whole period again from the store, so runs are idempotent; the newest
finished run of a period is its current rated usage, and billing reads only that one.
When a run changes prices of records an earlier run had rated (late records shifting
allowances, a corrected tariff with ``--rerate``), the change per line is recorded.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from linka.store.base import Base
from linka.store.types import Amount, UTCDateTime


class RatingRunRow(Base):
    __tablename__ = "rating_runs"
    __table_args__ = (Index("ix_rating_runs_period", "period", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM: bill periods starting that month
    kind: Mapped[str] = mapped_column(String(10))  # rate | rerate
    previous_run_id: Mapped[int | None] = mapped_column(ForeignKey("rating_runs.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    path: Mapped[str] = mapped_column(String(300))  # rated Parquet, relative to the store
    records: Mapped[int]
    last_batch_id: Mapped[int | None]  # newest usage batch the run saw
    catalog_checksums: Mapped[str] = mapped_column(String(2000))  # versions used, sorted
    lines_checksum: Mapped[str] = mapped_column(String(64))


class RatingTotalRow(Base):
    """Records and amount per status and currency of a run (the run's summary)."""

    __tablename__ = "rating_totals"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("rating_runs.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(40), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    records: Mapped[int]
    amount: Mapped[Decimal] = mapped_column(Amount())


class RatingDifferenceRow(Base):
    """How a run changed a line's rated amount against the run it replaced."""

    __tablename__ = "rating_differences"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("rating_runs.id", ondelete="CASCADE"), primary_key=True
    )
    line_id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    records_changed: Mapped[int]
    previous_amount: Mapped[Decimal] = mapped_column(Amount())
    new_amount: Mapped[Decimal] = mapped_column(Amount())
