"""Identifier checks: canonical forms out, clear messages for what is wrong."""

from __future__ import annotations

import pytest

from linka.customers import identifiers as ids
from linka.subscriptions import identifiers as line_ids


@pytest.mark.parametrize(
    ("given", "stored"),
    [("25123891", "25123891"), ("251 23 891", "25123891"), ("6947", "00006947")],
)
def test_valid_ico_is_stored_as_eight_digits(given: str, stored: str) -> None:
    assert ids.normalize_ico(given) == stored


def test_ico_with_a_wrong_check_digit_is_refused() -> None:
    with pytest.raises(ValueError, match="IČO '25123890' fails the check-digit test"):
        ids.normalize_ico("25123890")


@pytest.mark.parametrize("given", ["2512389A", "251238911", ""])
def test_ico_that_is_not_up_to_eight_digits_is_refused(given: str) -> None:
    with pytest.raises(ValueError, match="expected an IČO of 8 digits"):
        ids.normalize_ico(given)


def test_ico_check_digit_helper_makes_valid_icos() -> None:
    assert ids.ico_with_check_digit("2512389") == "25123891"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("CZ25123891", "CZ25123891"),
        ("cz 25123891", "CZ25123891"),
        ("25123891", "CZ25123891"),  # bare digits are a Czech DIČ
        ("CZ7103192745", "CZ7103192745"),  # a person's DIČ (birth number)
        ("DE136695976", "DE136695976"),
        ("SK2022749619", "SK2022749619"),
    ],
)
def test_valid_dic_and_eu_vat_ids_keep_their_country_prefix(given: str, stored: str) -> None:
    assert ids.normalize_vat_id(given) == stored


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("CZ25123890", "expected a Czech DIČ such as CZ25123891"),
        ("CZ1234", "expected a Czech DIČ such as CZ25123891"),
        ("DE136695970", "expected an EU VAT id with its country code"),
        ("XX123456789", "expected an EU VAT id with its country code"),
    ],
)
def test_invalid_dic_and_vat_ids_are_refused(given: str, expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        ids.normalize_vat_id(given)


def test_email_is_lower_cased_and_checked() -> None:
    assert ids.normalize_email(" Jan.Novak@Example.CZ ") == "jan.novak@example.cz"
    for bad in ("jan", "jan@example", "jan novak@example.cz", "@example.cz"):
        with pytest.raises(ValueError, match="expected an e-mail address"):
            ids.normalize_email(bad)


@pytest.mark.parametrize(
    "given", ["+420 601 123 456", "601123456", "00420601123456", "420601123456", "(601) 123-456"]
)
def test_phone_numbers_become_e164(given: str) -> None:
    assert ids.normalize_phone(given) == "+420601123456"


@pytest.mark.parametrize("given", ["123", "+420 123 456 789", "phone"])
def test_invalid_phone_numbers_are_refused(given: str) -> None:
    with pytest.raises(ValueError, match=r"expected a phone number in E\.164"):
        ids.normalize_phone(given)


def test_iban_is_compacted_and_checked() -> None:
    assert ids.normalize_iban("CZ65 0800 0000 1920 0014 5399") == "CZ6508000000192000145399"
    with pytest.raises(ValueError, match="expected an IBAN"):
        ids.normalize_iban("CZ65 0800 0000 1920 0014 5398")


def test_variable_symbol_drops_leading_zeros_like_banks_do() -> None:
    assert ids.normalize_variable_symbol("0000123") == "123"
    assert ids.normalize_variable_symbol("9999999999") == "9999999999"
    for bad in ("12345678901", "0000", "12a", "-1"):
        with pytest.raises(ValueError, match="expected a variable symbol of 1–10 digits"):
            ids.normalize_variable_symbol(bad)


def test_czech_postal_codes_are_written_nnn_nn() -> None:
    assert ids.normalize_postal_code("11000", "CZ") == "110 00"
    assert ids.normalize_postal_code("602 00", "CZ") == "602 00"
    assert ids.normalize_postal_code("sw1a 1aa", "GB") == "SW1A 1AA"
    with pytest.raises(ValueError, match="expected a CZ postal code of 5 digits"):
        ids.normalize_postal_code("1100", "CZ")


def test_country_time_zone_and_bill_cycle_day_are_checked() -> None:
    assert ids.normalize_country("cz") == "CZ"
    assert ids.check_timezone("Europe/Bratislava") == "Europe/Bratislava"
    assert ids.parse_bill_cycle_day("28") == 28
    with pytest.raises(ValueError, match="ISO 3166"):
        ids.normalize_country("CZE")
    with pytest.raises(ValueError, match="IANA time zone"):
        ids.check_timezone("Prague")
    with pytest.raises(ValueError, match="from 1 to 28"):
        ids.parse_bill_cycle_day(29)


def test_msisdn_knows_mobile_from_fixed_numbers() -> None:
    assert line_ids.parse_msisdn("602 123 456") == line_ids.Msisdn("+420602123456", True)
    assert line_ids.parse_msisdn("+420 212 345 678") == line_ids.Msisdn("+420212345678", False)
    with pytest.raises(ValueError, match=r"expected an MSISDN in E\.164"):
        line_ids.parse_msisdn("+420 000")


def test_iccid_needs_luhn_and_the_telecom_prefix() -> None:
    assert line_ids.normalize_iccid("8942 0900 0000 0000 055") == "8942090000000000055"
    with pytest.raises(ValueError, match="fails the Luhn check"):
        line_ids.normalize_iccid("8942090000000000056")
    with pytest.raises(ValueError, match="18–22 digits starting with 89"):
        line_ids.normalize_iccid("1234567890123456782")


def test_imsi_needs_a_known_country_code() -> None:
    assert line_ids.normalize_imsi("230 990000000001") == "230990000000001"
    for bad in ("439011234567890", "23099000001", "23099000000000a"):
        with pytest.raises(ValueError, match="expected an IMSI of 14–15 digits"):
            line_ids.normalize_imsi(bad)
