"""Public numbers: customer and account numbers, and the variable symbol derived from them.

Numbers are 8 digits, handed out in input order from the highest number stored, so the
same input on the same database always gets the same numbers (the demo relies on it).
Customer numbers start with 1, account numbers with 2, so the two never look alike. The
default variable symbol of an account is its number: what the customer sees on the bill
is what the bank statement carries back.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from linka.customers.errors import NumberingExhaustedError
from linka.customers.tables import BillingAccountRow, CustomerRow


@dataclass(frozen=True, slots=True)
class NumberRange:
    what: str
    first: int
    last: int

    def allocate(self, session: Session, column: InstrumentedAttribute[str], count: int) -> range:
        """The next ``count`` numbers after the highest stored one in this range."""
        highest = session.scalar(
            select(func.max(column)).where(column.between(str(self.first), str(self.last)))
        )
        start = int(highest) + 1 if highest is not None else self.first
        if start + count - 1 > self.last:
            raise NumberingExhaustedError(
                f"{self.what} numbers {self.first}–{self.last} are used up"
            )
        return range(start, start + count)


CUSTOMER_NUMBERS = NumberRange("customer", 10_000_001, 19_999_999)
ACCOUNT_NUMBERS = NumberRange("account", 20_000_001, 29_999_999)


def allocate_customer_numbers(session: Session, count: int) -> list[str]:
    return [str(n) for n in CUSTOMER_NUMBERS.allocate(session, CustomerRow.number, count)]


def allocate_account_numbers(session: Session, count: int) -> list[str]:
    return [str(n) for n in ACCOUNT_NUMBERS.allocate(session, BillingAccountRow.number, count)]


def variable_symbol_for(account_number: str) -> str:
    """The default variable symbol of an account: its number (digits, no leading zeros)."""
    return str(int(account_number))
