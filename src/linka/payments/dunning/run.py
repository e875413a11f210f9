"""A dunning run: every account's next ladder step for a date, taken once.

Set-based reading (one open-items query, episodes, promises and exemptions in bulk), a
pure decision per account (:func:`linka.payments.dunning.decisions.decide`), then the
steps: each is a ``dunning_steps`` row unique per account, episode and step — so running
the same date again takes nothing new — with its fee in the ledger, its line changes,
its timeline entry and its messages in the outbox, all in the caller's transaction.
Accounts whose debt is paid have their episode ended and their lines restored. A dry
run decides and reports the same and writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from linka.customers.model import Actor
from linka.customers.timeline import Interaction
from linka.engagement.model import MessageChannel
from linka.kernel.clock import Clock, local_today
from linka.payments.dunning.decisions import AccountState, Decision, Verdict, decide
from linka.payments.dunning.episodes import (
    AccountFacts,
    latest_episodes,
    load_accounts,
    load_holds,
)
from linka.payments.dunning.errors import DunningError
from linka.payments.dunning.ladder import Ladder, LadderStep, LineAction, load_ladder
from linka.payments.dunning.messages import MessageFacts, money
from linka.payments.dunning.restore import (
    LINE_MOVES,
    RestoredLine,
    lines_to_move,
    message_requests,
    restorable,
    restore_cleared,
)
from linka.payments.dunning.writes import (
    LineMove,
    Notice,
    insert_moved_lines,
    insert_steps,
    move_lines,
    set_fee_entries,
    write_notices,
)
from linka.payments.ledger import open_items
from linka.payments.model import EntryKind
from linka.payments.movements import Debit, book_debits
from linka.settings import Settings
from linka.subscriptions.services import lines_of_accounts
from linka.subscriptions.tables import LineRow


@dataclass(frozen=True)
class DunningAction:
    """One ladder step taken (or, in a dry run, to be taken) for an account."""

    account_id: int
    account: str  # account number
    segment: str
    episode_start: date
    days_overdue: int
    step: str  # the ladder step's id
    action: str  # reminder | fee | suspend | bar | terminate
    overdue: Decimal  # overdue on the day, before the step's fee
    currency: str
    fee: Decimal | None  # the fee booked by the step
    lines: tuple[str, ...]  # MSISDNs of the lines the step moved
    messages: int  # messages enqueued (planned, in a dry run)


@dataclass
class DunningReport:
    on: date
    dry_run: bool
    actions: list[DunningAction] = field(default_factory=list)
    restored: list[RestoredLine] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)  # accounts whose episode ended
    held: list[tuple[str, str]] = field(default_factory=list)  # (account, exemption/promise)
    waiting: list[str] = field(default_factory=list)  # overdue, next step not due yet
    done: list[str] = field(default_factory=list)  # every step taken: with collections
    problems: list[str] = field(default_factory=list)

    @property
    def fees(self) -> dict[str, Decimal]:
        """Fees booked per currency."""
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for action in self.actions:
            if action.fee is not None:
                totals[action.currency] += action.fee
        return dict(totals)

    @property
    def overdue(self) -> dict[str, Decimal]:
        """Overdue amounts of the accounts dunned, per currency."""
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for action in self.actions:
            totals[action.currency] += action.overdue
        return dict(totals)


def run_dunning(
    session: Session,
    on: date,
    clock: Clock,
    actor: Actor,
    *,
    dry_run: bool = False,
    ladder: Ladder | None = None,
    settings: Settings | None = None,
) -> DunningReport:
    """Take every ladder step due on ``on``; end the episodes of accounts that paid.

    ``ladder`` and ``settings`` default to the configured ones. Raises
    :class:`DunningError` (before writing anything) for a date after today.
    """
    settings = settings or Settings()
    ladder = ladder or load_ladder(settings.dunning_ladder)
    report = DunningReport(on, dry_run)
    if not dry_run:
        _check_date(on, clock, [settings.timezone])
    items = open_items(session)
    episodes = latest_episodes(session)
    candidates = set(items) | {a for a, e in episodes.items() if e.cleared_on is None}
    facts = load_accounts(session, sorted(candidates))
    promises, exemptions = load_holds(session, on)
    decisions: list[tuple[AccountFacts, Decision]] = []
    for account in sorted(facts.values(), key=lambda a: a.number):
        state = episodes.get(account.account_id)
        decision = decide(
            AccountState(
                account.account_id,
                account.currency,
                items.get(account.account_id, []),
                state.episode if state else None,
                state.cleared_on if state else None,
                promises.get(account.account_id, []),
                exemptions.get(account.account_id, []),
            ),
            ladder.for_segment(account.segment),
            on,
        )
        if decision.verdict is not Verdict.NOT_OVERDUE:
            decisions.append((account, decision))
    _sort(report, decisions)
    acting = [(a, d) for a, d in decisions if d.verdict in (Verdict.STEP, Verdict.CLEARED)]
    if not dry_run:
        _check_date(on, clock, sorted({account.timezone for account, _ in acting}))
    with_lines = [
        a.account_id
        for a, d in acting
        if d.step is not None and d.step.lines is not LineAction.NONE
    ]
    lines: dict[int, list[LineRow]] = defaultdict(list)
    for line in lines_of_accounts(session, with_lines):
        lines[line.account_id].append(line)
    planned = [
        _plan_step(account, decision, decision.step, lines[account.account_id])
        for account, decision in acting
        if decision.step is not None
    ]
    if dry_run:
        report.actions = [p.action for p in planned]
    else:
        report.actions = _take_steps(
            session, planned, on=on, clock=clock, actor=actor, settings=settings
        )
    cleared = [a.account_id for a, d in acting if d.verdict is Verdict.CLEARED]
    if dry_run:
        for account_id, plans in sorted(restorable(session, cleared).items()):
            account = facts[account_id]
            report.restored += [
                RestoredLine(
                    account_id, account.number, plan.line.id, plan.line.msisdn,
                    plan.left_in, plan.back_to, on,
                )
                for plan in plans
                if plan.applies
            ]  # fmt: skip
    else:
        report.restored = restore_cleared(
            session, cleared, on, clock, actor, ladder=ladder, settings=settings
        )
    return report


def _sort(report: DunningReport, decisions: list[tuple[AccountFacts, Decision]]) -> None:
    for account, decision in decisions:
        verdict = decision.verdict
        if verdict is Verdict.CLEARED:
            report.cleared.append(account.number)
        elif verdict in (Verdict.EXEMPT, Verdict.PROMISED) and decision.hold is not None:
            what = "exempt" if verdict is Verdict.EXEMPT else "promised"
            report.held.append((account.number, f"{what}: {decision.hold.reason}"))
        elif verdict is Verdict.WAITING:
            report.waiting.append(account.number)
        elif verdict is Verdict.DONE:
            report.done.append(account.number)
        elif verdict is Verdict.NO_LADDER:
            report.problems.append(
                f"account {account.number}: {decision.overdue} {account.currency} overdue, "
                f"but the {account.segment} ladder has no min_amount in {account.currency}"
            )


def _check_date(on: date, clock: Clock, timezones: list[str]) -> None:
    for timezone in timezones:
        today = local_today(clock, timezone)
        if on > today:
            raise DunningError(
                f"date {on} is after today ({today} in {timezone}): dunning takes "
                "steps today or for a past day; use --dry-run to see what a later day brings"
            )


@dataclass(frozen=True)
class _Step:
    """A step to take for an account: what it does, decided before anything is written."""

    account: AccountFacts
    decision: Decision
    step: LadderStep
    moving: list[LineRow]
    channels: tuple[MessageChannel, ...]
    action: DunningAction

    @property
    def start(self) -> date:
        assert self.decision.episode_start is not None
        return self.decision.episode_start


def _plan_step(
    account: AccountFacts, decision: Decision, step: LadderStep, lines: list[LineRow]
) -> _Step:
    assert decision.episode_start is not None
    start = decision.episode_start
    fee = step.fee[account.currency] if step.fee else None
    moving = lines_to_move(lines, step.lines)
    # a suspension or barring that finds no line to stop says nothing to the customer
    silent = step.lines in (LineAction.SUSPEND, LineAction.BAR) and not moving
    channels = () if silent else tuple(step.notify)
    action = DunningAction(
        account.account_id, account.number, account.segment, start, decision.days_overdue,
        step.id, step.action.value, decision.overdue, account.currency, fee,
        tuple(line.msisdn for line in moving), len(channels),
    )  # fmt: skip
    return _Step(account, decision, step, moving, channels, action)


def _take_steps(
    session: Session,
    planned: list[_Step],
    *,
    on: date,
    clock: Clock,
    actor: Actor,
    settings: Settings,
) -> list[DunningAction]:
    """Write the planned steps set-based; returns those this run took (a concurrent run
    may have taken some first)."""
    now = clock.now()
    ids = insert_steps(
        session,
        [
            {
                "account_id": p.account.account_id, "episode_start": p.start, "step": p.step.id,
                "action": p.step.action.value, "taken_on": on,
                "overdue_amount": p.decision.overdue, "fee_entry_id": None,
                "restored_on": None, "created_at": now,
            }
            for p in planned
        ],
    )  # fmt: skip
    taken = [
        (p, ids[key]) for p in planned if (key := (p.account.account_id, p.start, p.step.id)) in ids
    ]
    fees = {
        step_id: Debit(
            p.account.account_id, EntryKind.FEE, p.action.fee, p.account.currency, on,
            f"dunning-fee:{p.account.account_id}:{p.start}:{p.step.id}",
            f"dunning fee ({p.step.id})",
        )
        for p, step_id in taken
        if p.action.fee is not None
    }  # fmt: skip
    entries = book_debits(session, list(fees.values()), clock)
    set_fee_entries(session, {step: entries[debit.source] for step, debit in fees.items()})
    moves: list[tuple[int, LineMove]] = []
    for p, step_id in taken:
        if p.moving:
            target, _ = LINE_MOVES[p.step.lines]
            amount = money(p.decision.overdue, p.account.currency, "en")
            reason = f"dunning step {p.step.id}: {amount} overdue since {p.start}"
            moves += [(step_id, LineMove(p.account, line, target, reason)) for line in p.moving]
    moved = move_lines(session, [move for _, move in moves], on, clock, actor)
    insert_moved_lines(
        session,
        [
            {
                "step_id": step_id, "line_id": move.line.id, "from_status": done.from_status.value,
                "to_status": move.target.value, "restored_on": None,
            }
            for (step_id, move), done in zip(moves, moved, strict=True)
        ],
    )  # fmt: skip
    line_entries: dict[int, list[Interaction]] = defaultdict(list)
    for (step_id, _), done in zip(moves, moved, strict=True):
        line_entries[step_id].append(done.entry)
    notices = [
        _notice(p, line_entries[step_id], on=on, now=now, settings=settings) for p, step_id in taken
    ]
    write_notices(session, notices, clock, actor)
    session.flush()
    return [p.action for p, _ in taken]


def _notice(
    planned: _Step, lines: list[Interaction], *, on: date, now: datetime, settings: Settings
) -> Notice:
    account, decision, step, action = (
        planned.account,
        planned.decision,
        planned.step,
        planned.action,
    )
    start, fee = planned.start, action.fee
    summary = (
        f"Dunning step {step.id} ({step.action.value}), day {decision.days_overdue} of the "
        f"episode from {start}: {money(decision.overdue, account.currency, 'en')} overdue"
    )
    if fee is not None:
        summary += f"; fee {money(fee, account.currency, 'en')}"
    if action.lines:
        summary += f"; lines: {', '.join(action.lines)}"
    entry = Interaction(
        account.customer_id,
        f"dunning.{step.action.value}",
        summary,
        now,
        {
            "account": account.number,
            "episode_start": start.isoformat(),
            "step": step.id,
            "action": step.action.value,
            "overdue": str(decision.overdue),
            "currency": account.currency,
            "fee": None if fee is None else str(fee),
            "lines": list(action.lines),
        },
        f"account:{account.number}",
    )
    facts = MessageFacts(
        account.language, account.number, account.variable_symbol, account.currency,
        decision.overdue, fee, action.lines,
    )  # fmt: skip
    messages = message_requests(
        account, step.action.value, facts, planned.channels, f"{start}:{step.id}", settings
    )
    return Notice([*lines, entry], messages)
