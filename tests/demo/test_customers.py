"""The demo customer generator: deterministic, valid by the CRM's own rules, the wanted mix."""

from __future__ import annotations

from collections import Counter
from datetime import date

from linka.customers import identifiers as ids
from linka.demo.customers import (
    CATALOG_START,
    MOBILE_OFFERINGS,
    ascii_fold,
    choose_suspensions,
    generate_customers,
)
from linka.subscriptions.identifiers import normalize_iccid, normalize_imsi, parse_msisdn

TODAY = date(2026, 3, 31)


def test_the_same_seed_gives_the_same_rows_and_another_seed_others() -> None:
    first = generate_customers(200, 7, TODAY)
    assert generate_customers(200, 7, TODAY) == first
    assert generate_customers(200, 8, TODAY) != first
    assert choose_suspensions(first, 7, TODAY) == choose_suspensions(first, 7, TODAY)


def test_every_identifier_passes_the_crm_validators_and_none_repeats() -> None:
    rows = generate_customers(1500, 3, TODAY)
    msisdns, icos, emails = Counter[str](), Counter[str](), Counter[str]()
    for row in rows:
        assert row.msisdn is not None
        number = parse_msisdn(row.msisdn)
        assert number.e164 == row.msisdn
        assert number.mobile == (row.offering in MOBILE_OFFERINGS)
        msisdns[row.msisdn] += 1
        if row.offering in MOBILE_OFFERINGS:
            assert row.iccid is not None
            assert row.imsi is not None
            assert normalize_iccid(row.iccid) == row.iccid
            assert normalize_imsi(row.imsi) == row.imsi
        else:
            assert row.iccid is None
            assert row.installation_street is not None
        if row.ico:
            assert ids.normalize_ico(row.ico) == row.ico
            icos[row.ico] += 1
        if row.dic:
            assert ids.normalize_vat_id(row.dic) == row.dic
            if row.dic.startswith("CZ"):
                assert row.dic == f"CZ{row.ico}"
        if row.iban:
            assert ids.normalize_iban(row.iban) == row.iban
            assert row.payment_method == "direct_debit"
        if row.email:
            assert ids.normalize_email(row.email) == row.email
            emails[row.email] += 1
        if row.phone:
            assert ids.normalize_phone(row.phone) == row.phone
        if row.country:
            assert row.postal_code is not None
            assert ids.normalize_postal_code(row.postal_code, row.country) == row.postal_code
    assert max(msisdns.values()) == 1
    assert max(icos.values()) == 1
    assert max(emails.values()) == 1


def test_the_mix_of_customers_lines_and_terms() -> None:
    rows = generate_customers(3000, 1, TODAY)
    customers = [row for row in rows if row.customer_type]
    kinds = Counter(row.customer_type for row in customers)
    offerings = Counter(row.offering for row in rows)
    share = {name: count / len(rows) for name, count in offerings.items()}
    assert len(customers) == 3000
    assert 0.75 < kinds["person"] / 3000 < 0.85
    assert 1.25 < len(rows) / 3000 < 1.4
    assert 0.12 < share["mobile-prepaid"] < 0.18
    assert 0.31 < share["mobile-basic"] < 0.39
    assert 0.17 < share["mobile-unlimited"] < 0.24
    assert 0.17 < share["mobile-business"] < 0.25
    assert 0.07 < share["voip-fixed"] < 0.13
    assert Counter(row.tax_profile for row in rows if row.tax_profile)["eu-reverse-charge"] == 6
    assert Counter(row.tax_profile for row in rows if row.tax_profile)["non-eu"] == 3
    for row in rows:
        if row.offering == "mobile-business":
            assert row.customer_ref is not None
        if row.activation_date is not None:
            assert isinstance(row.activation_date, date)
            assert CATALOG_START <= row.activation_date <= TODAY
        else:
            assert row.line_status == "pending"
    prepaid_accounts = {
        (row.customer_ref, row.account_ref) for row in rows if row.payment_type == "prepaid"
    }
    for row in rows:
        on_prepaid = (row.customer_ref, row.account_ref) in prepaid_accounts
        assert on_prepaid == (row.offering == "mobile-prepaid")


def test_suspensions_fall_after_activation_and_not_after_today() -> None:
    rows = generate_customers(2000, 5, TODAY)
    activated = {row.msisdn: row.activation_date for row in rows}
    suspensions = choose_suspensions(rows, 5, TODAY)
    assert 10 <= len(suspensions) <= 40
    for suspension in suspensions:
        since = activated[suspension.msisdn]
        assert isinstance(since, date)
        assert since < suspension.effective_on <= TODAY


def test_no_customers_and_ascii_folding() -> None:
    assert generate_customers(0, 1, TODAY) == []
    assert ascii_fold("Šťastná Kříž") == "stastna kriz"
