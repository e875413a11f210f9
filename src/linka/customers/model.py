"""Customers as typed values: parties, addresses, account terms, actors and statuses.

The values here are already valid: they are built by :mod:`linka.customers.fields` from
user input (CLI options, CSV cells, the demo generator) or read back from the database.
Statuses and codes are ``StrEnum`` so the stored text, the CSV text and the Python value
are the same string.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from linka.settings import Settings


class PartyKind(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


class Segment(StrEnum):
    """Market segment; catalog offerings name the segments they are sold to."""

    CONSUMER = "consumer"
    BUSINESS = "business"


class PaymentType(StrEnum):
    """How an account is charged: billed afterwards, or from a prepaid balance.

    This is what marks a prepaid account: ``payment_type = prepaid``. It is separate from
    the payment method (how money arrives: a prepaid account tops up by card or transfer)
    and matches the ``eligibility.payment`` list of catalog offerings.
    """

    POSTPAID = "postpaid"
    PREPAID = "prepaid"


class PaymentMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    DIRECT_DEBIT = "direct_debit"
    CARD = "card"


class InvoiceDelivery(StrEnum):
    EMAIL = "email"
    POST = "post"


class Language(StrEnum):
    CS = "cs"
    EN = "en"


class ContactRole(StrEnum):
    OWNER = "owner"
    BILLING = "billing"
    TECHNICAL = "technical"


class ConsentChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    POST = "post"


class ConsentPurpose(StrEnum):
    SERVICE = "service"
    MARKETING = "marketing"
    PROFILING = "profiling"


class InteractionKind(StrEnum):
    """Timeline entry kinds written by this context; other contexts add their own strings."""

    CUSTOMER_CREATED = "customer.created"
    CUSTOMER_CHANGED = "customer.changed"
    ACCOUNT_OPENED = "account.opened"
    ACCOUNT_CHANGED = "account.changed"
    CONTACT_ROLE_ASSIGNED = "contact.role_assigned"
    CONTACT_ROLE_REMOVED = "contact.role_removed"
    CONSENT_RECORDED = "consent.recorded"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something (a user or a system component) and through which channel.

    Stored with every status change, consent and timeline entry, so each can be traced.
    """

    name: str
    channel: str

    def __str__(self) -> str:
        return f"{self.name} ({self.channel})"


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address; ``country`` is ISO 3166 alpha-2, CZ/SK postal codes are ``NNN NN``."""

    street: str
    city: str
    postal_code: str
    country: str

    def one_line(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city}, {self.country}"


@dataclass(frozen=True, slots=True)
class Party:
    """The person or organisation a customer is.

    Persons have first and last names (and maybe a birth date); organisations have a name,
    an IČO (required when the address is Czech) and maybe a DIČ / EU VAT id. E-mail is
    stored lower-case, phone numbers in E.164 (``+420…``).
    """

    kind: PartyKind
    first_name: str | None = None
    last_name: str | None = None
    birth_date: date | None = None
    organisation_name: str | None = None
    ico: str | None = None
    dic: str | None = None
    email: str | None = None
    phone: str | None = None
    address: Address | None = None

    @property
    def name(self) -> str:
        if self.kind is PartyKind.ORGANISATION:
            return self.organisation_name or ""
        return f"{self.first_name or ''} {self.last_name or ''}".strip()


@dataclass(frozen=True, slots=True)
class AccountDefaults:
    """Values an account gets when its input leaves them out."""

    currency: str = "CZK"
    timezone: str = "Europe/Prague"
    bill_cycle_day: int = 1
    payment_type: PaymentType = PaymentType.POSTPAID
    payment_method: PaymentMethod = PaymentMethod.BANK_TRANSFER
    invoice_delivery: InvoiceDelivery = InvoiceDelivery.EMAIL
    language: Language = Language.CS

    @classmethod
    def from_settings(cls, settings: Settings) -> AccountDefaults:
        return cls(currency=settings.currency, timezone=settings.timezone)


@dataclass(frozen=True, slots=True)
class AccountTerms:
    """Everything a billing account says about how its customer is billed.

    ``variable_symbol`` is ``None`` until the account number is known: it is then derived
    from it (see :func:`linka.customers.numbering.variable_symbol_for`).
    """

    currency: str
    bill_cycle_day: int
    payment_type: PaymentType
    payment_method: PaymentMethod
    invoice_delivery: InvoiceDelivery
    language: Language
    tax_profile_id: str
    timezone: str
    variable_symbol: str | None = None
    iban: str | None = None
    billing_email: str | None = None
    billing_address: Address | None = None


@dataclass(frozen=True, slots=True)
class ConsentState:
    """The latest answer for one (channel, purpose)."""

    channel: ConsentChannel
    purpose: ConsentPurpose
    granted: bool
    recorded_at: datetime
    source: str
