"""Promises to pay and exemptions: what holds the ladder for an account.

A promise holds it from the day it is made until its date (inclusive); if the debt is
still overdue after that, the ladder goes on with its next step. An exemption holds it
from the day it is given, until its end date or until it is ended. Both are on the
customer's timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from linka.customers.model import Actor
from linka.customers.services import get_account
from linka.customers.tables import BillingAccountRow
from linka.customers.timeline import record_interaction
from linka.kernel.clock import Clock, local_today
from linka.payments.dunning.errors import DunningError
from linka.payments.dunning.tables import DunningExemptionRow, PaymentPromiseRow

MAX_PROMISE_DAYS = 90


def _text(value: str, what: str, *, required: bool) -> str:
    text = " ".join(value.split())
    if required and not text:
        raise DunningError(f"{what} is required")
    if len(text) > 300:
        raise DunningError(f"{what} is longer than 300 characters")
    return text


def add_promise(
    session: Session,
    account_number: str,
    pay_by: date,
    *,
    clock: Clock,
    actor: Actor,
    amount: Decimal | None = None,
    note: str = "",
) -> PaymentPromiseRow:
    """Record the customer's promise to pay (``amount``, if said) by ``pay_by``."""
    account = get_account(session, account_number)
    today = local_today(clock, account.timezone)
    if pay_by < today:
        raise DunningError(f"--until {pay_by} is in the past (today is {today})")
    if pay_by > today + timedelta(days=MAX_PROMISE_DAYS):
        raise DunningError(
            f"--until {pay_by} is more than {MAX_PROMISE_DAYS} days ahead: exempt the account "
            "instead if it should not be dunned for that long"
        )
    if amount is not None and amount <= 0:
        raise DunningError(f"--amount must be positive, got {amount}")
    row = PaymentPromiseRow(
        account_id=account.id, promised_on=today, pay_by=pay_by, amount=amount,
        note=_text(note, "note", required=False), created_by=actor.name[:100],
        created_at=clock.now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    said = f" {amount} {account.currency}" if amount is not None else ""
    record_interaction(
        session, account.customer_id, "dunning.promise",
        f"Promise to pay{said} by {pay_by} on account {account.number}: dunning holds until then"
        + (f" ({row.note})" if row.note else ""),
        clock=clock, actor=actor,
        details={
            "account": account.number, "pay_by": pay_by.isoformat(),
            "amount": None if amount is None else str(amount), "note": row.note,
        },
        subject=f"account:{account.number}",
    )  # fmt: skip
    return row


def add_exemption(
    session: Session,
    account_number: str,
    reason: str,
    *,
    clock: Clock,
    actor: Actor,
    until: date | None = None,
) -> DunningExemptionRow:
    """Exempt the account from dunning from today, until ``until`` (inclusive) or ended."""
    account = get_account(session, account_number)
    today = local_today(clock, account.timezone)
    text = _text(reason, "--reason", required=True)
    if until is not None and until < today:
        raise DunningError(f"--until {until} is in the past (today is {today})")
    row = DunningExemptionRow(
        account_id=account.id, valid_from=today, valid_until=until, reason=text,
        created_by=actor.name[:100], created_at=clock.now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    record_interaction(
        session, account.customer_id, "dunning.exempted",
        f"Account {account.number} exempted from dunning from {today}"
        + (f" until {until}" if until else "") + f": {text}",
        clock=clock, actor=actor,
        details={
            "account": account.number, "valid_from": today.isoformat(),
            "valid_until": None if until is None else until.isoformat(), "reason": text,
        },
        subject=f"account:{account.number}",
    )  # fmt: skip
    return row


def end_exemptions(session: Session, account_number: str, *, clock: Clock, actor: Actor) -> int:
    """End the account's exemptions in force: dunning applies again from today."""
    account = get_account(session, account_number)
    today = local_today(clock, account.timezone)
    rows = session.scalars(
        select(DunningExemptionRow).where(
            DunningExemptionRow.account_id == account.id,
            or_(
                DunningExemptionRow.valid_until.is_(None), DunningExemptionRow.valid_until >= today
            ),
        )
    ).all()
    for row in rows:
        row.valid_until = today - timedelta(days=1)
    if rows:
        record_interaction(
            session, account.customer_id, "dunning.exemption_ended",
            f"Dunning exemption of account {account.number} ended: dunning applies from {today}",
            clock=clock, actor=actor, details={"account": account.number},
            subject=f"account:{account.number}",
        )  # fmt: skip
    session.flush()
    return len(rows)


@dataclass(frozen=True)
class HoldView:
    """A promise or exemption as listed."""

    account: str
    kind: str  # promise | exemption
    valid_from: date
    valid_until: date | None
    amount: Decimal | None
    text: str
    created_by: str


def list_holds(session: Session, on: date, account_number: str | None = None) -> list[HoldView]:
    """Promises and exemptions in force on ``on`` or later, by account."""
    promises = (
        select(PaymentPromiseRow, BillingAccountRow.number)
        .join(BillingAccountRow, BillingAccountRow.id == PaymentPromiseRow.account_id)
        .where(PaymentPromiseRow.pay_by >= on)
    )
    exemptions = (
        select(DunningExemptionRow, BillingAccountRow.number)
        .join(BillingAccountRow, BillingAccountRow.id == DunningExemptionRow.account_id)
        .where(
            or_(DunningExemptionRow.valid_until.is_(None), DunningExemptionRow.valid_until >= on)
        )
    )
    if account_number is not None:
        promises = promises.where(BillingAccountRow.number == account_number)
        exemptions = exemptions.where(BillingAccountRow.number == account_number)
    views = [
        HoldView(number, "promise", p.promised_on, p.pay_by, p.amount, p.note, p.created_by)
        for p, number in session.execute(promises)
    ]
    views += [
        HoldView(number, "exemption", e.valid_from, e.valid_until, None, e.reason, e.created_by)
        for e, number in session.execute(exemptions)
        if e.valid_until is None or e.valid_until >= e.valid_from
    ]
    return sorted(views, key=lambda v: (v.account, v.valid_from, v.kind))
