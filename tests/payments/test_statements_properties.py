"""For any statement a format can carry: parse(write(statement)) == statement."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from linka.payments.statements import (
    Statement,
    StatementEntry,
    StatementFormat,
    parse_statement,
    write_camt053,
    write_gpc,
)
from linka.payments.statements.model import account_pair

SCHEMA = etree.XMLSchema(
    etree.parse(str(Path(__file__).parent / "fixtures" / "xsd" / "camt.053.001.02.xsd"))
)
PLACES = {"CZK": 2, "EUR": 2, "JPY": 0, "BHD": 3}
BANKS = ["0100", "0300", "0800", "2010", "5500", "6210"]
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# names and messages: Czech letters, punctuation XML must escape; messages without digits
# (a digit after "VS" in a message would rightly be read as a symbol when the fields are empty)
LETTERS = "abcdefghijklmnopqrstuvwxyzáčďéěíňóřšťúůýžÁČŘŠŽ"
NAME = LETTERS + "0123456789.,&<>'\"-"
MESSAGE = LETTERS + ".,&<>'\"-/:"


def words(alphabet: str, most: int) -> st.SearchStrategy[str]:
    """Text of single-spaced words, as statements keep it (runs of spaces are one)."""
    word = st.text(alphabet, min_size=1, max_size=12)
    return (
        st.lists(word, min_size=1, max_size=12).map(" ".join).filter(lambda text: len(text) <= most)
    )


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 1))
symbols = st.none() | st.integers(1, 9_999_999_999).map(str)
constants = st.none() | st.integers(1, 9999).map(str)
czech_numbers = st.tuples(st.integers(0, 999_999), st.integers(1, 9_999_999_999))
czech_with_bank = st.builds(
    lambda parts, bank: f"{parts[0]}-{parts[1]}/{bank}" if parts[0] else f"{parts[1]}/{bank}",
    czech_numbers,
    st.sampled_from(BANKS),
)
czech_without_bank = czech_numbers.map(lambda p: f"{p[0]}-{p[1]}" if p[0] else str(p[1]))
foreign_ibans = st.sampled_from(["DE89370400440532013000", "SK3112000000198742637541"])


@st.composite
def camt_statements(draw: st.DrawFn) -> Statement:
    currency = draw(st.sampled_from(sorted(PLACES)))
    places = PLACES[currency]
    owner = draw(st.one_of(czech_with_bank, czech_without_bank, foreign_ibans))
    iban, account = account_pair(*((owner, None) if owner[:2].isalpha() else (None, owner)))
    statement_id = draw(st.text(UPPER + "-", min_size=1, max_size=20))
    key = iban or account or statement_id
    own_ids = draw(st.lists(st.text(UPPER, min_size=1, max_size=20), unique=True, max_size=8))
    entries = []
    for own in own_ids:
        amount = Decimal(draw(st.integers(1, 10**9) | st.integers(-(10**9), -1))).scaleb(-places)
        entries.append(
            StatementEntry(
                f"{key}/{own}",
                draw(days),
                draw(st.none() | days),
                amount,
                currency,
                draw(symbols),
                draw(symbols),
                draw(constants),
                draw(st.none() | czech_with_bank | czech_without_bank | foreign_ibans),
                draw(st.none() | words(NAME, 140)),
                draw(st.none() | words(MESSAGE, 140)),
                draw(st.none() | st.integers(1, 10**12).map(lambda n: f"E2E{n}")),
                draw(
                    st.none()
                    | st.from_regex(r"[A-Z]{4}/[A-Z]{4}/[A-Z]{4}", fullmatch=True)
                    | st.from_regex(r"[0-9]{11}", fullmatch=True)
                ),
                draw(st.booleans()),
                draw(st.none() | st.from_regex(r"[A-Z]{2}[0-9]{2}", fullmatch=True)),
            )
        )
    start = draw(days)
    opening = Decimal(draw(st.integers(-(10**10), 10**10))).scaleb(-places)
    return Statement(
        statement_id,
        draw(st.none() | st.integers(1, 99_999).map(str)),
        iban,
        account,
        currency,
        opening,
        opening + sum((e.amount for e in entries), Decimal(0)),
        start,
        start + timedelta(days=draw(st.integers(0, 31))),
        tuple(entries),
        StatementFormat.CAMT053,
    )


@st.composite
def gpc_statements(draw: st.DrawFn) -> Statement:
    account = draw(czech_without_bank)
    number = draw(st.none() | st.integers(1, 999).map(str))
    end = draw(days)
    statement_id = f"{account}/{end.isoformat()}" + (f"/{number}" if number else "")
    documents = draw(
        st.lists(
            st.none()  # the bank gave no id (or zeros): the reader stands one in
            | st.text(UPPER, min_size=1, max_size=26).filter(lambda d: d.strip("0")),
            max_size=8,
        ).filter(lambda ds: len({d for d in ds if d}) == len([d for d in ds if d]))
    )
    currency = draw(st.sampled_from(["CZK", "EUR"])) if documents else "CZK"
    entries = []
    for position, document in enumerate(documents, 1):
        cents = draw(st.integers(1, 10**11))
        entries.append(
            StatementEntry(
                f"{account}/{document or f'{statement_id}/{position}'}",
                draw(days),
                draw(st.none() | days),
                Decimal(cents * draw(st.sampled_from([1, -1]))).scaleb(-2),
                currency,
                draw(symbols),
                draw(symbols),
                draw(constants),
                draw(st.none() | czech_with_bank | czech_without_bank),
                draw(st.none() | words(NAME, 20)),
                draw(st.none() | words(MESSAGE, 140)),
                reversal=draw(st.booleans()),
            )
        )
    opening = Decimal(draw(st.integers(-(10**12), 10**12))).scaleb(-2)
    return Statement(
        statement_id,
        number,
        None,
        account,
        currency,
        opening,
        opening + sum((e.amount for e in entries), Decimal(0)),
        draw(st.none() | days),
        end,
        tuple(entries),
        StatementFormat.GPC,
    )


@settings(max_examples=150, deadline=None)
@given(camt_statements())
def test_camt053_round_trip_is_exact_and_schema_valid(statement: Statement) -> None:
    written = write_camt053(statement)
    assert SCHEMA.validate(etree.fromstring(written)), SCHEMA.error_log
    assert parse_statement(written, "camt053", "round.xml") == [statement]


@settings(max_examples=150, deadline=None)
@given(gpc_statements())
def test_gpc_round_trip_is_exact(statement: Statement) -> None:
    written = write_gpc(statement)
    assert parse_statement(written, "gpc", "round.gpc") == [statement]


@given(camt_statements())
def test_amounts_keep_the_currency_precision(statement: Statement) -> None:
    (read,) = parse_statement(write_camt053(statement), "camt053", "round.xml")
    exponents = {-e.amount.as_tuple().exponent for e in read.entries}  # type: ignore[operator]
    assert exponents <= {PLACES[statement.currency]}
    assert replace(read, entries=()) == replace(statement, entries=())
