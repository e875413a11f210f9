"""The bill-run benchmark: the first bill run of a large demo operator, and its PDFs.

Set-up (not measured): a scratch database with the demo catalog and enough demo
customers for the asked number of billing accounts (~1.26 lines each), a month of usage
(100 records per account) stored as Parquet and rated. Measured, in a fresh process so
its peak memory is its own:

* **bill run**: ``run_bill_run`` for 1 April 2026 with issuing — every account's charges
  derived, reconciled, stored, numbered and issued — seconds and peak memory;
* **PDF**: itemised PDFs of a sample of the issued invoices, on one thread (per core)
  and on every core; the documents are loaded first (their load rate is printed apart).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from linka.benchmarks.rating import (
    CLOCK_AT,
    MONTH,
    TIMEZONE,
    demo_operator,
    in_child,
    store_month,
)
from linka.benchmarks.scratch import scratch_database, workdir
from linka.billing.rendering import load_documents
from linka.billing.runs import run_bill_run
from linka.billing.tables import InvoiceRow
from linka.customers.tables import BillingAccountRow
from linka.demo.usage import usage_records
from linka.documents.pdf import render_pdf
from linka.kernel.clock import FakeClock
from linka.kernel.memory import peak_rss_mb
from linka.rating.services import rate_period
from linka.settings import Settings
from linka.store.database import Database
from linka.usage.store import UsageStore

BILL_DATE = date(2026, 4, 1)
RECORDS_PER_ACCOUNT = 100
ACCOUNTS_PER_CUSTOMER = 1.082  # what the demo generator gives


@dataclass(frozen=True)
class BillRunFigures:
    accounts: int
    lines: int
    rated_records: int
    invoices: int
    billrun_s: float
    accounts_per_s: float
    peak_rss_mb: float
    pdf_documents: int
    pdf_per_s: float  # one thread: per core
    pdf_per_s_all_cores: float
    pdf_cores: int
    usage_rows_per_pdf: float
    document_load_per_s: float
    database: str
    steps: dict[str, float]  # the bill run's: load_s, bill_s, store_s


def run_billrun_benchmark(
    accounts: int, database_url: str | None = None, pdfs: int = 200
) -> BillRunFigures:
    clock = FakeClock(CLOCK_AT)
    with workdir() as work, scratch_database(database_url, work) as database:
        url = database.url.render_as_string(hide_password=False)
        lines, international = demo_operator(
            database, work, customers=max(20, round(accounts / ACCOUNTS_PER_CUSTOMER))
        )
        with database.session() as session:
            account_count = session.scalar(select(func.count()).select_from(BillingAccountRow))
        store = UsageStore(work / "usage")
        records = usage_records(lines, international, MONTH, accounts * RECORDS_PER_ACCOUNT, 1)
        store_month(database, store, records, "month")
        del records
        with database.session() as session:
            rated = rate_period(
                session, store, f"{MONTH:%Y-%m}", clock=clock, operator_timezone=TIMEZONE
            )
        billed = in_child(_bill_child, url, str(store.root))
        documents = _documents(database, store, pdfs)
        cores = os.cpu_count() or 1
        one = _render(documents, 1)
        every = _render(documents, cores)
        return BillRunFigures(
            accounts=account_count or 0,
            lines=lines.height,
            rated_records=rated.records,
            invoices=billed["invoices"],
            billrun_s=round(billed["seconds"], 2),
            accounts_per_s=round(billed["accounts"] / billed["seconds"]),
            peak_rss_mb=billed["peak_rss_mb"],
            pdf_documents=len(documents[0]),
            pdf_per_s=round(len(documents[0]) / one, 1),
            pdf_per_s_all_cores=round(len(documents[0]) / every, 1),
            pdf_cores=cores,
            usage_rows_per_pdf=round(
                sum(len(d.usage) for d in documents[0]) / max(1, len(documents[0])), 1
            ),
            document_load_per_s=round(len(documents[0]) / documents[1], 1),
            database=database.dialect,
            steps=billed["steps"],
        )


def as_dict(figures: BillRunFigures) -> dict[str, Any]:
    return asdict(figures)


def _bill_child(url: str, store_root: str) -> dict[str, Any]:
    database = Database(url)
    started = time.perf_counter()
    result = run_bill_run(
        database, UsageStore(Path(store_root)), BILL_DATE, since=MONTH,
        clock=FakeClock(CLOCK_AT), settings=Settings.model_construct(), issue=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    database.dispose()
    if result.problems:
        raise RuntimeError(f"{len(result.problems)} accounts not billed: {result.problems[:3]}")
    return {
        "accounts": result.accounts,
        "invoices": result.issued,
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
        "steps": {name: round(value, 2) for name, value in result.steps.items()},
    }


def _documents(database: Database, store: UsageStore, count: int) -> tuple[list[Any], float]:
    """The first ``count`` issued invoices as documents, and the seconds loading took."""
    with database.session() as session:
        ids = list(session.scalars(select(InvoiceRow.id).order_by(InvoiceRow.id).limit(count)))
        started = time.perf_counter()
        documents = load_documents(session, store, ids, Settings.model_construct())
    return documents, time.perf_counter() - started


def _render(documents: tuple[list[Any], float], threads: int) -> float:
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(render_pdf, documents[0][: threads * 2]))  # warm-up: template, fonts
        started = time.perf_counter()
        list(pool.map(render_pdf, documents[0]))
    return time.perf_counter() - started
