"""Lapsing credit: what is left of a top-up or voucher on its ``expires_on`` is taken away.

Which part of a credit is "left" follows the FIFO rule of
:mod:`linka.payments.prepaid.fifo`. Each lapsed credit gets one ``expiry`` entry (source
``expiry:<credit entry id>``, booked on its ``expires_on``), even when nothing was left
(amount zero), so a credit is looked at once and the run is idempotent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session, aliased

from linka.kernel.clock import Clock
from linka.payments.prepaid.balances import (
    EXPIRY,
    ZERO,
    balances,
    insert_entries,
    notify_low_balances,
)
from linka.payments.prepaid.fifo import Movement, expiry_source, run_fifo
from linka.payments.prepaid.lines import PrepaidTerms
from linka.payments.prepaid.tables import PrepaidEntryRow


@dataclass(frozen=True)
class ExpiryResult:
    on: date
    credits: int  # credits lapsed (entries booked, some of zero)
    lines: int
    amount: Decimal  # sum of the expiry entries (negative or zero)
    low_balance: int


def expire_credit(session: Session, on: date, *, clock: Clock, terms: PrepaidTerms) -> ExpiryResult:
    """Book the expiry of every credit whose ``expires_on`` is on or before ``on``."""
    entry, lapse = aliased(PrepaidEntryRow), aliased(PrepaidEntryRow)
    due_lines = list(
        session.scalars(
            select(entry.line_id)
            .where(
                entry.amount > 0,
                entry.expires_on.is_not(None),
                entry.expires_on <= on,
                ~select(lapse.id)
                .where(lapse.source == "expiry:" + cast(entry.id, String))
                .exists(),
            )
            .distinct()
        )
    )
    if not due_lines:
        return ExpiryResult(on, 0, 0, ZERO, 0)
    history: dict[int, list[Movement]] = defaultdict(list)
    currencies: dict[int, str] = {}
    for row in session.execute(
        select(
            PrepaidEntryRow.line_id,
            PrepaidEntryRow.id,
            PrepaidEntryRow.amount,
            PrepaidEntryRow.booked_on,
            PrepaidEntryRow.expires_on,
            PrepaidEntryRow.source,
            PrepaidEntryRow.currency,
        ).where(PrepaidEntryRow.line_id.in_(due_lines))
    ):
        history[row.line_id].append(
            Movement(row.id, row.amount, row.booked_on, row.expires_on, row.source)
        )
        currencies[row.line_id] = row.currency
    known = balances(session, due_lines)
    before = {line_id: known.get(line_id, ZERO) for line_id in due_lines}
    by_id = {row.id: row for movements in history.values() for row in movements}
    now = clock.now()
    rows = []
    for line_id in sorted(history):
        for credit_id, left in sorted(run_fifo(history[line_id], on).lapsed.items()):
            credit = by_id[credit_id]
            assert credit.expires_on is not None  # only credits with a date lapse
            rows.append(
                (
                    line_id,
                    EXPIRY,
                    -left,
                    currencies[line_id],
                    expiry_source(credit_id),
                    credit.expires_on,
                    None,
                    f"Credit of {credit.booked_on.isoformat()} expired",
                    now,
                )
            )
    insert_entries(session, rows)
    low = notify_low_balances(session, before, threshold=terms.low_balance_threshold, clock=clock)
    total = sum((row[2] for row in rows), ZERO)
    return ExpiryResult(on, len(rows), len({row[0] for row in rows}), total, low)
