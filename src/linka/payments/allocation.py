"""Allocating money to open invoices: the one rule every path uses.

Money pays the invoice it names first (a variable symbol that is an invoice number, or
the invoice a credit note corrects), then the account's other open items (invoices, fees,
refunds), oldest due date first; what is left stays as the account's credit and pays the
next invoice. Pure: no database, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from linka.payments.model import Allocation, OpenItem

ZERO = Decimal(0)


def allocate(
    amount: Decimal, items: Sequence[OpenItem], named: int | None = None
) -> tuple[list[Allocation], Decimal]:
    """How ``amount`` pays ``items`` (an account's open items), and what is left over."""
    if amount < 0:
        raise ValueError("only money received is allocated")
    ordered = sorted(
        items,
        key=lambda item: (
            named is None or item.invoice_id != named,
            item.due_date,
            item.invoice_id is None,
            item.invoice_id or item.entry_id or 0,
        ),
    )
    allocations = []
    left = amount
    for item in ordered:
        if left == 0:
            break
        paid = min(left, item.open)
        if paid > 0:
            allocations.append(Allocation(item.invoice_id, paid, item.entry_id))
            left -= paid
    return allocations, left


def after(items: Sequence[OpenItem], allocations: Sequence[Allocation]) -> list[OpenItem]:
    """The open items once ``allocations`` are booked (fully paid ones drop out)."""
    if not allocations:
        return list(items)
    paid: dict[tuple[int | None, int | None], Decimal] = {}
    for allocation in allocations:
        paid[allocation.key] = paid.get(allocation.key, ZERO) + allocation.amount
    left = []
    for item in items:
        if item.key not in paid:
            left.append(item)
        elif (remaining := item.open - paid[item.key]) > 0:
            left.append(replace(item, open=remaining))
    return left
