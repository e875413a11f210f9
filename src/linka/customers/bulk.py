"""Set-based creation of customers with their billing accounts.

The bulk path serves the CSV import, the demo generator (up to 100,000 customers) and
single additions alike, so every customer is checked the same way: values are validated
in Python, duplicates and catalog references are checked with a few ``IN`` queries per
batch, and rows are written with Core ``INSERT`` executemany in batches — never one ORM
flush per customer. Numbers are handed out in input order, so the same input on the same
database gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, Table, insert, select
from sqlalchemy.orm import Session

from linka.catalog.errors import CatalogNotLoadedError
from linka.catalog.services import tax_profile_ids
from linka.customers.errors import FieldIssue
from linka.customers.errors import row_label as default_label
from linka.customers.events import CustomerCreated
from linka.customers.model import AccountTerms, Actor, InteractionKind, Party, Segment
from linka.customers.numbering import (
    allocate_account_numbers,
    allocate_customer_numbers,
    variable_symbol_for,
)
from linka.customers.tables import BillingAccountRow, CustomerRow
from linka.customers.timeline import Interaction, record_interactions
from linka.kernel.clock import Clock, local_today
from linka.store.base import Base
from linka.store.bulk import chunked

BATCH = 5_000
LOOKUP_CHUNK = 900  # bound parameters per IN query, well under every database's limit

Progress = Callable[[str, int, int], None]
"""Called as ``progress(phase, done, total)`` while bulk work advances."""
RowLabel = Callable[[int | None], str]
"""Names an input row in messages ("line 12 of customers.csv", "row 3")."""

_SYMBOLS = select(BillingAccountRow.variable_symbol, BillingAccountRow.number)


@dataclass(slots=True)
class NewAccount:
    """A validated account waiting to be written; number and id are filled on the way."""

    terms: AccountTerms
    row: int | None = None
    number: str = ""
    variable_symbol: str = ""
    id: int = 0


@dataclass(slots=True)
class NewCustomer:
    """A validated customer waiting to be written, with its accounts."""

    party: Party
    segment: Segment
    accounts: list[NewAccount] = field(default_factory=list)
    row: int | None = None
    external_ref: str | None = None
    number: str = ""
    id: int = 0


def core_table(row_class: type[Base]) -> Table:
    """The Core table of a mapped class: bulk inserts skip the ORM's per-row bookkeeping."""
    return Base.metadata.tables[row_class.__tablename__]


def ids_by(
    session: Session, key: Any, id_column: Any, keys: Sequence[str], *where: Any
) -> dict[str, int]:
    """Ids of just-inserted rows by a unique key (numbers, live MSISDNs); one query per
    chunk instead of ``RETURNING``, whose ordered form is slow for large batches."""
    found: dict[str, int] = {}
    for chunk in chunked(keys, LOOKUP_CHUNK):
        query = select(key, id_column).where(key.in_(chunk), *where)
        found.update((value, row_id) for value, row_id in session.execute(query))
    return found


def existing_values(
    session: Session, query: Select[Any, Any], column: Any, values: Iterable[str | None]
) -> dict[str, str]:
    """Which ``values`` are stored: ``query`` selects (value, owner) pairs and is narrowed
    to ``column IN values`` chunk by chunk; the result maps each found value to its owner."""
    wanted = sorted({v for v in values if v is not None})
    found: dict[str, str] = {}
    for chunk in chunked(wanted, LOOKUP_CHUNK):
        for value, owner in session.execute(query.where(column.in_(chunk))):
            found.setdefault(value, owner)
    return found


def check_customers(
    session: Session,
    customers: Sequence[NewCustomer],
    *,
    clock: Clock,
    label: RowLabel = default_label,
) -> list[FieldIssue]:
    """Duplicate IČO and e-mail within the input and against the database, then
    :func:`check_accounts` for all their accounts."""
    issues: list[FieldIssue] = []
    seen_ico: dict[str, int | None] = {}
    seen_email: dict[str, int | None] = {}
    for customer in customers:
        party = customer.party
        _once(issues, seen_ico, party.ico, customer.row, "ico", "IČO", label)
        _once(issues, seen_email, party.email, customer.row, "email", "e-mail", label)
    stored_ico = existing_values(
        session, select(CustomerRow.ico, CustomerRow.number), CustomerRow.ico, seen_ico
    )
    stored_email = existing_values(
        session, select(CustomerRow.email, CustomerRow.number), CustomerRow.email, seen_email
    )
    for customer in customers:
        party, row = customer.party, customer.row
        if party.ico in stored_ico:
            owner = stored_ico[party.ico]
            issues.append(FieldIssue(row, "ico", f"IČO {party.ico} belongs to customer {owner}"))
        if party.email in stored_email:
            owner = stored_email[party.email]
            issues.append(
                FieldIssue(row, "email", f"e-mail {party.email} belongs to customer {owner}")
            )
    accounts = [account for customer in customers for account in customer.accounts]
    return issues + check_accounts(session, accounts, clock=clock, label=label)


def check_accounts(
    session: Session,
    accounts: Sequence[NewAccount],
    *,
    clock: Clock,
    label: RowLabel = default_label,
) -> list[FieldIssue]:
    """Explicit variable symbols unique within the input and against the database; tax
    profiles known to the catalog valid today in each account's time zone."""
    issues: list[FieldIssue] = []
    seen: dict[str, int | None] = {}
    for account in accounts:
        symbol = account.terms.variable_symbol
        _once(issues, seen, symbol, account.row, "variable_symbol", "variable symbol", label)
    stored = existing_values(session, _SYMBOLS, BillingAccountRow.variable_symbol, seen)
    profiles = TaxProfiles(session, clock)
    for account in accounts:
        symbol = account.terms.variable_symbol
        if symbol in stored:
            issues.append(
                FieldIssue(
                    account.row,
                    "variable_symbol",
                    f"variable symbol {symbol} is used by account {stored[symbol]}",
                )
            )
        problem = profiles.problem(account.terms)
        if problem:
            issues.append(FieldIssue(account.row, "tax_profile", problem))
    return issues


class TaxProfiles:
    """Checks tax profile ids against the catalog valid on each account's local today."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock
        self._known: dict[date, set[str] | str] = {}

    def problem(self, terms: AccountTerms) -> str | None:
        today = local_today(self._clock, terms.timezone)
        known = self._known.get(today)
        if known is None:
            try:
                known = tax_profile_ids(self._session, today)
            except CatalogNotLoadedError as exc:
                known = str(exc)
            self._known[today] = known
        if isinstance(known, str):
            return known
        if terms.tax_profile_id not in known:
            return (
                f"unknown tax profile {terms.tax_profile_id!r}: the catalog valid on {today} "
                f"has {', '.join(sorted(known)) or 'none'}"
            )
        return None


def _once(
    issues: list[FieldIssue],
    seen: dict[str, int | None],
    value: str | None,
    row: int | None,
    field_name: str,
    what: str,
    label: RowLabel,
) -> None:
    if value is None:
        return
    if value in seen:
        issues.append(
            FieldIssue(row, field_name, f"duplicate {what} {value}: also on {label(seen[value])}")
        )
    else:
        seen[value] = row


def assign_numbers(
    session: Session, customers: Sequence[NewCustomer], *, label: RowLabel = default_label
) -> list[FieldIssue]:
    """Give customers their numbers, then :func:`number_accounts` their accounts."""
    for customer, number in zip(
        customers, allocate_customer_numbers(session, len(customers)), strict=True
    ):
        customer.number = number
    accounts = [account for customer in customers for account in customer.accounts]
    return number_accounts(session, accounts, label=label)


def number_accounts(
    session: Session, accounts: Sequence[NewAccount], *, label: RowLabel = default_label
) -> list[FieldIssue]:
    """Give accounts their numbers and variable symbols, in input order.

    An account without an explicit variable symbol gets its number; if some account
    already holds that symbol explicitly, the account is refused (an issue is returned)
    rather than silently given another symbol.
    """
    explicit = {a.terms.variable_symbol: a.row for a in accounts if a.terms.variable_symbol}
    generated: list[NewAccount] = []
    for account, number in zip(
        accounts, allocate_account_numbers(session, len(accounts)), strict=True
    ):
        account.number = number
        if account.terms.variable_symbol:
            account.variable_symbol = account.terms.variable_symbol
        else:
            account.variable_symbol = variable_symbol_for(number)
            generated.append(account)
    stored = existing_values(
        session, _SYMBOLS, BillingAccountRow.variable_symbol, [a.variable_symbol for a in generated]
    )
    issues = []
    for account in generated:
        symbol = account.variable_symbol
        if symbol in stored or symbol in explicit:
            holder = f"account {stored[symbol]}" if symbol in stored else label(explicit[symbol])
            issues.append(
                FieldIssue(
                    account.row,
                    "variable_symbol",
                    f"the account number {account.number} would be its variable symbol, but "
                    f"{holder} uses {symbol}: give a variable symbol explicitly",
                )
            )
    return issues


def insert_customers(
    session: Session,
    customers: Sequence[NewCustomer],
    *,
    clock: Clock,
    actor: Actor,
    progress: Progress | None = None,
) -> list[CustomerCreated]:
    """Write numbered customers and accounts (ids are filled in) and their timeline entries."""
    now = clock.now()
    done = 0
    for batch in chunked(customers, BATCH):
        session.execute(insert(core_table(CustomerRow)), [_customer_values(c, now) for c in batch])
        ids = ids_by(session, CustomerRow.number, CustomerRow.id, [c.number for c in batch])
        for customer in batch:
            customer.id = ids[customer.number]
        done += len(batch)
        if progress:
            progress("writing customers", done, len(customers))
    insert_accounts(session, [(c.id, a) for c in customers for a in c.accounts], now)
    record_interactions(session, _creation_entries(customers, now), actor)
    return [
        CustomerCreated(c.number, c.segment.value, tuple(a.number for a in c.accounts), now)
        for c in customers
    ]


def insert_accounts(
    session: Session, accounts: Sequence[tuple[int, NewAccount]], now: datetime
) -> None:
    """Write numbered accounts, each with its owner's customer id; fills in their ids."""
    for batch in chunked(accounts, BATCH):
        rows = [_account_values(owner, account, now) for owner, account in batch]
        session.execute(insert(core_table(BillingAccountRow)), rows)
        numbers = [account.number for _, account in batch]
        ids = ids_by(session, BillingAccountRow.number, BillingAccountRow.id, numbers)
        for _, account in batch:
            account.id = ids[account.number]


def _creation_entries(customers: Sequence[NewCustomer], now: datetime) -> Iterator[Interaction]:
    """One entry per customer; the accounts opened with it are listed in it (accounts
    opened later get an ``account.opened`` entry of their own)."""
    for c in customers:
        numbers = ", ".join(a.number for a in c.accounts)
        yield Interaction(
            customer_id=c.id,
            kind=InteractionKind.CUSTOMER_CREATED,
            summary=(
                f"Customer {c.number} created: {c.party.name} ({c.segment.value}), "
                f"billing account {numbers}"
            ),
            occurred_at=now,
            details={
                "number": c.number,
                "segment": c.segment.value,
                "party_kind": c.party.kind.value,
                "external_ref": c.external_ref,
                "accounts": [
                    _account_details(a.number, a.variable_symbol, a.terms) for a in c.accounts
                ],
            },
            subject=f"customer:{c.number}",
        )


def account_opened_entry(
    customer_id: int, number: str, symbol: str, terms: AccountTerms, now: datetime
) -> Interaction:
    return Interaction(
        customer_id=customer_id,
        kind=InteractionKind.ACCOUNT_OPENED,
        summary=(
            f"Billing account {number} opened ({terms.payment_type.value}, "
            f"{terms.payment_method.value}, variable symbol {symbol})"
        ),
        occurred_at=now,
        details=_account_details(number, symbol, terms),
        subject=f"account:{number}",
    )


def _account_details(number: str, symbol: str, terms: AccountTerms) -> dict[str, Any]:
    return {
        "number": number,
        "variable_symbol": symbol,
        "currency": terms.currency,
        "payment_type": terms.payment_type.value,
        "payment_method": terms.payment_method.value,
        "tax_profile": terms.tax_profile_id,
    }


def _customer_values(customer: NewCustomer, now: datetime) -> dict[str, Any]:
    return {
        "number": customer.number,
        "segment": customer.segment.value,
        **party_columns(customer.party),
        "external_ref": customer.external_ref,
        "created_at": now,
        "updated_at": None,
    }


def party_columns(party: Party) -> dict[str, Any]:
    """The customer columns that hold ``party``."""
    address = party.address
    return {
        "party_kind": party.kind.value,
        "name": party.name,
        "first_name": party.first_name,
        "last_name": party.last_name,
        "birth_date": party.birth_date,
        "organisation_name": party.organisation_name,
        "ico": party.ico,
        "dic": party.dic,
        "email": party.email,
        "phone": party.phone,
        "street": address.street if address else None,
        "city": address.city if address else None,
        "postal_code": address.postal_code if address else None,
        "country": address.country if address else None,
    }


def account_values(terms: AccountTerms) -> dict[str, Any]:
    """The columns that hold ``terms`` (without number, symbol and owner)."""
    address = terms.billing_address
    return {
        "currency": terms.currency,
        "bill_cycle_day": terms.bill_cycle_day,
        "payment_type": terms.payment_type.value,
        "payment_method": terms.payment_method.value,
        "invoice_delivery": terms.invoice_delivery.value,
        "language": terms.language.value,
        "tax_profile_id": terms.tax_profile_id,
        "timezone": terms.timezone,
        "iban": terms.iban,
        "billing_email": terms.billing_email,
        "billing_street": address.street if address else None,
        "billing_city": address.city if address else None,
        "billing_postal_code": address.postal_code if address else None,
        "billing_country": address.country if address else None,
    }


def _account_values(customer_id: int, account: NewAccount, now: datetime) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "number": account.number,
        "variable_symbol": account.variable_symbol,
        **account_values(account.terms),
        "created_at": now,
        "updated_at": None,
    }
