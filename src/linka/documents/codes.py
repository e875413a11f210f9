"""Code lists the e-invoice formats share: units, VAT categories, document signs.

ISDOC, UBL and CII each need the same few classifications of an invoice that the document
model states only implicitly (a printed unit, a VAT rate and the reverse-charge flag).
Deriving them in one place keeps the three XML formats in agreement with each other and
with the PDF.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from linka.documents.model import DocumentKind, DocumentLine, InvoiceDocument

# Printed unit (Czech or English, as billing writes it) → UN/ECE Recommendation 20 code.
# MON month, DAY day, HUR hour, MIN minute, SEC second; data volumes in decimal bytes:
# 2P kilobyte, 4L megabyte, E34 gigabyte, E35 terabyte; H87 piece (a SIM card, a phone);
# C62 "one" for countable events without a physical unit (an SMS, a call attempt, a fee).
UNIT_CODES: dict[str, str] = {
    "měs.": "MON",
    "měsíc": "MON",
    "month": "MON",
    "months": "MON",
    "den": "DAY",
    "dny": "DAY",
    "day": "DAY",
    "days": "DAY",
    "h": "HUR",
    "hod.": "HUR",
    "hour": "HUR",
    "min": "MIN",
    "min.": "MIN",
    "minute": "MIN",
    "minutes": "MIN",
    "s": "SEC",
    "sec": "SEC",
    "kB": "2P",
    "KB": "2P",
    "MB": "4L",
    "GB": "E34",
    "TB": "E35",
    "ks": "H87",
    "pcs": "H87",
    "piece": "H87",
    "SMS": "C62",
    "MMS": "C62",
    "x": "C62",
}

DEFAULT_UNIT_CODE = "C62"  # "one": a count, the neutral choice for an unknown unit


def unit_code(line: DocumentLine) -> str:
    """The Rec 20 code of a line: billing's own code if it set one, else from the unit."""
    if line.unit_code:
        return line.unit_code
    return UNIT_CODES.get(line.unit.strip(), DEFAULT_UNIT_CODE)


class VatCategory(StrEnum):
    """UNCL 5305 VAT category codes used by EN 16931 (BT-118, BT-151)."""

    STANDARD = "S"  # Czech VAT charged at 21 % or 12 %
    REVERSE_CHARGE = "AE"  # the customer accounts for the VAT ("daň odvede zákazník")
    OUTSIDE_SCOPE = "O"  # place of supply outside the EU: not subject to VAT


# VATEX codes (CEF list) EN 16931 wants with AE and O, beside the legal note text.
EXEMPTION_CODES: dict[VatCategory, str] = {
    VatCategory.REVERSE_CHARGE: "VATEX-EU-AE",
    VatCategory.OUTSIDE_SCOPE: "VATEX-EU-O",
}


def vat_category(document: InvoiceDocument, rate: Decimal) -> VatCategory:
    """Category of a VAT rate on this document.

    A positive rate is Czech VAT charged. A zero rate is either reverse charge (the
    document says so: an EU business customer with a VAT id) or, otherwise, a supply whose
    place is outside the EU (a non-EU customer) and so outside the scope of VAT. Linka's
    tax profiles have no exempt (E) or zero-rated (Z) telecom supplies.
    """
    if rate > 0:
        return VatCategory.STANDARD
    if document.reverse_charge:
        return VatCategory.REVERSE_CHARGE
    return VatCategory.OUTSIDE_SCOPE


def xml_sign(document: InvoiceDocument) -> Decimal:
    """Factor turning model amounts into e-invoice amounts.

    The model states a credit note in negative amounts; ISDOC (rule since 5.2.1), UBL
    CreditNote and CII type 381 state credit notes in positive amounts.
    """
    return Decimal(-1) if document.kind is DocumentKind.CREDIT_NOTE else Decimal(1)


def amount_text(value: Decimal, places: int = 2) -> str:
    """Fixed-point text of an amount for XML (no exponent, no grouping, '.' separator)."""
    quantum = Decimal(1).scaleb(-places)
    text = f"{value.quantize(quantum):f}"
    return "0." + "0" * places if text.lstrip("-") == f"0.{'0' * places}" else text


def price_text(value: Decimal) -> str:
    """A unit price with the precision it has (at least 2, at most 6 decimals)."""
    exponent = value.normalize().as_tuple().exponent
    places = min(max(-exponent if isinstance(exponent, int) else 2, 2), 6)
    return amount_text(value, places)


def quantity_text(value: Decimal) -> str:
    """A quantity without trailing zeros (``1``, ``12.5``), never in exponent form."""
    text = f"{value.normalize():f}"
    return "0" if text in {"-0", "0"} else text
