"""Prepaid credit: top-ups, vouchers, deduction of rated usage, expiry, low-balance SMS.

Two mobile-prepaid lines of the demo catalog (no allowances: every call is paid at
3.7190 CZK a minute without VAT, 4.50 CZK with 21 % VAT).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import select

from linka.customers.model import Actor
from linka.customers.tables import BillingAccountRow, InteractionRow
from linka.engagement.tables import OutboxMessageRow
from linka.kernel.clock import FakeClock
from linka.payments.prepaid.balances import balance, top_up
from linka.payments.prepaid.codes import check_digit_ok, new_code
from linka.payments.prepaid.errors import (
    NotPrepaidError,
    PrepaidError,
    ReferenceReusedError,
    VoucherRefusedError,
)
from linka.payments.prepaid.expiry import expire_credit
from linka.payments.prepaid.lines import PrepaidTerms, prepaid_line
from linka.payments.prepaid.tables import PrepaidEntryRow, VoucherRow
from linka.payments.prepaid.usage import CHARGE_SCHEMA, book_usage, deduct_usage
from linka.payments.prepaid.vouchers import create_vouchers, redeem_voucher
from linka.payments.statement_import import import_statement_file
from linka.payments.statements import StatementFormat, write_camt053
from linka.payments.tables import LedgerEntryRow, PaymentRow
from linka.rating.services import rate_period, rated_usage
from linka.settings import Settings
from linka.store.database import Database
from linka.usage.services import import_usage
from linka.usage.store import UsageStore
from tests.payments.builders import paid, statement
from tests.usage.test_store import LINES, set_up, write_master

ACTOR = Actor("agent", "test")
TERMS = PrepaidTerms(credit_validity_days=None, low_balance_threshold=Decimal(50))
KEY = b"test-key"


@pytest.fixture
def operator(db: Database, catalog_dir: Path) -> Database:
    return set_up(db, catalog_dir)


def at(day: date) -> FakeClock:
    return FakeClock(datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC))


def entries(db: Database, line_msisdn: str = LINES[0]) -> list[tuple[str, Decimal, date, str]]:
    with db.session() as session:
        line = prepaid_line(session, line_msisdn)
        rows = session.scalars(
            select(PrepaidEntryRow)
            .where(PrepaidEntryRow.line_id == line.line_id)
            .order_by(PrepaidEntryRow.id)
        )
        return [(r.kind, r.amount, r.booked_on, r.source) for r in rows]


def line_balance(db: Database, msisdn: str = LINES[0]) -> Decimal:
    with db.session() as session:
        return balance(session, prepaid_line(session, msisdn).line_id)


def messages(db: Database, kind: str) -> list[tuple[str, str]]:
    with db.session() as session:
        rows = session.scalars(
            select(OutboxMessageRow)
            .where(OutboxMessageRow.kind == kind)
            .order_by(OutboxMessageRow.id)
        )
        return [(r.recipient, r.body) for r in rows]


def credit(db: Database, amount: str, reference: str, day: date = date(2026, 3, 1)) -> None:
    with db.session() as session:
        top_up(
            session,
            LINES[0],
            Decimal(amount),
            reference=reference,
            clock=at(day),
            actor=ACTOR,
            terms=TERMS,
        )


# -- top-ups -----------------------------------------------------------------------------------


def test_a_top_up_with_the_same_reference_is_booked_once(operator: Database):
    credit(operator, "200", "pay-1")
    credit(operator, "200", "pay-1")

    assert entries(operator) == [("top_up", Decimal(200), date(2026, 3, 1), "top-up:pay-1")]
    assert line_balance(operator) == Decimal(200)
    assert messages(operator, "prepaid_top_up") == [
        (
            "+420601000001",
            "Na číslo +420601000001 jsme připsali 200,00 Kč. Kredit je nyní 200,00 Kč.",
        )
    ]
    with operator.session() as session:
        kinds = session.scalars(select(InteractionRow.kind).order_by(InteractionRow.id)).all()
    assert kinds.count("prepaid.top_up") == 1


def test_a_reference_reused_for_another_amount_is_refused(operator: Database):
    credit(operator, "200", "pay-1")
    with pytest.raises(ReferenceReusedError, match="top-up:pay-1 is already booked"):
        credit(operator, "300", "pay-1")


def test_top_up_amounts_must_be_positive_and_in_whole_halere(operator: Database):
    with pytest.raises(PrepaidError, match="more than zero"):
        credit(operator, "0", "pay-1")
    with pytest.raises(PrepaidError, match="CZK has 2 decimal places"):
        credit(operator, "10.005", "pay-2")


def test_a_postpaid_line_has_no_prepaid_credit(operator: Database):
    with operator.session() as session:
        for account in session.scalars(select(BillingAccountRow)):
            account.payment_type = "postpaid"
    with pytest.raises(NotPrepaidError, match="postpaid account"):
        credit(operator, "200", "pay-1")


# -- vouchers ----------------------------------------------------------------------------------


def issue(db: Database, count: int, amount: str, valid_until: date) -> list[str]:
    with db.session() as session:
        issued = create_vouchers(
            session,
            count,
            Decimal(amount),
            valid_until,
            currency="CZK",
            clock=at(date(2026, 3, 1)),
            key=KEY,
        )
    return [v.code for v in issued]


def redeem(db: Database, code: str, day: date = date(2026, 3, 2)) -> Decimal:
    with db.session() as session:
        booking = redeem_voucher(
            session, LINES[0], code, clock=at(day), actor=ACTOR, terms=TERMS, key=KEY
        )
        return booking.balance


def refusal(db: Database, code: str, day: date = date(2026, 3, 2)) -> str:
    with pytest.raises(VoucherRefusedError) as refused:
        redeem(db, code, day)
    return refused.value.reason


def test_a_voucher_is_redeemed_once(operator: Database):
    first, second = issue(operator, 2, "300", date(2026, 12, 31))

    assert redeem(operator, first) == Decimal(300)
    assert refusal(operator, first) == "redeemed"
    assert redeem(operator, f"{second[:4]} {second[4:8]}-{second[8:]}") == Decimal(600)
    assert [e[3] for e in entries(operator)] == ["voucher:V0000000001", "voucher:V0000000002"]
    with operator.session() as session:
        stored = session.scalars(select(VoucherRow).order_by(VoucherRow.id)).all()
        line = prepaid_line(session, LINES[0])
    assert [(v.redeemed_line_id, v.code_hash != first) for v in stored] == [
        (line.line_id, True),
        (line.line_id, True),
    ]


def test_a_mistyped_code_is_refused_by_its_check_digit(operator: Database):
    (code,) = issue(operator, 1, "300", date(2026, 12, 31))
    typo = code[:5] + str((int(code[5]) + 1) % 10) + code[6:]
    swapped = code[:6] + code[7] + code[6] + code[8:]

    assert not check_digit_ok(typo)
    assert refusal(operator, typo) == "mistyped"
    assert refusal(operator, "1234") == "mistyped"
    if swapped != code:
        assert refusal(operator, swapped) == "mistyped"
    assert line_balance(operator) == Decimal(0)


def test_an_unknown_and_an_expired_voucher_are_refused(operator: Database):
    (code,) = issue(operator, 1, "100", date(2026, 3, 31))

    assert refusal(operator, new_code()) == "unknown"
    assert refusal(operator, code, day=date(2026, 4, 1)) == "expired"
    assert redeem(operator, code, day=date(2026, 3, 31)) == Decimal(100)


def test_serials_continue_across_batches(operator: Database):
    issue(operator, 2, "100", date(2026, 12, 31))
    issue(operator, 1, "100", date(2026, 12, 31))
    with operator.session() as session:
        serials = session.scalars(select(VoucherRow.serial).order_by(VoucherRow.id)).all()
    assert serials == ["V0000000001", "V0000000002", "V0000000003"]


# -- deduction of rated usage ------------------------------------------------------------------


def rate(db: Database, store: UsageStore, master: Path) -> Decimal:
    """Import and rate March; returns the rated total (without VAT) of the first line."""
    clock = at(date(2026, 4, 1))
    with db.session() as session:
        import_usage(session, store, master, "asterisk", clock=clock)
    with db.session() as session:
        rate_period(session, store, "2026-03", clock=clock, operator_timezone="Europe/Prague")
        line = prepaid_line(session, LINES[0])
        rated = rated_usage(session, store, "2026-03").filter(pl.col("line_id") == line.line_id)
        return Decimal(int(rated.collect()["price_micro"].sum())).scaleb(-6)


def deduct(db: Database, store: UsageStore, through: date) -> tuple[int, Decimal]:
    with db.session() as session:
        result = deduct_usage(session, store, through, clock=at(date(2026, 4, 1)), terms=TERMS)
    return result.entries, result.amount


def test_deduction_equals_the_rated_usage_with_vat(operator: Database, tmp_path: Path):
    store = UsageStore(tmp_path / "usage")
    calls = [
        (LINES[0][4:], "602111222", "2026-03-02 10:00:00", 60),  # 3.7190 + VAT = 4.49999
        (LINES[0][4:], "602111222", "2026-03-02 18:00:00", 60),
        (LINES[0][4:], "602111222", "2026-03-03 09:00:00", 120),  # 7.4380 + VAT = 8.99998
        (LINES[1][4:], "602111222", "2026-03-03 09:00:00", 60),
        (LINES[0][4:], "602111222", "2026-03-05 09:00:00", 60),  # after --through
    ]
    rated = rate(operator, store, write_master(tmp_path / "Master.csv", calls))
    credit(operator, "200", "pay-1")

    assert rated == Decimal("18.5950")  # 5 minutes at 3.7190
    assert deduct(operator, store, date(2026, 3, 4)) == (3, Decimal("-22.50"))
    assert entries(operator)[1:] == [
        ("usage", Decimal("-9.00"), date(2026, 3, 2), "usage:1:2026-03-02:1"),
        ("usage", Decimal("-9.00"), date(2026, 3, 3), "usage:1:2026-03-03:1"),
    ]
    assert line_balance(operator) == Decimal("182.00")
    assert line_balance(operator, LINES[1]) == Decimal("-4.50")  # usage happened: negative
    assert deduct(operator, store, date(2026, 3, 4)) == (0, Decimal(0))
    assert deduct(operator, store, date(2026, 3, 31)) == (1, Decimal("-4.50"))
    # the month's deductions are its rated total with VAT (rounded per day to haléře)
    assert Decimal(200) - line_balance(operator) == Decimal("22.50")
    assert round(rated * Decimal("1.21"), 2) == Decimal("22.50")


def test_late_usage_of_a_deducted_day_books_only_the_difference(operator: Database, tmp_path: Path):
    store = UsageStore(tmp_path / "usage")
    rate(
        operator,
        store,
        write_master(tmp_path / "a.csv", [(LINES[0][4:], "602111222", "2026-03-02 10:00:00", 60)]),
    )
    deduct(operator, store, date(2026, 3, 31))
    late = write_master(
        tmp_path / "b.csv", [(LINES[0][4:], "602111222", "2026-03-02 11:00:00", 60)], first=10
    )
    rate(operator, store, late)

    assert deduct(operator, store, date(2026, 3, 31)) == (1, Decimal("-4.50"))
    assert entries(operator) == [
        ("usage", Decimal("-4.50"), date(2026, 3, 2), "usage:1:2026-03-02:1"),
        ("usage", Decimal("-4.50"), date(2026, 3, 2), "usage:1:2026-03-02:2"),
    ]
    assert deduct(operator, store, date(2026, 3, 31)) == (0, Decimal(0))


def charges(*rows: tuple[int, date, str]) -> pl.DataFrame:
    return pl.DataFrame(
        [(line, day, Decimal(amount)) for line, day, amount in rows],
        schema=CHARGE_SCHEMA,
        orient="row",
    )


def test_crossing_the_low_balance_threshold_enqueues_one_message(operator: Database):
    credit(operator, "60", "pay-1")
    clock = at(date(2026, 3, 5))
    with operator.session() as session:
        book_usage(
            session, charges((1, date(2026, 3, 2), "9")), date(2026, 3, 2), clock=clock, terms=TERMS
        )
    with operator.session() as session:  # more usage the same day: already under, no new SMS
        book_usage(
            session,
            charges((1, date(2026, 3, 2), "12")),
            date(2026, 3, 2),
            clock=clock,
            terms=TERMS,
        )
    with operator.session() as session:
        book_usage(
            session,
            charges((1, date(2026, 3, 2), "12")),
            date(2026, 3, 2),
            clock=clock,
            terms=TERMS,
        )

    assert line_balance(operator) == Decimal(48)
    assert messages(operator, "prepaid_low_balance") == [
        (
            "+420601000001",
            "Kredit na čísle +420601000001 klesl na 48,00 Kč. Dobijte si, ať můžete dál volat.",
        )
    ]


# -- expiry ------------------------------------------------------------------------------------


def test_the_unused_part_of_an_old_top_up_expires_first_in_first_out(operator: Database):
    terms = PrepaidTerms(credit_validity_days=30, low_balance_threshold=Decimal(0))
    for amount, reference, day in (("100", "a", date(2026, 1, 10)), ("50", "b", date(2026, 2, 1))):
        with operator.session() as session:
            top_up(
                session,
                LINES[0],
                Decimal(amount),
                reference=reference,
                clock=at(day),
                actor=ACTOR,
                terms=terms,
            )
    with operator.session() as session:
        usage = charges((1, date(2026, 1, 20), "30"), (1, date(2026, 2, 5), "40"))
        book_usage(session, usage, date(2026, 2, 5), clock=at(date(2026, 2, 6)), terms=terms)

    def expire(on: date) -> tuple[int, Decimal]:
        with operator.session() as session:
            result = expire_credit(session, on, clock=at(on), terms=terms)
        return result.credits, result.amount

    # the top-up of 10 January (100, until 9 February) paid 30 + 40: 30 of it lapses
    assert expire(date(2026, 2, 15)) == (1, Decimal(-30))
    assert expire(date(2026, 2, 15)) == (0, Decimal(0))
    assert line_balance(operator) == Decimal(50)
    # the top-up of 1 February (50, until 3 March) was not touched
    assert expire(date(2026, 3, 10)) == (1, Decimal(-50))
    assert [e for e in entries(operator) if e[0] == "expiry"] == [
        ("expiry", Decimal(-30), date(2026, 2, 9), "expiry:1"),
        ("expiry", Decimal(-50), date(2026, 3, 3), "expiry:2"),
    ]
    assert line_balance(operator) == Decimal(0)


def test_usage_beyond_the_credit_is_paid_by_the_next_top_up_before_it_can_expire(
    operator: Database,
):
    terms = PrepaidTerms(credit_validity_days=30, low_balance_threshold=Decimal(0))
    with operator.session() as session:
        book_usage(
            session,
            charges((1, date(2026, 1, 5), "20")),
            date(2026, 1, 5),
            clock=at(date(2026, 1, 6)),
            terms=terms,
        )
        top_up(
            session,
            LINES[0],
            Decimal(100),
            reference="a",
            clock=at(date(2026, 1, 10)),
            actor=ACTOR,
            terms=terms,
        )
    with operator.session() as session:
        result = expire_credit(session, date(2026, 3, 1), clock=at(date(2026, 3, 1)), terms=terms)

    assert result.amount == Decimal(-80)
    assert line_balance(operator) == Decimal(0)


def test_a_bank_transfer_naming_the_phone_number_tops_up_once(
    operator: Database, tmp_path: Path
) -> None:
    # given a statement paying 300 CZK with the line's number as variable symbol
    path = tmp_path / "s.xml"
    path.write_bytes(
        write_camt053(statement("S-1", paid("E1", "300.00", LINES[0].removeprefix("+420"))))
    )
    settings = Settings.model_construct()
    for _ in range(2):  # imported twice
        with operator.session() as session:
            result = import_statement_file(
                session, path, StatementFormat.CAMT053, clock=at(date(2026, 3, 5)),
                settings=settings,
            )  # fmt: skip
    # then the line's prepaid credit is topped up once, and the account ledger is untouched
    assert line_balance(operator) == Decimal("300.00")
    assert result.already == 1  # the statement was read before
    with operator.session() as session:
        assert session.scalars(select(PaymentRow.status)).all() == ["top_up"]
        assert session.scalars(select(LedgerEntryRow.id)).all() == []
