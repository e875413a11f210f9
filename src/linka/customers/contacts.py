"""Contacts: people to talk to about an account, with a role per account.

A contact is not tied to one customer: the same accountant can be the billing contact of
several accounts, even of different customers. The link table holds (contact, account,
role); one contact may hold several roles on one account. Assigning or removing a role
writes a timeline entry on the account's customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from linka.customers import identifiers as ids
from linka.customers.errors import ContactNotFoundError, FieldIssue, InvalidInputError
from linka.customers.events import ContactRoleAssigned, ContactRoleRemoved
from linka.customers.fields import FieldReader
from linka.customers.model import Actor, ContactRole, InteractionKind
from linka.customers.services import get_account
from linka.customers.tables import BillingAccountRow, ContactRoleRow, ContactRow
from linka.customers.timeline import record_interaction
from linka.kernel.clock import Clock


@dataclass(frozen=True)
class ContactAddition:
    contact: ContactRow
    events: tuple[ContactRoleAssigned, ...]


@dataclass(frozen=True)
class ContactLink:
    """One role of a contact on one account, for display."""

    contact: ContactRow
    account_number: str
    role: ContactRole


def add_contact(
    session: Session,
    *,
    name: str,
    email: str | None = None,
    phone: str | None = None,
    roles: Sequence[tuple[str, ContactRole]] = (),
    clock: Clock,
    actor: Actor,
) -> ContactAddition:
    """A new contact, given ``roles`` as (account number, role) pairs."""
    issues: list[FieldIssue] = []
    reader = FieldReader(issues)
    clean_name = reader.text("name", name, required=True, limit=200)
    clean_email = reader.parse("email", email, ids.normalize_email)
    clean_phone = reader.parse("phone", phone, ids.normalize_phone)
    if clean_name is None or issues:
        raise InvalidInputError(issues, "contact")
    contact = ContactRow(
        name=clean_name, email=clean_email, phone=clean_phone, created_at=clock.now()
    )
    session.add(contact)
    session.flush()
    events = [
        event
        for account_number, role in roles
        if (
            event := assign_contact_role(
                session, contact.id, account_number, role, clock=clock, actor=actor
            )
        )
    ]
    return ContactAddition(contact, tuple(events))


def get_contact(session: Session, contact_id: int) -> ContactRow:
    contact = session.get(ContactRow, contact_id)
    if contact is None:
        raise ContactNotFoundError(contact_id)
    return contact


def assign_contact_role(
    session: Session,
    contact_id: int,
    account_number: str,
    role: ContactRole,
    *,
    clock: Clock,
    actor: Actor,
) -> ContactRoleAssigned | None:
    """Make the contact the ``role`` person of the account; ``None`` if it already is."""
    contact = get_contact(session, contact_id)
    account = get_account(session, account_number)
    if session.get(ContactRoleRow, (contact.id, account.id, role.value)) is not None:
        return None
    session.add(
        ContactRoleRow(
            contact_id=contact.id, account_id=account.id, role=role.value, assigned_at=clock.now()
        )
    )
    session.flush()
    record_interaction(
        session,
        account.customer_id,
        InteractionKind.CONTACT_ROLE_ASSIGNED,
        f"{contact.name} is now the {role.value} contact of account {account.number}",
        clock=clock,
        actor=actor,
        details={"contact_id": contact.id, "account": account.number, "role": role.value},
        subject=f"account:{account.number}",
    )
    return ContactRoleAssigned(contact.id, account.number, role.value)


def remove_contact_role(
    session: Session,
    contact_id: int,
    account_number: str,
    role: ContactRole,
    *,
    clock: Clock,
    actor: Actor,
) -> ContactRoleRemoved | None:
    """Take the role away; ``None`` if the contact did not hold it."""
    contact = get_contact(session, contact_id)
    account = get_account(session, account_number)
    link = session.get(ContactRoleRow, (contact.id, account.id, role.value))
    if link is None:
        return None
    session.delete(link)
    session.flush()
    record_interaction(
        session,
        account.customer_id,
        InteractionKind.CONTACT_ROLE_REMOVED,
        f"{contact.name} is no longer the {role.value} contact of account {account.number}",
        clock=clock,
        actor=actor,
        details={"contact_id": contact.id, "account": account.number, "role": role.value},
        subject=f"account:{account.number}",
    )
    return ContactRoleRemoved(contact.id, account.number, role.value)


def contacts_of_customer(session: Session, customer_id: int) -> list[ContactLink]:
    """Every role held on the customer's accounts, by account number, role and name."""
    rows = session.execute(
        select(ContactRow, BillingAccountRow.number, ContactRoleRow.role)
        .join(ContactRoleRow, ContactRoleRow.contact_id == ContactRow.id)
        .join(BillingAccountRow, BillingAccountRow.id == ContactRoleRow.account_id)
        .where(BillingAccountRow.customer_id == customer_id)
        .order_by(BillingAccountRow.number, ContactRoleRow.role, ContactRow.name, ContactRow.id)
    )
    return [ContactLink(contact, number, ContactRole(role)) for contact, number, role in rows]


def roles_of_contact(session: Session, contact_id: int) -> list[tuple[str, ContactRole]]:
    """(account number, role) pairs the contact holds, sorted."""
    rows = session.execute(
        select(BillingAccountRow.number, ContactRoleRow.role)
        .join(BillingAccountRow, BillingAccountRow.id == ContactRoleRow.account_id)
        .where(ContactRoleRow.contact_id == contact_id)
        .order_by(BillingAccountRow.number, ContactRoleRow.role)
    )
    return [(number, ContactRole(role)) for number, role in rows]
