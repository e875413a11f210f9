"""MT940 as Czech banks send it (?-sub-fields, SWIFT tags, free text) read to exact values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from linka.payments.statements import (
    StatementEntry,
    StatementFormat,
    parse_statement,
    read_statement,
    write_mt940,
)

FIXTURES = Path(__file__).parent / "fixtures"
RB = "CZ4955000000001022334455"
CSOB = "CZ8103000000001002003004"


def test_raiffeisen_statement_with_subfields_reads_to_exact_values() -> None:
    # given a windows-1250 MT940 in SWIFT blocks; :86: with ?20… purpose pieces (symbols in
    # pieces of their own), ?30/?31 or ?38 for the payer, ?32 name; a reversal (RD)
    path = FIXTURES / "rb_2026-04.sta"

    # when
    (statement,) = read_statement(path, "mt940")

    # then
    assert (
        statement.statement_id, statement.number, statement.iban, statement.account,
        statement.currency, statement.opening_balance, statement.closing_balance,
        statement.from_date, statement.to_date, statement.source_format,
    ) == (
        "RB2026043000001", "00012/001", RB, "1022334455/5500", "CZK", Decimal("52340.00"),
        Decimal("56344.00"), date(2026, 3, 31), date(2026, 4, 30), StatementFormat.MT940,
    )  # fmt: skip
    assert statement.entries == (
        StatementEntry(
            f"{RB}/FT26092ABC123", date(2026, 4, 2), date(2026, 4, 2), Decimal("1250.00"), "CZK",
            "2026000123", None, "308", "2900123456/2010", "NOVÁK JAN", "Platba za služby duben",
            None, "NTRF",
        ),
        StatementEntry(
            f"{RB}/FT26093FEE001", date(2026, 4, 3), date(2026, 4, 3), Decimal("-45.00"), "CZK",
            message="Poplatek za vedení účtu", bank_code="NCHG",
        ),
        StatementEntry(
            f"{RB}/FT26105XYZ789", date(2026, 4, 15), date(2026, 4, 15), Decimal("2499.00"),
            "CZK", "20260125", "12345", "308", "CZ5501000000000043234567",
            "ZELENÁ LOUKA S.R.O.", None, "E2E-2026-0415", "NTRF",
        ),
        StatementEntry(
            f"{RB}/FT26120RET001", date(2026, 5, 1), date(2026, 4, 30), Decimal("300.00"), "CZK",
            "2026000099", None, None, "19-123457/0100", "HORÁKOVÁ MARIE",
            "Vrácení nedoručitelné platby", None, "NTRF", True,
        ),
    )  # fmt: skip


def test_pages_across_new_year_with_free_text_and_swift_tags() -> None:
    # given two pages (:62M: then :60M:) of a statement spanning New Year; one :86: in free
    # text (VS:…), one with /EREF/ /REMI/ /NAME/ /IBAN/, one entry without a bank reference
    path = FIXTURES / "csob_2025-12.sta"

    # when
    first, second = read_statement(path, "mt940")

    # then
    assert (first.number, first.opening_balance, first.closing_balance) == (
        "250/1", Decimal("10000.00"), Decimal("11500.00"),
    )  # fmt: skip
    assert (second.number, second.opening_balance, second.closing_balance) == (
        "250/2", Decimal("11500.00"), Decimal("12100.00"),
    )  # fmt: skip
    assert (first.iban, first.account) == (CSOB, "1002003004/0300")
    assert first.entries == (
        StatementEntry(
            f"{CSOB}/251231000123", date(2025, 12, 31), date(2025, 12, 31), Decimal("1500.00"),
            "CZK", "2026000160", None, "308", None, None,
            "Prichozi platba VS:2026000160 KS:0308 SS:0 od PROCHAZKA LUKAS", None, "NTRF",
        ),
    )  # fmt: skip
    assert second.entries == (
        StatementEntry(
            f"{CSOB}/260102000007", date(2026, 1, 2), date(2025, 12, 31), Decimal("800.00"),
            "CZK", "2026000161", None, None, "CZ6601000000000001234567", "Lukas Prochazka",
            "Doplatek za prosinec VS 2026000161", "2026000161", "NTRF",
        ),
        StatementEntry(
            f"{CSOB}/STMT251231/250/2/2", date(2026, 1, 2), date(2026, 1, 2), Decimal("-200.00"),
            "CZK", message="Poplatek za SMS notifikace", bank_code="NMSC",
        ),
    )  # fmt: skip


def test_written_statement_reads_back_the_same() -> None:
    # given statements read from both fixtures
    for fixture in ("rb_2026-04.sta", "csob_2025-12.sta"):
        for statement in read_statement(FIXTURES / fixture, "mt940"):
            # when
            written = write_mt940(statement)

            # then
            assert parse_statement(written, "mt940", "written.sta") == [statement]
