"""Synthetic but valid identifiers: IČO/DIČ, EU VAT ids, Czech bank accounts and IBANs,
MSISDNs, ICCIDs and IMSIs. Every value passes the same validators linka applies to real
input (python-stdnum, schwifty, phonenumbers); none belongs to a real subject on purpose.
"""

from __future__ import annotations

import random

import phonenumbers
from schwifty import IBAN
from stdnum import luhn
from stdnum.cz import bankaccount, dic
from stdnum.eu import vat

DEMO_MCC_MNC = "23099"  # 230 = Czechia; 99 is not assigned to a public network
ICCID_ISSUER = "894209"  # 89 telecom, 420 Czechia, issuer 09
BANK_CODES = ("0100", "0300", "0600", "0800", "2010", "2700", "3030", "5500", "6210")
MOBILE_RANGES = (
    "601", "602", "603", "604", "605", "606", "607", "608", "702", "703", "704", "705",
    "720", "721", "722", "723", "724", "725", "730", "731", "732", "733", "734", "770",
    "773", "774", "775", "776", "777", "790", "791", "792", "793", "797", "799",
)  # fmt: skip
FIXED_RANGES = ("2", "31", "32", "35", "37", "38", "46", "48", "49", "51", "53", "55", "58")


def ico(rng: random.Random) -> str:
    """A Czech company id (IČO): 7 digits and the mod-11 check digit."""
    while True:
        body = f"{rng.randint(1, 9)}{rng.randint(0, 999_999):06d}"
        candidate = body + dic.calc_check_digit_legal(body)
        if dic.is_valid(candidate):
            return candidate


def foreign_vat_id(rng: random.Random, country: str) -> str:
    """An EU VAT id for ``country`` (SK, DE, AT, PL) that passes the checksum."""
    lengths = {"SK": 10, "DE": 9, "AT": 8, "PL": 10}
    prefix = {"AT": "U"}.get(country, "")
    while True:
        digits = "".join(str(rng.randint(0, 9)) for _ in range(lengths[country]))
        candidate = f"{country}{prefix}{digits}"
        if digits[0] != "0" and vat.is_valid(candidate):
            return candidate


def _account_part(rng: random.Random, digits: int) -> str:
    """A Czech account-number part that passes the mod-11 weights of its length.

    The last weight is 1, so the last digit is what completes the sum to a multiple of
    11; drawing it instead of retrying whole numbers keeps the demo's 30,000 direct
    debits fast (a draw whose completion would be 10 is repeated).
    """
    weights = (6, 3, 7, 9, 10, 5, 8, 4, 2, 1)[-digits:]
    while True:
        number = [rng.randint(1, 9), *(rng.randint(0, 9) for _ in range(digits - 2))]
        last = -sum(w * d for w, d in zip(weights, number, strict=False)) % 11
        if last < 10:
            return "".join(map(str, number)) + str(last)


def bank_account(rng: random.Random) -> tuple[str, str]:
    """A Czech bank account ``number/bank`` and its IBAN."""
    bank = rng.choice(BANK_CODES)
    number = _account_part(rng, 10)
    account = f"{number}/{bank}"
    assert bankaccount.is_valid(account)
    return account, str(IBAN.generate("CZ", bank_code=bank, account_code=number))


def mobile_msisdn(rng: random.Random) -> str:
    while True:
        national = f"{rng.choice(MOBILE_RANGES)}{rng.randint(0, 999_999):06d}"
        if _valid_czech(national):
            return f"+420{national}"


def fixed_msisdn(rng: random.Random) -> str:
    while True:
        area = rng.choice(FIXED_RANGES)
        national = f"{area}{rng.randint(0, 10 ** (9 - len(area)) - 1):0{9 - len(area)}d}"
        if _valid_czech(national):
            return f"+420{national}"


def _valid_czech(national: str) -> bool:
    """phonenumbers' verdict on +420 ``national``; building the number directly skips
    parsing text, which is most of the cost when the demo draws 130,000 numbers."""
    number = phonenumbers.PhoneNumber(country_code=420, national_number=int(national))
    return bool(phonenumbers.is_valid_number(number))


def iccid(serial: int) -> str:
    """A 19-digit ICCID with Luhn check digit for the n-th SIM of the demo issuer."""
    body = f"{ICCID_ISSUER}{serial:012d}"
    return body + luhn.calc_check_digit(body)


def imsi(serial: int) -> str:
    return f"{DEMO_MCC_MNC}{serial:010d}"
