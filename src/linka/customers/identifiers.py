"""Checking and normalising the identifiers a customer record carries.

Each function takes the text a user typed, returns the canonical form that is stored and
compared (so duplicates are found however they were written), or raises ``ValueError``
whose message says what was expected. Check digits come from python-stdnum, IBANs from
schwifty and phone numbers from phonenumbers: these are never hand-rolled.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from zoneinfo import available_timezones

import phonenumbers
from schwifty import IBAN
from stdnum.cz import dic as cz_dic
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

from linka.kernel.money import check_currency

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
_CZ_SK_POSTAL = re.compile(r"^(\d{3}) ?(\d{2})$")
_POSTAL = re.compile(r"^[A-Z0-9][A-Z0-9 -]{1,9}$")
HOME_REGION = "CZ"


def normalize_ico(value: str) -> str:
    """A Czech company id (IČO): 8 digits (shorter ones are zero-padded), mod-11 check digit.

    The IČO check digit is the one stdnum uses for the 8-digit DIČ of legal entities.
    """
    digits = value.replace(" ", "")
    if not digits.isdigit() or len(digits) > 8:
        raise ValueError(f"expected an IČO of 8 digits, got {value!r}")
    digits = digits.zfill(8)
    if cz_dic.calc_check_digit_legal(digits[:7]) != digits[7]:
        raise ValueError(f"IČO {value!r} fails the check-digit test: a digit is mistyped")
    return digits


def normalize_vat_id(value: str) -> str:
    """A DIČ (Czech VAT id, ``CZ`` + 8–10 digits) or another EU VAT id, with country prefix.

    Bare digits are read as a Czech DIČ; the result always starts with the country code.
    """
    compact = re.sub(r"[\s./-]", "", value).upper()
    if compact.isdigit() or compact.startswith("CZ"):
        try:
            return "CZ" + cz_dic.validate(compact)
        except ValidationError as exc:
            raise ValueError(
                f"expected a Czech DIČ such as CZ25123891 (CZ + 8–10 digits), got {value!r}: {exc}"
            ) from None
    try:
        number: str = eu_vat.validate(compact)
    except ValidationError as exc:
        raise ValueError(
            f"expected an EU VAT id with its country code, such as DE136695976, got {value!r}: "
            f"{exc}"
        ) from None
    return number


def normalize_email(value: str) -> str:
    """A plausible e-mail address, lower-cased so duplicates compare equal."""
    text = value.strip()
    if len(text) > 254 or not _EMAIL.match(text):
        raise ValueError(f"expected an e-mail address like name@example.cz, got {value!r}")
    return text.lower()


def normalize_phone(value: str, region: str = HOME_REGION) -> str:
    """A valid phone number in E.164 (``+420601123456``); national numbers are read as CZ."""
    number, _ = parse_phone(value, region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_phone(value: str, region: str = HOME_REGION) -> tuple[phonenumbers.PhoneNumber, int]:
    """A valid number written internationally (+, 00, or bare digits with the country code)
    or nationally in ``region``, and its ``PhoneNumberType`` (mobile, fixed line, …).

    A number is valid when phonenumbers gives it a type (``UNKNOWN`` means it matches no
    numbering plan pattern): that one test is ``is_valid_number``'s, done once.
    """
    text = re.sub(r"[\s()./-]", "", value)
    if text.startswith("00"):
        text = "+" + text[2:]
    candidates = [text, "+" + text] if text.isdigit() else [text]
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        kind = phonenumbers.number_type(number)
        if kind != phonenumbers.PhoneNumberType.UNKNOWN:
            return number, kind
    raise ValueError(f"expected a phone number in E.164 such as +420601123456, got {value!r}")


def normalize_iban(value: str) -> str:
    """An IBAN in compact form (checksum, length and bank code checked by schwifty)."""
    try:
        return str(IBAN(value).compact)
    except ValueError as exc:
        raise ValueError(
            f"expected an IBAN such as CZ65 0800 0000 1920 0014 5399, got {value!r}: {exc}"
        ) from None


def normalize_variable_symbol(value: str) -> str:
    """A variable symbol: 1–10 digits, not all zeros; stored without leading zeros.

    Banks treat ``0000123`` and ``123`` as the same symbol, so the canonical form drops
    the zeros and the database's unique constraint then sees them as one.
    """
    digits = value.replace(" ", "")
    if not digits.isdigit() or len(digits) > 10 or int(digits) == 0:
        raise ValueError(
            f"expected a variable symbol of 1–10 digits (not all zeros), got {value!r}"
        )
    return str(int(digits))


def normalize_country(value: str) -> str:
    code = value.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"expected an ISO 3166 alpha-2 country code such as CZ, got {value!r}")
    return code


def normalize_postal_code(value: str, country: str) -> str:
    """Czech and Slovak codes become ``NNN NN``; others must look like a postal code."""
    text = value.strip().upper()
    if country in {"CZ", "SK"}:
        match = _CZ_SK_POSTAL.match(text)
        if match is None:
            raise ValueError(
                f"expected a {country} postal code of 5 digits (110 00), got {value!r}"
            )
        return f"{match.group(1)} {match.group(2)}"
    if not _POSTAL.match(text):
        raise ValueError(f"expected a postal code (2–10 letters or digits), got {value!r}")
    return text


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(value: str) -> str:
    name = value.strip()
    if name not in _time_zones():
        raise ValueError(f"expected an IANA time zone such as Europe/Prague, got {value!r}")
    return name


def normalize_currency(value: str) -> str:
    return check_currency(value.strip().upper())


def parse_bill_cycle_day(value: str | int) -> int:
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= 28:
        raise ValueError(f"expected a bill-cycle day from 1 to 28, got {value!r}")
    return int(text)


def parse_date(value: str | date) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def ico_with_check_digit(seven_digits: str) -> str:
    """The valid IČO whose first seven digits are given (for test and demo data)."""
    if len(seven_digits) != 7 or not seven_digits.isdigit():
        raise ValueError("expected 7 digits")
    return seven_digits + cz_dic.calc_check_digit_legal(seven_digits)
