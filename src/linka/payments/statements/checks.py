"""The rules every parsed statement passes, whatever its format.

A file that breaks one is refused whole, so nothing of a damaged or doctored statement
reaches the ledger: the currency is an ISO 4217 code; no amount has more decimals than
the currency has (1.005 CZK is refused, 1.50 and 1.500 are the same 1.50);
opening balance + entries = closing balance; and no entry reference repeats in a file
(the import books each reference once, so a repeat would silently lose a payment).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from linka.kernel.money import check_currency, minor_units
from linka.payments.statements.errors import StatementError
from linka.payments.statements.model import Statement

STEPS = {places: Decimal(1).scaleb(-places) for places in range(5)}


class Amounts:
    """Reads amounts of one file: checked against the currency's minor unit, cached per currency."""

    def __init__(self, file: str) -> None:
        self.file = file
        self._steps: dict[str, Decimal] = {}

    def currency(self, code: str | None, record: str, field: str) -> str:
        if code is None or not code.strip():
            raise StatementError(self.file, record, field, "missing; expected an ISO 4217 code")
        if code not in self._steps:
            try:
                self._steps[check_currency(code)] = STEPS[min(minor_units(code), 4)]
            except ValueError:
                raise StatementError(
                    self.file, record, field,
                    f"unknown currency {code!r}; expected an ISO 4217 code such as CZK or EUR",
                ) from None  # fmt: skip
        return code

    def amount(self, value: Decimal, currency: str, record: str, field: str) -> Decimal:
        """``value`` in the currency's precision; refused when it has finer digits."""
        step = self._steps[currency]
        try:
            exact = value.quantize(step)
        except InvalidOperation:
            exact = None
        if exact is None or exact != value:
            places = -step.as_tuple().exponent  # type: ignore[operator]
            raise StatementError(
                self.file, record, field,
                f"{value} has more decimals than {currency} allows ({places})",
            )  # fmt: skip
        return exact

    def parse(self, text: str | None, currency: str, record: str, field: str) -> Decimal:
        """A decimal written with a point (camt) or a comma (MT940), checked like ``amount``."""
        if text is None:
            raise StatementError(self.file, record, field, "missing; expected an amount")
        try:
            value = Decimal(text.replace(",", ".", 1))
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or value.is_signed():
            raise StatementError(
                self.file, record, field, f"{text!r} is not an amount; expected digits like 1500.00"
            )
        return self.amount(value, currency, record, field)


def check_balance(statement: Statement, file: str, record: str) -> None:
    """Opening balance + entries must equal the closing balance."""
    if statement.opening_balance is None or statement.closing_balance is None:
        return
    moved = sum((entry.amount for entry in statement.entries), Decimal(0))
    expected = statement.opening_balance + moved
    if expected != statement.closing_balance:
        raise StatementError(
            file, record, "closing balance",
            f"opening {statement.opening_balance} + entries {moved} = {expected}, "
            f"but the file says {statement.closing_balance}",
        )  # fmt: skip


def check_references(statements: Sequence[Statement], file: str) -> None:
    """No entry reference twice in one file: the import would keep only one of them."""
    seen: set[str] = set()
    for statement in statements:
        for position, entry in enumerate(statement.entries, 1):
            if entry.reference in seen:
                raise StatementError(
                    file, f"statement {statement.statement_id} entry {position}", "reference",
                    f"{entry.reference!r} repeats an earlier entry; expected each entry once",
                )  # fmt: skip
            seen.add(entry.reference)
