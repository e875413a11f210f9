"""Balances and credit: a line's balance is the sum of its entries; top-ups add entries.

Nothing is ever updated or deleted: a correction is one more entry. Every entry has a
unique ``source`` naming what caused it (``top-up:<reference>``, ``voucher:<serial>``,
``usage:<line>:<day>:<n>``, ``expiry:<entry>``), so repeating a step books nothing twice.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from linka.customers.model import Actor
from linka.customers.timeline import record_interaction
from linka.kernel.clock import Clock, local_today
from linka.kernel.money import minor_units
from linka.payments.prepaid.errors import PrepaidError, ReferenceReusedError
from linka.payments.prepaid.lines import PrepaidLine, PrepaidTerms, prepaid_line, prepaid_lines
from linka.payments.prepaid.notices import money_text, send_low_balance, send_topped_up
from linka.payments.prepaid.tables import PrepaidEntryRow
from linka.store.bulk import bulk_insert

TOP_UP = "top_up"
VOUCHER = "voucher"
USAGE = "usage"
EXPIRY = "expiry"
ZERO = Decimal(0)


ENTRY_SCHEMA: dict[str, pl.DataType] = {
    "line_id": pl.Int64(),
    "kind": pl.String(),
    "amount": pl.Decimal(38, 6),
    "currency": pl.String(),
    "source": pl.String(),
    "booked_on": pl.Date(),
    "expires_on": pl.Date(),
    "description": pl.String(),
    "created_at": pl.Datetime("us", "UTC"),
}
"""Columns of the rows :func:`insert_entries` takes, in this order."""


@dataclass(frozen=True)
class Booking:
    """A credit booked (``created``) or found booked already under the same source."""

    entry: PrepaidEntryRow
    created: bool
    balance: Decimal


def balance(session: Session, line_id: int) -> Decimal:
    total = session.scalar(
        select(func.coalesce(func.sum(PrepaidEntryRow.amount), 0)).where(
            PrepaidEntryRow.line_id == line_id
        )
    )
    return Decimal(total or 0)


def balances(session: Session, line_ids: Collection[int] | None = None) -> dict[int, Decimal]:
    """Balance per line that has entries (all lines, or those of ``line_ids``)."""
    query = select(PrepaidEntryRow.line_id, func.sum(PrepaidEntryRow.amount)).group_by(
        PrepaidEntryRow.line_id
    )
    if line_ids is not None:
        query = query.where(PrepaidEntryRow.line_id.in_(list(line_ids)))
    return {line_id: Decimal(total) for line_id, total in session.execute(query)}


def insert_entries(session: Session, rows: Sequence[tuple[object, ...]]) -> int:
    """Insert many entries at once (rows in ENTRY_SCHEMA order): usage and expiry runs."""
    return bulk_insert(
        session, PrepaidEntryRow, pl.DataFrame(rows, schema=ENTRY_SCHEMA, orient="row")
    )


def movements(session: Session, line_id: int, *, limit: int = 20) -> list[PrepaidEntryRow]:
    """The line's newest entries, newest first."""
    return list(
        session.scalars(
            select(PrepaidEntryRow)
            .where(PrepaidEntryRow.line_id == line_id)
            .order_by(PrepaidEntryRow.booked_on.desc(), PrepaidEntryRow.id.desc())
            .limit(limit)
        )
    )


def check_credit_amount(amount: Decimal, currency: str) -> Decimal:
    """A positive amount in whole minor units of ``currency`` (no fractions of a haléř)."""
    if amount <= ZERO:
        raise PrepaidError(f"amount {amount}: a top-up must be more than zero")
    if amount != round(amount, minor_units(currency)):
        raise PrepaidError(
            f"amount {amount}: {currency} has {minor_units(currency)} decimal places"
        )
    return amount


def book_credit(
    session: Session,
    line: PrepaidLine,
    *,
    kind: str,
    amount: Decimal,
    source: str,
    description: str,
    clock: Clock,
    actor: Actor,
    terms: PrepaidTerms,
) -> Booking:
    """Add credit to a line once per ``source``: record it on the customer's timeline and
    confirm it by SMS. The same source again returns the first booking; with another
    line, kind or amount it is refused (a reused reference, not a repeat)."""
    found = session.scalars(select(PrepaidEntryRow).where(PrepaidEntryRow.source == source)).first()
    if found is not None:
        if (found.line_id, found.kind, found.amount) != (line.line_id, kind, amount):
            raise ReferenceReusedError(
                source, f"{found.kind} of {found.amount} {found.currency} on line {found.line_id}"
            )
        return Booking(found, created=False, balance=balance(session, line.line_id))
    today = local_today(clock, line.timezone)
    entry = PrepaidEntryRow(
        line_id=line.line_id,
        kind=kind,
        amount=amount,
        currency=line.currency,
        source=source,
        booked_on=today,
        expires_on=terms.expires_on(today),
        description=description[:300],
        created_at=clock.now(),
    )
    session.add(entry)
    session.flush()
    after = balance(session, line.line_id)
    record_interaction(
        session,
        line.customer_id,
        f"prepaid.{kind}",
        f"{description}: {money_text(amount, line)} on {line.msisdn}, "
        f"balance {money_text(after, line)}",
        clock=clock,
        actor=actor,
        subject=line.msisdn,
        details={
            "line_id": line.line_id,
            "entry_id": entry.id,
            "amount": str(amount),
            "source": source,
        },
    )
    send_topped_up(session, line, entry.id, amount, after, clock)
    return Booking(entry, created=True, balance=after)


def top_up(
    session: Session,
    msisdn: str,
    amount: Decimal,
    *,
    reference: str,
    clock: Clock,
    actor: Actor,
    terms: PrepaidTerms,
) -> Booking:
    """A paid top-up of ``amount``; ``reference`` (the payment's id) makes it idempotent."""
    reference = " ".join(reference.split())
    if not reference:
        raise PrepaidError("a top-up needs a reference (the payment's id)")
    line = prepaid_line(session, msisdn)
    return book_credit(
        session,
        line,
        kind=TOP_UP,
        amount=check_credit_amount(amount, line.currency),
        source=f"top-up:{reference}"[:120],
        description=f"Top-up {reference}",
        clock=clock,
        actor=actor,
        terms=terms,
    )


def low_balance_lines(session: Session, threshold: Decimal) -> list[tuple[PrepaidLine, Decimal]]:
    """Prepaid lines in service (not terminated) whose balance is under ``threshold``,
    lowest first; a line with no entries has a balance of zero."""
    lines = {k: v for k, v in prepaid_lines(session).items() if v.status != "terminated"}
    known = balances(session)
    low = [(line, known.get(line_id, ZERO)) for line_id, line in lines.items()]
    return sorted(
        ((line, amount) for line, amount in low if amount < threshold),
        key=lambda pair: (pair[1], pair[0].msisdn),
    )


def notify_low_balances(
    session: Session, before: Mapping[int, Decimal], *, threshold: Decimal, clock: Clock
) -> int:
    """Enqueue a low-balance SMS for each line whose balance was at or above ``threshold``
    (``before``) and is under it now; keyed by the line's newest entry, so one SMS per
    crossing. Returns how many lines crossed."""
    after = balances(session, before)
    crossed = [
        line_id
        for line_id, was in before.items()
        if was >= threshold and after.get(line_id, ZERO) < threshold
    ]
    if not crossed:
        return 0
    newest: dict[int, int] = dict(
        session.execute(
            select(PrepaidEntryRow.line_id, func.max(PrepaidEntryRow.id))
            .where(PrepaidEntryRow.line_id.in_(crossed))
            .group_by(PrepaidEntryRow.line_id)
        ).all()
    )
    lines = prepaid_lines(session, crossed)
    for line_id in crossed:
        send_low_balance(session, lines[line_id], newest[line_id], after[line_id], clock)
    return len(crossed)
