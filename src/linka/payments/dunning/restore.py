"""Moving lines for dunning, and restoring them the day the debt is paid.

A step that suspends, bars or terminates lines records each line it moved
(``dunning_lines``: from which status to which). When the account's episode is over —
nothing overdue, or less than the ladder's ``min_amount`` — :func:`restore_cleared`
returns every line still in the status dunning left it in to the status it had before
dunning touched it (normally *active*) with the reason "debt paid", effective the day
given (the payment's day), ends the episode, writes the timeline and enqueues the
*line restored* message. Lines someone else moved since, and terminated lines, stay as
they are. The payment import calls it in the transaction that books the payments;
``linka dunning run`` calls it too, as a safety net.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from linka.customers.model import Actor
from linka.customers.timeline import Interaction
from linka.engagement.bulk import MessageRequest
from linka.engagement.model import MessageChannel
from linka.kernel.clock import Clock
from linka.payments.dunning.decisions import AccountState, Verdict, decide
from linka.payments.dunning.episodes import (
    CHUNK,
    AccountFacts,
    EpisodeState,
    latest_episodes,
    load_accounts,
)
from linka.payments.dunning.ladder import CLEARED, Ladder, LineAction, StepAction, load_ladder
from linka.payments.dunning.messages import KINDS, RESTORED, MessageFacts, compose
from linka.payments.dunning.tables import DunningLineRow, DunningStepRow
from linka.payments.dunning.writes import LineMove, Notice, insert_steps, move_lines, write_notices
from linka.payments.ledger import open_items
from linka.settings import Settings
from linka.store.bulk import chunked
from linka.subscriptions.model import LineStatus
from linka.subscriptions.tables import LineRow

_S = LineStatus
LINE_MOVES: dict[LineAction, tuple[LineStatus, frozenset[LineStatus]]] = {
    LineAction.SUSPEND: (_S.SUSPENDED, frozenset({_S.ACTIVE})),
    LineAction.BAR: (_S.BARRED, frozenset({_S.ACTIVE, _S.SUSPENDED})),
    LineAction.TERMINATE: (
        _S.TERMINATED,
        frozenset({_S.PENDING, _S.ACTIVE, _S.SUSPENDED, _S.BARRED}),
    ),
}
"""Per line action: the status lines go to, and the statuses of the lines it moves."""

RESTORE_REASON = "debt paid"


@dataclass(frozen=True)
class RestoredLine:
    """A line dunning had stopped, back in service (or, in a dry run, that would be)."""

    account_id: int
    account: str  # account number
    line_id: int
    msisdn: str
    from_status: str  # what dunning had left it in: suspended | barred
    to_status: str  # what it had before dunning: normally active
    effective_on: date


def lines_to_move(lines: Sequence[LineRow], action: LineAction) -> list[LineRow]:
    """The account's lines a step with ``action`` moves."""
    if action is LineAction.NONE:
        return []
    _, sources = LINE_MOVES[action]
    return [line for line in lines if LineStatus(line.status) in sources]


def restorable(session: Session, account_ids: Sequence[int]) -> dict[int, list[RestorePlan]]:
    """Per account: the lines dunning moved and has not restored, with where they go back."""
    rows: list[tuple[DunningLineRow, int, LineRow]] = []
    for ids in chunked(sorted(set(account_ids)), CHUNK):
        rows += [
            (moved, account_id, line)
            for moved, account_id, line in session.execute(
                select(DunningLineRow, DunningStepRow.account_id, LineRow)
                .join(DunningStepRow, DunningStepRow.id == DunningLineRow.step_id)
                .join(LineRow, LineRow.id == DunningLineRow.line_id)
                .where(DunningStepRow.account_id.in_(ids), DunningLineRow.restored_on.is_(None))
                .order_by(DunningLineRow.id)
            )
        ]
    by_line: dict[int, list[DunningLineRow]] = defaultdict(list)
    lines: dict[int, tuple[int, LineRow]] = {}
    for moved, account_id, line in rows:
        by_line[line.id].append(moved)
        lines[line.id] = (account_id, line)
    result: dict[int, list[RestorePlan]] = defaultdict(list)
    for line_id, moves in by_line.items():
        account_id, line = lines[line_id]
        result[account_id].append(
            RestorePlan(line, moves[0].from_status, moves[-1].to_status, moves)
        )
    return result


@dataclass(frozen=True)
class RestorePlan:
    line: LineRow
    back_to: str  # the status before dunning's first move
    left_in: str  # the status dunning's last move left it in
    moves: list[DunningLineRow]

    @property
    def applies(self) -> bool:
        """Still as dunning left it, and dunning's move can be undone."""
        return (
            self.line.status == self.left_in
            and self.left_in != LineStatus.TERMINATED
            and self.back_to != self.left_in
        )


def restore_cleared(
    session: Session,
    account_ids: Sequence[int],
    on: date,
    clock: Clock,
    actor: Actor,
    *,
    ladder: Ladder | None = None,
    settings: Settings | None = None,
) -> list[RestoredLine]:
    """End the dunning episode of each given account whose debt is paid on ``on`` (less
    than ``min_amount`` overdue) and restore the lines dunning stopped, effective ``on``.

    Call it in the transaction that booked the payments, with the accounts they touched;
    accounts without an open episode are left alone. ``ladder`` and ``settings`` default
    to the configured ones (``LINKA_DUNNING_LADDER``, the operator's details).
    """
    ids = sorted(set(account_ids))
    if not ids:
        return []
    open_episodes = {
        account_id: state
        for account_id, state in latest_episodes(session, ids).items()
        if state.cleared_on is None
    }
    if not open_episodes:
        return []
    settings = settings or Settings()
    ladder = ladder or load_ladder(settings.dunning_ladder)
    facts = load_accounts(session, list(open_episodes))
    items = open_items(session, list(open_episodes))
    cleared = []
    for account_id, state in sorted(open_episodes.items()):
        account = facts[account_id]
        decision = decide(
            AccountState(account_id, account.currency, items.get(account_id, []), state.episode),
            ladder.for_segment(account.segment),
            on,
        )
        if decision.verdict is Verdict.CLEARED:
            cleared.append((account, state, decision.overdue))
    now = clock.now()
    markers = insert_steps(
        session,
        [
            {
                "account_id": account.account_id, "episode_start": state.start, "step": CLEARED,
                "action": CLEARED, "taken_on": on, "overdue_amount": overdue,
                "fee_entry_id": None, "restored_on": None, "created_at": now,
            }
            for account, state, overdue in cleared
        ],
    )  # fmt: skip
    # a marker another transaction stored first: that one ended the episode
    closing = [c for c in cleared if (c[0].account_id, c[1].start, CLEARED) in markers]
    plans = restorable(session, [account.account_id for account, _, _ in closing])
    moves: list[tuple[AccountFacts, RestorePlan]] = [
        (account, plan)
        for account, _, _ in closing
        for plan in plans.get(account.account_id, [])
        if plan.applies
    ]
    moved = move_lines(
        session,
        [
            LineMove(account, plan.line, LineStatus(plan.back_to), RESTORE_REASON)
            for account, plan in moves
        ],
        on,
        clock,
        actor,
    )
    restored: dict[int, list[tuple[RestoredLine, Interaction]]] = defaultdict(list)
    for (account, plan), done in zip(moves, moved, strict=True):
        restored[account.account_id].append(
            (
                RestoredLine(
                    account.account_id, account.number, plan.line.id, plan.line.msisdn,
                    plan.left_in, plan.back_to, done.effective_on,
                ),
                done.entry,
            )
        )  # fmt: skip
    notices: list[Notice] = []
    for account, state, overdue in closing:
        for plan in plans.get(account.account_id, []):
            for move in plan.moves:
                move.restored_on = on
        for step in state.steps:
            if step.action in (StepAction.SUSPEND, StepAction.BAR) and step.restored_on is None:
                step.restored_on = on
        lines = restored[account.account_id]
        notices.append(
            _notice(
                account, state, overdue, [line for line, _ in lines],
                [entry for _, entry in lines], on=on, now=now, ladder=ladder, settings=settings,
            )
        )  # fmt: skip
    write_notices(session, notices, clock, actor)
    session.flush()
    return [line for account, _, _ in closing for line, _ in restored[account.account_id]]


def _notice(
    account: AccountFacts,
    state: EpisodeState,
    overdue: Decimal,
    restored: list[RestoredLine],
    entries: list[Interaction],
    *,
    on: date,
    now: datetime,
    ladder: Ladder,
    settings: Settings,
) -> Notice:
    msisdns = tuple(line.msisdn for line in restored)
    summary = f"Dunning episode from {state.start} ended on {on}: debt paid"
    entry = Interaction(
        account.customer_id,
        "dunning.cleared",
        summary + (f"; lines restored: {', '.join(msisdns)}" if msisdns else ""),
        now,
        {
            "account": account.number,
            "episode_start": state.start.isoformat(),
            "overdue": str(overdue),
            "restored": list(msisdns),
        },
        f"account:{account.number}",
    )
    messages: list[MessageRequest] = []
    if msisdns:
        facts = MessageFacts(
            account.language, account.number, account.variable_symbol, account.currency,
            overdue, None, msisdns,
        )  # fmt: skip
        channels = ladder.for_segment(account.segment).restore_notify
        messages = message_requests(
            account, RESTORED, facts, channels, f"{state.start}:{RESTORED}", settings
        )
    return Notice([*entries, entry], messages)


def message_requests(
    account: AccountFacts,
    action: str,
    facts: MessageFacts,
    channels: Sequence[MessageChannel],
    key: str,
    settings: Settings,
) -> list[MessageRequest]:
    """The message on each channel, for :func:`linka.engagement.bulk.enqueue_messages`."""
    subject, body = compose(action, facts, settings)
    return [
        MessageRequest(
            kind=KINDS[action],
            channel=channel,
            dedupe_key=f"dunning:{account.account_id}:{key}:{channel.value}",
            body=body,
            customer_id=account.customer_id,
            recipient=account.billing_email if channel is MessageChannel.EMAIL else None,
            subject=subject if channel is MessageChannel.EMAIL else None,
        )
        for channel in channels
    ]
