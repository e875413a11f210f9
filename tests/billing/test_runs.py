"""Bill runs against a real database: reconciliation, numbers, immutability, corrections."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from linka.billing.corrections import credit_invoice
from linka.billing.runs import approve_drafts, issue_drafts, run_bill_run
from linka.billing.tables import InvoiceLineRow, InvoiceRow
from linka.customers.tables import BillingAccountRow
from linka.demo.operator import build_demo
from linka.engagement.tables import OutboxMessageRow
from linka.kernel.clock import FakeClock
from linka.payments.ledger import balances, open_items
from linka.payments.tables import LedgerEntryRow
from linka.settings import Settings
from linka.store.database import Database
from linka.usage.store import UsageStore

RUN = date(2026, 4, 1)
SINCE = date(2026, 3, 1)
CLOCK = FakeClock(datetime(2026, 4, 1, 6, 0, tzinfo=UTC))
SETTINGS = Settings()


@pytest.fixture
def operator(db: Database, tmp_path: Path) -> tuple[Database, UsageStore]:
    """The demo operator, small: 25 customers and a rated March."""
    build_demo(db, tmp_path / "data", seed=5, customers=25, records=3_000, bill=False)
    return db, UsageStore.in_data_dir(tmp_path / "data")


def bill(
    db: Database, store: UsageStore, *, issue: bool = True, dry_run: bool = False, on: date = RUN
):
    return run_bill_run(
        db, store, on, since=SINCE, clock=CLOCK, settings=SETTINGS, issue=issue, dry_run=dry_run
    )


def invoices(db: Database) -> list[InvoiceRow]:
    with db.session() as session:
        return list(session.scalars(sa.select(InvoiceRow).order_by(InvoiceRow.id)))


def test_a_bill_run_invoices_once_with_gapless_numbers(operator: tuple[Database, UsageStore]):
    db, store = operator
    dry = bill(db, store, dry_run=True)
    assert invoices(db) == []

    first = bill(db, store)
    again = bill(db, store)

    stored = invoices(db)
    assert first.invoices == dry.invoices == len(stored) > 0
    assert first.amount_due == dry.amount_due
    assert again.invoices == 0
    assert [i.number_text for i in stored] == [f"FA2026{n:06d}" for n in range(1, len(stored) + 1)]
    with db.session() as session:
        for invoice in stored:
            lines = session.scalars(
                sa.select(InvoiceLineRow).where(InvoiceLineRow.invoice_id == invoice.id)
            ).all()
            assert sum(line.net for line in lines) == invoice.total_net
            assert sum(line.vat for line in lines) == invoice.total_vat
            assert invoice.total_net + invoice.total_vat + invoice.rounding == invoice.amount_due
            assert invoice.amount_due == invoice.amount_due.to_integral_value()
            assert invoice.parties["customer"]["account_number"]
    # the next month adds May's fees and nothing of March again
    may = bill(db, store, on=date(2026, 5, 1))
    assert may.invoices > 0
    with db.session() as session:
        keys = session.scalars(sa.select(InvoiceLineRow.charge_key)).all()
    assert len(keys) == len(set(keys))


def test_issued_invoices_cannot_change(operator: tuple[Database, UsageStore]):
    db, store = operator
    bill(db, store)
    invoice = invoices(db)[0]
    with pytest.raises(DatabaseError, match="issued invoice cannot be changed"), db.session() as s:
        s.execute(sa.update(InvoiceRow).where(InvoiceRow.id == invoice.id).values(total_net=0))
    with pytest.raises(DatabaseError, match="cannot be"), db.session() as s:
        s.execute(sa.delete(InvoiceLineRow).where(InvoiceLineRow.invoice_id == invoice.id))
    with pytest.raises(DatabaseError, match="cannot be"), db.session() as s:
        s.execute(sa.delete(InvoiceRow).where(InvoiceRow.id == invoice.id))


def test_a_credit_note_reverses_and_the_next_run_invoices_again(
    operator: tuple[Database, UsageStore],
):
    db, store = operator
    bill(db, store)
    original = invoices(db)[0]
    with db.session() as session:
        note = credit_invoice(
            session, original.number_text or "", reason="wrong address", clock=CLOCK,
            settings=SETTINGS, issue_date=RUN,
        )  # fmt: skip
    assert note.number_text == "DB2026000001"
    assert (note.kind, note.status, note.original_invoice_id) == (
        "credit_note",
        "issued",
        original.id,
    )
    assert note.total_net == -original.total_net
    assert note.total_vat == -original.total_vat
    rerun = bill(db, store)
    assert rerun.invoices == 1  # the credited account is invoiced again
    reissued = invoices(db)[-1]
    assert (reissued.account_id, reissued.total_net) == (original.account_id, original.total_net)


def test_drafts_are_issued_later_in_number_order(operator: tuple[Database, UsageStore]):
    db, store = operator
    run = bill(db, store, issue=False)
    assert {i.status for i in invoices(db)} == {"draft"}
    assert bill(db, store, issue=False).invoices == 0  # drafts count as invoiced
    ids = [i.id for i in invoices(db)]
    with db.session() as session:  # the billing team reviews the first half
        assert approve_drafts(session, ids[: len(ids) // 2], clock=CLOCK) == len(ids) // 2
        assert approve_drafts(session, ids[: len(ids) // 2], clock=CLOCK) == 0  # already
    assert [i.status for i in invoices(db)].count("approved") == len(ids) // 2
    with db.session() as session:
        numbers = issue_drafts(session, ids, issue_date=RUN, clock=CLOCK, settings=SETTINGS)
    assert numbers == [f"FA2026{n:06d}" for n in range(1, run.invoices + 1)]
    assert {i.status for i in invoices(db)} == {"issued"}
    with db.session() as session:
        assert approve_drafts(session, ids, clock=CLOCK) == 0  # issued ones stay issued


def test_two_runs_issuing_at_once_share_the_numbers_without_gaps(
    operator: tuple[Database, UsageStore],
):
    db, store = operator
    bill(db, store, issue=False)
    ids = [i.id for i in invoices(db)]
    halves = [ids[::2], ids[1::2]]
    url = db.url.render_as_string(hide_password=False)
    errors: list[BaseException] = []

    def issue(part: list[int]) -> None:
        own = Database(url)
        try:
            with own.session() as session:
                issue_drafts(session, part, issue_date=RUN, clock=CLOCK, settings=SETTINGS)
        except BaseException as exc:  # the test reports it below
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=issue, args=(half,)) for half in halves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(i.number for i in invoices(db) if i.number is not None)
    assert numbers == list(range(1, len(ids) + 1))


def test_an_account_that_cannot_be_billed_is_reported_and_skipped(
    operator: tuple[Database, UsageStore],
):
    db, store = operator
    with db.session() as session:
        account = session.scalars(
            sa.select(BillingAccountRow).order_by(BillingAccountRow.id)
        ).first()
        assert account is not None
        account.currency = "EUR"
        number = account.number
    result = bill(db, store)
    assert [(p.account, p.reason) for p in result.problems] == [
        (number, f"account {number} is billed in EUR, its tariffs in CZK")
    ]
    assert number not in {i.account_id for i in invoices(db)}
    assert result.invoices > 0


def test_a_killed_bill_run_run_again_completes_without_gaps(
    operator: tuple[Database, UsageStore], tmp_path: Path, sqlite_template: Path
):
    db, store = operator
    if db.dialect != "sqlite":
        pytest.skip("one backend is enough for the process-kill test")
    data_dir = store.root.parent
    env = os.environ | {
        "LINKA_DATA_DIR": str(data_dir),
        "LINKA_DATABASE_URL": db.url.render_as_string(hide_password=False),
        "LINKA_BILL_RUN_CHUNK": "3",
    }
    command = [sys.executable, "-m", "linka.cli.app", "bill", "run", "--date", "2026-04-01",
               "--since", "2026-03-01", "--issue"]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline and not invoices(db):
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    partial = len(invoices(db))
    subprocess.run(command, env=env, check=True, capture_output=True)

    stored = invoices(db)
    assert [i.number for i in stored] == list(range(1, len(stored) + 1))
    with db.session() as session:
        keys = session.scalars(sa.select(InvoiceLineRow.charge_key)).all()
    assert len(keys) == len(set(keys))
    # the same as one uninterrupted run on a copy of the database before billing
    reference = Database(f"sqlite:///{tmp_path / 'reference.db'}")
    shutil.copy(sqlite_template, tmp_path / "reference.db")
    build_demo(reference, tmp_path / "reference", seed=5, customers=25, records=3_000, bill=False)
    whole = bill(reference, UsageStore.in_data_dir(tmp_path / "reference"))
    assert whole.invoices == len(stored)
    assert sum((i.amount_due for i in stored), Decimal(0)) == whole.amount_due["CZK"]
    assert partial < len(stored) or partial == len(stored)
    reference.dispose()


def test_issuing_books_the_ledger_and_mails_the_pdf_once(operator: tuple[Database, UsageStore]):
    db, store = operator
    bill(db, store, issue=False)
    drafts = invoices(db)
    with db.session() as session:  # drafts are not the customer's debt yet
        assert session.scalar(sa.select(sa.func.count()).select_from(LedgerEntryRow)) == 0
        issue_drafts(
            session, [d.id for d in drafts], issue_date=RUN, clock=CLOCK, settings=SETTINGS
        )
    issued = invoices(db)
    with db.session() as session:
        query = sa.select(LedgerEntryRow.invoice_id, LedgerEntryRow.amount)
        booked = {row[0]: row[1] for row in session.execute(query)}
        assert booked == {i.id: i.amount_due for i in issued}
        mails = session.scalars(
            sa.select(OutboxMessageRow).where(OutboxMessageRow.kind == "invoice_issued")
        ).all()
        by_email = session.scalars(
            sa.select(InvoiceRow.number_text)
            .join(BillingAccountRow, BillingAccountRow.id == InvoiceRow.account_id)
            .where(BillingAccountRow.invoice_delivery == "email")
        ).all()
    assert sorted(m.dedupe_key for m in mails) == sorted(f"invoice-issued:{n}" for n in by_email)
    assert mails
    first = mails[0]
    number = first.dedupe_key.removeprefix("invoice-issued:")
    assert first.attachments == [
        {
            "name": f"{number}.pdf",
            "path": f"documents/{number}.pdf",
            "content_type": "application/pdf",
        }
    ]
    assert number in (first.subject or "")
    # a credit note of a whole invoice settles it in the ledger
    original = issued[0]
    with db.session() as session:
        credit_invoice(
            session, original.number_text or "", reason="wrong tariff", clock=CLOCK,
            settings=SETTINGS, issue_date=RUN,
        )  # fmt: skip
        assert original.id not in {
            item.invoice_id for items in open_items(session).values() for item in items
        }
        assert balances(session, [original.account_id])[original.account_id] == 0
