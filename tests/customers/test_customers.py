"""Creating, reading and changing customers and their billing accounts."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from linka.customers import services, timeline
from linka.customers.errors import CustomerNotFoundError, FieldIssue, InvalidInputError
from linka.customers.model import Segment
from linka.customers.tables import BillingAccountRow, CustomerRow, InteractionRow
from linka.store.database import Database
from tests.customers.builders import ACTOR, START, account, clock, company, count, person


def issues_of(error: pytest.ExceptionInfo[InvalidInputError]) -> list[tuple[str, str]]:
    return [(issue.field, issue.message) for issue in error.value.issues]


def test_a_person_gets_numbers_variable_symbol_and_a_timeline_entry(
    db: Database, loaded_catalog: Path
) -> None:
    # given a catalog and an empty database
    # when a person is created with an account and no explicit variable symbol
    with db.session() as session:
        created = services.create_customer(
            session, person(birth_date="1980-05-17"), account(), clock=clock(), actor=ACTOR
        )
    # then numbers start at the beginning of their ranges, the symbol is the account number
    customer, accounts = created.customer, created.accounts
    assert (customer.number, customer.segment, customer.party_kind) == (
        "10000001",
        "consumer",
        "person",
    )
    assert (customer.name, customer.email, customer.phone) == (
        "Jan Novák",
        "jan.novak@example.cz",
        "+420601123456",
    )
    assert [(a.number, a.variable_symbol, a.payment_type, a.payment_method) for a in accounts] == [
        ("20000001", "20000001", "postpaid", "bank_transfer")
    ]
    assert (accounts[0].currency, accounts[0].timezone, accounts[0].bill_cycle_day) == (
        "CZK",
        "Europe/Prague",
        1,
    )
    assert [(e.customer_number, e.account_numbers) for e in created.events] == [
        ("10000001", ("20000001",))
    ]
    with db.session() as session:
        entries = timeline.timeline(session, customer.id)
        assert [(e.kind, e.summary, e.occurred_at) for e in entries] == [
            (
                "customer.created",
                "Customer 10000001 created: Jan Novák (consumer), billing account 20000001",
                START,
            )
        ]
        assert entries[0].details["accounts"][0]["variable_symbol"] == "20000001"


def test_an_organisation_with_bad_ico_and_dic_is_refused_and_nothing_is_stored(
    db: Database, loaded_catalog: Path
) -> None:
    with db.session() as session, pytest.raises(InvalidInputError) as error:
        services.create_customer(
            session,
            company(ico="25123890", dic="CZ2512389"),
            account(),
            clock=clock(),
            actor=ACTOR,
        )
    assert [field for field, _ in issues_of(error)] == ["ico", "dic"]
    assert "fails the check-digit test" in issues_of(error)[0][1]
    assert count(db, CustomerRow) == 0


def test_organisation_rules(db: Database, loaded_catalog: Path) -> None:
    with db.session() as session:
        with pytest.raises(InvalidInputError) as error:
            services.create_customer(
                session, company(ico=None), account(), clock=clock(), actor=ACTOR
            )
        assert issues_of(error) == [("ico", "is required for a Czech organisation")]
        with pytest.raises(InvalidInputError) as error:
            services.create_customer(
                session,
                company(segment="consumer", first_name="Jan"),
                account(),
                clock=clock(),
                actor=ACTOR,
            )
        assert issues_of(error) == [
            ("segment", "an organisation is a business customer, not consumer"),
            ("first_name", "is for persons; an organisation has organisation_name"),
        ]
        with pytest.raises(InvalidInputError) as error:
            services.create_customer(
                session, person(ico="25123891"), account(), clock=clock(), actor=ACTOR
            )
        assert issues_of(error) == [
            ("ico", "is for organisations; set customer_type to organisation")
        ]
        # a foreign organisation needs no IČO, its EU VAT id is checked by stdnum
        created = services.create_customer(
            session,
            company(ico=None, dic="DE136695976", country="DE", postal_code="10115", city="Berlin"),
            account(tax_profile="eu-reverse-charge"),
            clock=clock(),
            actor=ACTOR,
        )
        assert (created.customer.segment, created.customer.dic) == ("business", "DE136695976")


def test_account_rules_are_checked_together(db: Database, loaded_catalog: Path) -> None:
    with db.session() as session, pytest.raises(InvalidInputError) as error:
        services.create_customer(
            session,
            person(email=None),
            account(
                payment_method="direct_debit",
                bill_cycle_day="31",
                tax_profile="flat-tax",
                currency="XYZ",
            ),
            clock=clock(),
            actor=ACTOR,
        )
    assert issues_of(error) == [
        ("currency", "unknown currency 'XYZ': expected an ISO 4217 code such as CZK or EUR"),
        ("bill_cycle_day", "expected a bill-cycle day from 1 to 28, got '31'"),
        ("iban", "is required for payment method direct_debit (the account debited)"),
        (
            "billing_email",
            "invoice delivery 'email' needs an e-mail: give billing_email or the customer's email",
        ),
    ]
    with db.session() as session, pytest.raises(InvalidInputError) as error:
        services.create_customer(
            session, person(), account(tax_profile="flat-tax"), clock=clock(), actor=ACTOR
        )
    assert issues_of(error) == [
        (
            "tax_profile",
            "unknown tax profile 'flat-tax': the catalog valid on 2026-03-02 has domestic, "
            "eu-reverse-charge, non-eu",
        )
    ]


def test_variable_symbols_are_unique_whatever_their_leading_zeros(
    db: Database, loaded_catalog: Path
) -> None:
    with db.session() as session:
        services.create_customer(
            session, person(), account(variable_symbol="0000777"), clock=clock(), actor=ACTOR
        )
    with db.session() as session, pytest.raises(InvalidInputError) as error:
        services.create_customer(
            session,
            person(email="eva@example.cz"),
            account(variable_symbol="777"),
            clock=clock(),
            actor=ACTOR,
        )
    assert issues_of(error) == [
        ("variable_symbol", "variable symbol 777 is used by account 20000001")
    ]


def test_the_database_itself_refuses_a_duplicate_variable_symbol(
    db: Database, loaded_catalog: Path
) -> None:
    with db.session() as session:
        created = services.create_customer(session, person(), account(), clock=clock(), actor=ACTOR)
    columns = {
        c.key: getattr(created.accounts[0], c.key)
        for c in BillingAccountRow.__table__.columns
        if c.key != "id"
    }
    with pytest.raises(IntegrityError), db.session() as session:
        session.execute(sa.insert(BillingAccountRow), [columns | {"number": "29999999"}])


def test_a_generated_symbol_taken_explicitly_refuses_the_account(
    db: Database, loaded_catalog: Path
) -> None:
    # given an account that chose, explicitly, what will be the next account's number
    with db.session() as session:
        services.create_customer(
            session, person(), account(variable_symbol="20000002"), clock=clock(), actor=ACTOR
        )
    # when the next account would get that symbol from its number, it is refused
    with db.session() as session, pytest.raises(InvalidInputError) as error:
        services.create_customer(
            session, person(email="eva@example.cz"), account(), clock=clock(), actor=ACTOR
        )
    assert issues_of(error) == [
        (
            "variable_symbol",
            "the account number 20000002 would be its variable symbol, but account 20000001 "
            "uses 20000002: give a variable symbol explicitly",
        )
    ]


def test_duplicate_ico_and_email_are_refused(db: Database, loaded_catalog: Path) -> None:
    with db.session() as session:
        services.create_customer(session, company(), account(), clock=clock(), actor=ACTOR)
    with db.session() as session, pytest.raises(InvalidInputError) as error:
        services.create_customer(
            session, company(email="INFO@acme.cz"), account(), clock=clock(), actor=ACTOR
        )
    assert issues_of(error) == [
        ("ico", "IČO 25123891 belongs to customer 10000001"),
        ("email", "e-mail info@acme.cz belongs to customer 10000001"),
    ]


def test_another_account_for_an_existing_customer(db: Database, loaded_catalog: Path) -> None:
    with db.session() as session:
        services.create_customer(session, company(), account(), clock=clock(), actor=ACTOR)
        opened = services.open_account(
            session,
            "10000001",
            account(payment_type="prepaid", payment_method="card", language="en"),
            clock=clock(),
            actor=ACTOR,
        )
    assert (opened.account.number, opened.account.variable_symbol, opened.account.language) == (
        "20000002",
        "20000002",
        "en",
    )
    with db.session() as session:
        assert [a.number for a in services.accounts_of(session, opened.account.customer_id)] == [
            "20000001",
            "20000002",
        ]
        newest = timeline.timeline(session, opened.account.customer_id, limit=1)[0]
        assert (newest.kind, newest.subject) == ("account.opened", "account:20000002")


def test_changing_a_customer_records_what_changed(db: Database, loaded_catalog: Path) -> None:
    with db.session() as session:
        services.create_customer(session, person(), account(), clock=clock(), actor=ACTOR)
    with db.session() as session:
        change = services.update_customer(
            session,
            "10000001",
            {"email": "Jan@Novak.cz", "phone": None, "last_name": "Nový"},
            clock=clock(),
            actor=ACTOR,
        )
        unchanged = services.update_customer(
            session, "10000001", {"email": "jan@novak.cz"}, clock=clock(), actor=ACTOR
        )
    expected = {
        "name": {"from": "Jan Novák", "to": "Jan Nový"},
        "last_name": {"from": "Novák", "to": "Nový"},
        "email": {"from": "jan.novak@example.cz", "to": "jan@novak.cz"},
        "phone": {"from": "+420601123456", "to": None},
    }
    assert change.changes == expected
    assert (unchanged.changes, unchanged.events) == ({}, ())
    with db.session() as session:
        customer = services.get_customer(session, "10000001")
        assert (customer.email, customer.phone, customer.updated_at) == (
            "jan@novak.cz",
            None,
            START,
        )
        kinds = [(e.kind, e.details) for e in timeline.timeline(session, customer.id)]
        assert kinds[0] == ("customer.changed", {"changes": expected})
        assert len(kinds) == 2


def test_a_change_is_checked_like_creation(db: Database, loaded_catalog: Path) -> None:
    with db.session() as session:
        services.create_customer(session, person(), account(), clock=clock(), actor=ACTOR)
        services.create_customer(
            session, person(email="eva@example.cz"), account(), clock=clock(), actor=ACTOR
        )
    with db.session() as session, pytest.raises(InvalidInputError) as error:
        services.update_customer(
            session, "10000002", {"email": "jan.novak@example.cz"}, clock=clock(), actor=ACTOR
        )
    assert issues_of(error) == [
        ("email", "e-mail jan.novak@example.cz belongs to customer 10000001")
    ]
    with db.session() as session, pytest.raises(InvalidInputError) as error:
        services.update_customer(session, "10000002", {"colour": "red"}, clock=clock(), actor=ACTOR)
    assert error.value.issues == [FieldIssue(None, "colour", "is not a customer field")]


def test_changing_an_account(db: Database, loaded_catalog: Path) -> None:
    with db.session() as session:
        services.create_customer(session, person(), account(), clock=clock(), actor=ACTOR)
        services.create_customer(
            session, person(email="eva@example.cz"), account(), clock=clock(), actor=ACTOR
        )
    with db.session() as session:
        change = services.update_account(
            session,
            "20000001",
            {"payment_method": "direct_debit", "iban": "CZ6508000000192000145399"},
            clock=clock(),
            actor=ACTOR,
        )
    assert change.changes == {
        "payment_method": {"from": "bank_transfer", "to": "direct_debit"},
        "iban": {"from": None, "to": "CZ6508000000192000145399"},
    }
    with db.session() as session, pytest.raises(InvalidInputError) as error:
        services.update_account(
            session, "20000001", {"variable_symbol": "20000002"}, clock=clock(), actor=ACTOR
        )
    assert issues_of(error) == [
        ("variable_symbol", "variable symbol 20000002 is used by account 20000002")
    ]
    with db.session() as session:
        entry = timeline.timeline(session, 1, kind="account.changed")[0]
        assert entry.summary == "Billing account 20000001 changed: payment_method, iban"
    assert count(db, InteractionRow) == 3  # two customers created, one account changed


def test_finding_customers(db: Database, loaded_catalog: Path) -> None:
    with db.session() as session:
        services.create_customer(session, person(), account(), clock=clock(), actor=ACTOR)
        services.create_customer(session, company(), account(), clock=clock(), actor=ACTOR)
        services.create_customer(
            session,
            person(first_name="Eva", last_name="Dvořáková", email="eva@example.cz", phone=None),
            account(),
            clock=clock(),
            actor=ACTOR,
        )
    with db.session() as session:

        def numbers(**kwargs: object) -> tuple[list[str], int]:
            rows, total = services.find_customers(session, **kwargs)  # type: ignore[arg-type]
            return [r.number for r in rows], total

        assert numbers() == (["10000001", "10000002", "10000003"], 3)
        assert numbers(segment=Segment.BUSINESS) == (["10000002"], 1)
        assert numbers(search="DVOŘ") == (["10000003"], 1)
        assert numbers(search="251238") == (["10000002"], 1)
        assert numbers(search="example.cz") == (["10000001", "10000003"], 2)
        assert numbers(limit=1, offset=1) == (["10000002"], 3)
        with pytest.raises(CustomerNotFoundError, match="no customer with number '99'"):
            services.get_customer(session, "99")
