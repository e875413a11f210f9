"""Line identifiers: MSISDN (E.164 via phonenumbers), ICCID (Luhn) and IMSI (stdnum).

Each function returns the canonical stored form or raises ``ValueError`` saying what was
expected. MSISDNs are stored with their '+' (``+420601123456``), as users write them;
the usage store keeps the same number as int64 digits for speed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import phonenumbers
from stdnum import imsi as stdnum_imsi
from stdnum import luhn
from stdnum.exceptions import ValidationError

from linka.customers.identifiers import parse_phone

_MOBILE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


class Msisdn(NamedTuple):
    e164: str
    mobile: bool


def parse_msisdn(value: str) -> Msisdn:
    """A subscriber number; national numbers are read as Czech.

    A number phonenumbers knows is checked fully. An operator's own ranges can be newer
    than phonenumbers' numbering-plan data, so a number of possible length in a known
    country code is accepted too; its type is then unknown and it counts as mobile.
    """
    try:
        number, kind = parse_phone(value)
    except ValueError:
        number = _possible_number(value)
        kind = phonenumbers.PhoneNumberType.UNKNOWN
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Msisdn(e164, kind in _MOBILE_TYPES or kind == phonenumbers.PhoneNumberType.UNKNOWN)


def _possible_number(value: str) -> phonenumbers.PhoneNumber:
    text = value.replace(" ", "")
    text = "+" + text[2:] if text.startswith("00") else text
    try:
        number = phonenumbers.parse(text, "CZ")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise ValueError(f"expected an MSISDN in E.164 such as +420601123456, got {value!r}")
    return number


def normalize_msisdn(value: str) -> str:
    return parse_msisdn(value).e164


def normalize_iccid(value: str) -> str:
    """A SIM card number: 18–22 digits starting with 89 (telecom), Luhn check digit last."""
    digits = value.replace(" ", "")
    if not digits.isdigit() or not 18 <= len(digits) <= 22 or not digits.startswith("89"):
        raise ValueError(f"expected an ICCID of 18–22 digits starting with 89, got {value!r}")
    try:
        luhn.validate(digits)
    except ValidationError:
        raise ValueError(f"ICCID {value!r} fails the Luhn check: a digit is mistyped") from None
    return digits


def normalize_imsi(value: str) -> str:
    """An IMSI: 14–15 digits starting with a known mobile country code (MCC).

    stdnum's verdict depends only on the digits, the length and the MCC, so the MCC
    lookup (the slow part) is done once per MCC.
    """
    digits = value.replace(" ", "").replace("-", "")
    if not digits.isdigit() or len(digits) not in (14, 15) or not _known_mcc(digits[:3]):
        raise ValueError(
            f"expected an IMSI of 14–15 digits starting with a known country code "
            f"(230 for CZ), got {value!r}"
        )
    return digits


@lru_cache(maxsize=1024)
def _known_mcc(mcc: str) -> bool:
    return bool(stdnum_imsi.is_valid(mcc + "0" * 12))
