"""The interaction timeline: one list per customer of everything that happened with them.

Every context writes here through :func:`record_interaction` (one entry) or
:func:`record_interactions` (set-based, for bulk work): bills, payments, tickets and
messages in later issues; customer, account and line changes now. Entries are
append-only; ``kind`` is a dotted name (``line.status_changed``) owned by the writer,
``subject`` names the thing concerned (``line:+420601123456``, ``account:20000001``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from linka.customers.errors import CustomerNotFoundError
from linka.customers.model import Actor
from linka.customers.tables import CustomerRow, InteractionRow
from linka.kernel.clock import Clock, ensure_utc
from linka.store.base import Base

_KIND = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
BATCH = 5_000
_TABLE = Base.metadata.tables[InteractionRow.__tablename__]


@dataclass(frozen=True, slots=True)
class Interaction:
    """A timeline entry to write (see :func:`record_interactions`)."""

    customer_id: int
    kind: str
    summary: str
    occurred_at: datetime
    details: Mapping[str, Any] = field(default_factory=dict)
    subject: str | None = None


def check_kind(kind: str) -> str:
    if not _KIND.match(kind):
        raise ValueError(
            f"invalid interaction kind {kind!r}: expected a dotted lower-case name such as "
            "'invoice.issued'"
        )
    return kind


def record_interaction(
    session: Session,
    customer_id: int,
    kind: str,
    summary: str,
    *,
    clock: Clock,
    actor: Actor,
    details: Mapping[str, Any] | None = None,
    subject: str | None = None,
    occurred_at: datetime | None = None,
) -> InteractionRow:
    """Add one entry to a customer's timeline; ``occurred_at`` defaults to the clock's now."""
    if session.get(CustomerRow, customer_id) is None:
        raise CustomerNotFoundError(customer_id=customer_id)
    row = InteractionRow(
        customer_id=customer_id,
        occurred_at=ensure_utc(occurred_at) if occurred_at else clock.now(),
        kind=check_kind(kind),
        subject=subject,
        summary=summary[:500],
        details=dict(details or {}),
        actor=actor.name[:100],
        actor_channel=actor.channel[:20],
    )
    session.add(row)
    session.flush()
    return row


def record_interactions(session: Session, entries: Iterable[Interaction], actor: Actor) -> int:
    """Write many entries with set-based inserts (no ORM objects); returns how many."""
    batch: list[dict[str, Any]] = []
    written = 0
    for entry in entries:
        batch.append(
            {
                "customer_id": entry.customer_id,
                "occurred_at": entry.occurred_at,
                "kind": check_kind(entry.kind),
                "subject": entry.subject,
                "summary": entry.summary[:500],
                "details": dict(entry.details),
                "actor": actor.name[:100],
                "actor_channel": actor.channel[:20],
            }
        )
        if len(batch) >= BATCH:
            session.execute(insert(_TABLE), batch)
            written += len(batch)
            batch = []
    if batch:
        session.execute(insert(_TABLE), batch)
        written += len(batch)
    return written


def timeline(
    session: Session, customer_id: int, *, limit: int | None = None, kind: str | None = None
) -> list[InteractionRow]:
    """The customer's entries, newest first."""
    query = select(InteractionRow).where(InteractionRow.customer_id == customer_id)
    if kind is not None:
        query = query.where(InteractionRow.kind == kind)
    query = query.order_by(InteractionRow.occurred_at.desc(), InteractionRow.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))
