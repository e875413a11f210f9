"""The customer ledger fed by bank statements: booked once, matched, allocated, exact."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from linka.customers.model import Actor
from linka.engagement.tables import OutboxMessageRow
from linka.kernel.clock import FakeClock
from linka.payments.ledger import balances, book_invoices, credits, open_items
from linka.payments.movements import reverse_payment
from linka.payments.services import PaymentInputError, match_manually
from linka.payments.statement_import import StatementImport, import_statement_file
from linka.payments.statements import StatementError, StatementFormat, write_camt053
from linka.payments.tables import BankStatementRow, LedgerEntryRow, PaymentRow
from linka.settings import Settings
from linka.store.database import Database
from tests.payments.builders import NOW, D, account, invoice, paid, statement

CAMT = StatementFormat.CAMT053


def import_file(db: Database, path: Path) -> StatementImport:
    with db.session() as session:
        return import_statement_file(
            session, path, CAMT, clock=FakeClock(NOW), settings=Settings.model_construct()
        )


def open_amounts(session: Session) -> dict[str, D]:
    return {item.number: item.open for items in open_items(session).values() for item in items}


def count(session: Session, table: type) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_a_statement_is_matched_allocated_and_booked_once(db: Database, tmp_path: Path) -> None:
    # given two accounts with three issued invoices
    with db.session() as session:
        first, second = account(session, 1), account(session, 2)
        invoice(session, first, 1, "1000.00")
        invoice(session, first, 2, "250.50")
        invoice(session, second, 3, "400.00")
    # and a statement: FA…2 paid by its number, account 2 over-paid by its symbol,
    # a payment nobody's symbol names, and the operator's own outgoing payment
    path = tmp_path / "s1.xml"
    path.write_bytes(
        write_camt053(
            statement(
                "S-1",
                paid("E1", "250.50", "2026000002"),
                paid("E2", "450.00", "20000002"),
                paid("E3", "99.00", "77777777"),
                paid("E4", "-1200.00", None),
            )
        )
    )
    # when it is imported
    result = import_file(db, path)
    # then the two known payments are booked, one waits, the debit is left alone
    assert (result.payments.matched, result.payments.unmatched, result.others) == (2, 1, 1)
    assert result.payments.by_rule == {"vs-invoice": 1, "vs-account": 1, "none": 1}
    with db.session() as session:
        assert open_amounts(session) == {"FA2026000001": D("1000.00")}
        totals = balances(session)
        assert totals[first.id] == D("1000.00")
        assert totals[second.id] == D("-50.00")  # 50 CZK credit kept for the next bill
        assert [c.available for c in credits(session, [second.id])[second.id]] == [D("50.00")]
        # one receipt per paying account that takes e-mail
        receipts = session.scalars(
            select(OutboxMessageRow.recipient).where(OutboxMessageRow.kind == "payment_received")
        ).all()
        assert sorted(receipts) == ["jana1@example.cz", "jana2@example.cz"]
        before = (count(session, PaymentRow), count(session, LedgerEntryRow))
    # when the same file is imported again, nothing is booked
    again = import_file(db, path)
    assert (again.already, again.payments.read) == (1, 0)
    with db.session() as session:
        assert (count(session, PaymentRow), count(session, LedgerEntryRow)) == before
        assert count(session, OutboxMessageRow) == 2  # the receipts were not sent twice
        assert count(session, BankStatementRow) == 1


def test_an_overlapping_statement_books_only_its_new_entries(db: Database, tmp_path: Path) -> None:
    with db.session() as session:
        owner = account(session, 1)
        invoice(session, owner, 1, "300.00")
    first, second = tmp_path / "a.xml", tmp_path / "b.xml"
    first.write_bytes(write_camt053(statement("S-1", paid("E1", "100.00", "2026000001"))))
    second.write_bytes(
        write_camt053(
            statement("S-2", paid("E1", "100.00", "2026000001"), paid("E2", "200.00", "20000001"))
        )
    )
    import_file(db, first)
    result = import_file(db, second)
    assert (result.payments.read, result.payments.already, result.payments.matched) == (2, 1, 1)
    with db.session() as session:
        assert open_amounts(session) == {}
        assert balances(session)[owner.id] == D("0.00")


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda data: data[: len(data) // 2], "s.xml"),
        (lambda data: data.replace(b"10450.00", b"10451.00"), "balance"),
        (lambda data: data.replace(b'Ccy="CZK">450.00', b'Ccy="XYZ">450.00'), "XYZ"),
        (lambda data: data.replace(b'Ccy="CZK">450.00', b'Ccy="CZK">450.001'), "450.001"),
    ],
    ids=["truncated", "balances-do-not-add-up", "unknown-currency", "wrong-precision"],
)
def test_a_bad_statement_is_refused_and_nothing_is_booked(
    db: Database, tmp_path: Path, damage: object, reason: str
) -> None:
    with db.session() as session:
        owner = account(session, 1)
        invoice(session, owner, 1, "450.00")
    good = write_camt053(statement("S-1", paid("E1", "450.00", "2026000001")))
    path = tmp_path / "s.xml"
    assert callable(damage)
    path.write_bytes(damage(good))
    with pytest.raises(StatementError) as refused:
        import_file(db, path)
    assert "s.xml" in str(refused.value)
    assert reason in str(refused.value)
    with db.session() as session:
        assert count(session, PaymentRow) == count(session, BankStatementRow) == 0
        assert open_amounts(session) == {"FA2026000001": D("450.00")}


def test_an_overpayment_is_carried_to_the_next_invoice(db: Database, tmp_path: Path) -> None:
    # given an invoice of 1,000 paid with 1,200
    with db.session() as session:
        owner = account(session, 1)
        invoice(session, owner, 1, "1000.00")
    path = tmp_path / "s.xml"
    path.write_bytes(write_camt053(statement("S-1", paid("E1", "1200.00", "2026000001"))))
    import_file(db, path)
    # when the next invoice of 500 is issued
    with db.session() as session:
        assert balances(session)[owner.id] == D("-200.00")
        invoice(session, owner, 2, "500.00")
    # then the 200 credit pays part of it at once
    with db.session() as session:
        assert open_amounts(session) == {"FA2026000002": D("300.00")}
        assert credits(session, [owner.id]) == {}
        assert balances(session)[owner.id] == D("300.00")
        entries = session.scalars(select(LedgerEntryRow.amount).order_by(LedgerEntryRow.id)).all()
        assert entries == [D("1000.00"), D("-1200.00"), D("500.00")]


def test_the_queue_is_matched_by_hand_once(db: Database, tmp_path: Path) -> None:
    with db.session() as session:
        owner = account(session, 1)
        invoice(session, owner, 1, "700.00")
        invoice(session, owner, 2, "100.00", due=date(2026, 4, 1))
    path = tmp_path / "s.xml"
    path.write_bytes(write_camt053(statement("S-1", paid("E1", "750.00", "12345"))))
    assert import_file(db, path).payments.unmatched == 1
    person = Actor("Eva Care", "cli")
    with db.session() as session:
        payment, allocations, left = match_manually(
            session, "#1", "FA2026000001", clock=FakeClock(NOW), actor=person
        )
        # the named invoice first, then the oldest; nothing left over
        assert allocations == [(1, D("700.00")), (2, D("50.00"))]
        assert left == D("0")
        assert payment.match_rule == "manual"
        assert payment.matched_by == "Eva Care"
    with db.session() as session:
        assert open_amounts(session) == {"FA2026000002": D("50.00")}
        with pytest.raises(PaymentInputError, match="is matched, not waiting"):
            match_manually(session, "#1", "20000001", clock=FakeClock(NOW), actor=person)


def test_ledger_entries_and_allocations_cannot_be_changed(db: Database) -> None:
    with db.session() as session:
        owner = account(session, 1)
        invoice(session, owner, 1, "10.00")
    for statement_text in (
        "UPDATE ledger_entries SET amount = 0",
        "DELETE FROM ledger_entries",
    ):
        with pytest.raises(DatabaseError, match="append-only"), db.session() as session:
            session.execute(text(statement_text))
    with db.session() as session:
        assert balances(session)[owner.id] == D("10.00")


def test_booking_invoices_again_books_nothing(db: Database) -> None:
    with db.session() as session:
        owner = account(session, 1)
        row = invoice(session, owner, 1, "10.00")
        assert book_invoices(session, [row.id], FakeClock(NOW)) == 0
        assert count(session, LedgerEntryRow) == 1


def test_a_returned_payment_reopens_its_invoice_and_other_credit_pays_it(
    db: Database, tmp_path: Path
) -> None:
    # given an invoice of 100 paid in full, and a later 50 kept as credit
    with db.session() as session:
        owner = account(session, 1)
        invoice(session, owner, 1, "100.00")
    path = tmp_path / "s.xml"
    path.write_bytes(
        write_camt053(
            statement("S-1", paid("E1", "100.00", "2026000001"), paid("E2", "50.00", "20000001"))
        )
    )
    import_file(db, path)
    # when the bank takes the 100 back
    with db.session() as session:
        first = session.scalars(select(PaymentRow).where(PaymentRow.reference.endswith("E1")))
        assert reverse_payment(
            session, first.one().id, on=date(2026, 4, 22), reason="AM04", clock=FakeClock(NOW)
        )
    # then the invoice is open again, less the credit the account held
    with db.session() as session:
        assert open_amounts(session) == {"FA2026000001": D("50.00")}
        assert balances(session)[owner.id] == D("50.00")
        assert session.scalars(select(PaymentRow.status).order_by(PaymentRow.id)).all() == [
            "returned",
            "matched",
        ]
        # returning it again books nothing
        assert not reverse_payment(
            session, 1, on=date(2026, 4, 23), reason="AM04", clock=FakeClock(NOW)
        )
