"""The demo's invoices as documents: every file valid, every figure the stored one.

Given the demo operator billed for March 2026 with its PDF and ISDOC files written,
every ISDOC validates against the official schema, every PDF opens in PDFium and shows
the QR Platba code of the invoice (read back from the rendered page), and the documents
carry exactly the stored amounts and the rated records behind the usage lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import polars as pl
import pypdfium2 as pdfium
import pytest
import zxingcpp
from sqlalchemy import select

from linka.billing.corrections import credit_invoice
from linka.billing.explain import explain_invoice
from linka.billing.export import DocumentFormat, Selection, document_path, export_documents
from linka.billing.rendering import NotIssuedError, load_documents
from linka.billing.tables import InvoiceLineRow, InvoiceRow
from linka.demo.operator import BILL_NOW, build_demo
from linka.documents.isdoc import build_isdoc, validate_isdoc
from linka.documents.model import DocumentKind, InvoiceDocument
from linka.documents.spayd import build_spayd
from linka.kernel.clock import FakeClock
from linka.rating.model import RatedStatus
from linka.rating.services import rated_usage
from linka.settings import Settings
from linka.store.database import Database
from linka.usage.store import UsageStore

SETTINGS = Settings.model_construct()


@dataclass
class Billed:
    database: Database
    store: UsageStore
    folder: Path
    run: Selection
    documents: list[InvoiceDocument]


@pytest.fixture(scope="module")
def billed(tmp_path_factory: pytest.TempPathFactory) -> Billed:
    data = tmp_path_factory.mktemp("demo")
    database = Database(f"sqlite:///{data / 'linka.db'}")
    database.upgrade()
    summary = build_demo(database, data, seed=7, customers=30, records=6_000)
    assert summary.bill is not None
    assert summary.bill.issued > 0
    store = UsageStore.in_data_dir(data)
    with database.session() as session:
        ids = list(session.scalars(select(InvoiceRow.id).order_by(InvoiceRow.id)))
        documents = load_documents(session, store, ids, SETTINGS)
    return Billed(
        database, store, data / "documents", Selection(run_id=summary.bill.run_id), documents
    )


def test_every_demo_invoice_has_a_valid_isdoc_file(billed: Billed) -> None:
    files = sorted(billed.folder.glob("*.isdoc"))
    assert len(files) == len(billed.documents)
    for path in files:
        assert validate_isdoc(path.read_bytes()) == [], path.name


def test_every_pdf_opens_and_shows_the_qr_platba_code_of_its_invoice(billed: Billed) -> None:
    shown = 0
    for document in billed.documents:
        pdf = pdfium.PdfDocument(document_path(billed.folder, document.number, DocumentFormat.PDF))
        assert len(pdf) >= 1
        codes = [code.text for code in zxingcpp.read_barcodes(pdf[0].render(scale=2).to_numpy())]
        if document.payment_method == "bank_transfer":
            assert codes == [build_spayd(document)], document.number
            shown += 1
        else:  # collected by direct debit or card: a QR code would invite paying twice
            assert codes == [], document.number
    assert shown > 0


def test_documents_carry_the_stored_amounts(billed: Billed) -> None:
    with billed.database.session() as session:
        stored = {row.number_text: row for row in session.scalars(select(InvoiceRow))}
    for document in billed.documents:
        invoice = stored[document.number]
        assert document.amount_due == invoice.amount_due
        assert document.total_net == sum((line.net for line in document.lines), Decimal(0))
        assert document.total_vat == sum((row.vat for row in document.vat), Decimal(0))
        assert document.total_gross + document.rounding == document.amount_due
        assert document.period_end < invoice.period_end  # printed inclusive


def test_itemisation_lists_exactly_the_rated_records_of_the_usage_lines(billed: Billed) -> None:
    with billed.database.session() as session:
        rated = (
            rated_usage(session, billed.store, "2026-03")
            .filter(pl.col("status_text").is_in([RatedStatus.CHARGED, RatedStatus.INCLUDED]))
            .collect()
        )
        usage_lines = list(
            session.scalars(select(InvoiceLineRow).where(InvoiceLineRow.kind == "usage"))
        )
    itemised = sum(len(document.usage) for document in billed.documents)
    billed_lines = {line.line_id for line in usage_lines}
    assert itemised == rated.filter(pl.col("line_id").is_in(billed_lines)).height
    for document in billed.documents:
        priced = sum((item.price for item in document.usage), Decimal(0))
        usage = sum((line.net for line in document.lines if line.kind == "usage"), Decimal(0))
        # a usage line is its records' exact sum rounded once to haléře; an item is shown
        # to 4 places
        lines = sum(1 for line in document.lines if line.kind == "usage")
        bound = Decimal("0.005") * lines + Decimal("0.00005") * len(document.usage)
        assert abs(priced - usage) <= bound


def test_an_export_is_write_once_and_the_same_bytes_every_time(
    billed: Billed, tmp_path: Path
) -> None:
    first = export_documents(
        billed.database, billed.store, tmp_path / "a", [DocumentFormat.PDF, DocumentFormat.UBL],
        billed.run, SETTINGS,
    )  # fmt: skip
    count = len(billed.documents)
    assert first.written == {"pdf": count, "ubl": count}
    assert first.kept == 0
    for document in billed.documents:
        path = document_path(billed.folder, document.number, DocumentFormat.PDF)
        again = document_path(tmp_path / "a", document.number, DocumentFormat.PDF)
        assert path.read_bytes() == again.read_bytes()
    victim = document_path(tmp_path / "a", billed.documents[0].number, DocumentFormat.UBL)
    victim.write_bytes(b"left alone")
    second = export_documents(
        billed.database, billed.store, tmp_path / "a", [DocumentFormat.PDF, DocumentFormat.UBL],
        billed.run, SETTINGS,
    )  # fmt: skip
    assert second.written == {"pdf": 0, "ubl": 0}
    assert second.kept == 2 * count
    assert victim.read_bytes() == b"left alone"


def test_a_credit_note_document_is_negative_and_names_the_original(
    billed: Billed, tmp_path: Path
) -> None:
    original = billed.documents[0]
    with billed.database.session() as session:
        note = credit_invoice(
            session, original.number, reason="Chybně účtovaný paušál",
            clock=FakeClock(BILL_NOW), settings=SETTINGS, issue_date=original.issue_date,
        )  # fmt: skip
        [document] = load_documents(session, billed.store, [note.id], SETTINGS)
    assert document.kind is DocumentKind.CREDIT_NOTE
    assert document.original_number == original.number
    assert document.amount_due == -original.amount_due
    assert document.usage == ()
    assert validate_isdoc(build_isdoc(document)) == []


def test_explain_traces_usage_lines_to_rules_and_fees_to_their_proration(
    billed: Billed,
) -> None:
    document = next(d for d in billed.documents if any(li.kind == "usage" for li in d.lines))
    with billed.database.session() as session:
        invoice = session.scalars(
            select(InvoiceRow).where(InvoiceRow.number_text == document.number)
        ).one()
        explained = explain_invoice(session, billed.store, invoice, records=True)
    for item in explained:
        if item.line.kind == "usage":
            assert item.rules is not None
            assert item.records is not None
            total = item.rules["amount"].sum()
            assert Decimal(total).quantize(Decimal("0.01"), ROUND_HALF_UP) == item.line.net
            assert item.rules["records"].sum() == item.records.height
            assert item.rules["set by"].null_count() == 0  # every rule has its file:line
        elif item.line.kind == "recurring":
            assert "days" in item.origin
            assert "fee" in item.origin
        assert item.earlier == 0  # the first bill of every account


def test_drafts_have_no_documents(billed: Billed) -> None:
    with billed.database.session() as session, pytest.raises(NotIssuedError):
        load_documents(session, billed.store, [10_000_000], SETTINGS)
