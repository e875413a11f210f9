"""ISDOC 6.0.2: every variant validates against the official XSD and the ISDOC rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from linka.documents.errors import DocumentError
from linka.documents.isdoc import NAMESPACE, build_isdoc, validate_isdoc
from linka.documents.model import InvoiceDocument
from tests.documents.builders import (
    credit_note,
    invoice,
    outside_scope_invoice,
    reverse_charge_invoice,
)

NS = {"i": NAMESPACE}


def parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def text(root: etree._Element, path: str) -> str:
    found = root.xpath(path, namespaces=NS)
    assert len(found) == 1, path
    return str(found[0].text if hasattr(found[0], "text") else found[0])


@pytest.mark.parametrize(
    "document",
    [invoice(), invoice("en"), credit_note(), reverse_charge_invoice(), outside_scope_invoice()],
    ids=["invoice", "invoice-en", "credit-note", "reverse-charge", "outside-scope"],
)
def test_every_variant_validates(document: InvoiceDocument) -> None:
    xml = build_isdoc(document)
    assert validate_isdoc(xml) == []
    root = parse(xml)
    assert root.get("version") == "6.0.2"
    assert text(root, "i:ID") == document.number


def test_invoice_fields() -> None:
    root = parse(build_isdoc(invoice()))
    assert text(root, "i:DocumentType") == "1"
    assert text(root, "i:UUID") == "3E0C5A2B-7D41-5C9E-8F3A-1B2C3D4E5F60"
    assert text(root, "i:IssueDate") == "2026-04-01"
    assert text(root, "i:TaxPointDate") == "2026-03-31"
    assert text(root, "i:VATApplicable") == "true"
    assert text(root, "i:ElectronicPossibilityAgreementReference") == (
        "Smlouva zákazníka č. 100234"
    )
    assert text(root, "i:LocalCurrencyCode") == "CZK"
    supplier = "i:AccountingSupplierParty/i:Party/"
    assert text(root, supplier + "i:PartyIdentification/i:ID") == "28745132"
    assert text(root, supplier + "i:PartyTaxScheme/i:CompanyID") == "CZ28745132"
    assert text(root, supplier + "i:PostalAddress/i:BuildingNumber") == "2828/151"
    customer = "i:AccountingCustomerParty/i:Party/"
    assert text(root, customer + "i:PartyIdentification/i:ID") == "08612048"
    assert text(root, customer + "i:PartyTaxScheme/i:CompanyID") == "CZ08612048"
    lines = root.findall("i:InvoiceLines/i:InvoiceLine", NS)
    assert len(lines) == 7
    discount = lines[4]
    assert discount.findtext("i:LineExtensionAmount", namespaces=NS) == "-65.95"
    assert discount.findtext("i:Item/i:Description", namespaces=NS) == "Věrnostní sleva 20 %"
    assert text(root, "i:TaxTotal/i:TaxSubTotal/i:TaxableAmount") == "1077.86"
    assert text(root, "i:TaxTotal/i:TaxSubTotal/i:TaxAmount") == "226.35"
    assert text(root, "i:TaxTotal/i:TaxSubTotal/i:TaxCategory/i:Percent") == "21"
    total = "i:LegalMonetaryTotal/"
    assert text(root, total + "i:TaxInclusiveAmount") == "1304.21"
    assert text(root, total + "i:AlreadyClaimedTaxExclusiveAmount") == "0.00"
    assert text(root, total + "i:DifferenceTaxInclusiveAmount") == "1304.21"
    assert text(root, total + "i:PayableRoundingAmount") == "-0.21"
    assert text(root, total + "i:PayableAmount") == "1304.00"
    payment = "i:PaymentMeans/i:Payment/"
    assert text(root, payment + "i:PaymentMeansCode") == "42"
    assert text(root, payment + "i:PaidAmount") == "1304.00"
    assert text(root, payment + "i:Details/i:ID") == "2000145399"
    assert text(root, payment + "i:Details/i:BankCode") == "0800"
    assert text(root, payment + "i:Details/i:IBAN") == "CZ7908000000002000145399"
    assert text(root, payment + "i:Details/i:VariableSymbol") == "2026040123"
    assert text(root, payment + "i:Details/i:PaymentDueDate") == "2026-04-15"


def test_credit_note_is_type_2_in_positive_amounts_with_the_original() -> None:
    root = parse(build_isdoc(credit_note()))
    assert text(root, "i:DocumentType") == "2"
    reference = "i:OriginalDocumentReferences/i:OriginalDocumentReference/"
    assert text(root, reference + "i:ID") == "2026040123"
    assert text(root, reference + "i:IssueDate") == "2026-04-01"
    assert text(root, "i:LegalMonetaryTotal/i:PayableAmount") == "1304.00"
    assert text(root, "i:LegalMonetaryTotal/i:PayableRoundingAmount") == "-0.21"
    assert "Reklamace" in text(root, "i:Note")
    assert root.find("i:PaymentMeans", NS) is None  # nothing for the customer to pay


def test_reverse_charge_and_outside_scope_carry_no_czech_vat() -> None:
    for document in (reverse_charge_invoice(), outside_scope_invoice()):
        root = parse(build_isdoc(document))
        categories = root.xpath("//i:ClassifiedTaxCategory", namespaces=NS)
        assert {c.findtext("i:VATApplicable", namespaces=NS) for c in categories} == {"false"}
        assert {c.findtext("i:Percent", namespaces=NS) for c in categories} == {"0"}
        assert text(root, "i:TaxTotal/i:TaxAmount") == "0.00"
        assert text(root, "i:Note") == document.tax_note
    root = parse(build_isdoc(reverse_charge_invoice()))
    assert text(root, "i:AccountingCustomerParty/i:Party/i:PartyTaxScheme/i:CompanyID") == (
        "DE811569869"
    )


def test_foreign_currency_is_refused_with_the_reason() -> None:
    with pytest.raises(DocumentError, match="needs every amount also in CZK"):
        build_isdoc(reverse_charge_invoice(currency="EUR"))


def test_rules_catch_what_the_xsd_cannot() -> None:
    xml = build_isdoc(credit_note())
    root = parse(xml)
    references = root.find("i:OriginalDocumentReferences", NS)
    references.getparent().remove(references)
    payable = root.find("i:LegalMonetaryTotal/i:PayableAmount", NS)
    payable.text = str(Decimal(payable.text) + 1)
    problems = validate_isdoc(etree.tostring(root))
    assert any("rule 1" in p for p in problems)
    assert any("PayableAmount" in p for p in problems)


def test_xsd_errors_name_the_line() -> None:
    root = parse(build_isdoc(invoice()))
    root.remove(root.find("i:UUID", NS))
    problems = validate_isdoc(etree.tostring(root))
    assert problems
    assert problems[0].startswith("line ")
    assert "UUID" in problems[0]
