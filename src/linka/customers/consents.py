"""Consents per channel and purpose, kept as an append-only history.

Every answer a customer gives (granted or withdrawn, when, from which source) is a new
row; nothing is updated or deleted, so the history proves what was allowed at any time.
The current state of a (channel, purpose) is its latest row; with no row at all the
answer is *no* — consent is never assumed. :func:`has_consent` is what messaging and
campaigns ask before they contact anyone.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from linka.customers.errors import CustomerNotFoundError, FieldIssue, InvalidInputError
from linka.customers.events import ConsentRecorded
from linka.customers.model import (
    Actor,
    ConsentChannel,
    ConsentPurpose,
    ConsentState,
    InteractionKind,
)
from linka.customers.tables import ConsentRow, CustomerRow
from linka.customers.timeline import record_interaction
from linka.kernel.clock import Clock


def record_consent(
    session: Session,
    customer_id: int,
    channel: ConsentChannel,
    purpose: ConsentPurpose,
    granted: bool,
    *,
    source: str,
    clock: Clock,
    actor: Actor,
) -> ConsentRecorded:
    """Append the customer's answer for (channel, purpose); ``source`` says where it was
    given (``contract``, ``web form``, ``call 2026-03-02``) and is required as evidence."""
    customer = session.get(CustomerRow, customer_id)
    if customer is None:
        raise CustomerNotFoundError(customer_id=customer_id)
    text = " ".join(source.split())
    if not text or len(text) > 200:
        raise InvalidInputError(
            [
                FieldIssue(
                    None, "source", "is required: where the answer was given, ≤ 200 characters"
                )
            ],
            "consent",
        )
    now = clock.now()
    session.add(
        ConsentRow(
            customer_id=customer.id,
            channel=ConsentChannel(channel).value,
            purpose=ConsentPurpose(purpose).value,
            granted=granted,
            recorded_at=now,
            source=text,
            actor=actor.name[:100],
            actor_channel=actor.channel[:20],
        )
    )
    session.flush()
    answer = "granted" if granted else "withdrawn"
    record_interaction(
        session,
        customer.id,
        InteractionKind.CONSENT_RECORDED,
        f"Consent to {purpose.value} by {channel.value} {answer} (source: {text})",
        clock=clock,
        actor=actor,
        details={
            "channel": channel.value,
            "purpose": purpose.value,
            "granted": granted,
            "source": text,
        },
        subject=f"consent:{channel.value}/{purpose.value}",
    )
    return ConsentRecorded(customer.number, channel.value, purpose.value, granted, now)


def consent_history(session: Session, customer_id: int) -> list[ConsentRow]:
    """Every recorded answer, oldest first."""
    return list(
        session.scalars(
            select(ConsentRow)
            .where(ConsentRow.customer_id == customer_id)
            .order_by(ConsentRow.recorded_at, ConsentRow.id)
        )
    )


def current_consents(
    session: Session, customer_id: int
) -> dict[tuple[ConsentChannel, ConsentPurpose], ConsentState]:
    """The latest answer per (channel, purpose) that has any answer."""
    states: dict[tuple[ConsentChannel, ConsentPurpose], ConsentState] = {}
    for row in consent_history(session, customer_id):
        channel, purpose = ConsentChannel(row.channel), ConsentPurpose(row.purpose)
        states[channel, purpose] = ConsentState(
            channel, purpose, row.granted, row.recorded_at, row.source
        )
    return states


def has_consent(
    session: Session, customer_id: int, channel: ConsentChannel, purpose: ConsentPurpose
) -> bool:
    """Whether the customer's latest answer for (channel, purpose) is a grant."""
    granted = session.scalar(
        select(ConsentRow.granted)
        .where(
            ConsentRow.customer_id == customer_id,
            ConsentRow.channel == ConsentChannel(channel).value,
            ConsentRow.purpose == ConsentPurpose(purpose).value,
        )
        .order_by(ConsentRow.recorded_at.desc(), ConsentRow.id.desc())
        .limit(1)
    )
    return bool(granted)
