"""camt.053/054 as Czech banks write them, read to exact values; schema-valid in and out."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from linka.payments.statements import (
    Statement,
    StatementEntry,
    StatementFormat,
    parse_statement,
    read_statement,
    write_camt053,
)

FIXTURES = Path(__file__).parent / "fixtures"
CS = "CZ6508000000192000145399"
KB = "CZ8501000001071234560217"


def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(FIXTURES / "xsd" / name)))


@pytest.mark.parametrize(
    ("fixture", "xsd"),
    [
        ("cs_camt053_v02.xml", "camt.053.001.02.xsd"),
        ("kb_camt053_v08.xml", "camt.053.001.08.xsd"),
        ("csob_camt054_v02.xml", "camt.054.001.02.xsd"),
    ],
)
def test_fixtures_are_valid_against_the_iso_20022_schema(fixture: str, xsd: str) -> None:
    document = etree.parse(str(FIXTURES / fixture))
    assert schema(xsd).validate(document), schema(xsd).error_log


def test_ceska_sporitelna_statement_reads_to_exact_values() -> None:
    # given a camt.053.001.02 in the ČBA layout: symbols in EndToEndId, domestic payers in
    # Othr/Id with their bank code on the agent (Othr/Id or ClrSysMmbId), a fee without details
    path = FIXTURES / "cs_camt053_v02.xml"

    # when
    statements = read_statement(path, "camt053")

    # then
    assert statements == [
        Statement(
            statement_id="0000192000145399-2026-04-30-13",
            number="13",
            iban=CS,
            account="19-2000145399/0800",
            currency="CZK",
            opening_balance=Decimal("15230.50"),
            closing_balance=Decimal("18634.50"),
            from_date=date(2026, 4, 1),
            to_date=date(2026, 4, 30),
            entries=(
                StatementEntry(
                    f"{CS}/2026040200481532", date(2026, 4, 2), date(2026, 4, 2),
                    Decimal("1250.00"), "CZK", "2026000123", None, "308",
                    "2900123456/2010", "Jan Novák", "Platba za služby duben 2026",
                    "/VS2026000123/SS/KS0308", "PMNT/RCDT/DMCT",
                ),
                StatementEntry(
                    f"{CS}/2026041400173944", date(2026, 4, 14), date(2026, 4, 14),
                    Decimal("2499.00"), "CZK", "20260125", "12345", None,
                    "CZ5501000000000043234567", "ZELENÁ LOUKA s.r.o.", "FA 2026000125",
                    "/VS0020260125/SS0000012345/KS0000", "PMNT/RCDT/DMCT",
                ),
                StatementEntry(
                    f"{CS}/2026043000000211", date(2026, 4, 30), date(2026, 4, 30),
                    Decimal("-45.00"), "CZK", message="Poplatek za vedení účtu",
                    bank_code="ACMT/MDOP/CHRG",
                ),
                StatementEntry(
                    f"{CS}/2026042200093310", date(2026, 4, 22), date(2026, 4, 22),
                    Decimal("-300.00"), "CZK", "2026000099", None, None,
                    "19-123457/0100", "Marie Horáková", "Vrácení přeplatku",
                    "/VS2026000099", "PMNT/ICDT/DMCT",
                ),
            ),
            source_format=StatementFormat.CAMT053,
        )
    ]  # fmt: skip
    assert [e.amount.as_tuple().exponent for e in statements[0].entries] == [-2, -2, -2, -2]


def test_komercni_banka_statement_splits_batches_skips_pending_and_marks_returns() -> None:
    # given a camt.053.001.08: Sts/Cd, Dbtr/Pty/Nm, BookgDt/DtTm, the VS as plain digits in
    # CdtrRefInf/Ref, a batch of two payments, a returned payment, a pending entry, and a
    # payer who wrote the symbols into the message only
    path = FIXTURES / "kb_camt053_v08.xml"

    # when
    (statement,) = read_statement(path, "camt053")

    # then
    assert (statement.statement_id, statement.number, statement.account) == (
        "KB-1071234560217-20260430", "4", "107-1234560217/0100",
    )  # fmt: skip
    assert (statement.opening_balance, statement.closing_balance) == (
        Decimal("1000.00"), Decimal("3069.00"),
    )  # fmt: skip
    assert statement.entries == (
        StatementEntry(
            f"{KB}/0403KB0000138871", date(2026, 4, 3), date(2026, 4, 3), Decimal("799.00"),
            "CZK", "2026000131", None, None, "CZ6601000000000001234567", "Pavel Dvořák",
            "Vyúčtování 03/2026", None, "PMNT/RCDT/DMCT",
        ),
        StatementEntry(
            f"{KB}/0410KB0000201146", date(2026, 4, 10), date(2026, 4, 10), Decimal("600.00"),
            "CZK", "2026000133", None, None, "CZ1062106701002212345678", "Obec Horní Lhota",
            None, None, "PMNT/RCDT/BOOK",
        ),
        StatementEntry(
            f"{KB}/0410KB0000201145/2", date(2026, 4, 10), date(2026, 4, 10), Decimal("900.00"),
            "CZK", "2026000134", None, None, "CZ1062106701002212345678", "Obec Horní Lhota",
            None, None, "PMNT/RCDT/BOOK",
        ),
        StatementEntry(
            f"{KB}/0416KB0000007720", date(2026, 4, 16), date(2026, 4, 16), Decimal("-350.00"),
            "CZK", "2026000128", None, None, "CZ4108000000002345678901", "Karel Malý",
            None, "/VS2026000128", "PMNT/RCDT/RRTN", True, "AC04",
        ),
        StatementEntry(
            f"{KB}/0428KB0000311002", date(2026, 4, 28), date(2026, 4, 28), Decimal("120.00"),
            "CZK", "2026000140", "77", None, "CZ4920100000002300111222", "Eva Černá",
            "VS:2026000140 SS:77 děkuji", None, "PMNT/RCDT/DMCT",
        ),
    )  # fmt: skip
    assert [e.is_return for e in statement.entries] == [False, False, False, True, False]


def test_notification_of_a_returned_direct_debit_reads_with_its_reason() -> None:
    # given a camt.054 notification: no balances, a debit reversal PMNT/IDDT/UPDD (AM04)
    path = FIXTURES / "csob_camt054_v02.xml"

    # when
    (notification,) = read_statement(path, StatementFormat.CAMT054)

    # then
    assert (notification.opening_balance, notification.closing_balance) == (None, None)
    assert notification.source_format is StatementFormat.CAMT054
    (entry,) = notification.entries
    assert entry == StatementEntry(
        "CZ8103000000001002003004/IN2026051100042", date(2026, 5, 11), date(2026, 5, 11),
        Decimal("-799.00"), "CZK", "2026000155", None, "558", "1234567/0100", "Jana Veselá",
        "Inkaso faktury 2026000155", "/VS2026000155/KS0558", "PMNT/IDDT/UPDD", True, "AM04",
    )  # fmt: skip
    assert entry.is_return
    assert entry.counterparty_iban == "CZ6601000000000001234567"


@pytest.mark.parametrize(
    "root",
    [
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.05">',
        "<Document>",
        '<ns2:Document xmlns:ns2="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">',
    ],
)
def test_any_namespace_or_none_reads_alike(root: str) -> None:
    # given the same statement under another version's namespace, none, or a prefix
    text = (FIXTURES / "cs_camt053_v02.xml").read_text()
    original = parse_statement(text.encode(), "camt053", "cs.xml")
    body = "<BkToCstmrStmt>" + text.partition("<BkToCstmrStmt>")[2].replace("</Document>", "")
    if root.startswith("<ns2:"):
        body = body.replace("</", "</ns2:").replace("<", "<ns2:").replace("<ns2:/", "</")
        closing = "</ns2:Document>"
    else:
        closing = "</Document>"
    document = '<?xml version="1.0" encoding="UTF-8"?>\n' + root + body + closing

    # when
    statements = parse_statement(document.encode(), "camt053", "cs.xml")

    # then
    assert statements == original


def test_a_file_can_hold_statements_of_several_accounts() -> None:
    # given two statements in one document, each written by the writer
    first = read_statement(FIXTURES / "cs_camt053_v02.xml", "camt053")[0]
    second = read_statement(FIXTURES / "kb_camt053_v08.xml", "camt053")[0]
    one = write_camt053(first).decode()
    two = write_camt053(second).decode()
    statement_two = two[two.index("<Stmt>") : two.index("</BkToCstmrStmt>")]
    combined = one.replace("</BkToCstmrStmt>", statement_two + "</BkToCstmrStmt>")

    # when
    statements = parse_statement(combined.encode(), "camt053", "two.xml")

    # then
    assert statements == [first, second]


def test_interim_balances_stand_in_for_missing_opening_and_closing() -> None:
    # given a page of a long statement with ITBD balances only
    text = (FIXTURES / "cs_camt053_v02.xml").read_text()
    paged = text.replace("<Cd>PRCD</Cd>", "<Cd>ITBD</Cd>").replace("<Cd>CLBD</Cd>", "<Cd>ITBD</Cd>")

    # when
    (statement,) = parse_statement(paged.encode(), "camt053", "page.xml")

    # then
    assert (statement.opening_balance, statement.closing_balance) == (
        Decimal("15230.50"), Decimal("18634.50"),
    )  # fmt: skip


def test_written_statement_is_schema_valid_and_reads_back_the_same() -> None:
    # given statements read from two banks' layouts
    for fixture in ("cs_camt053_v02.xml", "kb_camt053_v08.xml"):
        (statement,) = read_statement(FIXTURES / fixture, "camt053")

        # when
        written = write_camt053(statement)

        # then
        valid = schema("camt.053.001.02.xsd")
        assert valid.validate(etree.fromstring(written)), valid.error_log
        assert parse_statement(written, "camt053", "written.xml") == [statement]
