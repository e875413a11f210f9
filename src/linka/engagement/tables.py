"""The outbox: messages written in the transaction of the change that causes them.

A row is the whole message as it will be sent (recipient, subject, body, attachment
references), so delivery needs nothing but this table and the files it names, and what
was sent stays visible. ``dedupe_key`` is unique, so the same event can never be
enqueued twice, not even by two transactions at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from linka.store.base import Base
from linka.store.types import UTCDateTime


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class OutboxMessageRow(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(_in("channel", ("email", "sms")), name="channel"),
        CheckConstraint(_in("status", ("pending", "sent", "failed", "suppressed")), name="status"),
        CheckConstraint(_in("purpose", ("service", "marketing", "profiling")), name="purpose"),
        CheckConstraint("attempts >= 0", name="attempts"),
        # what a deliverer scans: due pending messages, oldest first
        Index("ix_outbox_messages_due", "status", "next_attempt_at", "id"),
        Index("ix_outbox_messages_customer", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(40))  # invoice_issued, reminder_due, …
    channel: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str] = mapped_column(String(10))  # the consent purpose it was checked for
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(254))  # e-mail address or E.164 number
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{name, path, content_type}]
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(12))
    suppressed_reason: Mapped[str | None] = mapped_column(String(300))
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(1000))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    provider_reference: Mapped[str | None] = mapped_column(String(500))
