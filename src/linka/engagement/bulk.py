"""Enqueueing many messages at once: a bill run's invoice e-mails, a statement's receipts.

The same rules as :func:`linka.engagement.services.enqueue_message` — a dedupe key
already stored is left alone, the customer's address is used when none is given, the
latest consent answer is honoured, what cannot go out is stored as *suppressed* with the
reason — but with one query per question for the whole batch and one bulk insert, so a
hundred thousand invoices cost seconds, not minutes. Suppressed messages are not noted on
the timeline one by one here; ``linka outbox list --status suppressed`` shows them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from linka.customers.model import ConsentPurpose
from linka.customers.tables import ConsentRow, CustomerRow
from linka.engagement.errors import InvalidMessageError
from linka.engagement.model import Attachment, MessageChannel, MessageStatus
from linka.engagement.services import check_message, consent_refusal, resolve_recipient
from linka.engagement.tables import OutboxMessageRow
from linka.kernel.clock import Clock
from linka.store.bulk import bulk_insert, frame_of

CHUNK = 10_000


@dataclass(frozen=True)
class MessageRequest:
    """One message to enqueue (see :func:`enqueue_message` for the fields' meaning)."""

    kind: str
    channel: MessageChannel
    dedupe_key: str
    body: str
    customer_id: int | None = None
    recipient: str | None = None
    subject: str | None = None
    attachments: tuple[Attachment, ...] = ()
    purpose: ConsentPurpose = ConsentPurpose.SERVICE


@dataclass(frozen=True)
class BulkEnqueued:
    created: int
    already: int  # the dedupe key was stored before
    suppressed: int  # of those created


def enqueue_messages(
    session: Session, requests: Sequence[MessageRequest], clock: Clock
) -> BulkEnqueued:
    """Store the messages not stored before, in the caller's transaction."""
    unique = list({" ".join(r.dedupe_key.split()): r for r in requests}.items())
    for key, request in unique:
        check_message(
            key, request.kind, request.channel, request.subject, request.body, request.attachments
        )
    keys = [key for key, _ in unique]
    stored: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        stored |= set(
            session.scalars(
                select(OutboxMessageRow.dedupe_key).where(
                    OutboxMessageRow.dedupe_key.in_(keys[start : start + CHUNK])
                )
            )
        )
    new = [(key, request) for key, request in unique if key not in stored]
    customers = _customers(session, {r.customer_id for _, r in new if r.customer_id is not None})
    consents = _latest_consents(session, list(customers))
    now = clock.now()
    rows: list[dict[str, Any]] = []
    suppressed = 0
    for key, request in new:
        customer = customers.get(request.customer_id) if request.customer_id else None
        if request.customer_id is not None and customer is None:
            raise InvalidMessageError(key, f"no customer with id {request.customer_id}")
        address, reason = resolve_recipient(key, request.channel, request.recipient, customer)
        if reason is None and customer is not None:
            latest = consents.get((customer.id, request.channel.value, request.purpose.value))
            reason = consent_refusal(latest, request.channel, request.purpose)
        suppressed += reason is not None
        rows.append(
            {
                "created_at": now, "kind": request.kind, "channel": request.channel.value,
                "purpose": request.purpose.value, "customer_id": request.customer_id,
                "recipient": address,
                "subject": request.subject.strip() if request.subject is not None else None,
                "body": request.body,
                "attachments": json.dumps([a.to_json() for a in request.attachments]),
                "dedupe_key": key,
                "status": (
                    MessageStatus.PENDING if reason is None else MessageStatus.SUPPRESSED
                ).value,
                "suppressed_reason": reason, "attempts": 0,
                "next_attempt_at": now if reason is None else None,
            }
        )  # fmt: skip
    if rows:
        bulk_insert(session, OutboxMessageRow, frame_of(rows, _SCHEMA))
    return BulkEnqueued(len(rows), len(requests) - len(rows), suppressed)


class _Customer(NamedTuple):
    id: int
    number: str
    email: str | None
    phone: str | None


def _customers(session: Session, ids: set[int]) -> dict[int, _Customer]:
    ordered = sorted(ids)
    found: dict[int, _Customer] = {}
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        found |= {
            row[0]: _Customer(*row)
            for row in session.execute(
                select(
                    CustomerRow.id, CustomerRow.number, CustomerRow.email, CustomerRow.phone
                ).where(CustomerRow.id.in_(chunk))
            )
        }
    return found


def _latest_consents(session: Session, customer_ids: list[int]) -> dict[tuple[int, str, str], Any]:
    """(customer, channel, purpose) → the latest (granted, recorded_at, source)."""
    latest: dict[tuple[int, str, str], Any] = {}
    for start in range(0, len(customer_ids), CHUNK):
        chunk = customer_ids[start : start + CHUNK]
        for customer_id, channel, purpose, granted, recorded_at, source in session.execute(
            select(
                ConsentRow.customer_id, ConsentRow.channel, ConsentRow.purpose,
                ConsentRow.granted, ConsentRow.recorded_at, ConsentRow.source,
            )
            .where(ConsentRow.customer_id.in_(chunk))
            .order_by(ConsentRow.recorded_at, ConsentRow.id)
        ):  # fmt: skip
            latest[(customer_id, channel, purpose)] = (granted, recorded_at, source)
    return latest


_SCHEMA = pl.Schema(
    {
        "created_at": pl.Datetime("us", "UTC"),
        "kind": pl.String(),
        "channel": pl.String(),
        "purpose": pl.String(),
        "customer_id": pl.Int64(),
        "recipient": pl.String(),
        "subject": pl.String(),
        "body": pl.String(),
        "attachments": pl.String(),  # JSON text, passed through
        "dedupe_key": pl.String(),
        "status": pl.String(),
        "suppressed_reason": pl.String(),
        "attempts": pl.Int32(),
        "next_attempt_at": pl.Datetime("us", "UTC"),
    }
)
