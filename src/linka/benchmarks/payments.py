"""The payments benchmark: import and match a large camt.053 statement.

Set-up (not measured): a scratch database with demo customers (one billing account per
ten statement lines) and one issued invoice per line — ten per account, booked in the
ledger — and a camt.053 file paying them: most by the invoice number as variable symbol,
some by the account's symbol, some with a symbol nobody knows (they go to the queue).
Measured, in a fresh process so its peak memory is its own: ``linka payments import`` of
that file — parse, register, match, allocate, book payments, allocations and ledger
entries, enqueue receipts, commit.
"""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select

from linka.benchmarks.rating import CLOCK_AT, demo_operator, in_child
from linka.benchmarks.scratch import scratch_database, workdir
from linka.billing.runs import INVOICE_SCHEMA
from linka.billing.tables import InvoiceRow
from linka.customers.tables import BillingAccountRow
from linka.kernel.clock import FakeClock
from linka.kernel.memory import peak_rss_mb
from linka.payments.ledger import book_invoices
from linka.payments.statement_import import import_statement_file
from linka.payments.statements import Statement, StatementEntry, StatementFormat, write_camt053
from linka.settings import Settings
from linka.store.bulk import bulk_insert, reserve_ids
from linka.store.database import Database

LINES_PER_ACCOUNT = 10
ISSUED = date(2026, 4, 1)
DUE = date(2026, 4, 15)
PAID_ON = date(2026, 4, 14)
IMPORTED_AT = datetime(2026, 4, 15, 6, 0, tzinfo=UTC)


@dataclass(frozen=True)
class PaymentsFigures:
    lines: int
    matched: int
    unmatched: int
    invoices: int
    accounts: int
    import_s: float
    lines_per_s: int
    peak_rss_mb: float
    file_mb: float
    database: str


def run_payments_benchmark(lines: int, database_url: str | None = None) -> PaymentsFigures:
    with workdir() as work, scratch_database(database_url, work) as database:
        accounts = max(1, lines // LINES_PER_ACCOUNT)
        demo_operator(database, work, customers=accounts)
        invoices = _issue_invoices(database, lines)
        path = work / "statement.camt053.xml"
        path.write_bytes(write_camt053(_statement(database, invoices)))
        url = database.url.render_as_string(hide_password=False)
        measured = in_child(_import_child, url, str(path))
        return PaymentsFigures(
            lines=lines,
            matched=measured["matched"],
            unmatched=measured["unmatched"],
            invoices=len(invoices),
            accounts=measured["accounts"],
            import_s=round(measured["seconds"], 2),
            lines_per_s=round(lines / measured["seconds"]),
            peak_rss_mb=measured["peak_rss_mb"],
            file_mb=round(path.stat().st_size / 2**20, 1),
            database=database.dialect,
        )


def as_dict(figures: PaymentsFigures) -> dict[str, Any]:
    return asdict(figures)


def _issue_invoices(database: Database, count: int) -> list[tuple[str, Decimal, str]]:
    """``count`` issued invoices spread over the accounts; (number, amount, account VS)."""
    rng = random.Random(11)
    now = CLOCK_AT
    with database.session() as session:
        accounts = session.execute(
            select(BillingAccountRow.id, BillingAccountRow.variable_symbol).order_by(
                BillingAccountRow.id
            )
        ).all()
        ids = reserve_ids(session, InvoiceRow, count)
        rows = []
        made = []
        for index, invoice_id in enumerate(ids):
            account_id, symbol = accounts[index % len(accounts)]
            amount = Decimal(rng.randint(99, 3_000))
            number = f"FA2026{index + 1:06d}"
            rows.append(
                {
                    "id": invoice_id, "bill_run_id": None, "account_id": account_id,
                    "kind": "invoice", "status": "issued", "series": "FA", "year": 2026,
                    "number": index + 1, "number_text": number, "issue_date": ISSUED,
                    "tax_point_date": ISSUED, "due_date": DUE, "period_start": date(2026, 4, 1),
                    "period_end": date(2026, 5, 1), "currency": "CZK", "language": "cs",
                    "tax_mode": "domestic", "notes": "[]", "variable_symbol": symbol,
                    "total_net": amount, "total_vat": Decimal(0), "total_gross": amount,
                    "rounding": Decimal(0), "amount_due": amount, "original_invoice_id": None,
                    "correction_reason": None, "parties": None, "created_at": now,
                    "approved_at": now, "issued_at": now,
                }
            )  # fmt: skip
            made.append((number, amount, symbol))
        bulk_insert(session, InvoiceRow, pl.DataFrame(rows, schema=INVOICE_SCHEMA))
        book_invoices(session, ids, FakeClock(now))
    return made


def _statement(database: Database, invoices: list[tuple[str, Decimal, str]]) -> Statement:
    """90 % pay by invoice number, 5 % by account symbol, 5 % with an unknown symbol."""
    rng = random.Random(12)
    settings = Settings.model_construct()
    entries = []
    for index, (number, amount, account_symbol) in enumerate(invoices):
        roll = rng.random()
        symbol = (
            number.removeprefix("FA") if roll < 0.90
            else account_symbol if roll < 0.95
            else str(rng.randint(10**8, 10**9 - 1))
        )  # fmt: skip
        entries.append(
            StatementEntry(
                reference=f"{settings.operator_iban}/B{index:09d}",
                booking_date=PAID_ON - timedelta(days=index % 10),
                value_date=None,
                amount=amount,
                currency="CZK",
                variable_symbol=symbol,
                counterparty_account=f"CZ65080000000019200{index % 100000:05d}",
                counterparty_name=f"Plátce {index}",
                message=f"Platba {number}",
            )
        )
    opening = Decimal("1000000.00")
    return Statement(
        statement_id="BENCH-2026-04-14",
        number="1",
        iban=settings.operator_iban,
        account=None,
        currency="CZK",
        opening_balance=opening,
        closing_balance=opening + sum((e.amount for e in entries), Decimal(0)),
        from_date=PAID_ON - timedelta(days=9),
        to_date=PAID_ON,
        entries=tuple(entries),
        source_format=StatementFormat.CAMT053,
    )


def _import_child(url: str, path: str) -> dict[str, Any]:
    database = Database(url)
    started = time.perf_counter()
    with database.session() as session:
        result = import_statement_file(
            session, Path(path), StatementFormat.CAMT053,
            clock=FakeClock(IMPORTED_AT), settings=Settings.model_construct(),
        )  # fmt: skip
    seconds = time.perf_counter() - started
    database.dispose()
    return {
        "matched": result.payments.matched,
        "unmatched": result.payments.unmatched,
        "accounts": len({booked.account_id for booked in result.payments.booked}),
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
    }
