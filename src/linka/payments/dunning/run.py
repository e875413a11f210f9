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
from datetime import date
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from linka.customers.model import Actor
from linka.customers.timeline import record_interaction
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
    move_line,
    restorable,
    restore_cleared,
    send,
)
from linka.payments.dunning.tables import DunningLineRow, DunningStepRow
from linka.payments.ledger import open_items
from linka.payments.model import EntryKind
from linka.payments.movements import book_debit
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
    for account, decision in acting:
        if decision.step is None:
            continue
        taken = _take_step(
            session, account, decision, decision.step, lines[account.account_id],
            on=on, clock=clock, actor=actor, settings=settings, dry_run=dry_run,
        )  # fmt: skip
        if taken is not None:
            report.actions.append(taken)
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


def _take_step(
    session: Session,
    account: AccountFacts,
    decision: Decision,
    step: LadderStep,
    lines: list[LineRow],
    *,
    on: date,
    clock: Clock,
    actor: Actor,
    settings: Settings,
    dry_run: bool,
) -> DunningAction | None:
    assert decision.episode_start is not None
    start = decision.episode_start
    fee = step.fee[account.currency] if step.fee else None
    moving = lines_to_move(lines, step.lines)
    # a suspension or barring that finds no line to stop says nothing to the customer
    silent = step.lines in (LineAction.SUSPEND, LineAction.BAR) and not moving
    channels = () if silent else step.notify
    action = DunningAction(
        account.account_id, account.number, account.segment, start, decision.days_overdue,
        step.id, step.action.value, decision.overdue, account.currency, fee,
        tuple(line.msisdn for line in moving), len(channels),
    )  # fmt: skip
    if dry_run:
        return action
    row = DunningStepRow(
        account_id=account.account_id, episode_start=start, step=step.id,
        action=step.action.value, taken_on=on, overdue_amount=decision.overdue,
        fee_entry_id=None, restored_on=None, created_at=clock.now(),
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None  # a concurrent run took this step first
    if fee is not None:
        booked = book_debit(
            session, account_id=account.account_id, kind=EntryKind.FEE, amount=fee,
            currency=account.currency, on=on,
            source=f"dunning-fee:{account.account_id}:{start}:{step.id}",
            description=f"dunning fee ({step.id})", clock=clock,
        )  # fmt: skip
        row.fee_entry_id = booked.entry_id
    if moving:
        target, _ = LINE_MOVES[step.lines]
        amount = money(decision.overdue, account.currency, "en")
        reason = f"dunning step {step.id}: {amount} overdue since {start}"
        for line in moving:
            before = line.status
            move_line(session, line, target, on, reason, clock, actor)
            session.add(
                DunningLineRow(
                    step_id=row.id, line_id=line.id, from_status=before,
                    to_status=target.value, restored_on=None,
                )
            )  # fmt: skip
    summary = (
        f"Dunning step {step.id} ({step.action.value}), day {decision.days_overdue} of the "
        f"episode from {start}: {money(decision.overdue, account.currency, 'en')} overdue"
    )
    if fee is not None:
        summary += f"; fee {money(fee, account.currency, 'en')}"
    if action.lines:
        summary += f"; lines: {', '.join(action.lines)}"
    record_interaction(
        session,
        account.customer_id,
        f"dunning.{step.action.value}",
        summary,
        clock=clock,
        actor=actor,
        details={
            "account": account.number,
            "episode_start": start.isoformat(),
            "step": step.id,
            "action": step.action.value,
            "overdue": str(decision.overdue),
            "currency": account.currency,
            "fee": None if fee is None else str(fee),
            "lines": list(action.lines),
        },
        subject=f"account:{account.number}",
    )
    facts = MessageFacts(
        account.language, account.number, account.variable_symbol, account.currency,
        decision.overdue, fee, action.lines,
    )  # fmt: skip
    key = f"{start}:{step.id}"
    send(session, account, step.action.value, facts, channels, key, clock, settings)
    session.flush()
    return action
