"""EN 16931 UBL 2.1 and CII, and Factur-X: XSD, the official schematrons and key fields."""

from __future__ import annotations

import io
from typing import Any

import pytest
from lxml import etree
from pypdf import PdfReader

from linka.documents import cii, ubl
from linka.documents.errors import DocumentError
from linka.documents.facturx import ATTACHMENT, embedded_xml, render_facturx
from linka.documents.model import InvoiceDocument
from tests.documents.builders import (
    credit_note,
    invoice,
    outside_scope_invoice,
    reverse_charge_invoice,
)
from tests.documents.schematron import CII_RULES, UBL_RULES, failed_rules

VARIANTS = {
    "invoice": invoice(),
    "invoice-en": invoice("en"),
    "credit-note": credit_note(),
    "reverse-charge": reverse_charge_invoice(),
    "reverse-charge-eur": reverse_charge_invoice(currency="EUR"),
    "outside-scope": outside_scope_invoice(),
    "direct-debit": invoice(payment_method="direct_debit"),
    "card": invoice(payment_method="card"),
}


def values(xml: bytes, path: str, namespaces: dict[str, str]) -> list[str]:
    return [str(v) for v in etree.fromstring(xml).xpath(path, namespaces=namespaces)]


@pytest.mark.parametrize("document", VARIANTS.values(), ids=VARIANTS.keys())
def test_ubl_passes_xsd_and_en16931_schematron(document: InvoiceDocument) -> None:
    xml = ubl.build_ubl(document)  # raises if the XSD fails
    assert failed_rules(xml, UBL_RULES) == []


@pytest.mark.parametrize("document", VARIANTS.values(), ids=VARIANTS.keys())
def test_cii_passes_xsd_and_factur_x_en16931_schematron(document: InvoiceDocument) -> None:
    xml = cii.build_cii(document)
    assert failed_rules(xml, CII_RULES) == []


def test_ubl_invoice_business_terms() -> None:
    xml = ubl.build_ubl(invoice())
    ns = ubl.NAMESPACES | {"u": ubl.INVOICE_NS}

    def one(path: str) -> str:
        found = values(xml, path, ns)
        assert len(found) == 1, path
        return found[0]

    assert one("/u:Invoice/cbc:CustomizationID/text()") == "urn:cen.eu:en16931:2017"  # BT-24
    assert one("/u:Invoice/cbc:ID/text()") == "2026040123"  # BT-1
    assert one("/u:Invoice/cbc:IssueDate/text()") == "2026-04-01"  # BT-2
    assert one("/u:Invoice/cbc:InvoiceTypeCode/text()") == "380"  # BT-3
    assert one("/u:Invoice/cbc:DocumentCurrencyCode/text()") == "CZK"  # BT-5
    assert one("/u:Invoice/cbc:TaxPointDate/text()") == "2026-03-31"  # BT-7
    assert one("/u:Invoice/cbc:DueDate/text()") == "2026-04-15"  # BT-9
    seller = "/u:Invoice/cac:AccountingSupplierParty/cac:Party/"
    assert one(seller + "cac:PartyTaxScheme/cbc:CompanyID/text()") == "CZ28745132"  # BT-31
    assert one(seller + "cac:PartyLegalEntity/cbc:CompanyID/text()") == "28745132"  # BT-30
    assert one(seller + "cac:PostalAddress/cac:Country/cbc:IdentificationCode/text()") == "CZ"
    buyer = "/u:Invoice/cac:AccountingCustomerParty/cac:Party/"
    assert one(buyer + "cac:PartyTaxScheme/cbc:CompanyID/text()") == "CZ08612048"  # BT-48
    means = "/u:Invoice/cac:PaymentMeans/"
    assert one(means + "cbc:PaymentMeansCode/text()") == "30"  # BT-81
    assert one(means + "cbc:PaymentID/text()") == "2026040123"  # BT-83: the VS
    assert one(means + "cac:PayeeFinancialAccount/cbc:ID/text()") == "CZ7908000000002000145399"
    total = "/u:Invoice/cac:LegalMonetaryTotal/"
    assert one(total + "cbc:LineExtensionAmount/text()") == "1077.86"  # BT-106
    assert one(total + "cbc:TaxExclusiveAmount/text()") == "1077.86"  # BT-109
    assert one(total + "cbc:TaxInclusiveAmount/text()") == "1304.21"  # BT-112
    assert one(total + "cbc:PayableRoundingAmount/text()") == "-0.21"  # BT-114
    assert one(total + "cbc:PayableAmount/text()") == "1304.00"  # BT-115
    assert one("/u:Invoice/cac:TaxTotal/cbc:TaxAmount/text()") == "226.35"  # BT-110
    subtotal = "/u:Invoice/cac:TaxTotal/cac:TaxSubtotal/"
    assert one(subtotal + "cac:TaxCategory/cbc:ID/text()") == "S"  # BT-118
    assert one(subtotal + "cac:TaxCategory/cbc:Percent/text()") == "21"  # BT-119
    units = values(xml, "//cac:InvoiceLine/cbc:InvoicedQuantity/@unitCode", ns)
    assert units == ["MON", "MIN", "MON", "E34", "H87", "MON", "C62"]  # BT-130
    # the discount: BR-27 forbids a negative price, so the quantity carries the sign
    discount = "//cac:InvoiceLine[cbc:ID='5']/"
    assert one(discount + "cbc:InvoicedQuantity/text()") == "-1"
    assert one(discount + "cac:Price/cbc:PriceAmount/text()") == "65.95"
    assert one(discount + "cbc:LineExtensionAmount/text()") == "-65.95"


def test_ubl_credit_note_is_positive_and_references_the_invoice() -> None:
    xml = ubl.build_ubl(credit_note())
    ns = ubl.NAMESPACES | {"c": ubl.CREDIT_NOTE_NS}
    assert values(xml, "/c:CreditNote/cbc:CreditNoteTypeCode/text()", ns) == ["381"]
    reference = "/c:CreditNote/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID/text()"
    assert values(xml, reference, ns) == ["2026040123"]
    assert values(xml, "//cac:LegalMonetaryTotal/cbc:PayableAmount/text()", ns) == ["1304.00"]
    assert values(xml, "//cac:PaymentMeans", ns) == []


def test_reverse_charge_and_outside_scope_categories() -> None:
    ns = ubl.NAMESPACES | {"u": ubl.INVOICE_NS}
    xml = ubl.build_ubl(reverse_charge_invoice())
    assert values(xml, "//cac:TaxSubtotal/cac:TaxCategory/cbc:ID/text()", ns) == ["AE"]
    assert values(xml, "//cac:TaxCategory/cbc:TaxExemptionReasonCode/text()", ns) == ["VATEX-EU-AE"]
    xml = ubl.build_ubl(outside_scope_invoice())
    assert values(xml, "//cac:TaxSubtotal/cac:TaxCategory/cbc:ID/text()", ns) == ["O"]
    # BR-O-02: no VAT identifiers; the seller's DIČ is its tax registration (BT-32)
    schemes = values(xml, "//cac:PartyTaxScheme/cac:TaxScheme/cbc:ID/text()", ns)
    assert schemes == ["TAX"]


def test_foreign_currency_with_vat_is_refused() -> None:
    with pytest.raises(DocumentError, match="BT-111"):
        ubl.build_ubl(invoice(currency="EUR"))
    with pytest.raises(DocumentError, match="BT-111"):
        cii.build_cii(invoice(currency="EUR"))


def test_cii_key_fields() -> None:
    xml = cii.build_cii(invoice())
    ns = cii.NAMESPACES
    settlement = "//ram:ApplicableHeaderTradeSettlement/"
    assert values(xml, "//rsm:ExchangedDocument/ram:TypeCode/text()", ns) == ["380"]
    assert values(xml, settlement + "ram:PaymentReference/text()", ns) == ["2026040123"]
    summation = settlement + "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    assert values(xml, summation + "ram:DuePayableAmount/text()", ns) == ["1304.00"]
    assert values(xml, summation + "ram:TaxTotalAmount/text()", ns) == ["226.35"]


def test_schematron_catches_a_wrong_total() -> None:
    xml = ubl.build_ubl(invoice()).replace(
        b">1304.00</cbc:PayableAmount>", b">1305.00</cbc:PayableAmount>"
    )
    assert any(rule.startswith("BR-CO-16") for rule in failed_rules(xml, UBL_RULES))


def test_xsd_failure_raises_with_the_line() -> None:
    xml = ubl.build_ubl(invoice()).replace(b"<cbc:IssueDate>", b"<cbc:IssueDay>", 1)
    xml = xml.replace(b"</cbc:IssueDate>", b"</cbc:IssueDay>", 1)
    problems = ubl.validate_ubl(xml)
    assert problems
    assert problems[0].startswith("line ")


def test_factur_x_pdf_embeds_the_cii_xml() -> None:
    document = invoice(usage=30)
    pdf = render_facturx(document)
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert list(reader.attachments) == [ATTACHMENT]
    assert embedded_xml(pdf) == cii.build_cii(document)
    root: Any = reader.trailer["/Root"]
    metadata = root["/Metadata"].get_object().get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in metadata
    assert b"EN 16931" in metadata
    assert "2026040123" in reader.pages[0].extract_text()
