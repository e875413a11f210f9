"""Line use cases: add a line to an account, move it through its lifecycle, read it back.

Functions work inside the caller's unit of work and never commit. Every status change is
a dated row (effective date in the account's time zone, the instant it was recorded,
reason and actor) and a timeline entry on the customer; the line's ``status`` column is
the latest of them. Effective dates come from the clock unless given, may lie in the past
(back-dated paperwork) but not before the previous change, and never in the future.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from linka.customers.errors import FieldIssue, InvalidInputError
from linka.customers.fields import FieldReader
from linka.customers.model import Actor
from linka.customers.services import get_account
from linka.customers.tables import BillingAccountRow, CustomerRow
from linka.customers.timeline import record_interaction
from linka.kernel.clock import Clock, local_today
from linka.subscriptions.bulk import (
    LineFields,
    NewLine,
    Offerings,
    check_lines,
    insert_lines,
    read_line,
)
from linka.subscriptions.errors import LineNotFoundError, TransitionRefusedError
from linka.subscriptions.events import LineCreated, LineOfferingChanged, LineStatusChanged
from linka.subscriptions.identifiers import normalize_msisdn
from linka.subscriptions.model import LineInteraction, LineSpec, LineStatus, check_transition
from linka.subscriptions.statuses import refuse_future, status_entry, status_reason
from linka.subscriptions.tables import LineOfferingRow, LineRow, LineStatusChangeRow


@dataclass(frozen=True)
class LineCreation:
    line: LineRow
    events: tuple[LineCreated, ...]


@dataclass(frozen=True)
class StatusChange:
    line: LineRow
    change: LineStatusChangeRow
    events: tuple[LineStatusChanged, ...]


def add_line(
    session: Session, account_number: str, line: LineFields, *, clock: Clock, actor: Actor
) -> LineCreation:
    """A new line (pending or active) on an existing billing account."""
    account = get_account(session, account_number)
    customer = session.get_one(CustomerRow, account.customer_id)
    issues: list[FieldIssue] = []
    spec = read_line(line, FieldReader(issues), local_today(clock, account.timezone))
    if spec is None:
        raise InvalidInputError(issues, "line")
    new = _new_line(spec, account, customer)
    issues = check_lines(session, [new], clock=clock)
    if issues:
        raise InvalidInputError(issues, "line")
    events = insert_lines(session, [new], clock=clock, actor=actor)
    return LineCreation(session.get_one(LineRow, new.id), tuple(events))


def _new_line(spec: LineSpec, account: BillingAccountRow, customer: CustomerRow) -> NewLine:
    return NewLine(
        spec,
        segment=customer.segment,
        payment_type=account.payment_type,
        timezone=account.timezone,
        account_number=account.number,
        account_id=account.id,
        customer_id=customer.id,
    )


def find_line(session: Session, msisdn: str) -> LineRow:
    """The line holding ``msisdn`` now, or else the one that held it last."""
    number = _msisdn(msisdn)
    row = session.scalars(
        select(LineRow)
        .where(LineRow.msisdn == number)
        .order_by((LineRow.status == LineStatus.TERMINATED.value).asc(), LineRow.id.desc())
        .limit(1)
    ).first()
    if row is None:
        raise LineNotFoundError(number)
    return row


def lines_of_accounts(session: Session, account_ids: list[int]) -> list[LineRow]:
    """Lines of the accounts, live ones first, by MSISDN."""
    if not account_ids:
        return []
    return list(
        session.scalars(
            select(LineRow)
            .where(LineRow.account_id.in_(account_ids))
            .order_by(
                (LineRow.status == LineStatus.TERMINATED.value).asc(), LineRow.msisdn, LineRow.id
            )
        )
    )


def status_history(session: Session, line_id: int) -> list[LineStatusChangeRow]:
    """Every status row of the line, oldest first (the first is its creation)."""
    return list(
        session.scalars(
            select(LineStatusChangeRow)
            .where(LineStatusChangeRow.line_id == line_id)
            .order_by(LineStatusChangeRow.id)
        )
    )


def change_line_status(
    session: Session,
    msisdn: str,
    target: LineStatus,
    *,
    reason: str,
    clock: Clock,
    actor: Actor,
    effective_on: date | None = None,
) -> StatusChange:
    """Move the live line with ``msisdn`` to ``target`` as the lifecycle table allows.

    Activating a pending line checks its offering against the catalog valid on the
    activation date, as creation does for lines created active.
    """
    line = find_line(session, msisdn)
    current = LineStatus(line.status)
    check_transition(current, target)
    text = status_reason(reason)
    account = session.get_one(BillingAccountRow, line.account_id)
    customer = session.get_one(CustomerRow, account.customer_id)
    today = local_today(clock, account.timezone)
    effective = effective_on or today
    refuse_future(effective, today, account.timezone)
    history = status_history(session, line.id)
    last = history[-1]
    if effective < last.effective_on:
        raise TransitionRefusedError(
            f"effective date {effective} is before the line's last status change "
            f"({last.to_status} on {last.effective_on})"
        )
    if current is LineStatus.PENDING and target is LineStatus.ACTIVE:
        _check_offering(session, line, account, customer, effective)
        line.activated_on = effective
    if target is LineStatus.TERMINATED:
        line.terminated_on = effective
    line.status = target.value
    now = clock.now()
    change = LineStatusChangeRow(
        line_id=line.id,
        from_status=current.value,
        to_status=target.value,
        effective_on=effective,
        recorded_at=now,
        reason=text[:500],
        actor=actor.name[:100],
        actor_channel=actor.channel[:20],
    )
    session.add(change)
    session.flush()
    entry = status_entry(
        customer.id, line.msisdn, account.number, current, target, effective, text, now
    )
    record_interaction(
        session, entry.customer_id, entry.kind, entry.summary, clock=clock, actor=actor,
        details=entry.details, subject=entry.subject,
    )  # fmt: skip
    event = LineStatusChanged(
        line.msisdn, account.number, current.value, target.value, effective, text, now
    )
    return StatusChange(line, change, (event,))


@dataclass(frozen=True)
class OfferingChange:
    line: LineRow
    events: tuple[LineOfferingChanged, ...]


def offering_history(session: Session, line_id: int) -> list[LineOfferingRow]:
    """The line's offerings, oldest first."""
    return list(
        session.scalars(
            select(LineOfferingRow)
            .where(LineOfferingRow.line_id == line_id)
            .order_by(LineOfferingRow.valid_from, LineOfferingRow.id)
        )
    )


def change_line_offering(
    session: Session,
    msisdn: str,
    offering_id: str,
    *,
    reason: str,
    clock: Clock,
    actor: Actor,
    effective_on: date | None = None,
) -> OfferingChange:
    """Move a live line to another offering from ``effective_on`` (today by default).

    The new offering must be in the catalog valid that day and eligible for the
    customer and account; billing credits the unused part of the old offering and
    charges the new one from that day, rating uses the new tariff from that day.
    """
    line = find_line(session, msisdn)
    if line.status == LineStatus.TERMINATED.value:
        raise TransitionRefusedError(f"line {line.msisdn} is terminated")
    text = " ".join(reason.split())
    if not text:
        raise InvalidInputError([FieldIssue(None, "reason", "is required")], "offering change")
    account = session.get_one(BillingAccountRow, line.account_id)
    customer = session.get_one(CustomerRow, account.customer_id)
    today = local_today(clock, account.timezone)
    effective = effective_on or today
    history = offering_history(session, line.id)
    current = history[-1]
    if offering_id == current.offering_id:
        raise TransitionRefusedError(f"line {line.msisdn} already has {offering_id}")
    if effective > today or effective <= current.valid_from:
        raise TransitionRefusedError(
            f"effective date {effective} must be after the current offering's start "
            f"({current.valid_from}) and not after today ({today})"
        )
    spec = LineSpec(
        msisdn=line.msisdn,
        mobile=True,  # the number type was checked when the line was created
        offering_id=offering_id,
        status=LineStatus.ACTIVE,
        activation_date=effective,
    )
    problem = Offerings(session).problem(_new_line(spec, account, customer), effective)
    if problem is not None:
        raise InvalidInputError([FieldIssue(None, *problem)], "offering change")
    now = clock.now()
    current.valid_to = effective
    session.add(
        LineOfferingRow(
            line_id=line.id,
            offering_id=offering_id,
            valid_from=effective,
            valid_to=None,
            recorded_at=now,
            reason=text[:500],
            actor=actor.name[:100],
        )
    )
    previous, line.offering_id = line.offering_id, offering_id
    session.flush()
    record_interaction(
        session,
        customer.id,
        LineInteraction.LINE_OFFERING_CHANGED,
        f"Line {line.msisdn} {previous} → {offering_id} from {effective}: {text}",
        clock=clock,
        actor=actor,
        details={
            "msisdn": line.msisdn,
            "account": account.number,
            "from": previous,
            "to": offering_id,
            "effective_on": effective.isoformat(),
            "reason": text,
        },
        subject=f"line:{line.msisdn}",
    )
    event = LineOfferingChanged(
        line.msisdn, account.number, previous, offering_id, effective, text, now
    )
    return OfferingChange(line, (event,))


def _check_offering(
    session: Session, line: LineRow, account: BillingAccountRow, customer: CustomerRow, on: date
) -> None:
    spec = LineSpec(
        msisdn=line.msisdn,
        mobile=True,  # the number type was checked when the line was created
        offering_id=line.offering_id,
        status=LineStatus.ACTIVE,
        activation_date=on,
    )
    problem = Offerings(session).problem(_new_line(spec, account, customer), on)
    if problem is not None:
        raise InvalidInputError([FieldIssue(None, *problem)], "activation")


def _msisdn(value: str) -> str:
    try:
        return normalize_msisdn(value)
    except ValueError as exc:
        raise InvalidInputError([FieldIssue(None, "msisdn", str(exc))], "line") from None
