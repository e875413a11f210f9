"""Outbox messages as typed values: channels, statuses, attachments, the retry schedule.

Everything here is plain data and pure functions; the database and the network live in
:mod:`linka.engagement.services` and the transports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class MessageChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class MessageStatus(StrEnum):
    """*pending* waits for (another) attempt, *sent* was accepted by the server,
    *failed* ran out of attempts or was refused for good, *suppressed* is never sent
    (no consent, no address) and says why."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


class MessageKind(StrEnum):
    """The events linka sends messages about; a kind is a plain string, so contexts may
    add their own (lower-case, ``snake_case``)."""

    INVOICE_ISSUED = "invoice_issued"
    PAYMENT_RECEIVED = "payment_received"
    REMINDER_DUE = "reminder_due"
    LINE_SUSPENDED = "line_suspended"
    LINE_RESTORED = "line_restored"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file to attach, by reference: the outbox stores where it is, never its bytes.

    ``path`` is absolute or relative to the data directory (``LINKA_DATA_DIR``); it is
    read when the message is sent.
    """

    name: str
    path: str
    content_type: str = "application/octet-stream"

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "path": self.path, "content_type": self.content_type}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Attachment:
        return cls(str(data["name"]), str(data["path"]), str(data["content_type"]))


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """What a transport gets: one claimed message and the number of this attempt."""

    id: int
    kind: str
    channel: MessageChannel
    recipient: str
    subject: str | None
    body: str
    attachments: tuple[Attachment, ...]
    created_at: datetime
    attempt: int


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential retry delays: ``first``, then ``factor`` times longer, at most ``longest``.

    The defaults (1, 2, 4 … minutes, capped at 6 hours) ride out a restarting mail server
    within minutes, and with twelve attempts a gateway outage of about 20 hours.
    """

    first: timedelta = timedelta(minutes=1)
    factor: int = 2
    longest: timedelta = timedelta(hours=6)

    def __post_init__(self) -> None:
        if self.first <= timedelta(0) or self.factor < 1 or self.longest < self.first:
            raise ValueError("backoff needs first > 0, factor ≥ 1 and longest ≥ first")

    def delay(self, attempt: int) -> timedelta:
        """How long to wait after failed attempt number ``attempt`` (1-based)."""
        if attempt < 1:
            raise ValueError("attempts are counted from 1")
        delay = self.first
        for _ in range(attempt - 1):
            delay *= self.factor
            if delay >= self.longest:
                return self.longest
        return delay


@dataclass(frozen=True, slots=True)
class EnqueuedMessage:
    """The answer of ``enqueue_message``: the stored message, and whether this call stored
    it (``created``) or found it already there under the same dedupe key."""

    id: int
    dedupe_key: str
    status: MessageStatus
    created: bool
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """What became of one claimed message in one attempt."""

    message_id: int
    channel: MessageChannel
    attempt: int
    status: MessageStatus
    error: str | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """One batch of ``deliver_pending``: every claimed message's outcome."""

    outcomes: tuple[DeliveryOutcome, ...]

    @property
    def claimed(self) -> int:
        return len(self.outcomes)

    def count(self, status: MessageStatus) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def sent(self) -> int:
        return self.count(MessageStatus.SENT)

    @property
    def retrying(self) -> int:
        return self.count(MessageStatus.PENDING)

    @property
    def failed(self) -> int:
        return self.count(MessageStatus.FAILED)
