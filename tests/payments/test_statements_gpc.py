"""Czech ABO/GPC statements (Fio and ČSOB layouts) read to exact values, and written back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from linka.payments.statements import (
    StatementEntry,
    StatementFormat,
    parse_statement,
    read_statement,
    write_gpc,
)

FIXTURES = Path(__file__).parent / "fixtures"


def test_fio_statement_reads_credits_debits_and_both_reversals() -> None:
    # given a Fio GPC: windows-1250 names, currency 0203, accounting codes 1, 2, 4 and 5
    path = FIXTURES / "fio_2026-04.gpc"

    # when
    (statement,) = read_statement(path, "gpc")

    # then
    assert (
        statement.statement_id, statement.number, statement.iban, statement.account,
        statement.currency, statement.opening_balance, statement.closing_balance,
        statement.from_date, statement.to_date, statement.source_format,
    ) == (
        "2300111222/2026-04-30/4", "4", None, "2300111222", "CZK", Decimal("8450.00"),
        Decimal("9700.00"), date(2026, 3, 31), date(2026, 4, 30), StatementFormat.GPC,
    )  # fmt: skip
    assert statement.entries == (
        StatementEntry(
            "2300111222/0002876123456", date(2026, 4, 2), date(2026, 4, 2), Decimal("1250.00"),
            "CZK", "2026000123", None, "308", "2900123456/2010", "Novák Jan",
        ),
        StatementEntry(
            "2300111222/0002876200017", date(2026, 4, 7), date(2026, 4, 7), Decimal("499.00"),
            "CZK", "2026000124", None, "308", "19-2000145399/0800", "Svobodová Petra",
        ),
        StatementEntry(
            "2300111222/0002876300420", date(2026, 4, 10), date(2026, 4, 10), Decimal("-2000.00"),
            "CZK", "202604", None, None, "1002003004/0300", "DODAVATEL SRO",
        ),
        StatementEntry(
            "2300111222/0002876300555", date(2026, 4, 11), date(2026, 4, 7), Decimal("-499.00"),
            "CZK", "2026000124", None, "308", "19-2000145399/0800", "Svobodová Petra",
            reversal=True,
        ),
        StatementEntry(
            "2300111222/0002876300698", date(2026, 4, 12), date(2026, 4, 10), Decimal("2000.00"),
            "CZK", "202604", None, None, "1002003004/0300", "DODAVATEL SRO", reversal=True,
        ),
    )  # fmt: skip


def test_csob_file_holds_two_statements_with_messages_in_extra_records() -> None:
    # given a ČSOB GPC: two daily statements, 076 (transaction id), 078/079 (messages), a
    # counter-account with a prefix, and a payer who put the VS into the message only
    path = FIXTURES / "csob_2026-04.gpc"

    # when
    first, second = read_statement(path, "gpc")

    # then
    assert (first.statement_id, first.opening_balance, first.closing_balance) == (
        "1002003004/2026-04-14/41", Decimal("100000.00"), Decimal("103999.00"),
    )  # fmt: skip
    assert first.entries == (
        StatementEntry(
            "1002003004/CZ2026041400000000000009A7", date(2026, 4, 14), date(2026, 4, 14),
            Decimal("3999.00"), "CZK", "2026000150", None, "308", "1234567/0100", "VESELÁ JANA",
            "Faktura 2026000150 za internet a telefon, duben 2026 Děkujeme",
        ),
    )  # fmt: skip
    assert (second.statement_id, second.from_date, second.to_date) == (
        "1002003004/2026-04-15/42", date(2026, 4, 14), date(2026, 4, 15),
    )  # fmt: skip
    assert second.entries == (
        StatementEntry(
            "1002003004/0000000000102", date(2026, 4, 15), date(2026, 4, 15),
            Decimal("-15000.00"), "CZK", "8800123", "2026", None, "670100-2212345678/6210",
            "DATACENTRUM S R O",
        ),
        StatementEntry(
            "1002003004/0000000000103", date(2026, 4, 15), date(2026, 4, 15), Decimal("1200.00"),
            "CZK", "2026000151", None, None, "19-2000145399/0800", "SVOBODA PETR",
            "VS 2026000151 doplatek",
        ),
    )  # fmt: skip


def test_currency_comes_from_the_numeric_code_of_each_transaction() -> None:
    # given a Fio EUR account: data type 0978
    text = (FIXTURES / "fio_2026-04.gpc").read_bytes().replace(b"00203", b"00978")

    # when
    (statement,) = parse_statement(text, "gpc", "eur.gpc")

    # then
    assert statement.currency == "EUR"
    assert {entry.currency for entry in statement.entries} == {"EUR"}


def test_written_statement_reads_back_the_same() -> None:
    # given the statements of both banks' files (ids of 26 characters go to 076 records)
    for fixture in ("fio_2026-04.gpc", "csob_2026-04.gpc"):
        for statement in read_statement(FIXTURES / fixture, "gpc"):
            # when
            written = write_gpc(statement)

            # then
            assert all(len(line) == 128 for line in written.decode("cp1250").splitlines())
            assert parse_statement(written, "gpc", "written.gpc") == [statement]
