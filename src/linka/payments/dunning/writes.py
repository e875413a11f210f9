"""The set-based writes of dunning: steps, line moves, timeline entries and messages.

A run decides per account and then writes for all its accounts at once, a few
statements per table, in the order the accounts were decided — so every row gets the
id it would get if the accounts were handled one after another, and a customer's
timeline reads in the same order (line changes, the step, a suppressed message's note).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from linka.customers.model import Actor
from linka.customers.timeline import Interaction, record_interactions
from linka.engagement.bulk import MessageRequest, enqueue_messages
from linka.engagement.model import MessageStatus
from linka.engagement.services import OUTBOX
from linka.engagement.tables import OutboxMessageRow
from linka.kernel.clock import Clock
from linka.payments.dunning.episodes import AccountFacts
from linka.payments.dunning.tables import DunningLineRow, DunningStepRow
from linka.store.bulk import chunked, reserve_ids
from linka.subscriptions.model import LineStatus
from linka.subscriptions.statuses import StatusMove, StatusMoved, change_line_statuses
from linka.subscriptions.tables import LineRow

CHUNK = 10_000
StepKey = tuple[int, date, str]
"""A dunning step's unique key: account id, episode start, step id."""

_STEPS: Table = DunningStepRow.__table__  # type: ignore[assignment]
_LINES: Table = DunningLineRow.__table__  # type: ignore[assignment]


def step_key(row: dict[str, Any]) -> StepKey:
    return (row["account_id"], row["episode_start"], row["step"])


def insert_steps(session: Session, rows: Sequence[dict[str, Any]]) -> dict[StepKey, int]:
    """Insert ``dunning_steps`` rows (dicts of the columns but ``id``) whose key is not
    stored yet; returns the id of each row this call inserted.

    Keys already stored are found with one query per ten thousand accounts; the rest are
    inserted with ``ON CONFLICT DO NOTHING``, so a key a concurrent transaction stores
    first (PostgreSQL waits for it to commit) is skipped, not taken twice: only the
    returned keys are this run's to act on.
    """
    stored: set[StepKey] = set()
    for ids in chunked(sorted({row["account_id"] for row in rows}), CHUNK):
        stored |= {
            (account_id, start, step)
            for account_id, start, step in session.execute(
                select(
                    DunningStepRow.account_id, DunningStepRow.episode_start, DunningStepRow.step
                ).where(DunningStepRow.account_id.in_(ids))
            )
        }
    new: dict[StepKey, dict[str, Any]] = {}
    for row in rows:
        key = step_key(row)
        if key not in stored and key not in new:
            new[key] = row
    if not new:
        return {}
    ids = reserve_ids(session, DunningStepRow, len(new))
    values = [row | {"id": id_} for id_, row in zip(ids, new.values(), strict=True)]
    dialect = session.get_bind().dialect.name
    statement = (
        postgresql.insert(_STEPS) if dialect == "postgresql" else sqlite.insert(_STEPS)
    ).on_conflict_do_nothing()
    inserted: set[int] = set()
    for start in range(0, len(values), CHUNK):
        inserted |= set(
            session.execute(
                statement.returning(_STEPS.c.id), values[start : start + CHUNK]
            ).scalars()
        )
    return {key: row["id"] for key, row in zip(new, values, strict=True) if row["id"] in inserted}


def set_fee_entries(session: Session, fees: dict[int, int]) -> None:
    """Link steps (id → ledger entry id) to the fees they booked."""
    if fees:
        session.execute(
            update(_STEPS)
            .where(_STEPS.c.id == bindparam("step_id"))
            .values(fee_entry_id=bindparam("entry_id")),
            [{"step_id": step, "entry_id": entry} for step, entry in fees.items()],
        )


def insert_moved_lines(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """``dunning_lines`` rows: step_id, line_id, from_status, to_status, restored_on."""
    if rows:
        session.execute(insert(_LINES), list(rows))


@dataclass(frozen=True)
class LineMove:
    """A line for dunning to move to ``target``: a suspension, barring, or a restore."""

    account: AccountFacts
    line: LineRow
    target: LineStatus
    reason: str


def move_lines(
    session: Session, moves: Sequence[LineMove], on: date, clock: Clock, actor: Actor
) -> list[StatusMoved]:
    """Change each line's status effective ``on`` (or its last change's day, if later)
    through the subscriptions' bulk path; the timeline entries are returned, not written."""
    return change_line_statuses(
        session,
        [
            StatusMove(
                move.line, move.target, move.reason, move.account.customer_id,
                move.account.number, move.account.timezone,
            )
            for move in moves
        ],
        on,
        clock,
        actor,
    )  # fmt: skip


@dataclass
class Notice:
    """What one account's step (or restore) tells: timeline entries, then messages."""

    entries: list[Interaction] = field(default_factory=list)
    messages: list[MessageRequest] = field(default_factory=list)


def write_notices(session: Session, notices: Sequence[Notice], clock: Clock, actor: Actor) -> None:
    """Enqueue every notice's messages in one batch and write the timeline in order:
    each account's entries, then a note for each of its messages stored as suppressed
    (what :func:`linka.engagement.services.enqueue_message` notes one by one)."""
    requests = [request for notice in notices for request in notice.messages]
    keys = list(dict.fromkeys(request.dedupe_key for request in requests))
    before: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        before |= set(
            session.scalars(
                select(OutboxMessageRow.dedupe_key).where(
                    OutboxMessageRow.dedupe_key.in_(keys[start : start + CHUNK])
                )
            )
        )
    if requests:
        enqueue_messages(session, requests, clock)
    new = [key for key in keys if key not in before]
    suppressed: dict[str, tuple[int, str, str, str | None]] = {}
    for start in range(0, len(new), CHUNK):
        for id_, key, kind, channel, reason in session.execute(
            select(
                OutboxMessageRow.id, OutboxMessageRow.dedupe_key, OutboxMessageRow.kind,
                OutboxMessageRow.channel, OutboxMessageRow.suppressed_reason,
            ).where(
                OutboxMessageRow.dedupe_key.in_(new[start : start + CHUNK]),
                OutboxMessageRow.status == MessageStatus.SUPPRESSED.value,
            )
        ):  # fmt: skip
            suppressed[key] = (id_, kind, channel, reason)
    now = clock.now()
    entries: list[tuple[Actor, Interaction]] = []
    for notice in notices:
        entries += [(actor, entry) for entry in notice.entries]
        for request in notice.messages:
            found = suppressed.pop(request.dedupe_key, None)
            if found is None or request.customer_id is None:
                continue
            id_, kind, channel, reason = found
            entries.append(
                (
                    OUTBOX,
                    Interaction(
                        request.customer_id, "message.suppressed", f"not sent: {reason}", now,
                        {"message_id": id_, "kind": kind, "channel": channel}, f"message:{id_}",
                    ),
                )
            )  # fmt: skip
    for who, group in groupby(entries, key=lambda pair: pair[0]):
        record_interactions(session, [entry for _, entry in group], who)
