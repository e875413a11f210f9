"""Service lines as typed values: the status lifecycle and what a new line consists of.

The lifecycle is an explicit table, :data:`TRANSITIONS`; anything not in it is refused.
*suspended* is a temporary stop the customer asked for (lost phone, holiday), *barred*
is a stop the operator imposes (unpaid bills); both can return to *active*. *terminated*
is final: the number is free again and the line stays only as history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from linka.customers.model import Address
from linka.subscriptions.errors import TransitionRefusedError


class LineStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    BARRED = "barred"
    TERMINATED = "terminated"


_S = LineStatus
TRANSITIONS: Mapping[LineStatus, frozenset[LineStatus]] = {
    _S.PENDING: frozenset({_S.ACTIVE, _S.TERMINATED}),
    _S.ACTIVE: frozenset({_S.SUSPENDED, _S.BARRED, _S.TERMINATED}),
    _S.SUSPENDED: frozenset({_S.ACTIVE, _S.BARRED, _S.TERMINATED}),
    _S.BARRED: frozenset({_S.ACTIVE, _S.SUSPENDED, _S.TERMINATED}),
    _S.TERMINATED: frozenset(),
}
"""Allowed moves: ``TRANSITIONS[current]`` is the set of statuses a line may go to."""

INITIAL_STATUSES = (LineStatus.PENDING, LineStatus.ACTIVE)
"""A line is created pending (to be activated later) or already active."""


def check_transition(current: LineStatus, target: LineStatus) -> None:
    """Raise :class:`TransitionRefusedError` unless ``current → target`` is allowed."""
    allowed = TRANSITIONS[current]
    if target not in allowed:
        options = ", ".join(sorted(allowed)) or "none: terminated is final"
        raise TransitionRefusedError(
            f"a line cannot go from {current.value} to {target.value}; "
            f"from {current.value} it may go to: {options}"
        )


class LineInteraction(StrEnum):
    """Timeline entry kinds written by this context."""

    LINE_CREATED = "line.created"
    LINE_STATUS_CHANGED = "line.status_changed"
    LINE_OFFERING_CHANGED = "line.offering_changed"


@dataclass(frozen=True, slots=True)
class LineSpec:
    """A valid new line, before it is tied to an account.

    ``mobile`` tells whether the MSISDN is a mobile number (mobile offerings need one).
    ``activation_date`` is set for lines created active; pending lines get theirs when
    they are activated.
    """

    msisdn: str
    mobile: bool
    offering_id: str
    status: LineStatus
    activation_date: date | None = None
    iccid: str | None = None
    imsi: str | None = None
    installation_address: Address | None = None
