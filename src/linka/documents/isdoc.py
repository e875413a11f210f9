"""ISDOC 6.0.2: the Czech e-invoice XML, generated with lxml and validated before use.

Czech accounting systems (Pohoda, Money, ABRA, Helios …) import ISDOC, so a business
customer can book the bill without retyping it. Every document is checked against the
official XSD shipped in ``schemas/isdoc-6.0.2/`` and against the ISDOC business rules that
the XSD cannot express (``doc/pravidla-6.0.2``: the original document reference of credit
notes, no foreign-currency elements on a CZK invoice, the sums of the VAT summary and the
monetary total); a failing document raises :class:`InvalidDocumentError` and is never
handed out.

Mapping decisions:

* Credit notes (DocumentType 2) are written in **positive** amounts, as ISDOC requires
  since 5.2.1; the model's negative figures are negated.
* Zero-rated lines are either EU reverse charge (the customer accounts for the VAT in its
  own country; the place of supply is not Czechia) or outside the scope of VAT (a non-EU
  customer). Neither is Czech VAT, so lines and the VAT summary say ``VATApplicable=false``
  with rate 0 and the legal note goes into ``Note``. ``LocalReverseCharge`` is *not* used:
  it is the domestic reverse charge of § 92a of the VAT act (gold, construction work, waste
  …), which needs a kontrolní hlášení code the model does not carry.
* ``UnitPriceTaxInclusive`` (mandatory) is not in the model; it is the net unit price
  times (1 + rate), to 4 decimals — information only, it enters no total.
* Only CZK documents: ISDOC requires every amount also in CZK when the invoice currency is
  foreign, and the model carries no exchange rate (see docs/documents.md).
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from babel import Locale
from lxml import etree

from linka.documents.codes import amount_text, price_text, quantity_text, xml_sign
from linka.documents.errors import DocumentError, InvalidDocumentError
from linka.documents.model import DocumentKind, DocumentParty, InvoiceDocument
from linka.documents.xsd import xml_schema

NAMESPACE = "http://isdoc.cz/namespace/2013"
VERSION = "6.0.2"
SCHEMA = Path(__file__).parent / "schemas" / "isdoc-6.0.2" / "isdoc-invoice-6.0.2.xsd"
ISSUING_SYSTEM = "linka"

_N = f"{{{NAMESPACE}}}"
_BUILDING = re.compile(r"^(?P<street>.*?)[ ,]+(?P<number>\d+[\w/]*)$")


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _N + tag)
    if text is not None:
        element.text = text
    return element


def _country_name(code: str, language: str) -> str:
    territories = Locale.parse(language).territories
    return str(territories.get(code.upper(), code.upper()))


def _party(parent: etree._Element, party: DocumentParty, language: str, **extra: str) -> None:
    """``Party``: IČO, name, address, DIČ, registration and contact, in XSD order."""
    element = _sub(parent, "Party")
    identification = _sub(element, "PartyIdentification")
    if extra.get("user_id"):
        _sub(identification, "UserID", extra["user_id"])
    _sub(identification, "ID", party.ico or "")
    _sub(_sub(element, "PartyName"), "Name", party.name)
    address = _sub(element, "PostalAddress")
    if party.address is None:
        raise DocumentError(f"ISDOC needs the postal address of {party.name!r}")
    match = _BUILDING.match(party.address.street.strip())
    street, number = (
        (match["street"], match["number"]) if match else (party.address.street.strip(), "")
    )
    _sub(address, "StreetName", street)
    _sub(address, "BuildingNumber", number)
    _sub(address, "CityName", party.address.city)
    _sub(address, "PostalZone", party.address.postal_code)
    country = _sub(address, "Country")
    _sub(country, "IdentificationCode", party.address.country.upper())
    _sub(country, "Name", _country_name(party.address.country, language))
    if party.dic:
        scheme = _sub(element, "PartyTaxScheme")
        _sub(scheme, "CompanyID", party.dic)
        _sub(scheme, "TaxScheme", "VAT")
    if extra.get("registration"):
        _sub(_sub(element, "RegisterIdentification"), "Preformatted", extra["registration"])
    if party.email or party.phone:
        contact = _sub(element, "Contact")
        if party.phone:
            _sub(contact, "Telephone", party.phone)
        if party.email:
            _sub(contact, "ElectronicMail", party.email)


def _gross_unit_price(unit_price: Decimal, rate: Decimal) -> str:
    return price_text((unit_price * (100 + rate) / 100).quantize(Decimal("0.0001")))


def build_isdoc_tree(document: InvoiceDocument) -> etree._ElementTree:
    """The ISDOC XML tree of a document (not yet validated; see :func:`build_isdoc`)."""
    if document.currency.upper() != "CZK":
        raise DocumentError(
            f"document {document.number}: ISDOC for a {document.currency} invoice needs every "
            "amount also in CZK and the ČNB rate, which the document model does not carry"
        )
    sign = xml_sign(document)
    credit = document.kind is DocumentKind.CREDIT_NOTE
    lang = document.language

    def money(value: Decimal) -> str:
        return amount_text(value * sign)

    root = etree.Element(_N + "Invoice", nsmap={None: NAMESPACE}, version=VERSION)
    _sub(root, "DocumentType", "2" if credit else "1")
    _sub(root, "ID", document.number)
    _sub(root, "UUID", document.uuid.upper())
    _sub(root, "IssuingSystem", ISSUING_SYSTEM)
    _sub(root, "IssueDate", document.issue_date.isoformat())
    _sub(root, "TaxPointDate", document.tax_point_date.isoformat())
    _sub(root, "VATApplicable", "true" if document.supplier.dic else "false")
    agreement = document.einvoice_agreement or (
        f"Smlouva zákazníka č. {document.customer_number}"
        if lang == "cs"
        else f"Contract of customer no. {document.customer_number}"
    )
    _sub(root, "ElectronicPossibilityAgreementReference", agreement).set("languageID", lang)
    notes = [n for n in (document.correction_reason, document.tax_note) if n]
    if notes:
        _sub(root, "Note", " ".join(notes)).set("languageID", lang)
    _sub(root, "LocalCurrencyCode", "CZK")
    _sub(root, "CurrRate", "1")
    _sub(root, "RefCurrRate", "1")
    _party(
        _sub(root, "AccountingSupplierParty"),
        document.supplier,
        lang,
        registration=document.supplier_registration,
    )
    _party(
        _sub(root, "AccountingCustomerParty"),
        document.customer,
        lang,
        user_id=document.customer_number,
    )
    if credit:
        if not document.original_number:
            raise DocumentError(
                f"credit note {document.number}: the corrected invoice's number is missing"
            )
        reference = _sub(_sub(root, "OriginalDocumentReferences"), "OriginalDocumentReference")
        _sub(reference, "ID", document.original_number)
        if document.original_issue_date:
            _sub(reference, "IssueDate", document.original_issue_date.isoformat())

    lines = _sub(root, "InvoiceLines")
    for line in document.lines:
        element = _sub(lines, "InvoiceLine")
        _sub(element, "ID", str(line.position))
        _sub(element, "InvoicedQuantity", quantity_text(line.quantity)).set("unitCode", line.unit)
        _sub(element, "LineExtensionAmount", money(line.net))
        _sub(element, "LineExtensionAmountTaxInclusive", money(line.gross))
        _sub(element, "LineExtensionTaxAmount", money(line.vat))
        _sub(element, "UnitPrice", price_text(line.unit_price * sign))
        _sub(
            element,
            "UnitPriceTaxInclusive",
            _gross_unit_price(line.unit_price * sign, line.vat_rate),
        )
        category = _sub(element, "ClassifiedTaxCategory")
        _sub(category, "Percent", quantity_text(line.vat_rate))
        _sub(category, "VATCalculationMethod", "0")
        _sub(category, "VATApplicable", "true" if line.vat_rate > 0 else "false")
        note = [line.line_msisdn or ""]
        if line.period_start and line.period_end:
            note.append(f"{line.period_start.isoformat()}/{line.period_end.isoformat()}")
        if any(note):
            _sub(element, "Note", " ".join(n for n in note if n))
        _sub(_sub(element, "Item"), "Description", line.description)

    tax_total = _sub(root, "TaxTotal")
    for vat in document.vat:
        sub = _sub(tax_total, "TaxSubTotal")
        gross = money(vat.base + vat.vat)
        for name, value in (("Taxable", money(vat.base)), ("Tax", money(vat.vat))):
            _sub(sub, f"{name}Amount", value)
            if name == "Tax":
                _sub(sub, "TaxInclusiveAmount", gross)
        for name in ("Taxable", "Tax", "TaxInclusive"):
            _sub(sub, f"AlreadyClaimed{name}Amount", "0.00")
        _sub(sub, "DifferenceTaxableAmount", money(vat.base))
        _sub(sub, "DifferenceTaxAmount", money(vat.vat))
        _sub(sub, "DifferenceTaxInclusiveAmount", gross)
        category = _sub(sub, "TaxCategory")
        _sub(category, "Percent", quantity_text(vat.rate))
        _sub(category, "VATApplicable", "true" if vat.rate > 0 else "false")
    _sub(tax_total, "TaxAmount", money(document.total_vat))

    total = _sub(root, "LegalMonetaryTotal")
    _sub(total, "TaxExclusiveAmount", money(document.total_net))
    _sub(total, "TaxInclusiveAmount", money(document.total_gross))
    _sub(total, "AlreadyClaimedTaxExclusiveAmount", "0.00")
    _sub(total, "AlreadyClaimedTaxInclusiveAmount", "0.00")
    _sub(total, "DifferenceTaxExclusiveAmount", money(document.total_net))
    _sub(total, "DifferenceTaxInclusiveAmount", money(document.total_gross))
    _sub(total, "PayableRoundingAmount", money(document.rounding))
    _sub(total, "PaidDepositsAmount", "0.00")
    _sub(total, "PayableAmount", money(document.amount_due))

    _payment_means(root, document)
    return etree.ElementTree(root)


def _payment_means(root: etree._Element, document: InvoiceDocument) -> None:
    """How to pay: omitted when there is nothing to pay (ISDOC: "nic neplatit")."""
    if document.kind is DocumentKind.CREDIT_NOTE or document.amount_due <= 0:
        return
    codes = {"bank_transfer": "42", "direct_debit": "49", "card": "48"}
    code = codes.get(document.payment_method)
    if code is None:
        raise DocumentError(
            f"document {document.number}: unknown payment method {document.payment_method!r}"
        )
    payment = _sub(_sub(root, "PaymentMeans"), "Payment")
    _sub(payment, "PaidAmount", amount_text(document.amount_due))
    _sub(payment, "PaymentMeansCode", code)
    if code == "48":
        return
    bank = document.supplier_bank
    details = _sub(payment, "Details")
    _sub(details, "PaymentDueDate", document.due_date.isoformat())
    _sub(details, "ID", bank.account_number.split("/")[0])
    _sub(details, "BankCode", bank.bank_code)
    _sub(details, "Name", bank.bank_name)
    _sub(details, "IBAN", bank.iban.replace(" ", ""))
    _sub(details, "BIC", bank.bic)
    _sub(details, "VariableSymbol", document.variable_symbol)


def _schema() -> etree.XMLSchema:
    return xml_schema(str(SCHEMA))


def _decimal(root: etree._Element, path: str) -> Decimal:
    return Decimal(str(root.findtext(path, default="0", namespaces={"i": NAMESPACE})))


def check_isdoc_rules(root: etree._Element) -> list[str]:
    """ISDOC business rules (pravidla 6.0.2) beyond the XSD; empty when all hold."""
    ns = {"i": NAMESPACE}
    problems = []
    kind = root.findtext("i:DocumentType", namespaces=ns)
    if kind in {"2", "3", "6"} and not root.findall(
        "i:OriginalDocumentReferences/i:OriginalDocumentReference", ns
    ):
        problems.append("rule 1: a corrective document must reference the original document")
    if root.find("i:ForeignCurrencyCode", ns) is None:
        if root.findtext("i:CurrRate", namespaces=ns) != "1":
            problems.append("rule 3: CurrRate must be 1 on a local-currency document")
        if root.xpath(".//*[substring(local-name(), string-length(local-name()) - 3) = 'Curr']"):
            problems.append("rule 3: no …Curr amounts on a local-currency document")
    if root.findtext("i:VATApplicable", namespaces=ns) == "false" and root.xpath(
        "i:InvoiceLines/i:InvoiceLine/i:ClassifiedTaxCategory[i:VATApplicable='true']",
        namespaces=ns,
    ):
        problems.append("rule 5: a document outside VAT cannot have lines subject to VAT")
    subtotals = root.findall("i:TaxTotal/i:TaxSubTotal", ns)
    for sub in subtotals:
        for prefix in ("", "AlreadyClaimed", "Difference"):
            taxable = _decimal(sub, f"i:{prefix}TaxableAmount")
            tax = _decimal(sub, f"i:{prefix}TaxAmount")
            inclusive = _decimal(sub, f"i:{prefix}TaxInclusiveAmount")
            if taxable + tax != inclusive:
                problems.append(f"TaxSubTotal: {prefix}Taxable + Tax ≠ {prefix}TaxInclusive")
    sums = {
        "TaxExclusiveAmount": "TaxableAmount",
        "TaxInclusiveAmount": "TaxInclusiveAmount",
        "AlreadyClaimedTaxExclusiveAmount": "AlreadyClaimedTaxableAmount",
        "AlreadyClaimedTaxInclusiveAmount": "AlreadyClaimedTaxInclusiveAmount",
        "DifferenceTaxExclusiveAmount": "DifferenceTaxableAmount",
        "DifferenceTaxInclusiveAmount": "DifferenceTaxInclusiveAmount",
    }
    for total_name, sub_name in sums.items():
        expected = sum((_decimal(sub, f"i:{sub_name}") for sub in subtotals), Decimal(0))
        if _decimal(root, f"i:LegalMonetaryTotal/i:{total_name}") != expected:
            problems.append(f"LegalMonetaryTotal/{total_name} ≠ sum of TaxSubTotal/{sub_name}")
    tax_sum = sum((_decimal(sub, "i:TaxAmount") for sub in subtotals), Decimal(0))
    if _decimal(root, "i:TaxTotal/i:TaxAmount") != tax_sum:
        problems.append("TaxTotal/TaxAmount ≠ sum of TaxSubTotal/TaxAmount")
    total = "i:LegalMonetaryTotal/i:"
    payable = (
        _decimal(root, total + "DifferenceTaxInclusiveAmount")
        + _decimal(root, total + "PayableRoundingAmount")
        - _decimal(root, total + "PaidDepositsAmount")
    )
    if payable != _decimal(root, total + "PayableAmount"):
        problems.append("PayableAmount ≠ DifferenceTaxInclusive + PayableRounding − PaidDeposits")
    return problems


def validate_isdoc(xml: bytes) -> list[str]:
    """Problems of an ISDOC document: XSD errors (with line numbers), then business rules."""
    root = etree.fromstring(xml)
    schema = _schema()
    if not schema.validate(root):
        return [f"line {e.line}: {e.message}" for e in schema.error_log]
    return check_isdoc_rules(root)


def build_isdoc(document: InvoiceDocument) -> bytes:
    """The ISDOC 6.0.2 XML of an invoice or credit note (UTF-8), validated.

    Raises :class:`DocumentError` when the document cannot be expressed in ISDOC and
    :class:`InvalidDocumentError` when the result fails the schema or the rules.
    """
    xml: bytes = etree.tostring(
        build_isdoc_tree(document), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    problems = validate_isdoc(xml)
    if problems:
        raise InvalidDocumentError("ISDOC 6.0.2", document.number, problems)
    return xml
