"""QR Platba: SPAYD strings field by field, escaping, refusals and the QR code."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linka.documents.errors import SpaydError
from linka.documents.spayd import (
    MSG_LENGTH,
    build_spayd,
    clean_text,
    escape_value,
    format_spayd,
    parse_spayd,
    qr_code,
    qr_png,
    qr_svg,
    unescape_value,
    validate_spayd,
)
from tests.documents.builders import BANK, invoice

KB_EXAMPLE = "SPD*1.0*ACC:CZ7801000000000000000123*AM:799.50*CC:CZK*DT:20221001*X-VS:9562231077"
ACC = "CZ7908000000002000145399"


def test_invoice_spayd_is_the_golden_string() -> None:
    # given the March invoice (amount due 1 304 Kč after rounding)
    text = build_spayd(invoice())
    # then every field is where and what the bank app expects, keys in canonical order
    assert text == (
        "SPD*1.0*ACC:CZ7908000000002000145399+GIBACZPX*AM:1304.00*CC:CZK*DT:20260415"
        "*MSG:Faktura 2026040123*RN:Linka Mobil s.r.o.*X-VS:2026040123"
    )
    assert validate_spayd(text) == []


def test_fields_follow_the_document() -> None:
    document = invoice("en", due_date=invoice().due_date.replace(day=20), variable_symbol="42")
    fields = parse_spayd(build_spayd(document))
    assert fields == {
        "ACC": "CZ7908000000002000145399+GIBACZPX",
        "AM": "1304.00",
        "CC": "CZK",
        "DT": "20260420",
        "MSG": "Invoice 2026040123",
        "RN": "Linka Mobil s.r.o.",
        "X-VS": "42",
    }
    assert list(fields) == sorted(fields)


def test_komercni_banka_example_validates() -> None:
    assert validate_spayd(KB_EXAMPLE) == []
    assert validate_spayd(KB_EXAMPLE + "*") == []  # a trailing separator is allowed
    assert parse_spayd(KB_EXAMPLE)["X-VS"] == "9562231077"


def test_diacritics_and_stars_are_made_safe() -> None:
    document = invoice(supplier=dataclasses.replace(invoice().supplier, name="Čtyřka*Net s.r.o."))
    text = build_spayd(document, message="Záloha č. 5 * 2 = 10 % sleva")
    assert "*RN:Ctyrka%2ANet s.r.o.*" in text
    assert "*MSG:Zaloha c. 5 %2A 2 = 10 %25 sleva*" in text
    assert parse_spayd(text)["MSG"] == "Zaloha c. 5 * 2 = 10 % sleva"
    assert validate_spayd(text) == []


def test_long_message_is_cut_to_sixty_characters() -> None:
    text = build_spayd(invoice(), message="x" * 100)
    assert parse_spayd(text)["MSG"] == "x" * MSG_LENGTH


@given(st.text())
def test_escaping_round_trips_any_text(text: str) -> None:
    assert unescape_value(escape_value(text)) == text
    assert "*" not in escape_value(text)


@given(st.text(max_size=200))
def test_any_message_text_round_trips_and_validates(text: str) -> None:
    message = clean_text(text, MSG_LENGTH)
    spayd = format_spayd({"ACC": ACC, "AM": "1.00", "CC": "CZK", "MSG": message})
    problems = validate_spayd(spayd)
    if message:
        assert problems == []
        assert parse_spayd(spayd)["MSG"] == message
    else:
        assert problems == ["MSG: empty value"]


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20))
def test_clean_ascii_message_survives_unchanged(text: str) -> None:
    text = " ".join(text.split())
    spayd = format_spayd({"ACC": ACC, "MSG": text or "x"})
    assert validate_spayd(spayd) == []
    assert parse_spayd(spayd)["MSG"] == (text or "x")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"amount_due": Decimal("0.00")}, "only for an amount to pay"),
        ({"amount_due": Decimal("-10.00")}, "only for an amount to pay"),
        ({"amount_due": Decimal("10000000.00")}, "exceeds the QR Platba maximum"),
        ({"variable_symbol": "FV2026/1"}, "must be 1–10 digits"),
        ({"variable_symbol": "12345678901"}, "must be 1–10 digits"),
        ({"supplier_bank": dataclasses.replace(BANK, iban="CZ7908000000002000145398")}, "IBAN"),
        ({"supplier_bank": dataclasses.replace(BANK, bic="GIBA")}, "BIC"),
        ({"currency": "XYZ"}, "ISO 4217"),
    ],
)
def test_refuses_what_a_bank_would_reject(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(SpaydError, match=reason):
        build_spayd(invoice(**changes))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("SPX*1.0*ACC:" + ACC, "must start with 'SPD*'"),
        ("SPD*2.0*ACC:" + ACC, "version '2.0'"),
        ("SPD*1.0*AM:1.00", "ACC (the payee's IBAN) is mandatory"),
        ("SPD*1.0*ACC:CZ7908000000002000145390", "not a valid IBAN"),
        ("SPD*1.0*acc:" + ACC, "must be upper-case letters"),
        ("SPD*1.0*AC1:x*ACC:" + ACC, "must be upper-case letters"),
        ("SPD*1.0*ACC:" + ACC + "*ACC:" + ACC, "appears twice"),
        ("SPD*1.0*ACC:" + ACC + "*AM:1,50", "not an amount"),
        ("SPD*1.0*ACC:" + ACC + "*AM:9999999.999", "at most 10 allowed"),
        ("SPD*1.0*ACC:" + ACC + "*AM:12345678", "not an amount"),
        ("SPD*1.0*ACC:" + ACC + "*CC:czk", "ISO 4217"),
        ("SPD*1.0*ACC:" + ACC + "*X-VS:12A", "digits only"),
        ("SPD*1.0*ACC:" + ACC + "*X-SS:12345678901", "at most 10 allowed"),
        ("SPD*1.0*ACC:" + ACC + "*X-KS:0308x", "digits only"),
        ("SPD*1.0*ACC:" + ACC + "*DT:2026-04-15", "not a date YYYYMMDD"),
        ("SPD*1.0*ACC:" + ACC + "*DT:20260231", "not a calendar date"),
        ("SPD*1.0*ACC:" + ACC + "*MSG:" + "x" * 61, "at most 60 allowed"),
        ("SPD*1.0*ACC:" + ACC + "*MSG:5*2", "'2' is not KEY:value"),
        ("SPD*1.0*ACC:" + ACC + "*MSG:100 %", "'%' must start an escape"),
        ("SPD*1.0*ACC:" + ACC + "*MSG:Faktura č. 1", "outside printable ISO-8859-1"),
        ("SPD*1.0*ACC:" + ACC + "*MSG:a\nb", "outside printable ISO-8859-1"),
        ("SPD*1.0*ACC:" + ACC + "*CRC32:12ab", "8 hexadecimal digits"),
        ("SPD*1.0*ACC:" + ACC + "*NT:X", "P (phone) or E (e-mail)"),
        ("SPD*1.0*ACC:" + ACC + "*MSG:", "empty value"),
        ("SPD*1.0*ACC:" + ACC + "*MSG:" + "x" * 3000, "a QR code holds at most"),
    ],
)
def test_validator_names_each_problem(text: str, problem: str) -> None:
    problems = validate_spayd(text)
    assert any(problem in p for p in problems), problems


def test_alternative_accounts_are_checked() -> None:
    good = f"SPD*1.0*ACC:{ACC}*ALT-ACC:CZ7801000000000000000123+KOMBCZPP,{ACC}"
    assert validate_spayd(good) == []
    assert any("not a valid IBAN" in p for p in validate_spayd(good + "0"))


def test_qr_code_is_level_m_and_renders() -> None:
    text = build_spayd(invoice())
    code = qr_code(text)
    assert code.error == "M"
    svg = qr_svg(text)
    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")
    assert qr_png(text).startswith(b"\x89PNG\r\n\x1a\n")
