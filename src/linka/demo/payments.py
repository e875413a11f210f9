"""The demo operator's first month of money: bank statements paying the April invoices.

Customers pay as real ones do (deterministic for the seed): most pay in full by bank
transfer with the invoice number as variable symbol before the due date; some pay part,
some pay late, some over; some get the variable symbol wrong (a known payer account still
matches by amount; the rest wait in the queue); direct-debit invoices are collected (the
bank's credit names the invoice in its end-to-end id); a few pay nothing and meet dunning.
The statements come as the banks send them — camt.053 from the main account and GPC
from a second, Czech account — are imported twice (the second time books nothing), then
dunning runs on 18 and 29 April and 6 May (reminder, fee, suspension), a late statement
arrives on 12 May (its payments restore suspended lines the same day), and the ledger is
summed up.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from linka.billing.model import InvoiceKind, InvoiceStatus
from linka.billing.tables import InvoiceRow
from linka.customers.model import Actor, PaymentMethod
from linka.customers.tables import BillingAccountRow, CustomerRow
from linka.kernel.clock import FakeClock
from linka.payments.dunning.ladder import load_ladder
from linka.payments.dunning.run import DunningReport, run_dunning
from linka.payments.ledger import balances, credits, open_items
from linka.payments.sepa.debits import CollectionFile, export_collections
from linka.payments.sepa.pain import Creditor
from linka.payments.sepa.tables import MandateRow
from linka.payments.statement_import import StatementImport, import_statement_file
from linka.payments.statements import (
    Statement,
    StatementEntry,
    StatementFormat,
    write_camt053,
    write_gpc,
)
from linka.payments.statements.accounts import czech_from_iban
from linka.payments.tables import LedgerEntryRow
from linka.settings import Settings
from linka.store.database import Database

STATEMENT_DAY = date(2026, 4, 16)
DUNNING_DAYS = (date(2026, 4, 18), date(2026, 4, 29), date(2026, 5, 6))  # +3, +14, +21
LATE_DAY = date(2026, 5, 12)
SECOND_ACCOUNT = "2001234567/0300"  # the operator's ČSOB account, GPC statements
SECOND_IBAN = "CZ2003000000002001234567"
FOLDER = "statements"
SEPA_FOLDER = "sepa"
COLLECTION_DAY = date(2026, 4, 15)  # the invoices' due date
ZERO = Decimal(0)


@dataclass
class LedgerSummary:
    invoiced: Decimal
    received: Decimal
    open: Decimal
    credit: Decimal
    balance: Decimal  # sum of every ledger entry
    entries: int

    @property
    def balanced(self) -> bool:
        """The ledger's sum is exactly what is open minus the credit held."""
        return self.balance == self.open - self.credit


@dataclass
class PaymentsSummary:
    files: list[Path]
    first: list[StatementImport] = field(default_factory=list)
    again: list[StatementImport] = field(default_factory=list)
    late: list[StatementImport] = field(default_factory=list)
    behaviour: dict[str, int] = field(default_factory=dict)
    mandates: int = 0
    collections: list[CollectionFile] = field(default_factory=list)  # pain.008 files
    dunning: list[DunningReport] = field(default_factory=list)
    ledger: LedgerSummary | None = None

    @property
    def restored(self) -> int:
        """Lines the late statement's payments brought back from dunning."""
        return sum(len(result.restored) for result in self.late)


@dataclass(frozen=True)
class _Bill:
    number: str
    amount: Decimal
    due: date
    method: str
    payer_iban: str | None
    payer_name: str
    fees: Decimal  # the dunning fees a reminder asks for by the time a late payer pays


def _bills(session: Session, settings: Settings) -> list[_Bill]:
    ladder = load_ladder(settings.dunning_ladder)
    fees = {
        segment: sum(
            (step.fee.get("CZK", ZERO) for step in rungs.steps if step.fee and step.day <= 21),
            ZERO,
        )
        for segment, rungs in ladder.by_segment().items()
    }
    rows = session.execute(
        select(
            InvoiceRow.number_text, InvoiceRow.amount_due, InvoiceRow.due_date,
            BillingAccountRow.payment_method, BillingAccountRow.iban, CustomerRow.name,
            CustomerRow.segment,
        )
        .join(BillingAccountRow, BillingAccountRow.id == InvoiceRow.account_id)
        .join(CustomerRow, CustomerRow.id == BillingAccountRow.customer_id)
        .where(
            InvoiceRow.status == InvoiceStatus.ISSUED.value,
            InvoiceRow.kind == InvoiceKind.INVOICE.value,
            InvoiceRow.amount_due > 0,
        )
        .order_by(InvoiceRow.id)
    ).all()  # fmt: skip
    return [
        _Bill(str(n), Decimal(a), d or STATEMENT_DAY, m, iban, name, fees.get(segment, ZERO))
        for n, a, d, m, iban, name, segment in rows
    ]


@dataclass(frozen=True)
class _Payment:
    sequence: int
    amount: Decimal
    day: date
    bill: _Bill
    symbol: str | None
    end_to_end: str | None = None


def _entry(account: str, payment: _Payment, czech: bool) -> StatementEntry:
    """A credit entry; a GPC statement (``czech``) names payers in the Czech form."""
    bill = payment.bill
    payer = bill.payer_iban
    if czech and payer is not None:
        payer = czech_from_iban(payer)
    return StatementEntry(
        reference=f"{account}/DEMO{payment.day:%Y%m%d}{payment.sequence:06d}",
        booking_date=payment.day,
        value_date=payment.day,
        amount=payment.amount,
        currency="CZK",
        variable_symbol=payment.symbol,
        counterparty_account=payer,
        counterparty_name=bill.payer_name[:35],
        message=f"Platba {bill.number}" if payment.symbol else None,
        end_to_end_id=payment.end_to_end,
    )


def _plan(bills: list[_Bill], seed: int) -> tuple[dict[str, list[_Payment]], dict[str, int]]:
    """How each bill is paid, and through which bank: main, second, or the late statement."""
    rng = random.Random(seed * 7919 + 5)
    plan: dict[str, list[_Payment]] = {"main": [], "second": [], "late": []}
    behaviour: dict[str, int] = {}
    for sequence, bill in enumerate(bills, start=1):
        symbol = bill.number.removeprefix("FA")
        on_time = bill.due - timedelta(days=rng.randint(1, 9))
        roll = rng.random()
        if bill.method == PaymentMethod.DIRECT_DEBIT.value:
            kind = "collected by direct debit"
            payment = _Payment(sequence, bill.amount, bill.due, bill, None, bill.number)
        elif roll < 0.74:
            kind, payment = "paid in full", _Payment(sequence, bill.amount, on_time, bill, symbol)
        elif roll < 0.80:
            part = (bill.amount / 2).quantize(Decimal("0.01"))
            kind, payment = "paid in part", _Payment(sequence, part, on_time, bill, symbol)
        elif roll < 0.84:
            over = bill.amount + Decimal(100)
            kind, payment = "paid 100 CZK over", _Payment(sequence, over, on_time, bill, symbol)
        elif roll < 0.88:
            wrong = str(rng.randint(10_000_000, 99_999_999))
            kind = "wrong variable symbol"
            payment = _Payment(sequence, bill.amount, on_time, bill, wrong)
        elif roll < 0.94:
            with_fees = bill.amount + bill.fees  # as the second reminder asked
            kind, payment = "paid late", _Payment(sequence, with_fees, LATE_DAY, bill, symbol)
        else:
            behaviour["not paid"] = behaviour.get("not paid", 0) + 1
            continue
        behaviour[kind] = behaviour.get(kind, 0) + 1
        second = payment.end_to_end is None and rng.random() < 0.2  # collections: main bank
        bank = "late" if payment.day == LATE_DAY else "second" if second else "main"
        plan[bank].append(payment)
    return plan, behaviour


def _statement(
    statement_id: str, iban: str | None, account: str | None, day: date,
    payments: list[_Payment], source: StatementFormat,
) -> Statement:  # fmt: skip
    entries = tuple(
        _entry(account or iban or "", payment, source is StatementFormat.GPC)
        for payment in sorted(payments, key=lambda p: (p.day, p.sequence))
    )
    opening = Decimal("1250000.00")
    return Statement(
        statement_id=statement_id,
        number=statement_id[-3:],
        iban=iban,
        account=account,
        currency="CZK",
        opening_balance=opening,
        closing_balance=opening + sum((e.amount for e in entries), ZERO),
        from_date=min((e.booking_date for e in entries), default=day),
        to_date=day,
        entries=entries,
        source_format=source,
    )


def write_statements(
    session: Session, folder: Path, seed: int, settings: Settings
) -> tuple[list[Path], Path, dict[str, int]]:
    """The April statements (camt.053 and GPC) and the late one of 12 May (camt.053)."""
    plan, behaviour = _plan(_bills(session, settings), seed)
    folder.mkdir(parents=True, exist_ok=True)
    main = _statement("DEMO-2026-04-001", settings.operator_iban, None, STATEMENT_DAY,
                      plan["main"], StatementFormat.CAMT053)  # fmt: skip
    second = _statement("2026-04-16/001", SECOND_IBAN, SECOND_ACCOUNT, STATEMENT_DAY,
                        plan["second"], StatementFormat.GPC)  # fmt: skip
    late = _statement("DEMO-2026-05-002", settings.operator_iban, None, LATE_DAY,
                      plan["late"], StatementFormat.CAMT053)  # fmt: skip
    files = [folder / "main-2026-04-16.camt053.xml", folder / "second-2026-04-16.gpc"]
    files[0].write_bytes(write_camt053(main))
    files[1].write_bytes(write_gpc(second))
    late_file = folder / "main-2026-05-12.camt053.xml"
    late_file.write_bytes(write_camt053(late))
    return files, late_file, behaviour


def _format(path: Path) -> StatementFormat:
    return StatementFormat.GPC if path.suffix == ".gpc" else StatementFormat.CAMT053


def import_files(
    database: Database, files: list[Path], clock: FakeClock, settings: Settings
) -> list[StatementImport]:
    results = []
    for path in files:
        with database.session() as session:
            results.append(
                import_statement_file(session, path, _format(path), clock=clock, settings=settings)
            )
    return results


def ledger_summary(session: Session) -> LedgerSummary:
    """The whole ledger summed, to show it balances to the haléř."""
    invoiced = session.scalar(
        select(func.coalesce(func.sum(LedgerEntryRow.amount), 0)).where(
            LedgerEntryRow.kind.in_(["invoice", "credit_note", "fee"])
        )
    )
    received = session.scalar(
        select(func.coalesce(func.sum(LedgerEntryRow.amount), 0)).where(
            LedgerEntryRow.kind == "payment"
        )
    )
    entries = session.scalar(select(func.count()).select_from(LedgerEntryRow)) or 0
    totals = balances(session)
    open_total = sum((item.open for items in open_items(session).values() for item in items), ZERO)
    held = sum(
        (c.available for found in credits(session, list(totals)).values() for c in found), ZERO
    )
    return LedgerSummary(
        invoiced=Decimal(invoiced or 0),
        received=-Decimal(received or 0),
        open=open_total,
        credit=held,
        balance=sum(totals.values(), ZERO),
        entries=entries,
    )


def sign_mandates(session: Session, clock: FakeClock) -> int:
    """A SEPA mandate for every direct-debit account, signed the day it was opened."""
    rows = session.execute(
        select(
            BillingAccountRow.id, BillingAccountRow.number, BillingAccountRow.iban,
            BillingAccountRow.created_at, CustomerRow.name,
        )
        .join(CustomerRow, CustomerRow.id == BillingAccountRow.customer_id)
        .where(
            BillingAccountRow.payment_method == PaymentMethod.DIRECT_DEBIT.value,
            BillingAccountRow.iban.is_not(None),
        )
        .order_by(BillingAccountRow.id)
    ).all()  # fmt: skip
    mandates = [
        {
            "account_id": account_id, "reference": f"{number}-1", "debtor_name": name[:140],
            "debtor_iban": iban, "debtor_bic": None, "signed_on": created.date(),
            "status": "active", "revoked_on": None, "first_collected_on": None,
            "created_at": clock.now(),
        }
        for account_id, number, iban, created, name in rows
    ]  # fmt: skip
    if mandates:
        session.execute(insert(MandateRow), mandates)
    return len(mandates)


def run_payments(
    database: Database,
    data_dir: Path,
    *,
    clock: FakeClock,
    seed: int,
    settings: Settings,
    actor: Actor,
) -> PaymentsSummary:
    """Write the statements, import them twice, run dunning, import the late statement."""
    clock.set(datetime.combine(COLLECTION_DAY - timedelta(days=2), time(6), tzinfo=UTC))
    with database.session() as session:
        mandates = sign_mandates(session, clock)
        collections = export_collections(
            session, COLLECTION_DAY, data_dir / SEPA_FOLDER, Creditor.from_settings(settings), clock
        )
    with database.session() as session:
        files, late_file, behaviour = write_statements(session, data_dir / FOLDER, seed, settings)
    summary = PaymentsSummary(
        [*files, late_file], behaviour=behaviour, mandates=mandates, collections=collections
    )
    clock.set(datetime.combine(STATEMENT_DAY, time(6), tzinfo=UTC))
    summary.first = import_files(database, files, clock, settings)
    summary.again = import_files(database, files, clock, settings)
    for day in DUNNING_DAYS:
        clock.set(datetime.combine(day, time(6), tzinfo=UTC))
        with database.session() as session:
            summary.dunning.append(run_dunning(session, day, clock, actor, settings=settings))
    clock.set(datetime.combine(LATE_DAY, time(6), tzinfo=UTC))
    summary.late = import_files(database, [late_file], clock, settings)
    with database.session() as session:
        summary.ledger = ledger_summary(session)
    return summary
