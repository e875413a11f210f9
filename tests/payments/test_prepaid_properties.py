"""For any sequence of top-ups, usage and expiry runs: the balance is the sum of the
entries, what the FIFO rule says is left of the credit minus the debt, and expiry never
takes more than was left."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from linka.customers.model import Actor
from linka.kernel.clock import FakeClock
from linka.payments.prepaid.balances import balance, top_up
from linka.payments.prepaid.expiry import expire_credit
from linka.payments.prepaid.fifo import Movement, expiry_source, run_fifo
from linka.payments.prepaid.lines import PrepaidTerms, prepaid_line
from linka.payments.prepaid.tables import PrepaidEntryRow
from linka.payments.prepaid.usage import CHARGE_SCHEMA, book_usage
from linka.store.database import Database
from linka.subscriptions.tables import LineRow
from tests.usage.test_store import LINES, set_up

START = date(2026, 1, 1)
TERMS = PrepaidTerms(credit_validity_days=30, low_balance_threshold=Decimal(20))
CENTS = st.integers(min_value=1, max_value=20_000).map(lambda c: Decimal(c).scaleb(-2))

movement = st.tuples(
    st.integers(0, 1),  # 0: credit, 1: debit
    st.integers(0, 120),  # booked on START + n days
    CENTS,
    st.booleans(),  # a credit expires 30 days later
)


def lapsed_entries(movements: list[Movement], on: date) -> list[Movement]:
    state = run_fifo(movements, on)
    next_id = max((m.id for m in movements), default=0) + 1
    by_id = {m.id: m for m in movements}
    return [
        Movement(next_id + i, -left, by_id[lot].expires_on or on, None, expiry_source(lot))
        for i, (lot, left) in enumerate(sorted(state.lapsed.items()))
    ]


@given(st.lists(movement, max_size=40), st.integers(0, 200))
def test_fifo_keeps_entries_and_lots_in_step(raw: list[tuple[int, int, Decimal, bool]], at: int):
    movements = [
        Movement(
            i + 1,
            amount if kind == 0 else -amount,
            START + timedelta(days=day),
            START + timedelta(days=day + 30) if kind == 0 and expires else None,
        )
        for i, (kind, day, amount, expires) in enumerate(raw)
    ]
    on = START + timedelta(days=at)
    lapses = lapsed_entries(movements, on)
    credits = {m.id: m.amount for m in movements if m.amount > 0}
    assert all(Decimal(0) <= -e.amount <= credits[int(e.source[7:])] for e in lapses)

    booked = movements + lapses
    state = run_fifo(booked, on)
    assert state.lapsed == {}
    visible = [m for m in booked if m.booked_on <= on]
    assert (
        sum((m.amount for m in visible), Decimal(0))
        == sum(state.left.values(), Decimal(0)) - state.debt
    )
    assert state.debt >= 0
    assert all(left >= 0 for left in state.left.values())


operation = st.tuples(
    st.sampled_from(["top_up", "usage", "expire"]),
    st.integers(0, 20),  # days after the previous operation
    st.integers(0, 5),  # usage: days before the operation's day
    CENTS,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(operation, min_size=1, max_size=15))
def test_the_balance_is_the_sum_of_the_entries(
    sqlite_db: Database, catalog_dir: Path, ops: list[tuple[str, int, int, Decimal]]
):
    db = sqlite_db
    if not _has_lines(db):  # the database lives across examples: set up once, clear entries
        set_up(db, catalog_dir)
    with db.session() as session:
        session.execute(delete(PrepaidEntryRow))
        line_id = prepaid_line(session, LINES[0]).line_id

    day, expected = START, Decimal(0)
    usage: dict[date, Decimal] = defaultdict(Decimal)
    for n, (kind, gap, lag, amount) in enumerate(ops):
        day += timedelta(days=gap)
        clock = FakeClock(datetime(day.year, day.month, day.day, 12, tzinfo=UTC))
        with db.session() as session:
            if kind == "top_up":
                booking = top_up(
                    session,
                    LINES[0],
                    amount,
                    reference=f"p{n}",
                    clock=clock,
                    actor=Actor("t", "t"),
                    terms=TERMS,
                )
                expected += booking.entry.amount
            elif kind == "usage":
                usage[day - timedelta(days=lag)] += amount
                frame = pl.DataFrame(
                    [(line_id, d, a) for d, a in usage.items()], schema=CHARGE_SCHEMA, orient="row"
                )
                expected += book_usage(session, frame, day, clock=clock, terms=TERMS).amount
            else:
                result = expire_credit(session, day, clock=clock, terms=TERMS)
                assert result.amount <= 0
                expected += result.amount
        with db.session() as session:
            amounts = session.scalars(
                select(PrepaidEntryRow.amount).where(PrepaidEntryRow.line_id == line_id)
            ).all()
            assert balance(session, line_id) == sum(amounts, Decimal(0)) == expected

    with db.session() as session:
        rows = session.scalars(
            select(PrepaidEntryRow).where(PrepaidEntryRow.line_id == line_id)
        ).all()
        state = run_fifo(
            [Movement(r.id, r.amount, r.booked_on, r.expires_on, r.source) for r in rows],
            date(2030, 1, 1),
        )
    used = sum((r.amount for r in rows if r.kind == "usage"), Decimal(0))
    assert used == -sum(usage.values(), Decimal(0)), "usage is deducted once, in full"
    left = sum(state.left.values(), Decimal(0)) + sum(state.lapsed.values(), Decimal(0))
    assert expected == left - state.debt, "the entries and the FIFO lots agree"


def _has_lines(db: Database) -> bool:
    with db.session() as session:
        return session.scalar(select(LineRow.id).limit(1)) is not None
