"""Payments values: what the bank says arrived, what is open, how money was allocated.

Signs in the customer ledger: an amount the customer owes is positive (an invoice, a
refund paid out, a returned payment), an amount in the customer's favour is negative (a
payment received, a credit note). The balance of an account is the sum of its entries:
positive means the customer owes, negative means the operator holds the customer's credit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class EntryKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    PAYMENT = "payment"
    PAYMENT_RETURN = "payment_return"  # a returned direct debit or a bounced payment
    REFUND = "refund"  # credit paid back to the customer
    FEE = "fee"  # a charge outside invoices, e.g. a dunning reminder fee


DEBIT_ITEMS = (EntryKind.FEE, EntryKind.REFUND)
"""Ledger entries that are open items themselves (paid by allocations like invoices)."""


class PaymentStatus(StrEnum):
    MATCHED = "matched"  # belongs to an account (allocated, or kept as its credit)
    UNMATCHED = "unmatched"  # waiting in the queue for a person
    RETURNED = "returned"  # the bank took it back
    TOP_UP = "top_up"  # prepaid credit of a line, not the account's ledger


class MatchRule(StrEnum):
    INVOICE_SYMBOL = "vs-invoice"  # the variable symbol is an invoice's number
    ACCOUNT_SYMBOL = "vs-account"  # the variable symbol is a billing account's
    LINE_SYMBOL = "vs-line"  # the variable symbol is a prepaid line's phone number: top-up
    AMOUNT_AND_PAYER = "amount-payer"  # the payer's bank account and an open amount
    MANUAL = "manual"
    NONE = "none"


@dataclass(frozen=True)
class IncomingPayment:
    """One credit line of a bank statement, as the ledger needs it."""

    reference: str  # unique per bank entry: importing it again is recognised
    booked_on: date
    amount: Decimal  # positive: money received
    currency: str
    variable_symbol: str | None
    counterparty_account: str | None  # IBAN or Czech form prefix-number/bank
    counterparty_name: str | None
    message: str | None
    statement: str  # which statement it came from (file and statement id)


@dataclass(frozen=True)
class OpenItem:
    """Something left to pay: an issued invoice, or a fee or refund in the ledger."""

    invoice_id: int | None
    account_id: int
    number: str  # the invoice number, or the ledger entry's source
    due_date: date
    open: Decimal  # > 0
    entry_id: int | None = None  # set for a fee or refund

    @property
    def key(self) -> tuple[int | None, int | None]:
        return (self.invoice_id, self.entry_id)


@dataclass(frozen=True)
class Allocation:
    invoice_id: int | None
    amount: Decimal  # > 0: this much of the money pays this item
    entry_id: int | None = None

    @property
    def key(self) -> tuple[int | None, int | None]:
        return (self.invoice_id, self.entry_id)
