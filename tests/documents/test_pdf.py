"""The PDF bill: valid PDF, the figures a reader looks for, both languages, no markup injection."""

from __future__ import annotations

import dataclasses
import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from linka.documents import formatting as fmt
from linka.documents.labels import LABELS
from linka.documents.pdf import render_pdf, render_pdfs, render_png, template_data
from linka.documents.spayd import build_spayd
from tests.documents.builders import CUSTOMER, credit_note, invoice, reverse_charge_invoice


def pdf_text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.replace("\u00a0", " ").split())


def test_czech_invoice_with_usage_prints_numbers_totals_and_symbol() -> None:
    # given a heavy user's March invoice in Czech with 120 usage records
    pdf = render_pdf(invoice("cs", usage=120))
    # then it is a three-page PDF with the identifiers and figures of the bill
    assert pdf.startswith(b"%PDF-")
    pages, text = pdf_text(pdf)
    assert pages == 3
    for expected in (
        "Faktura – daňový doklad",
        "2026040123",  # number and variable symbol
        "Variabilní symbol 2026040123",
        "IČO 28745132",
        "DIČ CZ28745132",
        "DIČ CZ08612048",
        "oddíl C, vložka 151234",
        "Datum uskutečnění zdanitelného plnění 31. 3. 2026",
        "Datum splatnosti 15. 4. 2026",
        "1. 3. 2026 – 31. 3. 2026",
        "Telefonní číslo +420 601 123 456",
        "Celkem bez DPH 1 077,86 Kč",
        "DPH celkem 226,35 Kč",
        "Celkem s DPH 1 304,21 Kč",
        "Zaokrouhlení -0,21 Kč",
        "1 304,00 Kč",
        "CZ79 0800 0000 0020 0014 5399",
        "Rozpis využitých služeb",
        "Strana 3 z 3",
    ):
        assert expected in text, expected


def test_english_invoice_uses_english_labels_and_formats() -> None:
    pages, text = pdf_text(render_pdf(invoice("en")))
    assert pages == 1
    for expected in (
        "Invoice – tax document",
        "Variable symbol 2026040123",
        "Date of taxable supply 31 Mar 2026",
        "Due date 15 Apr 2026",
        "Total excl. VAT CZK 1,077.86",
        "Total VAT CZK 226.35",
        "Amount due CZK 1,304.00",
        "Page 1 of 1",
    ):
        assert expected in text, expected
    assert "Faktura" not in text


def test_qr_platba_code_carries_the_documents_spayd() -> None:
    document = invoice()
    data = template_data(document)
    assert data["payment"]["spayd"] == build_spayd(document)
    assert data["payment"]["qr"].startswith("<svg")


def test_credit_note_names_the_original_and_offers_no_qr() -> None:
    document = credit_note("cs")
    data = template_data(document)
    assert data["payment"]["qr"] is None
    assert data["payment"]["spayd"] is None
    _, text = pdf_text(render_pdf(document))
    for expected in (
        "Opravný daňový doklad – dobropis",
        "Opravovaný doklad 2026040123",
        "Důvod opravy Reklamace: chybně účtované služby za březen 2026",
        "K vrácení",
        "1 304,00 Kč",
    ):
        assert expected in text, expected


def test_reverse_charge_prints_the_legal_note() -> None:
    _, text = pdf_text(render_pdf(reverse_charge_invoice("cs")))
    assert "Daň odvede zákazník (čl. 196 směrnice 2006/112/ES)" in text
    assert "DIČ DE811569869" in text


def test_direct_debit_has_no_qr_but_says_how_it_is_paid() -> None:
    data = template_data(invoice("en", payment_method="direct_debit"))
    assert data["payment"]["qr"] is None
    assert data["payment"]["note"] == LABELS["en"]["note_direct_debit"]


def test_customer_text_is_printed_literally_not_as_markup() -> None:
    name = 'Firma *tučně* #strong[x] $a^2$ <lbl> @ref \\ "quote" ]'
    document = invoice(customer=dataclasses.replace(CUSTOMER, name=name))
    _, text = pdf_text(render_pdf(document))
    assert '*tučně* #strong[x] $a^2$ <lbl> @ref \\ "quote" ]' in text


def test_rendering_is_deterministic_and_batch_equals_single() -> None:
    documents = [invoice(), invoice("en", number="2026040124")]
    batch = [pdf for _, pdf in render_pdfs(documents)]
    assert batch == [render_pdf(d) for d in documents]


def test_first_page_png() -> None:
    png = render_png(invoice(usage=40))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_label_tables_are_complete_in_both_languages() -> None:
    assert LABELS["cs"].keys() == LABELS["en"].keys()


@pytest.mark.parametrize(
    ("value", "currency", "language", "expected"),
    [
        (Decimal("1234.5"), "CZK", "cs", "1\u00a0234,50\u00a0Kč"),
        (Decimal("1234.5"), "CZK", "en", "CZK\u00a01,234.50"),
        (Decimal("-0.21"), "CZK", "cs", "-0,21\u00a0Kč"),
        (Decimal("-1234567.891"), "EUR", "en", "-EUR\u00a01,234,567.89"),
        (Decimal("0"), "EUR", "cs", "0,00\u00a0€"),
    ],
)
def test_money_formats(value: Decimal, currency: str, language: str, expected: str) -> None:
    assert fmt.money(value, currency, language) == expected


def test_date_and_price_formats() -> None:
    assert fmt.day(date(2026, 3, 31), "cs") == "31.\u00a03.\u00a02026"
    assert fmt.day(date(2026, 3, 31), "en") == "31\u00a0Mar\u00a02026"
    assert fmt.price(Decimal("1.6529"), "cs") == "1,6529"
    assert fmt.price(Decimal("412.4"), "en") == "412.40"
    assert fmt.percent(Decimal("21"), "cs") == "21\u00a0%"
