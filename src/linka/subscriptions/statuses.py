"""Line status changes: the rules every path shares, and the bulk path for many lines.

:func:`linka.subscriptions.services.change_line_status` moves one line a person names;
:func:`change_line_statuses` moves many at once (dunning suspends and restores thousands
in a run) with the same rules — the lifecycle table, a reason, no date after the
account's today, never before the line's last change — and the same rows: a status
change row, the line's ``status`` and the ``line.status_changed`` timeline entry, which
it returns for the caller to write where its own timeline order wants it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from linka.customers.errors import FieldIssue, InvalidInputError
from linka.customers.model import Actor
from linka.customers.timeline import Interaction
from linka.kernel.clock import Clock, local_today
from linka.subscriptions.errors import TransitionRefusedError
from linka.subscriptions.model import LineInteraction, LineStatus, check_transition
from linka.subscriptions.tables import LineRow, LineStatusChangeRow

CHUNK = 10_000
_CHANGES: Table = LineStatusChangeRow.__table__  # type: ignore[assignment]


def status_reason(reason: str) -> str:
    """The reason as stored (one line); a status change without one is refused."""
    text = " ".join(reason.split())
    if not text:
        raise InvalidInputError([FieldIssue(None, "reason", "is required")], "status change")
    return text


def refuse_future(effective: date, today: date, timezone: str) -> None:
    if effective > today:
        raise TransitionRefusedError(
            f"effective date {effective} is after today ({today} in {timezone}): "
            "a status change takes effect today or on a past date"
        )


def status_entry(
    customer_id: int, msisdn: str, account_number: str, current: LineStatus,
    target: LineStatus, effective: date, reason: str, now: datetime,
) -> Interaction:  # fmt: skip
    """The customer's timeline entry for a line's status change."""
    return Interaction(
        customer_id,
        LineInteraction.LINE_STATUS_CHANGED.value,
        f"Line {msisdn} {current.value} → {target.value} from {effective}: {reason}",
        now,
        {
            "msisdn": msisdn,
            "account": account_number,
            "from": current.value,
            "to": target.value,
            "effective_on": effective.isoformat(),
            "reason": reason,
        },
        f"line:{msisdn}",
    )


@dataclass(frozen=True)
class StatusMove:
    """One line to move to ``target``; the account's facts name it on the timeline."""

    line: LineRow
    target: LineStatus
    reason: str
    customer_id: int
    account_number: str
    timezone: str


@dataclass(frozen=True)
class StatusMoved:
    from_status: LineStatus
    effective_on: date
    entry: Interaction  # the line's timeline entry, for the caller to write in its place


def change_line_statuses(
    session: Session, moves: Sequence[StatusMove], on: date, clock: Clock, actor: Actor
) -> list[StatusMoved]:
    """Move each line effective ``on`` (or its last change's day, if later). Activating a
    pending line is not done here: it needs the offering check of the one-line path."""
    if not moves:
        return []
    last: dict[int, tuple[int, date]] = {}
    line_ids = sorted({move.line.id for move in moves})
    for start in range(0, len(line_ids), CHUNK):
        for line_id, change_id, effective_on in session.execute(
            select(
                LineStatusChangeRow.line_id, LineStatusChangeRow.id,
                LineStatusChangeRow.effective_on,
            ).where(LineStatusChangeRow.line_id.in_(line_ids[start : start + CHUNK]))
        ):  # fmt: skip
            if line_id not in last or change_id > last[line_id][0]:
                last[line_id] = (change_id, effective_on)
    now = clock.now()
    today: dict[str, date] = {}
    changes: list[dict[str, Any]] = []
    moved: list[StatusMoved] = []
    for move in moves:
        line, target = move.line, move.target
        current = LineStatus(line.status)
        check_transition(current, target)
        if current is LineStatus.PENDING and target is LineStatus.ACTIVE:
            raise TransitionRefusedError(
                f"line {line.msisdn}: activate a pending line with change_line_status"
            )
        text = status_reason(move.reason)
        if move.timezone not in today:
            today[move.timezone] = local_today(clock, move.timezone)
        effective = max(on, last[line.id][1])
        refuse_future(effective, today[move.timezone], move.timezone)
        if target is LineStatus.TERMINATED:
            line.terminated_on = effective
        line.status = target.value
        changes.append(
            {
                "line_id": line.id, "from_status": current.value, "to_status": target.value,
                "effective_on": effective, "recorded_at": now, "reason": text[:500],
                "actor": actor.name[:100], "actor_channel": actor.channel[:20],
            }
        )  # fmt: skip
        entry = status_entry(
            move.customer_id, line.msisdn, move.account_number, current, target, effective,
            text, now,
        )  # fmt: skip
        moved.append(StatusMoved(current, effective, entry))
    session.execute(insert(_CHANGES), changes)
    session.flush()
    return moved
