"""The outbox: enqueue messages inside a business transaction, deliver them after commit.

:func:`enqueue_message` only writes a row, in the caller's session, so the message
commits or rolls back with the change that causes it (an invoice issued, a payment
booked). :func:`deliver_pending` runs in a worker, in three short steps per batch:

1. *claim* — one transaction selects due messages (``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL, so two workers take disjoint sets; SQLite's ``BEGIN IMMEDIATE`` write
   lock serialises them), counts the attempt and moves ``next_attempt_at`` forward by a
   lease, so no other worker takes them while they are being sent;
2. *send* — each message goes to its channel's transport with no transaction open, so a
   slow mail server never holds database locks;
3. *record* — one transaction per message stores the outcome: *sent* with the server's
   reference, or the error and the next attempt after an exponential backoff, or
   *failed* once the attempts run out or the server refused it for good.

A worker killed between 2 and 3 leaves the message pending; it is sent again once its
lease runs out (at least once — e-mail keeps its Message-ID, so clients can fold it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from linka.customers.errors import CustomerNotFoundError
from linka.customers.identifiers import normalize_email, normalize_phone
from linka.customers.model import Actor, ConsentPurpose
from linka.customers.tables import ConsentRow, CustomerRow
from linka.customers.timeline import record_interaction
from linka.engagement.errors import DeliveryError, InvalidMessageError
from linka.engagement.model import (
    Attachment,
    Backoff,
    DeliveryOutcome,
    DeliveryReport,
    EnqueuedMessage,
    MessageChannel,
    MessageStatus,
    OutgoingMessage,
)
from linka.engagement.ports import Transport
from linka.engagement.tables import OutboxMessageRow
from linka.kernel.clock import Clock, ensure_utc
from linka.store.database import Database

OUTBOX = Actor("outbox", "system")
"""Who writes the outbox's timeline entries."""

DEFAULT_LEASE = timedelta(minutes=10)
"""How long a claimed message is left alone by other workers; longer than any send."""

_CHANNEL_NAMES = {MessageChannel.EMAIL: "e-mail", MessageChannel.SMS: "SMS"}
_KIND = re.compile(r"[a-z][a-z0-9_]{0,39}")
_SUBJECT_LENGTH = 300
_ERROR_LENGTH = 1000


# -- enqueueing ---------------------------------------------------------------------------------


def enqueue_message(
    session: Session,
    *,
    kind: str,
    channel: MessageChannel,
    dedupe_key: str,
    body: str,
    clock: Clock,
    customer_id: int | None = None,
    recipient: str | None = None,
    subject: str | None = None,
    attachments: Sequence[Attachment] = (),
    purpose: ConsentPurpose = ConsentPurpose.SERVICE,
    not_before: datetime | None = None,
) -> EnqueuedMessage:
    """Store one message in the caller's transaction; it is sent after that commits.

    ``dedupe_key`` names the event (``invoice:FA2026000123``, ``reminder:<invoice>:2``):
    a key already stored returns the stored message untouched (``created=False``), so
    repeating a business step never repeats its message. Without a ``recipient`` the
    customer's own e-mail address or phone number is used. The customer's latest
    consent answer for the channel and ``purpose`` is honoured: a message the customer
    refused — or, for purposes other than *service*, never granted — is stored as
    *suppressed* with the reason and is never sent; so is one to a customer with no
    address for the channel. ``not_before`` defers the first attempt (say, to 9:00).
    Raises :class:`InvalidMessageError` for a message that could never be sent.
    """
    channel = MessageChannel(channel)
    key = " ".join(dedupe_key.split())
    check_message(key, kind, channel, subject, body, attachments)
    found = _by_key(session, key)
    if found is not None:
        return _enqueued(found, created=False)

    now = clock.now()
    due = max(now, ensure_utc(not_before)) if not_before is not None else now
    customer = _customer(session, customer_id)
    address, reason = resolve_recipient(key, channel, recipient, customer)
    if reason is None and customer is not None:
        reason = _consent_refusal(session, customer.id, channel, ConsentPurpose(purpose))
    row = OutboxMessageRow(
        created_at=now,
        kind=kind,
        channel=channel.value,
        purpose=ConsentPurpose(purpose).value,
        customer_id=customer_id,
        recipient=address,
        subject=subject.strip() if subject is not None else None,
        body=body,
        attachments=[attachment.to_json() for attachment in attachments],
        dedupe_key=key,
        status=MessageStatus.PENDING.value if reason is None else MessageStatus.SUPPRESSED.value,
        suppressed_reason=reason,
        attempts=0,
        next_attempt_at=None if reason is not None else due,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # another transaction stored the same key after our look-up and committed first
        found = _by_key(session, key)
        if found is None:
            raise
        return _enqueued(found, created=False)
    if reason is not None and customer is not None:
        _note(session, row, "suppressed", f"not sent: {reason}", clock)
    return _enqueued(row, created=True)


def check_message(
    key: str,
    kind: str,
    channel: MessageChannel,
    subject: str | None,
    body: str,
    attachments: Sequence[Attachment],
) -> None:
    def refuse(problem: str) -> InvalidMessageError:
        return InvalidMessageError(key or "(no dedupe key)", problem)

    if not key or len(key) > 200:
        raise refuse("a dedupe key of 1 to 200 characters is required")
    if not _KIND.fullmatch(kind):
        raise refuse(f"kind {kind!r} must be a lower-case snake_case name (≤ 40 characters)")
    if not body.strip():
        raise refuse("the body is empty")
    if channel is MessageChannel.EMAIL:
        if subject is None or not subject.strip() or len(subject.strip()) > _SUBJECT_LENGTH:
            raise refuse(f"an e-mail needs a subject of 1 to {_SUBJECT_LENGTH} characters")
        if "\n" in subject or "\r" in subject:
            raise refuse("the subject must be one line")
        if any(not (a.name and a.path and "/" in a.content_type) for a in attachments):
            raise refuse("every attachment needs a name, a path and a type such as application/pdf")
    elif subject is not None or attachments:
        raise refuse("an SMS has neither a subject nor attachments")


def _by_key(session: Session, key: str) -> OutboxMessageRow | None:
    return session.scalar(select(OutboxMessageRow).where(OutboxMessageRow.dedupe_key == key))


def _enqueued(row: OutboxMessageRow, *, created: bool) -> EnqueuedMessage:
    return EnqueuedMessage(
        row.id, row.dedupe_key, MessageStatus(row.status), created, row.suppressed_reason
    )


def _customer(session: Session, customer_id: int | None) -> CustomerRow | None:
    if customer_id is None:
        return None
    customer = session.get(CustomerRow, customer_id)
    if customer is None:
        raise CustomerNotFoundError(customer_id=customer_id)
    return customer


class Addressable(Protocol):
    """What a message needs of a customer: a name for errors and the two addresses."""

    @property
    def number(self) -> str: ...
    @property
    def email(self) -> str | None: ...
    @property
    def phone(self) -> str | None: ...


def resolve_recipient(
    key: str, channel: MessageChannel, given: str | None, customer: Addressable | None
) -> tuple[str, str | None]:
    """The normalised address, and why the message cannot go out (None: it can)."""
    if given is None and customer is not None:
        given = customer.email if channel is MessageChannel.EMAIL else customer.phone
        if not given:
            what = "e-mail address" if channel is MessageChannel.EMAIL else "phone number"
            return "", f"customer {customer.number} has no {what}"
    if given is None:
        raise InvalidMessageError(key, "a recipient is required when no customer is given")
    try:
        if channel is MessageChannel.EMAIL:
            return normalize_email(given), None
        return normalize_phone(given), None
    except ValueError as exc:
        raise InvalidMessageError(key, f"recipient: {exc}") from None


def _consent_refusal(
    session: Session, customer_id: int, channel: MessageChannel, purpose: ConsentPurpose
) -> str | None:
    """Why the customer's consents forbid this message, or None when they allow it.

    Service messages (bills, reminders, line changes) are part of the contract: they go
    out unless the customer withdrew the channel for service. Other purposes need a grant.
    """
    latest: Any = session.execute(
        select(ConsentRow.granted, ConsentRow.recorded_at, ConsentRow.source)
        .where(
            ConsentRow.customer_id == customer_id,
            ConsentRow.channel == channel.value,
            ConsentRow.purpose == purpose.value,
        )
        .order_by(ConsentRow.recorded_at.desc(), ConsentRow.id.desc())
        .limit(1)
    ).first()
    return consent_refusal(latest, channel, purpose)


def consent_refusal(
    latest: tuple[bool, datetime, str] | None, channel: MessageChannel, purpose: ConsentPurpose
) -> str | None:
    """The rule on the customer's latest consent answer (granted, when, source) for the
    channel and purpose: why it forbids the message, or None."""
    name = _CHANNEL_NAMES[channel]
    if latest is None:
        if purpose is ConsentPurpose.SERVICE:
            return None
        return f"no consent to {purpose.value} messages by {name} recorded"
    granted, recorded_at, source = latest
    if granted:
        return None
    return (
        f"consent to {purpose.value} messages by {name} withdrawn on "
        f"{recorded_at:%Y-%m-%d} (source: {source})"
    )[:300]


# -- delivering ---------------------------------------------------------------------------------


def deliver_pending(
    database: Database,
    transports: Mapping[MessageChannel, Transport],
    clock: Clock,
    *,
    limit: int = 100,
    max_attempts: int = 12,
    backoff: Backoff = Backoff(),
    lease: timedelta = DEFAULT_LEASE,
) -> DeliveryReport:
    """Send up to ``limit`` due messages of the channels in ``transports``; one batch.

    Messages of channels without a transport wait for a worker that has one. Each
    outcome is committed as soon as it is known; transports are closed at the end of the
    batch. A transport error that is not a :class:`DeliveryError` (a bug, an unexpected
    exception) counts as a failed attempt too, so one bad message cannot stop the queue.
    """
    if not transports:
        raise ValueError("deliver_pending needs at least one transport")
    if limit < 1 or max_attempts < 1:
        raise ValueError("limit and max_attempts must be at least 1")
    claimed = _claim(database, sorted(transports), clock.now(), limit, lease)
    outcomes: list[DeliveryOutcome] = []
    try:
        for message in claimed:
            transport = transports[message.channel]
            try:
                reference = transport.send(message)
            except DeliveryError as exc:
                outcome = _record_failure(
                    database, message, str(exc), exc.permanent, clock, max_attempts, backoff
                )
            except Exception as exc:  # a transport bug must not stop the other messages
                error = f"{type(exc).__name__}: {exc}"
                outcome = _record_failure(
                    database, message, error, False, clock, max_attempts, backoff
                )
            else:
                outcome = _record_sent(database, message, reference, clock)
            outcomes.append(outcome)
    finally:
        for transport in transports.values():
            transport.close()
    return DeliveryReport(tuple(outcomes))


def _claim(
    database: Database,
    channels: Sequence[MessageChannel],
    now: datetime,
    limit: int,
    lease: timedelta,
) -> list[OutgoingMessage]:
    with database.session() as session:
        rows = session.scalars(
            select(OutboxMessageRow)
            .where(
                OutboxMessageRow.status == MessageStatus.PENDING.value,
                OutboxMessageRow.next_attempt_at <= now,
                OutboxMessageRow.channel.in_([channel.value for channel in channels]),
            )
            .order_by(OutboxMessageRow.next_attempt_at, OutboxMessageRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        claimed = []
        for row in rows:
            row.attempts += 1
            row.next_attempt_at = now + lease
            claimed.append(
                OutgoingMessage(
                    id=row.id,
                    kind=row.kind,
                    channel=MessageChannel(row.channel),
                    recipient=row.recipient,
                    subject=row.subject,
                    body=row.body,
                    attachments=tuple(Attachment.from_json(a) for a in row.attachments),
                    created_at=row.created_at,
                    attempt=row.attempts,
                )
            )
    return claimed


def _record_sent(
    database: Database, message: OutgoingMessage, reference: str, clock: Clock
) -> DeliveryOutcome:
    now = clock.now()
    with database.session() as session:
        row = session.get(OutboxMessageRow, message.id, with_for_update=True)
        if row is not None and row.status == MessageStatus.PENDING.value:
            row.status = MessageStatus.SENT.value
            row.sent_at = now
            row.next_attempt_at = None
            row.provider_reference = reference[:500]
            if row.customer_id is not None:
                to = f"to {row.recipient}"
                what = f"„{row.subject}“ {to}" if row.subject else to
                _note(session, row, "sent", f"{_label(row)} {what}", clock)
    return DeliveryOutcome(message.id, message.channel, message.attempt, MessageStatus.SENT)


def _record_failure(
    database: Database,
    message: OutgoingMessage,
    error: str,
    permanent: bool,
    clock: Clock,
    max_attempts: int,
    backoff: Backoff,
) -> DeliveryOutcome:
    now = clock.now()
    error = " ".join(error.split())[:_ERROR_LENGTH] or "unknown error"
    with database.session() as session:
        row = session.get(OutboxMessageRow, message.id, with_for_update=True)
        if (
            row is None
            or row.status != MessageStatus.PENDING.value
            or (row.attempts != message.attempt)
        ):
            # our lease ran out and another worker took the message over: its outcome counts
            current = MessageStatus(row.status) if row is not None else MessageStatus.FAILED
            return DeliveryOutcome(message.id, message.channel, message.attempt, current, error)
        row.last_error = error
        if permanent or row.attempts >= max_attempts:
            row.status = MessageStatus.FAILED.value
            row.next_attempt_at = None
            if row.customer_id is not None:
                why = "refused" if permanent else f"{row.attempts} attempts"
                summary = f"{_label(row)} not delivered ({why}): {error}"
                _note(session, row, "failed", summary, clock)
        else:
            row.next_attempt_at = now + backoff.delay(row.attempts)
        return DeliveryOutcome(
            message.id,
            message.channel,
            message.attempt,
            MessageStatus(row.status),
            error,
            row.next_attempt_at,
        )


def _label(row: OutboxMessageRow) -> str:
    return f"{_CHANNEL_NAMES[MessageChannel(row.channel)]} {row.kind}"


def _note(session: Session, row: OutboxMessageRow, what: str, summary: str, clock: Clock) -> None:
    """The customer's timeline entry for a message that was sent, suppressed or failed."""
    assert row.customer_id is not None
    record_interaction(
        session,
        row.customer_id,
        f"message.{what}",
        summary,
        clock=clock,
        actor=OUTBOX,
        details={"message_id": row.id, "kind": row.kind, "channel": row.channel},
        subject=f"message:{row.id}",
    )


# -- reading ------------------------------------------------------------------------------------


def list_messages(
    session: Session, *, status: MessageStatus | None = None, limit: int = 50
) -> list[OutboxMessageRow]:
    """The newest messages first, optionally of one status."""
    query = select(OutboxMessageRow).order_by(OutboxMessageRow.id.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxMessageRow.status == MessageStatus(status).value)
    return list(session.scalars(query))
