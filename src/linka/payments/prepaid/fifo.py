"""Which credit usage consumes, and what is left of each credit when it lapses.

The rule (first in, first out): every credit added — a top-up, a voucher, a usage
correction in the customer's favour — is a *lot*. A debit of day *d* takes from the
oldest lots (by booking day, then entry id) still usable on *d*; a lot that expires on
*E* is usable on days before *E* and lapses at the start of *E* with whatever is left.
Usage beyond the usable lots is *debt* (the usage happened; the balance goes negative);
the next credit pays the debt first. On one day, credits come before debits.

An expiry already booked is final: when usage of a day before *E* arrives after the lot
lapsed, that usage is debt instead of being taken back from the expiry. So for a line,
the sum of its entries always equals what is left of its lots minus its debt.

Pure functions over plain values: no session, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

EXPIRY_PREFIX = "expiry:"
ZERO = Decimal(0)


@dataclass(frozen=True)
class Movement:
    """One prepaid entry as the FIFO rule needs it."""

    id: int
    amount: Decimal
    booked_on: date
    expires_on: date | None = None
    source: str = ""


@dataclass
class _Lot:
    id: int
    left: Decimal
    expires_on: date | None


@dataclass(frozen=True)
class CreditState:
    """After the FIFO run: what is left per lot (usable ones), the debt, and the lapses."""

    left: dict[int, Decimal]
    debt: Decimal
    lapsed: dict[int, Decimal]  # lot id → what was left when it lapsed (not yet booked)


def expiry_source(credit_id: int) -> str:
    return f"{EXPIRY_PREFIX}{credit_id}"


def run_fifo(movements: Iterable[Movement], on: date) -> CreditState:
    """Replay a line's movements up to and including day ``on`` under the FIFO rule.

    Expiry entries (source ``expiry:<lot id>``) are not replayed as debits: they mark
    their lot as lapsed with the booked amount. ``lapsed`` lists the lots that expire on
    or before ``on`` and have no expiry entry yet, with the amount to book.
    """
    booked: dict[int, Decimal] = {}
    events: list[Movement] = []
    for movement in movements:
        if movement.source.startswith(EXPIRY_PREFIX):
            booked[int(movement.source.removeprefix(EXPIRY_PREFIX))] = -movement.amount
        elif movement.amount != ZERO and movement.booked_on <= on:
            events.append(movement)
    events.sort(key=lambda m: (m.booked_on, m.amount < ZERO, m.id))
    lots: list[_Lot] = []
    debt = ZERO
    lapsed: dict[int, Decimal] = {}

    def lapse(day: date) -> Decimal:
        """Remove the lots expiring on or before ``day``; returns the debt that adds."""
        added = ZERO
        for lot in [lot for lot in lots if lot.expires_on is not None and lot.expires_on <= day]:
            lots.remove(lot)
            if lot.id in booked:
                added += max(booked[lot.id] - lot.left, ZERO)
            else:
                lapsed[lot.id] = lot.left
        return added

    for event in events:
        debt += lapse(event.booked_on)
        if event.amount > ZERO:
            paid = min(debt, event.amount)
            debt -= paid
            lots.append(_Lot(event.id, event.amount - paid, event.expires_on))
        else:
            debt += _take(lots, -event.amount)
    debt += lapse(on)
    return CreditState({lot.id: lot.left for lot in lots}, debt, lapsed)


def _take(lots: Sequence[_Lot], need: Decimal) -> Decimal:
    """Consume ``need`` from the lots in order; returns what they could not cover."""
    for lot in lots:
        if need == ZERO:
            break
        taken = min(lot.left, need)
        lot.left -= taken
        need -= taken
    return need
