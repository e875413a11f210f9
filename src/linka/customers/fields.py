"""Reading customer and account input (CLI options, CSV cells, demo rows) into valid values.

Input is raw text, one attribute per field, named like the CSV columns in
``docs/customers.md``. Reading collects every problem of a row instead of stopping at
the first, so an import reports a whole file in one go. The protocols name exactly the
fields each part reads; :class:`PartyInput` and :class:`AccountInput` are plain
implementations used for single records and updates, while the onboarding row of
``linka.subscriptions.onboarding`` carries all of them in one flat record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import date
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from linka.customers import identifiers as ids
from linka.customers.errors import FieldIssue
from linka.customers.model import (
    AccountDefaults,
    AccountTerms,
    Address,
    InvoiceDelivery,
    Language,
    Party,
    PartyKind,
    PaymentMethod,
    PaymentType,
    Segment,
)

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)
Raw = str | None


class FieldReader:
    """Reads the fields of one input row and collects the problems found."""

    def __init__(self, issues: list[FieldIssue], row: int | None = None) -> None:
        self.issues = issues
        self.row = row

    def fail(self, field: str, message: str) -> None:
        self.issues.append(FieldIssue(self.row, field, message))

    @property
    def count(self) -> int:
        return len(self.issues)

    def text(self, field: str, value: Raw, *, required: bool = False, limit: int = 100) -> Raw:
        text = " ".join(value.split()) if value else ""
        if not text:
            if required:
                self.fail(field, "is required")
            return None
        if len(text) > limit:
            self.fail(field, f"expected at most {limit} characters, got {len(text)}")
            return None
        return text

    def parse(
        self,
        field: str,
        value: str | int | date | None,
        parse: Callable[[Any], T],
        *,
        required: bool = False,
    ) -> T | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(field, "is required")
            return None
        try:
            return parse(value)
        except ValueError as exc:
            self.fail(field, str(exc))
            return None

    def choice(self, field: str, value: Raw, enum: type[E], default: E | None = None) -> E | None:
        text = value.strip().lower() if value else ""
        if not text:
            if default is None:
                self.fail(field, f"is required: one of {', '.join(enum)}")
            return default
        try:
            return enum(text)
        except ValueError:
            self.fail(field, f"expected one of {', '.join(enum)}, got {value!r}")
            return None

    def address(
        self,
        names: tuple[str, str, str, str],
        values: tuple[Raw, Raw, Raw, Raw],
        *,
        required: bool = False,
        what: str = "an address",
    ) -> Address | None:
        """An address from (street, city, postal code, country): all four or none."""
        if not any(v and v.strip() for v in values):
            if required:
                self.fail(names[0], f"is required: {what} (street, city, postal code, country)")
            return None
        before = self.count
        street = self.text(names[0], values[0], required=True, limit=200)
        city = self.text(names[1], values[1], required=True)
        country = self.parse(names[3], values[3], ids.normalize_country, required=True)
        postal = None
        if country is not None:
            postal = self.parse(
                names[2], values[2], lambda v: ids.normalize_postal_code(v, country), required=True
            )
        if self.count > before or not (street and city and postal and country):
            return None
        return Address(street, city, postal, country)


class PartyFields(Protocol):
    """The fields that describe a customer's party and segment."""

    @property
    def customer_type(self) -> Raw: ...
    @property
    def segment(self) -> Raw: ...
    @property
    def first_name(self) -> Raw: ...
    @property
    def last_name(self) -> Raw: ...
    @property
    def birth_date(self) -> str | date | None: ...
    @property
    def organisation_name(self) -> Raw: ...
    @property
    def ico(self) -> Raw: ...
    @property
    def dic(self) -> Raw: ...
    @property
    def email(self) -> Raw: ...
    @property
    def phone(self) -> Raw: ...
    @property
    def street(self) -> Raw: ...
    @property
    def city(self) -> Raw: ...
    @property
    def postal_code(self) -> Raw: ...
    @property
    def country(self) -> Raw: ...


class AccountFields(Protocol):
    """The fields that describe a billing account."""

    @property
    def currency(self) -> Raw: ...
    @property
    def bill_cycle_day(self) -> str | int | None: ...
    @property
    def payment_type(self) -> Raw: ...
    @property
    def payment_method(self) -> Raw: ...
    @property
    def variable_symbol(self) -> Raw: ...
    @property
    def invoice_delivery(self) -> Raw: ...
    @property
    def language(self) -> Raw: ...
    @property
    def tax_profile(self) -> Raw: ...
    @property
    def timezone(self) -> Raw: ...
    @property
    def iban(self) -> Raw: ...
    @property
    def billing_email(self) -> Raw: ...
    @property
    def billing_street(self) -> Raw: ...
    @property
    def billing_city(self) -> Raw: ...
    @property
    def billing_postal_code(self) -> Raw: ...
    @property
    def billing_country(self) -> Raw: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class PartyInput:
    """Raw party fields for one customer (see :class:`PartyFields`)."""

    customer_type: Raw = None
    segment: Raw = None
    first_name: Raw = None
    last_name: Raw = None
    birth_date: str | date | None = None
    organisation_name: Raw = None
    ico: Raw = None
    dic: Raw = None
    email: Raw = None
    phone: Raw = None
    street: Raw = None
    city: Raw = None
    postal_code: Raw = None
    country: Raw = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountInput:
    """Raw billing-account fields (see :class:`AccountFields`)."""

    currency: Raw = None
    bill_cycle_day: str | int | None = None
    payment_type: Raw = None
    payment_method: Raw = None
    variable_symbol: Raw = None
    invoice_delivery: Raw = None
    language: Raw = None
    tax_profile: Raw = None
    timezone: Raw = None
    iban: Raw = None
    billing_email: Raw = None
    billing_street: Raw = None
    billing_city: Raw = None
    billing_postal_code: Raw = None
    billing_country: Raw = None


PARTY_FIELDS = tuple(f.name for f in dataclass_fields(PartyInput))
ACCOUNT_FIELDS = tuple(f.name for f in dataclass_fields(AccountInput))


def read_party(
    fields: PartyFields, reader: FieldReader, today: date
) -> tuple[Party, Segment] | None:
    """The party and segment, or ``None`` after recording every problem in ``reader``."""
    before = reader.count
    default_kind = PartyKind.ORGANISATION if _given(fields.organisation_name) else PartyKind.PERSON
    kind = reader.choice("customer_type", fields.customer_type, PartyKind, default_kind)
    organisation = kind is PartyKind.ORGANISATION
    segment = reader.choice(
        "segment", fields.segment, Segment, Segment.BUSINESS if organisation else Segment.CONSUMER
    )
    if organisation and segment is Segment.CONSUMER:
        reader.fail("segment", "an organisation is a business customer, not consumer")
    first = last = org_name = ico = dic = None
    birth_date = None
    if organisation:
        org_name = reader.text(
            "organisation_name", fields.organisation_name, required=True, limit=200
        )
        for field, value in (("first_name", fields.first_name), ("last_name", fields.last_name)):
            if _given(value):
                reader.fail(field, "is for persons; an organisation has organisation_name")
        if fields.birth_date:
            reader.fail("birth_date", "is for persons, not organisations")
        ico = reader.parse("ico", fields.ico, ids.normalize_ico)
        dic = reader.parse("dic", fields.dic, ids.normalize_vat_id)
    else:
        first = reader.text("first_name", fields.first_name, required=True)
        last = reader.text("last_name", fields.last_name, required=True)
        birth_date = reader.parse("birth_date", fields.birth_date, ids.parse_date)
        if birth_date is not None and not date(1900, 1, 1) <= birth_date <= today:
            reader.fail("birth_date", f"expected a date between 1900-01-01 and {today}")
        for field, value in (
            ("organisation_name", fields.organisation_name),
            ("ico", fields.ico),
            ("dic", fields.dic),
        ):
            if _given(value):
                reader.fail(field, "is for organisations; set customer_type to organisation")
    email = reader.parse("email", fields.email, ids.normalize_email)
    phone = reader.parse("phone", fields.phone, ids.normalize_phone)
    address = reader.address(
        ("street", "city", "postal_code", "country"),
        (fields.street, fields.city, fields.postal_code, fields.country),
        required=organisation,
        what="an organisation's registered address",
    )
    czech = address is not None and address.country == "CZ"
    if organisation and czech and not _given(fields.ico):
        reader.fail("ico", "is required for a Czech organisation")
    if reader.count > before or kind is None or segment is None:
        return None
    party = Party(
        kind=kind,
        first_name=first,
        last_name=last,
        birth_date=birth_date,
        organisation_name=org_name,
        ico=ico,
        dic=dic,
        email=email,
        phone=phone,
        address=address,
    )
    return party, segment


def read_account(
    fields: AccountFields,
    reader: FieldReader,
    defaults: AccountDefaults,
    party: Party | None,
) -> AccountTerms | None:
    """The account terms, or ``None`` after recording every problem in ``reader``.

    The tax profile is only checked for form here; whether the catalog knows it is
    checked by the caller against the catalog version valid today.
    """
    before = reader.count
    currency = (
        reader.parse("currency", fields.currency, ids.normalize_currency) or defaults.currency
    )
    cycle_day = reader.parse("bill_cycle_day", fields.bill_cycle_day, ids.parse_bill_cycle_day)
    payment_type = reader.choice(
        "payment_type", fields.payment_type, PaymentType, defaults.payment_type
    )
    method = reader.choice(
        "payment_method", fields.payment_method, PaymentMethod, defaults.payment_method
    )
    symbol = reader.parse("variable_symbol", fields.variable_symbol, ids.normalize_variable_symbol)
    delivery = reader.choice(
        "invoice_delivery", fields.invoice_delivery, InvoiceDelivery, defaults.invoice_delivery
    )
    language = reader.choice("language", fields.language, Language, defaults.language)
    tax_profile = reader.text("tax_profile", fields.tax_profile, required=True, limit=63)
    timezone = reader.parse("timezone", fields.timezone, ids.check_timezone) or defaults.timezone
    iban = reader.parse("iban", fields.iban, ids.normalize_iban)
    billing_email = reader.parse("billing_email", fields.billing_email, ids.normalize_email)
    billing_address = reader.address(
        ("billing_street", "billing_city", "billing_postal_code", "billing_country"),
        (
            fields.billing_street,
            fields.billing_city,
            fields.billing_postal_code,
            fields.billing_country,
        ),
    )
    if method is PaymentMethod.DIRECT_DEBIT and iban is None and not _given(fields.iban):
        reader.fail("iban", "is required for payment method direct_debit (the account debited)")
    if party is not None:
        _check_delivery(reader, fields, delivery, party, billing_email, billing_address)
    if (
        reader.count > before
        or payment_type is None
        or method is None
        or delivery is None
        or language is None
        or tax_profile is None
    ):
        return None
    return AccountTerms(
        currency=currency,
        bill_cycle_day=cycle_day or defaults.bill_cycle_day,
        payment_type=payment_type,
        payment_method=method,
        invoice_delivery=delivery,
        language=language,
        tax_profile_id=tax_profile,
        timezone=timezone,
        variable_symbol=symbol,
        iban=iban,
        billing_email=billing_email,
        billing_address=billing_address,
    )


def _given(value: object) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


def _check_delivery(
    reader: FieldReader,
    fields: AccountFields,
    delivery: InvoiceDelivery | None,
    party: Party,
    billing_email: str | None,
    billing_address: Address | None,
) -> None:
    """Invoices must be deliverable: an e-mail for 'email', a postal address for 'post'."""
    has_email = billing_email or party.email or _given(fields.billing_email)
    if delivery is InvoiceDelivery.EMAIL and not has_email:
        reader.fail(
            "billing_email",
            "invoice delivery 'email' needs an e-mail: give billing_email or the customer's email",
        )
    has_address = billing_address or party.address or _given(fields.billing_street)
    if delivery is InvoiceDelivery.POST and not has_address:
        reader.fail(
            "billing_street",
            "invoice delivery 'post' needs a postal address: give the billing address or the "
            "customer's address",
        )
