"""Customer use cases: create, find, read, change customers and open and change accounts.

Every function works inside the caller's unit of work (``database.session()``) and never
commits; it returns what it made and the events to publish after the commit. Changes are
re-validated as a whole record (the stored values with the changes applied), so a change
can never leave a customer or account that creation would have refused. Each creation or
change writes a timeline entry saying what changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from linka.customers.bulk import (
    NewAccount,
    NewCustomer,
    TaxProfiles,
    account_opened_entry,
    account_values,
    assign_numbers,
    check_accounts,
    check_customers,
    insert_accounts,
    insert_customers,
    number_accounts,
    party_columns,
)
from linka.customers.errors import (
    AccountNotFoundError,
    CustomerNotFoundError,
    FieldIssue,
    InvalidInputError,
)
from linka.customers.events import (
    BillingAccountChanged,
    BillingAccountOpened,
    CustomerChanged,
    CustomerCreated,
)
from linka.customers.fields import (
    ACCOUNT_FIELDS,
    PARTY_FIELDS,
    AccountFields,
    AccountInput,
    FieldReader,
    PartyFields,
    PartyInput,
    read_account,
    read_party,
)
from linka.customers.model import (
    AccountDefaults,
    Actor,
    Address,
    InteractionKind,
    Party,
    PartyKind,
    Segment,
)
from linka.customers.numbering import variable_symbol_for
from linka.customers.tables import BillingAccountRow, CustomerRow
from linka.customers.timeline import record_interaction, record_interactions
from linka.kernel.clock import Clock


@dataclass(frozen=True)
class CustomerCreation:
    customer: CustomerRow
    accounts: list[BillingAccountRow]
    events: tuple[CustomerCreated, ...]


@dataclass(frozen=True)
class AccountOpening:
    account: BillingAccountRow
    events: tuple[BillingAccountOpened, ...]


@dataclass(frozen=True)
class CustomerChange:
    customer: CustomerRow
    changes: dict[str, dict[str, Any]]
    events: tuple[CustomerChanged, ...]


@dataclass(frozen=True)
class AccountChange:
    account: BillingAccountRow
    changes: dict[str, dict[str, Any]]
    events: tuple[BillingAccountChanged, ...]


# -- reading ----------------------------------------------------------------------------------


def get_customer(session: Session, number: str) -> CustomerRow:
    row = session.scalars(select(CustomerRow).where(CustomerRow.number == number.strip())).first()
    if row is None:
        raise CustomerNotFoundError(number)
    return row


def get_account(session: Session, number: str) -> BillingAccountRow:
    row = session.scalars(
        select(BillingAccountRow).where(BillingAccountRow.number == number.strip())
    ).first()
    if row is None:
        raise AccountNotFoundError(number)
    return row


def accounts_of(session: Session, customer_id: int) -> list[BillingAccountRow]:
    return list(
        session.scalars(
            select(BillingAccountRow)
            .where(BillingAccountRow.customer_id == customer_id)
            .order_by(BillingAccountRow.number)
        )
    )


def find_customers(
    session: Session,
    *,
    segment: Segment | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[CustomerRow], int]:
    """A page of customers by number, and how many match in total.

    ``search`` matches (case-insensitively) part of the name, e-mail, customer number,
    IČO or phone number.
    """
    conditions: list[Any] = []
    if segment is not None:
        conditions.append(CustomerRow.segment == segment.value)
    if search and search.strip():
        term = f"%{search.strip().lower()}%"
        conditions.append(
            or_(
                func.lower(CustomerRow.name).like(term),
                CustomerRow.email.like(term),
                CustomerRow.number.like(term),
                CustomerRow.ico.like(term),
                CustomerRow.phone.like(term),
            )
        )
    total = session.scalar(select(func.count()).select_from(CustomerRow).where(*conditions)) or 0
    rows = session.scalars(
        select(CustomerRow)
        .where(*conditions)
        .order_by(CustomerRow.number)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


# -- creating ---------------------------------------------------------------------------------


def create_customer(
    session: Session,
    party: PartyFields,
    account: AccountFields,
    *,
    clock: Clock,
    actor: Actor,
    defaults: AccountDefaults = AccountDefaults(),
    external_ref: str | None = None,
) -> CustomerCreation:
    """A new customer with one billing account; refused whole with every problem listed."""
    issues: list[FieldIssue] = []
    reader = FieldReader(issues)
    read = read_party(party, reader, clock.now().date())
    terms = read_account(account, reader, defaults, read[0] if read else None)
    if read is None or terms is None:
        raise InvalidInputError(issues, "customer")
    new = NewCustomer(read[0], read[1], [NewAccount(terms)], external_ref=external_ref)
    issues += check_customers(session, [new], clock=clock)
    if not issues:
        issues += assign_numbers(session, [new])
    if issues:
        raise InvalidInputError(issues, "customer")
    events = insert_customers(session, [new], clock=clock, actor=actor)
    customer = session.get_one(CustomerRow, new.id)
    return CustomerCreation(customer, accounts_of(session, new.id), tuple(events))


def open_account(
    session: Session,
    customer_number: str,
    account: AccountFields,
    *,
    clock: Clock,
    actor: Actor,
    defaults: AccountDefaults = AccountDefaults(),
) -> AccountOpening:
    """Another billing account for an existing customer."""
    customer = get_customer(session, customer_number)
    issues: list[FieldIssue] = []
    terms = read_account(account, FieldReader(issues), defaults, party_of(customer))
    if terms is None:
        raise InvalidInputError(issues, "billing account")
    new = NewAccount(terms)
    issues = check_accounts(session, [new], clock=clock)
    if not issues:
        issues = number_accounts(session, [new])
    if issues:
        raise InvalidInputError(issues, "billing account")
    now = clock.now()
    insert_accounts(session, [(customer.id, new)], now)
    record_interactions(
        session,
        [account_opened_entry(customer.id, new.number, new.variable_symbol, terms, now)],
        actor,
    )
    event = BillingAccountOpened(customer.number, new.number, new.variable_symbol, now)
    return AccountOpening(session.get_one(BillingAccountRow, new.id), (event,))


# -- changing ---------------------------------------------------------------------------------


def update_customer(
    session: Session,
    number: str,
    changes: Mapping[str, str | date | None],
    *,
    clock: Clock,
    actor: Actor,
) -> CustomerChange:
    """Change party fields (names as in :class:`PartyInput`; blank clears a field)."""
    customer = get_customer(session, number)
    _check_names(changes, PARTY_FIELDS, "customer")
    current = party_input_of(customer)
    issues: list[FieldIssue] = []
    merged = PartyInput(**_merge(current, PARTY_FIELDS, changes))
    read = read_party(merged, FieldReader(issues), clock.now().date())
    if read is None:
        raise InvalidInputError(issues, "customer change")
    party, segment = read
    new_values = {"segment": segment.value, **party_columns(party)}
    diff = _diff(customer, new_values)
    if not diff:
        return CustomerChange(customer, {}, ())
    for column, label in (("ico", "IČO"), ("email", "e-mail")):
        value = new_values[column]
        if column in diff and value is not None:
            other = session.scalar(
                select(CustomerRow.number).where(
                    getattr(CustomerRow, column) == value, CustomerRow.id != customer.id
                )
            )
            if other is not None:
                issues.append(
                    FieldIssue(None, column, f"{label} {value} belongs to customer {other}")
                )
    if issues:
        raise InvalidInputError(issues, "customer change")
    now = clock.now()
    for column, value in new_values.items():
        setattr(customer, column, value)
    customer.updated_at = now
    session.flush()
    record_interaction(
        session,
        customer.id,
        InteractionKind.CUSTOMER_CHANGED,
        f"Customer {customer.number} changed: {', '.join(diff)}",
        clock=clock,
        actor=actor,
        details={"changes": diff},
        subject=f"customer:{customer.number}",
    )
    return CustomerChange(customer, diff, (CustomerChanged(customer.number, diff, now),))


def update_account(
    session: Session,
    number: str,
    changes: Mapping[str, str | int | None],
    *,
    clock: Clock,
    actor: Actor,
) -> AccountChange:
    """Change account fields (names as in :class:`AccountInput`; blank clears a field).

    A changed variable symbol must be free; a changed tax profile must exist in the
    catalog valid today.
    """
    account = get_account(session, number)
    _check_names(changes, ACCOUNT_FIELDS, "account")
    customer = session.get_one(CustomerRow, account.customer_id)
    current = account_input_of(account)
    merged = AccountInput(**_merge(current, ACCOUNT_FIELDS, changes))
    issues: list[FieldIssue] = []
    defaults = AccountDefaults(currency=account.currency, timezone=account.timezone)
    terms = read_account(merged, FieldReader(issues), defaults, party_of(customer))
    if terms is None:
        raise InvalidInputError(issues, "account change")
    new_values = {"variable_symbol": terms.variable_symbol, **account_values(terms)}
    if new_values["variable_symbol"] is None:
        new_values["variable_symbol"] = variable_symbol_for(account.number)
    diff = _diff(account, new_values)
    if not diff:
        return AccountChange(account, {}, ())
    symbol = new_values["variable_symbol"]
    if "variable_symbol" in diff:
        other = session.scalar(
            select(BillingAccountRow.number).where(
                BillingAccountRow.variable_symbol == symbol, BillingAccountRow.id != account.id
            )
        )
        if other is not None:
            issues.append(
                FieldIssue(
                    None, "variable_symbol", f"variable symbol {symbol} is used by account {other}"
                )
            )
    if "tax_profile_id" in diff:
        problem = TaxProfiles(session, clock).problem(terms)
        if problem:
            issues.append(FieldIssue(None, "tax_profile", problem))
    if issues:
        raise InvalidInputError(issues, "account change")
    now = clock.now()
    for column, value in new_values.items():
        setattr(account, column, value)
    account.updated_at = now
    session.flush()
    record_interaction(
        session,
        customer.id,
        InteractionKind.ACCOUNT_CHANGED,
        f"Billing account {account.number} changed: {', '.join(diff)}",
        clock=clock,
        actor=actor,
        details={"changes": diff},
        subject=f"account:{account.number}",
    )
    return AccountChange(account, diff, (BillingAccountChanged(account.number, diff, now),))


# -- conversions between rows and values -------------------------------------------------------


def party_of(row: CustomerRow) -> Party:
    address = None
    if row.street and row.city and row.postal_code and row.country:
        address = Address(row.street, row.city, row.postal_code, row.country)
    return Party(
        kind=PartyKind(row.party_kind),
        first_name=row.first_name,
        last_name=row.last_name,
        birth_date=row.birth_date,
        organisation_name=row.organisation_name,
        ico=row.ico,
        dic=row.dic,
        email=row.email,
        phone=row.phone,
        address=address,
    )


def party_input_of(row: CustomerRow) -> PartyInput:
    return PartyInput(
        customer_type=row.party_kind,
        segment=row.segment,
        first_name=row.first_name,
        last_name=row.last_name,
        birth_date=row.birth_date,
        organisation_name=row.organisation_name,
        ico=row.ico,
        dic=row.dic,
        email=row.email,
        phone=row.phone,
        street=row.street,
        city=row.city,
        postal_code=row.postal_code,
        country=row.country,
    )


def account_input_of(row: BillingAccountRow) -> AccountInput:
    return AccountInput(
        currency=row.currency,
        bill_cycle_day=row.bill_cycle_day,
        payment_type=row.payment_type,
        payment_method=row.payment_method,
        variable_symbol=row.variable_symbol,
        invoice_delivery=row.invoice_delivery,
        language=row.language,
        tax_profile=row.tax_profile_id,
        timezone=row.timezone,
        iban=row.iban,
        billing_email=row.billing_email,
        billing_street=row.billing_street,
        billing_city=row.billing_city,
        billing_postal_code=row.billing_postal_code,
        billing_country=row.billing_country,
    )


def _merge(current: object, names: tuple[str, ...], changes: Mapping[str, Any]) -> dict[str, Any]:
    return {name: changes[name] if name in changes else getattr(current, name) for name in names}


def _check_names(changes: Mapping[str, object], known: tuple[str, ...], what: str) -> None:
    unknown = sorted(set(changes) - set(known))
    if unknown:
        raise InvalidInputError(
            [FieldIssue(None, name, f"is not a {what} field") for name in unknown], f"{what} change"
        )


def _diff(row: object, values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{column: {"from": old, "to": new}}`` for the columns whose value changes (JSON-ready)."""
    changes = {}
    for column, new in values.items():
        old = getattr(row, column)
        if old != new:
            changes[column] = {"from": _plain(old), "to": _plain(new)}
    return changes


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
