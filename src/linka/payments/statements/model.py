"""Bank statements as plain values: what the bank says happened on one account.

A file holds one or more :class:`Statement`; each lists its :class:`StatementEntry`
values in the bank's order. Amounts are ``Decimal`` in the statement's currency, signed
from the account holder's side: money received (credit) is positive, money leaving
(debit) is negative, so ``opening_balance + sum(entry amounts) == closing_balance``
holds for every statement a parser returns.

Accounts are written one way whatever the format said: an IBAN in upper case without
spaces, or the Czech domestic form ``prefix-number/bank`` with leading zeros dropped
(``19-2000145399/0800``, ``2900123456/2010``; no ``/bank`` when the file does not say,
as in a GPC header). Symbols (variable, specific, constant) are digits without leading
zeros, ``None`` when absent or zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from linka.payments.statements.accounts import czech_from_iban, iban_from_czech


class StatementFormat(StrEnum):
    CAMT053 = "camt053"  # ISO 20022 BankToCustomerStatement
    CAMT054 = "camt054"  # ISO 20022 BankToCustomerDebitCreditNotification (no balances)
    MT940 = "mt940"  # SWIFT customer statement
    GPC = "gpc"  # Czech ABO/GPC fixed-width text ("formát KM")


# ISO 20022 bank transaction sub-family codes of money coming back: return or unpaid
# direct debit, return of a payment, reversal of a payment or by a cancellation request.
RETURN_SUBFAMILIES = frozenset({"UPDD", "RRTN", "PRDD", "RPCR"})


@dataclass(frozen=True, slots=True)
class StatementEntry:
    """One booking on the account.

    ``reference`` is unique across accounts and stable when the same file is read
    again: the statement's account (IBAN or Czech form), ``/``, and the bank's own id of
    the entry (camt ``AcctSvcrRef``, the MT940 bank reference after ``//``, the GPC
    document number); when the bank gives none, the statement id and the entry's
    position stand in for it. Importing by this key books each entry once.
    """

    reference: str
    booking_date: date
    value_date: date | None
    amount: Decimal  # credit positive, debit negative
    currency: str
    variable_symbol: str | None = None
    specific_symbol: str | None = None
    constant_symbol: str | None = None
    counterparty_account: str | None = None  # IBAN or prefix-number/bank
    counterparty_name: str | None = None
    message: str | None = None  # remittance text for the account holder
    end_to_end_id: str | None = None
    bank_code: str | None = None  # camt Domn/Fmly/SubFmly (PMNT/IDDT/UPDD) or Prtry; MT940 type
    reversal: bool = False  # the bank marks it as taking back an earlier entry (storno)
    return_reason: str | None = None  # camt RtrInf/Rsn/Cd, e.g. AM04 (insufficient funds)

    @property
    def is_return(self) -> bool:
        """Money taken back: a reversal, a returned or unpaid direct debit, a returned payment."""
        if self.reversal or self.return_reason is not None:
            return True
        code = self.bank_code or ""
        return code.count("/") == 2 and code.rsplit("/", 1)[1] in RETURN_SUBFAMILIES

    @property
    def counterparty_iban(self) -> str | None:
        """The counterparty's IBAN, computed from a Czech account with a bank code if need be."""
        account = self.counterparty_account
        if account is None or account[:2].isalpha():
            return account
        return iban_from_czech(account)


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement (or camt.054 notification) of one account.

    ``number`` is the bank's sequence (camt ``ElctrncSeqNb`` or ``LglSeqNb``, MT940
    ``:28C:``, the GPC statement number). ``from_date``/``to_date`` are the period when the
    file states one (camt ``FrToDt``); otherwise the dates of the opening and closing
    balance stand in (MT940 ``:60F:``/``:62F:``, GPC old-balance and statement date).
    Balances are ``None`` only in a camt.054 notification, which carries none.
    """

    statement_id: str
    number: str | None
    iban: str | None
    account: str | None  # Czech form; derived from a Czech IBAN when the file gives only that
    currency: str
    opening_balance: Decimal | None
    closing_balance: Decimal | None
    from_date: date | None
    to_date: date | None
    entries: tuple[StatementEntry, ...]
    source_format: StatementFormat

    @property
    def account_key(self) -> str:
        """How entry references name this account: the IBAN, else the Czech form."""
        return self.iban or self.account or self.statement_id


def account_pair(iban: str | None, account: str | None) -> tuple[str | None, str | None]:
    """A statement's IBAN and Czech account, each filled from the other where possible."""
    if iban is not None and account is None:
        account = czech_from_iban(iban)
    elif iban is None and account is not None:
        iban = iban_from_czech(account)
    return iban, account
