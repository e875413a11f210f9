"""The batch register: which files were imported, what came of every record, where it lives.

The register is the only source of truth about the usage store: a Parquet file counts
only if a committed ``usage_batch_files`` row names it, so a crash between writing files
and committing leaves files nobody reads, and the re-run writes them again.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from linka.store.base import Base
from linka.store.types import UTCDateTime


class UsageBatchRow(Base):
    """One imported input file. (source, checksum) is unique: a file is imported once."""

    __tablename__ = "usage_batches"
    __table_args__ = (UniqueConstraint("source", "checksum"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(63))
    format: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(300))
    checksum: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read: Mapped[int]  # records seen in the file
    accepted: Mapped[int]  # stored for rating
    waiting: Mapped[int]  # stored in suspense: no line for the number (yet)
    rejected: Mapped[int]  # malformed, bad numbers, bad times …
    duplicates: Mapped[int]  # already stored from an earlier file of the same source
    ignored: Mapped[int]  # by design no usage (RADIUS Start, BYE half of a call …)


class UsageBatchFileRow(Base):
    """A Parquet file of a batch: accepted records of one day, or the batch's suspense."""

    __tablename__ = "usage_batch_files"
    __table_args__ = (Index("ix_usage_batch_files_day", "kind", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("usage_batches.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # records | suspense
    day: Mapped[date | None]  # UTC day of the records' start (records files)
    path: Mapped[str] = mapped_column(String(300))  # relative to the store root
    rows: Mapped[int]
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # suspense reprocessed


class UsageRejectRow(Base):
    """A record that was not accepted, with why and the raw text, for audit and repair."""

    __tablename__ = "usage_rejects"
    __table_args__ = (Index("ix_usage_rejects_batch", "batch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("usage_batches.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(63))
    raw_ref: Mapped[str] = mapped_column(String(400))
    reason: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(String(500))
    raw: Mapped[str] = mapped_column(Text)
