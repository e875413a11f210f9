"""Which account and invoice a received payment belongs to: a pure decision.

In order: the variable symbol is an invoice's number (its digits, as printed on the
bill: FA2026000004 → 2026000004) → that invoice and its account; the variable symbol is
a billing account's → that account; the variable symbol is a prepaid line's phone number
without the country code (601234567, as Czech operators ask for top-ups) → a top-up of
that line's prepaid credit; the payer's bank account is known for one billing
account (its direct-debit IBAN, or an earlier payment matched to it) and exactly one of
that account's open invoices has the paid amount → that invoice. Otherwise the payment
waits for a person (``linka payments unmatched``). A payment in another currency than the
account's never matches automatically.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from linka.payments.model import IncomingPayment, MatchRule, OpenItem

_NOT_DIGITS = re.compile(r"\D")


def symbol_digits(value: str | None) -> str | None:
    """A variable symbol as banks compare it: digits only, no leading zeros."""
    if value is None:
        return None
    digits = value if value.isdigit() else _NOT_DIGITS.sub("", value)
    return digits.lstrip("0") or None


def payer_key(account: str | None) -> str | None:
    """A bank account as a lookup key: upper case, no spaces (IBAN or prefix-number/bank)."""
    if not account:
        return None
    return "".join(account.split()).upper()


@dataclass(frozen=True)
class Directory:
    """What matching looks things up in, loaded once per import."""

    invoices: Mapping[str, tuple[int, int]]  # invoice number digits → (invoice id, account id)
    accounts: Mapping[str, int]  # account variable symbol digits → account id
    payers: Mapping[str, int]  # payer key → the one account it pays for
    currencies: Mapping[int, str]  # account id → currency
    lines: Mapping[str, tuple[int, str]] = field(default_factory=dict)
    """Prepaid lines: national number digits → (account id, MSISDN)."""


@dataclass(frozen=True)
class Match:
    account_id: int | None
    invoice_id: int | None  # the invoice the payment names, paid first
    rule: MatchRule
    reason: str = ""  # why it did not match
    msisdn: str | None = None  # the prepaid line a top-up is for


def match_payment(
    payment: IncomingPayment, directory: Directory, open_items: Mapping[int, Sequence[OpenItem]]
) -> Match:
    symbol = symbol_digits(payment.variable_symbol)
    found: Match | None = None
    if symbol is not None and symbol in directory.invoices:
        invoice_id, account_id = directory.invoices[symbol]
        found = Match(account_id, invoice_id, MatchRule.INVOICE_SYMBOL)
    elif symbol is not None and symbol in directory.accounts:
        found = Match(directory.accounts[symbol], None, MatchRule.ACCOUNT_SYMBOL)
    elif symbol is not None and symbol in directory.lines:
        account_id, msisdn = directory.lines[symbol]
        found = Match(account_id, None, MatchRule.LINE_SYMBOL, msisdn=msisdn)
    else:
        payer = payer_key(payment.counterparty_account)
        payer_account = directory.payers.get(payer) if payer else None
        if payer_account is not None:
            same = [i for i in open_items.get(payer_account, ()) if i.open == payment.amount]
            if len(same) == 1:
                found = Match(payer_account, same[0].invoice_id, MatchRule.AMOUNT_AND_PAYER)
    if found is None:
        reason = "unknown variable symbol" if symbol else "no variable symbol"
        return Match(None, None, MatchRule.NONE, f"{reason}; payer and amount name no invoice")
    currency = directory.currencies.get(found.account_id or 0)
    if currency != payment.currency:
        return Match(
            None, None, MatchRule.NONE,
            f"paid in {payment.currency}, account is billed in {currency}",
        )  # fmt: skip
    return found


def national_symbol(msisdn: str) -> str | None:
    """The variable symbol a payer writes for a line: its number without the country code
    (+420 601 234 567 → 601234567); None for numbers that do not fit a symbol."""
    if not msisdn.startswith("+420"):
        return None
    return symbol_digits(msisdn.removeprefix("+420"))
