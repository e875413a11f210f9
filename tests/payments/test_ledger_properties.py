"""Whatever happens to an account, the sum of its ledger entries is its balance: what is
open minus the credit it holds (hypothesis, on SQLite)."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from linka.kernel.clock import FakeClock
from linka.payments.imports import import_payments
from linka.payments.ledger import balances, credits, open_items
from linka.payments.model import EntryKind, IncomingPayment
from linka.payments.movements import available_credit, book_debit, book_refund, reverse_payment
from linka.payments.tables import AllocationRow, PaymentRow
from linka.store.database import Database
from tests.payments.builders import NOW, account, invoice

CENTS = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c) / 100)
NAMES = ["invoice", "account", "unknown"]  # what a payment's variable symbol names
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("invoice"), st.integers(0, 1), CENTS),
        st.tuples(st.just("pay"), st.integers(0, 1), CENTS, st.sampled_from(NAMES)),
        st.tuples(st.just("return"), st.integers(0, 30)),
        st.tuples(st.just("fee"), st.integers(0, 1), CENTS),
        st.tuples(st.just("refund"), st.integers(0, 1)),
    ),
    min_size=1,
    max_size=14,
)  # fmt: skip


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=OPERATIONS)
def test_the_ledger_always_sums_to_open_minus_credit(
    sqlite_template: Path, operations: list[tuple[Any, ...]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "linka.db"
        shutil.copy(sqlite_template, path)
        database = Database(f"sqlite:///{path}")
        try:
            _run(database, operations)
        finally:
            database.dispose()


def _run(database: Database, operations: list[tuple[Any, ...]]) -> None:
    clock = FakeClock(NOW)
    with database.session() as session:
        accounts = [account(session, 1), account(session, 2)]
        numbers: list[list[int]] = [[], []]
        for step, operation in enumerate(operations, start=1):
            kind = operation[0]
            if kind == "invoice":
                _, which, amount = operation
                owner = accounts[which]
                invoice(session, owner, step, amount)
                numbers[which].append(step)
            elif kind == "pay":
                _, which, amount, names = operation
                owned = numbers[which]
                symbol = (
                    f"2026{owned[-1]:06d}" if names == "invoice" and owned
                    else accounts[which].variable_symbol if names != "unknown"
                    else "999999999"
                )  # fmt: skip
                import_payments(
                    session,
                    [IncomingPayment(f"ref-{step}", date(2026, 4, 14), amount, "CZK",
                                     symbol, None, None, None, "test")],
                    clock,
                )  # fmt: skip
            elif kind == "return":
                matched = session.scalars(
                    select(PaymentRow.id)
                    .where(PaymentRow.status == "matched")
                    .order_by(PaymentRow.id)
                ).all()
                if matched:
                    chosen = matched[operation[1] % len(matched)]
                    reverse_payment(
                        session, chosen, on=date(2026, 4, 20), reason="AM04", clock=clock
                    )
            elif kind == "fee":
                _, which, amount = operation
                book_debit(
                    session, account_id=accounts[which].id, kind=EntryKind.FEE,
                    amount=amount, currency="CZK", on=date(2026, 4, 25),
                    source=f"fee:{step}", description="reminder fee", clock=clock,
                )  # fmt: skip
            else:
                owner_id = accounts[operation[1]].id
                held = available_credit(session, owner_id)
                if held > 0:
                    book_refund(
                        session, account_id=owner_id, amount=held, currency="CZK",
                        on=date(2026, 4, 26), source=f"refund:{step}", clock=clock,
                    )  # fmt: skip
            _check(session, [a.id for a in accounts])


def _check(session: Session, account_ids: list[int]) -> None:
    totals = balances(session, account_ids)
    items = open_items(session, account_ids)
    held = credits(session, account_ids)
    for account_id in account_ids:
        open_total = sum((i.open for i in items.get(account_id, [])), Decimal(0))
        credit_total = sum((c.available for c in held.get(account_id, [])), Decimal(0))
        assert all(i.open > 0 for i in items.get(account_id, []))
        assert all(c.available > 0 for c in held.get(account_id, []))
        # an account never holds credit while something of its own is open
        assert open_total == 0 or credit_total == 0
        assert totals.get(account_id, Decimal(0)) == open_total - credit_total
    # no payment's allocations exceed what it brought
    overdrawn = session.execute(
        select(PaymentRow.id)
        .join(AllocationRow, AllocationRow.payment_id == PaymentRow.id)
        .group_by(PaymentRow.id, PaymentRow.amount)
        .having(func.sum(AllocationRow.amount) > PaymentRow.amount)
    ).all()
    assert overdrawn == []
