"""Debits that came back: returns on bank statements and rejections in pain.002 reports.

A **return** (camt.053/054 entry with ``is_return``) means the bank had credited the
collection and took the money back. The debit is found by the entry's end-to-end id; the
payment that booked the collected money is the matched payment of the debit's account
with the debit's amount that paid (is allocated to) the debit's invoice, preferring one
whose message carries the end-to-end id, then one whose variable symbol is its digits,
then the earliest. ``reverse_payment`` reverses it: the invoice is open again, the
ledger owes the amount again, and dunning picks the invoice up when it is overdue. The
debit is marked ``returned`` with the bank's reason, so the same return entry, read again
from another file, books nothing.

An entry that names no debit of ours (a bounced bank transfer) reverses the payment it
names only when exactly one payment has its variable symbol and amount (and its payer
account, when the entry gives one); anything less certain is reported for a person.

A **rejection** (pain.002 status ``RJCT``) comes before any money moved: the debit is
marked ``rejected`` and the ledger is not touched (the invoice never stopped being open).
A rejected first collection (FRST) leaves the mandate unused, so the next one is FRST.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from linka.billing.tables import InvoiceRow
from linka.kernel.clock import Clock
from linka.payments.matching import payer_key, symbol_digits
from linka.payments.model import PaymentStatus
from linka.payments.movements import reverse_payment
from linka.payments.sepa.debits import FIRST, REJECTED, RETURNED, SUBMITTED
from linka.payments.sepa.errors import SepaError
from linka.payments.sepa.tables import DirectDebitRow, MandateRow
from linka.payments.statements import StatementEntry
from linka.payments.tables import AllocationRow, PaymentRow

Element = Any  # lxml ships no type information


@dataclass
class ReturnReport:
    """What a batch of returns or rejections did."""

    returned: int = 0  # debits or payments booked as returned (or rejected) now
    already: int = 0  # booked before from the same or another file: nothing new
    unknown: list[tuple[str, str]] = field(default_factory=list)  # (entry, why not booked)


@dataclass(frozen=True)
class Rejection:
    """A transaction (or a whole message) refused in a pain.002 status report."""

    message_id: str  # the pain.008 message id (our batch id)
    end_to_end_id: str | None  # None: the whole message was rejected
    reason: str


def book_returns(session: Session, entries: Sequence[StatementEntry], clock: Clock) -> ReturnReport:
    """Book the statement entries that take money back (``is_return``); others are ignored."""
    report = ReturnReport()
    for entry in entries:
        if entry.is_return:
            _book_return(session, entry, report, clock)
    return report


def _book_return(
    session: Session, entry: StatementEntry, report: ReturnReport, clock: Clock
) -> None:
    amount = abs(entry.amount)
    reason = entry.return_reason or ("reversal" if entry.reversal else "return")
    debit = _debit_of(session, entry, amount)
    if debit is None:
        _book_payment_return(session, entry, amount, reason, report, clock)
        return
    if debit.status in (RETURNED, REJECTED):
        report.already += 1
        return
    if debit.amount != amount or debit.currency != entry.currency:
        report.unknown.append(
            (
                entry.reference,
                f"returns {amount} {entry.currency} of direct debit {debit.end_to_end_id} "
                f"of {debit.amount} {debit.currency}",
            )
        )
        return
    payment_id = _collected_payment(session, debit)
    if payment_id is None:
        report.unknown.append(
            (
                entry.reference,
                f"the collection of direct debit {debit.end_to_end_id} is not booked as a payment:"
                " import the statement that credited it, then this return again",
            )
        )
        return
    reverse_payment(
        session,
        payment_id,
        on=entry.booking_date,
        reason=f"direct debit {debit.end_to_end_id} returned ({reason})",
        clock=clock,
    )
    debit.status = RETURNED
    debit.return_reason = reason[:35]
    debit.returned_on = entry.booking_date
    debit.payment_id = payment_id
    session.flush()
    report.returned += 1


def _debit_of(session: Session, entry: StatementEntry, amount: Decimal) -> DirectDebitRow | None:
    """The debit the entry returns: by end-to-end id, else by the invoice its symbol names
    when exactly one debit of that invoice has the amount."""
    if entry.end_to_end_id:
        found = session.scalars(
            select(DirectDebitRow)
            .where(DirectDebitRow.end_to_end_id == entry.end_to_end_id.strip())
            .with_for_update()
        ).first()
        if found is not None:
            return found
    symbol = symbol_digits(entry.variable_symbol or entry.end_to_end_id)
    if symbol is None:
        return None
    candidates = [
        debit
        for debit, number in session.execute(
            select(DirectDebitRow, InvoiceRow.number_text)
            .join(InvoiceRow, InvoiceRow.id == DirectDebitRow.invoice_id)
            .where(DirectDebitRow.amount == amount, DirectDebitRow.currency == entry.currency)
        )
        if symbol_digits(number) == symbol
    ]
    live = [debit for debit in candidates if debit.status == SUBMITTED]
    if len(live) == 1:
        return live[0]
    return candidates[0] if len(candidates) == 1 else None


def _collected_payment(session: Session, debit: DirectDebitRow) -> int | None:
    """The matched payment that brought the debit's money in (see the module docstring)."""
    rows = session.execute(
        select(PaymentRow.id, PaymentRow.message, PaymentRow.variable_symbol)
        .join(AllocationRow, AllocationRow.payment_id == PaymentRow.id)
        .where(
            PaymentRow.account_id == debit.account_id,
            PaymentRow.status == PaymentStatus.MATCHED.value,
            PaymentRow.amount == debit.amount,
            PaymentRow.currency == debit.currency,
            AllocationRow.invoice_id == debit.invoice_id,
        )
        .group_by(PaymentRow.id, PaymentRow.message, PaymentRow.variable_symbol)
        .having(func.sum(AllocationRow.amount) > 0)
        .order_by(PaymentRow.id)
    ).all()
    symbol = symbol_digits(debit.end_to_end_id)
    for narrowed in (
        [row for row in rows if debit.end_to_end_id in (row.message or "")],
        [row for row in rows if symbol_digits(row.variable_symbol) == symbol],
        rows,
    ):
        if narrowed:
            return int(narrowed[0].id)
    return None


def _book_payment_return(
    session: Session,
    entry: StatementEntry,
    amount: Decimal,
    reason: str,
    report: ReturnReport,
    clock: Clock,
) -> None:
    symbol = symbol_digits(entry.variable_symbol)
    if symbol is None:
        report.unknown.append(
            (entry.reference, "names no direct debit (end-to-end id) and no variable symbol")
        )
        return
    payer = payer_key(entry.counterparty_iban or entry.counterparty_account)
    candidates = [
        (payment_id, status)
        for payment_id, status, account in session.execute(
            select(PaymentRow.id, PaymentRow.status, PaymentRow.counterparty_account).where(
                PaymentRow.variable_symbol == symbol,
                PaymentRow.amount == amount,
                PaymentRow.currency == entry.currency,
                PaymentRow.status.in_([PaymentStatus.MATCHED.value, PaymentStatus.RETURNED.value]),
            )
        )
        if payer is None or payer_key(account) in (payer, None)
    ]
    if len(candidates) != 1:
        why = "no" if not candidates else f"{len(candidates)}"
        report.unknown.append(
            (
                entry.reference,
                f"{why} payments of {amount} {entry.currency} with variable symbol {symbol}: "
                "return it by hand",
            )
        )
        return
    payment_id, status = candidates[0]
    if status == PaymentStatus.RETURNED.value:
        report.already += 1
        return
    reverse_payment(session, payment_id, on=entry.booking_date, reason=reason, clock=clock)
    report.returned += 1


def read_status_report(path: Path) -> list[Rejection]:
    """The rejected transactions of a pain.002 customer payment status report (any
    version): each ``TxInfAndSts`` with status ``RJCT``, or the whole original message
    when its group status is ``RJCT`` and no transaction is listed."""
    try:
        root = etree.parse(
            str(path),
            etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False),
        ).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise SepaError(f"{path.name}: not a readable XML file: {exc}") from None
    report = root.find("{*}CstmrPmtStsRpt")
    if report is None:
        raise SepaError(f"{path.name}: not a pain.002 status report (no CstmrPmtStsRpt)")
    original = report.find("{*}OrgnlGrpInfAndSts")
    message_id = _text(original, "{*}OrgnlMsgId") if original is not None else None
    if original is None or message_id is None:
        raise SepaError(f"{path.name}: the report names no original message (OrgnlMsgId)")
    rejections: list[Rejection] = []
    for block in report.iterfind("{*}OrgnlPmtInfAndSts"):
        for transaction in block.iterfind("{*}TxInfAndSts"):
            if _text(transaction, "{*}TxSts") == "RJCT":
                end_to_end = _text(transaction, "{*}OrgnlEndToEndId")
                if end_to_end is None:
                    raise SepaError(f"{path.name}: a rejected transaction has no OrgnlEndToEndId")
                rejections.append(Rejection(message_id, end_to_end, _reason(transaction)))
    if not rejections and _text(original, "{*}GrpSts") == "RJCT":
        rejections.append(Rejection(message_id, None, _reason(original)))
    return rejections


def _text(element: Element, path: str) -> str | None:
    found = element.find(path)
    text = None if found is None or found.text is None else str(found.text).strip()
    return text or None


def _reason(element: Element) -> str:
    return (
        _text(element, "{*}StsRsnInf/{*}Rsn/{*}Cd")
        or _text(element, "{*}StsRsnInf/{*}Rsn/{*}Prtry")
        or "RJCT"
    )


def book_rejections(session: Session, rejections: Sequence[Rejection], on: date) -> ReturnReport:
    """Mark the rejected debits ``rejected``; nothing is booked in the ledger."""
    report = ReturnReport()
    for rejection in rejections:
        query = select(DirectDebitRow).where(DirectDebitRow.batch_id == rejection.message_id)
        if rejection.end_to_end_id is not None:
            query = query.where(DirectDebitRow.end_to_end_id == rejection.end_to_end_id)
        debits = list(session.scalars(query.order_by(DirectDebitRow.id).with_for_update()))
        name = rejection.end_to_end_id or f"message {rejection.message_id}"
        if not debits:
            report.unknown.append((name, f"no direct debit {name} in batch {rejection.message_id}"))
            continue
        for debit in debits:
            if debit.status != SUBMITTED:
                report.already += 1
                continue
            debit.status = REJECTED
            debit.return_reason = rejection.reason[:35]
            debit.returned_on = on
            report.returned += 1
            if debit.sequence == FIRST:
                _unuse_mandate(session, debit.mandate_id)
    session.flush()
    return report


def _unuse_mandate(session: Session, mandate_id: int) -> None:
    """After a rejected FRST: the next collection is FRST again unless another debit used it."""
    session.flush()
    used = session.scalar(
        select(func.count())
        .select_from(DirectDebitRow)
        .where(DirectDebitRow.mandate_id == mandate_id, DirectDebitRow.status != REJECTED)
    )
    if not used:
        session.get_one(MandateRow, mandate_id).first_collected_on = None
