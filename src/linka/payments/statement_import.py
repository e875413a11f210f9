"""Importing a bank statement file: every statement once, every payment once, all or nothing.

The file is parsed whole first (:mod:`linka.payments.statements`): a corrupt or
inconsistent file is refused before anything is booked. Then, in one transaction, each
statement not read before (its key is the bank account and the statement id) is
registered with the file's checksum, its credit entries are booked as payments
(:func:`linka.payments.imports.import_payments`: idempotent per bank entry reference, so
a statement that overlaps an earlier one books only the new entries), entries the bank
took back (returned direct debits, reversals) reverse the payments they return, the
customers get their receipts through the outbox, and an account whose debt the money
cleared has the lines dunning stopped restored, effective the day the bank booked it.
Other debits — the operator's own outgoing payments — are counted and left to the
accounting system.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from linka.kernel.clock import Clock
from linka.kernel.memory import cycle_collector_paused
from linka.payments.dunning.restore import RestoredLine, restore_cleared
from linka.payments.imports import IMPORT, Booked, PaymentImport, import_payments
from linka.payments.matching import symbol_digits
from linka.payments.model import IncomingPayment
from linka.payments.notices import enqueue_receipts
from linka.payments.prepaid.lines import PrepaidTerms
from linka.payments.sepa.returns import book_returns
from linka.payments.statements import Statement, StatementEntry, StatementFormat, read_statement
from linka.payments.tables import BankStatementRow
from linka.settings import Settings


@dataclass
class StatementImport:
    file: str
    statements: int = 0
    already: int = 0  # statements read before
    payments: PaymentImport = field(default_factory=PaymentImport)
    returns: int = 0  # entries the bank took back
    returns_booked: int = 0
    others: int = 0  # debits that are not the ledger's business
    restored: list[RestoredLine] = field(default_factory=list)  # lines dunning had stopped
    seconds: float = 0.0


def statement_key(statement: Statement) -> str:
    return f"{statement.account_key}/{statement.statement_id}"[:200]


def incoming(entry: StatementEntry, source: str) -> IncomingPayment:
    """A credit entry as a payment; without a variable symbol, the end-to-end id's digits
    stand in (a SEPA collection names the invoice there)."""
    symbol = entry.variable_symbol
    if symbol is None and entry.end_to_end_id:
        symbol = symbol_digits(entry.end_to_end_id)
    return IncomingPayment(
        reference=entry.reference,
        booked_on=entry.booking_date,
        amount=entry.amount,
        currency=entry.currency,
        variable_symbol=symbol,
        counterparty_account=entry.counterparty_account,
        counterparty_name=entry.counterparty_name,
        message=entry.message,
        statement=source[:300],
    )


def import_statement_file(
    session: Session,
    path: Path,
    format: StatementFormat | str,
    *,
    clock: Clock,
    settings: Settings,
) -> StatementImport:
    """Book the statements of one file in the caller's transaction (see the module)."""
    with cycle_collector_paused():
        return _import(session, path, format, clock, settings)


def _import(
    session: Session, path: Path, format: StatementFormat | str, clock: Clock, settings: Settings
) -> StatementImport:
    started = time.perf_counter()
    statements = read_statement(path, format)
    checksum = hashlib.sha256(path.read_bytes()).hexdigest()
    result = StatementImport(path.name, statements=len(statements))
    known = set(
        session.scalars(
            select(BankStatementRow.key).where(
                BankStatementRow.key.in_([statement_key(s) for s in statements])
            )
        )
    )
    now = clock.now()
    terms = PrepaidTerms(settings.prepaid_credit_validity_days, settings.prepaid_low_balance)
    for statement in statements:
        key = statement_key(statement)
        if key in known:
            result.already += 1
            continue
        known.add(key)
        source = f"{path.name}:{statement.statement_id}"
        credits = [e for e in statement.entries if e.amount > 0 and not e.is_return]
        returns = [e for e in statement.entries if e.is_return]
        others = len(statement.entries) - len(credits) - len(returns)
        result.others += others
        paid = [incoming(entry, source) for entry in credits]
        result.payments.add(import_payments(session, paid, clock, terms))
        result.returns += len(returns)
        if returns:
            result.returns_booked += book_returns(session, returns, clock).returned
        session.add(
            BankStatementRow(
                key=key, file_name=path.name[:300], checksum=checksum,
                format=StatementFormat(format).value, account=statement.account_key,
                currency=statement.currency, from_date=statement.from_date,
                to_date=statement.to_date, opening_balance=statement.opening_balance,
                closing_balance=statement.closing_balance, entries=len(statement.entries),
                credits=len(credits), returns=len(returns), others=others, imported_at=now,
            )
        )  # fmt: skip
    session.flush()
    enqueue_receipts(session, result.payments.booked, clock, settings)
    result.restored = restore_paid(session, result.payments.booked, clock, settings)
    result.seconds = time.perf_counter() - started
    return result


def restore_paid(
    session: Session, booked: Sequence[Booked], clock: Clock, settings: Settings
) -> list[RestoredLine]:
    """Lines that dunning stopped come back, effective the day the clearing money was
    booked by the bank, for the accounts whose debt the payments cleared."""
    last_paid: dict[int, date] = {}
    for item in booked:
        day = item.payment.booked_on
        last_paid[item.account_id] = max(day, last_paid.get(item.account_id, day))
    by_day: dict[date, list[int]] = defaultdict(list)
    for account_id, day in last_paid.items():
        by_day[day].append(account_id)
    restored: list[RestoredLine] = []
    for day, account_ids in sorted(by_day.items()):
        restored += restore_cleared(session, account_ids, day, clock, IMPORT, settings=settings)
    return restored
