"""Which ladder step an account is due for on a date: pure functions over plain values.

An *episode* is a stretch of time in which the account owes something overdue. It begins
when an issued invoice is overdue (its due date has passed) and the overdue amount
(invoices, fees and refunds past their due date) reaches the segment's ``min_amount``;
its start is the due date of the oldest overdue invoice — a dunning fee never starts an
episode. It continues, with the same start, for as long as the overdue amount stays at
or above ``min_amount`` (paying the oldest invoice alone does not start the ladder over),
and it ends — the lines are restored — when the amount falls below it. The next episode
starts no earlier than the day after the previous one ended.

Days overdue count from the episode's start. The steps are taken in order, one per run
and account: a step is due when the days overdue reach its ``day`` and, after the
previous step was taken, at least the gap between their days has passed. A promise to
pay holds the ladder from the day it was made until its date; an exemption holds it
for its validity. Both only hold: restoring a cleared account always happens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from linka.payments.dunning.ladder import LadderStep, SegmentLadder
from linka.payments.model import OpenItem

ZERO = Decimal(0)


class Verdict(StrEnum):
    """What the ladder says about an account on a date."""

    NOT_OVERDUE = "not overdue"  # no episode: nothing (or too little) overdue
    CLEARED = "cleared"  # an open episode whose debt is paid: restore, end the episode
    EXEMPT = "exempt"  # overdue, but the account is exempted
    PROMISED = "promised"  # overdue, but a promise to pay holds the ladder
    WAITING = "waiting"  # overdue; the next step is not due yet
    STEP = "step"  # the next step is due today
    DONE = "done"  # every step was taken (collections has the debt)
    NO_LADDER = "no ladder"  # the segment's ladder names no min_amount in this currency


@dataclass(frozen=True)
class Episode:
    """An open episode: its start and the steps taken in it (step id → day taken)."""

    start: date
    taken: Mapping[str, date] = field(default_factory=dict)


@dataclass(frozen=True)
class Hold:
    """A promise to pay (``reason`` "promise") or an exemption: from, until (inclusive)."""

    valid_from: date
    valid_until: date | None
    reason: str = ""

    def covers(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_until is None or on <= self.valid_until)


@dataclass(frozen=True)
class AccountState:
    """What the decision needs to know about one account."""

    account_id: int
    currency: str
    items: Sequence[OpenItem]
    episode: Episode | None = None  # the open episode, if there is one
    last_cleared: date | None = None  # when the previous episode ended
    promises: Sequence[Hold] = ()
    exemptions: Sequence[Hold] = ()


@dataclass(frozen=True)
class Decision:
    account_id: int
    verdict: Verdict
    overdue: Decimal  # overdue on the date: invoices, fees, refunds past their due date
    episode_start: date | None = None
    days_overdue: int = 0
    step: LadderStep | None = None
    hold: Hold | None = None


def overdue_amount(items: Sequence[OpenItem], on: date) -> Decimal:
    """What is open and past its due date on ``on`` (due yesterday or earlier)."""
    return sum((item.open for item in items if item.due_date < on), ZERO)


def oldest_overdue_invoice(items: Sequence[OpenItem], on: date) -> date | None:
    """The due date of the oldest invoice still open and overdue on ``on``."""
    dues = [item.due_date for item in items if item.invoice_id is not None and item.due_date < on]
    return min(dues, default=None)


def due_step(
    steps: Sequence[LadderStep], taken: Mapping[str, date], episode_start: date, on: date
) -> LadderStep | None:
    """The first step not taken yet, if it is due on ``on``; else None."""
    days = (on - episode_start).days
    for index, step in enumerate(steps):
        if step.id in taken:
            continue
        if days < step.day:
            return None
        if index > 0:
            previous = steps[index - 1]
            previous_on = taken.get(previous.id)
            if previous_on is not None and (on - previous_on).days < step.day - previous.day:
                return None
        return step
    return None


def decide(state: AccountState, ladder: SegmentLadder, on: date) -> Decision:
    """The verdict for one account on ``on`` under its segment's ladder."""
    overdue = overdue_amount(state.items, on)
    minimum = ladder.min_amount.get(state.currency)
    episode = state.episode
    if minimum is None:
        start = episode.start if episode else None
        if overdue == 0:
            verdict = Verdict.NOT_OVERDUE if episode is None else Verdict.CLEARED
            return Decision(state.account_id, verdict, overdue, start)
        return Decision(state.account_id, Verdict.NO_LADDER, overdue, start)
    if episode is not None:
        if overdue < minimum or overdue == 0:
            return Decision(state.account_id, Verdict.CLEARED, overdue, episode.start)
        start = episode.start
        taken = episode.taken
    else:
        oldest = oldest_overdue_invoice(state.items, on)
        if oldest is None or overdue < minimum or overdue == 0:
            return Decision(state.account_id, Verdict.NOT_OVERDUE, overdue)
        start = oldest
        if state.last_cleared is not None:
            start = max(start, state.last_cleared + timedelta(days=1))
        taken = {}
    base = Decision(state.account_id, Verdict.WAITING, overdue, start, (on - start).days)
    exemption = next((hold for hold in state.exemptions if hold.covers(on)), None)
    if exemption is not None:
        return replace(base, verdict=Verdict.EXEMPT, hold=exemption)
    promise = next((hold for hold in state.promises if hold.covers(on)), None)
    if promise is not None:
        return replace(base, verdict=Verdict.PROMISED, hold=promise)
    if all(step.id in taken for step in ladder.steps):
        return replace(base, verdict=Verdict.DONE)
    step = due_step(ladder.steps, taken, start, on)
    if step is None:
        return base
    return replace(base, verdict=Verdict.STEP, step=step)
