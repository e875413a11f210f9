"""Customer tables: customers (with their party), billing accounts, contacts, consents,
and the interaction timeline.

A customer is exactly one party, so the party's data lives on the customer row: the same
IČO or e-mail twice is refused as a duplicate anyway, and one row keeps the bulk path
and the lookups simple. Rows are never deleted by the application (GDPR erasure will
anonymise them), hence ``RESTRICT`` from customers to accounts; detail rows that only
make sense with their owner (roles, consents, timeline) cascade.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from linka.store.base import Base
from linka.store.types import UTCDateTime

NUMBER = String(20)
COUNTRY = String(2)
POSTAL_CODE = String(10)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class CustomerRow(Base):
    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint(_in("segment", ("consumer", "business")), name="segment"),
        CheckConstraint(_in("party_kind", ("person", "organisation")), name="party_kind"),
        Index("ix_customers_email", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(NUMBER, unique=True)
    segment: Mapped[str] = mapped_column(String(10))
    party_kind: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(200))  # display name: organisation or "first last"
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[date | None]
    organisation_name: Mapped[str | None] = mapped_column(String(200))
    ico: Mapped[str | None] = mapped_column(String(8), unique=True)
    dic: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(16))
    street: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(POSTAL_CODE)
    country: Mapped[str | None] = mapped_column(COUNTRY)
    external_ref: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class BillingAccountRow(Base):
    __tablename__ = "billing_accounts"
    __table_args__ = (
        CheckConstraint("bill_cycle_day BETWEEN 1 AND 28", name="bill_cycle_day"),
        CheckConstraint(_in("payment_type", ("postpaid", "prepaid")), name="payment_type"),
        CheckConstraint(
            _in("payment_method", ("bank_transfer", "direct_debit", "card")),
            name="payment_method",
        ),
        CheckConstraint(_in("invoice_delivery", ("email", "post")), name="invoice_delivery"),
        CheckConstraint(_in("language", ("cs", "en")), name="language"),
        CheckConstraint("length(variable_symbol) <= 10", name="variable_symbol_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[str] = mapped_column(NUMBER, unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    bill_cycle_day: Mapped[int]
    payment_type: Mapped[str] = mapped_column(String(10))
    payment_method: Mapped[str] = mapped_column(String(16))
    variable_symbol: Mapped[str] = mapped_column(String(10), unique=True)
    invoice_delivery: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(2))
    tax_profile_id: Mapped[str] = mapped_column(String(63))
    timezone: Mapped[str] = mapped_column(String(64))
    iban: Mapped[str | None] = mapped_column(String(34))
    billing_email: Mapped[str | None] = mapped_column(String(254))
    billing_street: Mapped[str | None] = mapped_column(String(200))
    billing_city: Mapped[str | None] = mapped_column(String(100))
    billing_postal_code: Mapped[str | None] = mapped_column(POSTAL_CODE)
    billing_country: Mapped[str | None] = mapped_column(COUNTRY)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ContactRow(Base):
    """A person to talk to; linked to one or more accounts through roles."""

    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_email", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ContactRoleRow(Base):
    """Contact ``contact_id`` is the ``role`` person of account ``account_id``."""

    __tablename__ = "contact_roles"
    __table_args__ = (CheckConstraint(_in("role", ("owner", "billing", "technical")), name="role"),)

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("billing_accounts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(10), primary_key=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConsentRow(Base):
    """One recorded answer; append-only. The current state is the latest per channel/purpose."""

    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint(_in("channel", ("email", "sms", "phone", "post")), name="channel"),
        CheckConstraint(_in("purpose", ("service", "marketing", "profiling")), name="purpose"),
        Index("ix_consents_lookup", "customer_id", "channel", "purpose", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str] = mapped_column(String(10))
    granted: Mapped[bool]
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(100))
    actor_channel: Mapped[str] = mapped_column(String(20))


class InteractionRow(Base):
    """One entry of a customer's timeline, written by any context."""

    __tablename__ = "interactions"
    __table_args__ = (Index("ix_interactions_timeline", "customer_id", "occurred_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(63))
    subject: Mapped[str | None] = mapped_column(String(100))  # e.g. "line:+420601123456"
    summary: Mapped[str] = mapped_column(String(500))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(100))
    actor_channel: Mapped[str] = mapped_column(String(20))
