"""Bad input refuses the whole file with a message naming the file, the record and the field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from linka.payments.statements import StatementError, parse_statement, read_statement

FIXTURES = Path(__file__).parent / "fixtures"
CS = (FIXTURES / "cs_camt053_v02.xml").read_bytes()
FIO = (FIXTURES / "fio_2026-04.gpc").read_bytes()
RB = (FIXTURES / "rb_2026-04.sta").read_bytes()
STATEMENT = "statement 0000192000145399-2026-04-30-13 (line 8)"
FIRST_AMOUNT = b'<Amt Ccy="CZK">1250.00</Amt>\n        <CdtDbtInd>'


def first_amount(replacement: bytes) -> Callable[[bytes], bytes]:
    return lambda data: data.replace(FIRST_AMOUNT, replacement + b"\n        <CdtDbtInd>")


def shorten_line(number: int, by: int) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        lines = data.split(b"\r\n")
        lines[number - 1] = lines[number - 1][:-by]
        return b"\r\n".join(lines)

    return change


CAMT = [
    pytest.param(
        lambda data: data[:3000],
        "cs.xml: line 111: XML: not well-formed: Premature end of data in tag Othr line 109, "
        "line 111, column 5",
        id="truncated",
    ),
    pytest.param(
        lambda data: b"",
        "cs.xml: line 1: XML: not well-formed: no element found",
        id="empty",
    ),
    pytest.param(
        lambda data: data.replace(b"<Cd>CLBD</Cd>", b"<Cd>CLAV</Cd>"),
        f"cs.xml: {STATEMENT}: Bal CLBD: missing; expected a closing balance "
        "(Tp/CdOrPrtry/Cd CLBD)",
        id="no closing balance",
    ),
    pytest.param(
        first_amount(b'<Amt Ccy="CZX">1250.00</Amt>'),
        "cs.xml: entry 1 (line 60): Amt/@Ccy: unknown currency 'CZX'; expected an ISO 4217 "
        "code such as CZK or EUR",
        id="unknown entry currency",
    ),
    pytest.param(
        lambda data: data.replace(b"<Ccy>CZK</Ccy>", b"<Ccy>KCS</Ccy>"),
        f"cs.xml: {STATEMENT}: Acct/Ccy: unknown currency 'KCS'; expected an ISO 4217 code "
        "such as CZK or EUR",
        id="unknown account currency",
    ),
    pytest.param(
        first_amount(b'<Amt Ccy="EUR">1250.00</Amt>'),
        "cs.xml: entry 1 (line 60): Amt/@Ccy: EUR; expected the account currency CZK",
        id="entry in another currency",
    ),
    pytest.param(
        first_amount(b'<Amt Ccy="CZK">1250.005</Amt>'),
        "cs.xml: entry 1 (line 60): Amt: 1250.005 has more decimals than CZK allows (2)",
        id="too many decimals",
    ),
    pytest.param(
        lambda data: data.replace(b"18634.50", b"18634.60"),
        f"cs.xml: {STATEMENT}: closing balance: opening 15230.50 + entries 3404.00 = 18634.50, "
        "but the file says 18634.60",
        id="balances do not add up",
    ),
    pytest.param(
        lambda data: data.replace(b"2026041400173944", b"2026040200481532"),
        "cs.xml: statement 0000192000145399-2026-04-30-13 entry 2: reference: "
        "'CZ6508000000192000145399/2026040200481532' repeats an earlier entry; expected each "
        "entry once",
        id="repeated entry",
    ),
]

GPC = [
    pytest.param(
        shorten_line(3, 1),
        "fio.gpc: line 3: record 075: 127 characters; expected 128 (a shorter or longer line "
        "shifts every column after it)",
        id="line too short",
    ),
    pytest.param(
        lambda data: data[:700],
        "fio.gpc: line 6: record 075: 50 characters; expected 128 (a shorter or longer line "
        "shifts every column after it)",
        id="truncated",
    ),
    pytest.param(
        lambda data: data.replace(b"00203", b"00001"),
        "fio.gpc: line 2: currency: unknown currency code '0001'; expected 0 and an ISO 4217 "
        "numeric code such as 0203 (CZK) or 0978 (EUR)",
        id="unknown currency",
    ),
    pytest.param(
        lambda data: data.replace(b"00203", b"00392").replace(b"000000125000", b"000000125050"),
        "fio.gpc: line 2: amount: 1250.50 has more decimals than JPY allows (0)",
        id="too many decimals",
    ),
    pytest.param(
        lambda data: data.replace(b"00000000970000+", b"00000000970100+"),
        "fio.gpc: line 1: closing balance: opening 8450.00 + entries 1250.00 = 9700.00, but the "
        "file says 9701.00",
        id="balances do not add up",
    ),
    pytest.param(
        lambda data: data.replace(b"000000125000220260001230", b"0000001250x0220260001230"),
        "fio.gpc: line 2: amount: '0000001250x0'; expected 12 digits",
        id="amount not digits",
    ),
    pytest.param(
        lambda data: data.replace(
            b"0750000002300111222000000290012", b"0770000002300111222000000290012"
        ),
        "fio.gpc: line 2: record type: '077'; expected 074, 075, 076, 078 or 079",
        id="unknown record",
    ),
]

MT940 = [
    pytest.param(
        lambda data: data.split(b":62F:")[0],
        "rb.sta: statement RB2026043000001 (line 2): tag 62F: missing; expected the closing "
        "balance",
        id="truncated",
    ),
    pytest.param(
        lambda data: data.replace(b":60F:C260331CZK", b":60F:C260331CZX"),
        "rb.sta: line 5: tag 60F currency: unknown currency 'CZX'; expected an ISO 4217 code "
        "such as CZK or EUR",
        id="unknown currency",
    ),
    pytest.param(
        lambda data: data.replace(b"C1250,00NTRF", b"C1250,005NTRF"),
        "rb.sta: line 6: tag 61 amount: 1250.005 has more decimals than CZK allows (2)",
        id="too many decimals",
    ),
    pytest.param(
        lambda data: data.replace(b"C260430CZK56344,00\r\n:64", b"C260430CZK56344,10\r\n:64"),
        "rb.sta: statement RB2026043000001 (line 2): closing balance: opening 52340.00 + "
        "entries 4004.00 = 56344.00, but the file says 56344.10",
        id="balances do not add up",
    ),
    pytest.param(
        lambda data: data.replace(b"0403D45,00NCHG", b"0403X45,00NCHG"),
        "rb.sta: line 8: tag 61: '2604030403X45,00NCHGNONREF//FT26093FEE001'; expected "
        "YYMMDD[MMDD], C/D/RC/RD, amount, type (NTRF), reference",
        id="corrupt entry line",
    ),
    pytest.param(
        lambda data: data.replace(b":28C:", b":23X:"),
        "rb.sta: line 4: tag 23X: unknown field; expected :25:, :28C:, :60F:, :61:, :86: or :62F:",
        id="unknown field",
    ),
]


@pytest.mark.parametrize(("change", "message"), CAMT)
def test_bad_camt_is_refused_whole(change: Callable[[bytes], bytes], message: str) -> None:
    # given a damaged copy of a good statement / when / then
    with pytest.raises(StatementError) as refused:
        parse_statement(change(CS), "camt053", "cs.xml")
    assert str(refused.value) == message


@pytest.mark.parametrize(("change", "message"), GPC)
def test_bad_gpc_is_refused_whole(change: Callable[[bytes], bytes], message: str) -> None:
    with pytest.raises(StatementError) as refused:
        parse_statement(change(FIO), "gpc", "fio.gpc")
    assert str(refused.value) == message


@pytest.mark.parametrize(("change", "message"), MT940)
def test_bad_mt940_is_refused_whole(change: Callable[[bytes], bytes], message: str) -> None:
    with pytest.raises(StatementError) as refused:
        parse_statement(change(RB), "mt940", "rb.sta")
    assert str(refused.value) == message


def test_error_names_file_record_and_field_apart() -> None:
    # given a statement whose closing balance is missing / when
    with pytest.raises(StatementError) as refused:
        parse_statement(CS.replace(b"<Cd>CLBD</Cd>", b"<Cd>CLAV</Cd>"), "camt053", "cs.xml")

    # then the parts are there for a program too
    error = refused.value
    assert (error.file, error.record, error.field) == ("cs.xml", STATEMENT, "Bal CLBD")


def test_a_notification_is_not_read_as_a_statement_nor_the_other_way() -> None:
    with pytest.raises(StatementError) as refused:
        parse_statement(CS, "camt054", "cs.xml")
    assert str(refused.value) == (
        "cs.xml: line 8: Stmt: expected a camt.054 notification (BkToCstmrDbtCdtNtfctn/Ntfctn), "
        "found BkToCstmrStmt/Stmt"
    )


def test_unknown_format_and_unreadable_file_are_named(tmp_path: Path) -> None:
    with pytest.raises(StatementError) as unknown:
        parse_statement(CS, "csv", "cs.xml")
    assert str(unknown.value) == (
        "cs.xml: file: format: 'csv'; expected one of camt053, camt054, mt940, gpc"
    )
    with pytest.raises(StatementError) as missing:
        read_statement(tmp_path / "april.gpc", "gpc")
    assert str(missing.value) == "april.gpc: file: path: cannot be read: No such file or directory"
