"""Contacts with roles on several accounts, consent history, and the timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from linka.customers import consents, contacts, services, timeline
from linka.customers.errors import CustomerNotFoundError, InvalidInputError
from linka.customers.model import ConsentChannel, ConsentPurpose, ContactRole
from linka.customers.tables import ConsentRow
from linka.store.database import Database
from tests.customers.builders import ACTOR, START, account, clock, company, count, person

EMAIL, SMS = ConsentChannel.EMAIL, ConsentChannel.SMS
MARKETING, PROFILING = ConsentPurpose.MARKETING, ConsentPurpose.PROFILING


@pytest.fixture
def two_customers(db: Database, loaded_catalog: Path) -> Database:
    """Customer 10000001 (accounts 20000001, 20000003) and 10000002 (account 20000002)."""
    with db.session() as session:
        services.create_customer(session, company(), account(), clock=clock(), actor=ACTOR)
        services.create_customer(session, person(), account(), clock=clock(), actor=ACTOR)
        services.open_account(session, "10000001", account(), clock=clock(), actor=ACTOR)
    return db


def test_a_contact_can_hold_roles_on_several_accounts(two_customers: Database) -> None:
    db = two_customers
    # given an accountant who is the billing contact of accounts of two customers
    with db.session() as session:
        added = contacts.add_contact(
            session,
            name="Petra Malá",
            email="Petra@Ucetni.cz",
            phone="777 123 456",
            roles=[
                ("20000001", ContactRole.BILLING),
                ("20000001", ContactRole.TECHNICAL),
                ("20000002", ContactRole.BILLING),
            ],
            clock=clock(),
            actor=ACTOR,
        )
        other = contacts.add_contact(
            session,
            name="Karel Veselý",
            roles=[("20000003", ContactRole.OWNER)],
            clock=clock(),
            actor=ACTOR,
        )
    petra = added.contact
    assert (petra.email, petra.phone) == ("petra@ucetni.cz", "+420777123456")
    assert [(e.account_number, e.role) for e in added.events] == [
        ("20000001", "billing"),
        ("20000001", "technical"),
        ("20000002", "billing"),
    ]
    with db.session() as session:
        # then each customer sees the contacts of its own accounts
        first = services.get_customer(session, "10000001")
        assert [
            (link.contact.name, link.account_number, link.role)
            for link in contacts.contacts_of_customer(session, first.id)
        ] == [
            ("Petra Malá", "20000001", ContactRole.BILLING),
            ("Petra Malá", "20000001", ContactRole.TECHNICAL),
            ("Karel Veselý", "20000003", ContactRole.OWNER),
        ]
        second = services.get_customer(session, "10000002")
        assert [
            (link.contact.id, link.account_number)
            for link in contacts.contacts_of_customer(session, second.id)
        ] == [(petra.id, "20000002")]
        # and assigning a role held already changes nothing
        again = contacts.assign_contact_role(
            session, petra.id, "20000002", ContactRole.BILLING, clock=clock(), actor=ACTOR
        )
        assert again is None
        removed = contacts.remove_contact_role(
            session, petra.id, "20000001", ContactRole.TECHNICAL, clock=clock(), actor=ACTOR
        )
        assert removed is not None
        assert contacts.roles_of_contact(session, petra.id) == [
            ("20000001", ContactRole.BILLING),
            ("20000002", ContactRole.BILLING),
        ]
        assert contacts.roles_of_contact(session, other.contact.id) == [
            ("20000003", ContactRole.OWNER)
        ]
        assert [e.summary for e in timeline.timeline(session, first.id, limit=2)] == [
            "Petra Malá is no longer the technical contact of account 20000001",
            "Karel Veselý is now the owner contact of account 20000003",
        ]


def test_a_contact_needs_a_name_and_valid_details(two_customers: Database) -> None:
    with two_customers.session() as session, pytest.raises(InvalidInputError) as error:
        contacts.add_contact(
            session, name=" ", email="petra", phone="12", clock=clock(), actor=ACTOR
        )
    assert [issue.field for issue in error.value.issues] == ["name", "email", "phone"]


def test_consent_history_is_kept_and_the_latest_answer_counts(two_customers: Database) -> None:
    db = two_customers
    moving = clock()
    with db.session() as session:
        customer_id = services.get_customer(session, "10000002").id
        # given no answer at all: no consent is assumed
        assert consents.has_consent(session, customer_id, EMAIL, MARKETING) is False
        # when the customer grants, then withdraws marketing by e-mail, and grants profiling
        consents.record_consent(
            session,
            customer_id,
            EMAIL,
            MARKETING,
            True,
            source="contract",
            clock=moving,
            actor=ACTOR,
        )
        moving.advance(timedelta(days=30))
        consents.record_consent(
            session,
            customer_id,
            EMAIL,
            MARKETING,
            False,
            source="unsubscribe link",
            clock=moving,
            actor=ACTOR,
        )
        consents.record_consent(
            session,
            customer_id,
            SMS,
            PROFILING,
            True,
            source="web form",
            clock=moving,
            actor=ACTOR,
        )
    with db.session() as session:
        # then the history keeps every answer, oldest first
        assert [
            (r.channel, r.purpose, r.granted, r.source, r.recorded_at)
            for r in consents.consent_history(session, customer_id)
        ] == [
            ("email", "marketing", True, "contract", START),
            ("email", "marketing", False, "unsubscribe link", START + timedelta(days=30)),
            ("sms", "profiling", True, "web form", START + timedelta(days=30)),
        ]
        # and the current state is the latest answer per channel and purpose
        current = consents.current_consents(session, customer_id)
        assert {key: state.granted for key, state in current.items()} == {
            (EMAIL, MARKETING): False,
            (SMS, PROFILING): True,
        }
        assert consents.has_consent(session, customer_id, EMAIL, MARKETING) is False
        assert consents.has_consent(session, customer_id, SMS, PROFILING) is True
        assert consents.has_consent(session, customer_id, SMS, MARKETING) is False
        assert timeline.timeline(session, customer_id, limit=1)[0].summary == (
            "Consent to profiling by sms granted (source: web form)"
        )
        # and another customer's answers are not mixed in
        other = services.get_customer(session, "10000001").id
        assert consents.current_consents(session, other) == {}


def test_a_consent_needs_its_source_and_a_customer(two_customers: Database) -> None:
    with two_customers.session() as session:
        with pytest.raises(InvalidInputError, match="source: is required"):
            consents.record_consent(
                session, 1, EMAIL, MARKETING, True, source="  ", clock=clock(), actor=ACTOR
            )
        with pytest.raises(CustomerNotFoundError, match="no customer with id 99"):
            consents.record_consent(
                session, 99, EMAIL, MARKETING, True, source="web", clock=clock(), actor=ACTOR
            )
    assert count(two_customers, ConsentRow) == 0


def test_any_context_can_write_to_the_timeline(two_customers: Database) -> None:
    db = two_customers
    with db.session() as session:
        customer_id = services.get_customer(session, "10000002").id
        later = datetime(2026, 4, 1, 8, tzinfo=UTC)
        entry = timeline.record_interaction(
            session,
            customer_id,
            "invoice.issued",
            "Invoice 2026-000123 issued: 1 234,50 Kč",
            clock=clock(),
            actor=ACTOR,
            details={"invoice": "2026-000123", "total": "1234.50"},
            subject="invoice:2026-000123",
            occurred_at=later,
        )
        with pytest.raises(ValueError, match="invalid interaction kind 'Invoice issued'"):
            timeline.record_interaction(
                session, customer_id, "Invoice issued", "x", clock=clock(), actor=ACTOR
            )
        with pytest.raises(CustomerNotFoundError):
            timeline.record_interaction(
                session, 99, "invoice.issued", "x", clock=clock(), actor=ACTOR
            )
    with db.session() as session:
        entries = timeline.timeline(session, customer_id)
        assert [(e.kind, e.occurred_at) for e in entries] == [
            ("invoice.issued", later),
            ("customer.created", START),
        ]
        assert entries[0].id == entry.id
        assert entries[0].details == {"invoice": "2026-000123", "total": "1234.50"}
        assert (entries[0].actor, entries[0].actor_channel) == ("tester", "test")
        assert [e.kind for e in timeline.timeline(session, customer_id, kind="invoice.issued")] == [
            "invoice.issued"
        ]
