"""Onboarding: customers with their billing accounts and lines, created in bulk.

This is the one path by which customers enter linka in numbers — the CSV import, the
demo generator and ``linka customers add`` all use it — so they are all checked alike.
The input is flat: one :class:`OnboardingRow` per service line (or per customer or
account without a line). Rows with the same ``customer_ref`` form one customer; within
it, rows with the same ``account_ref`` form one billing account. Customer fields are
read from the first row of a customer and account fields from the first row of an
account; later rows may leave them empty or repeat them exactly.

Work happens in two steps inside the caller's unit of work: :func:`plan_onboarding`
reads and checks everything (writing nothing) and numbers the customers that passed;
:func:`apply_onboarding` writes them with set-based inserts. A customer is accepted or
rejected whole: if any of its rows has a problem, none of its rows is written, so a
rejected customer can be fixed and imported again without creating half of it twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import date

from sqlalchemy.orm import Session

from linka.customers.bulk import (
    NewAccount,
    NewCustomer,
    Progress,
    RowLabel,
    assign_numbers,
    check_customers,
    insert_customers,
)
from linka.customers.errors import FieldIssue, InvalidInputError
from linka.customers.errors import row_label as default_label
from linka.customers.events import CustomerCreated
from linka.customers.fields import (
    ACCOUNT_FIELDS,
    PARTY_FIELDS,
    FieldReader,
    read_account,
    read_party,
)
from linka.customers.model import AccountDefaults, Actor
from linka.kernel.clock import Clock, local_today
from linka.subscriptions.bulk import (
    NewLine,
    check_lines,
    insert_lines,
    line_given,
    read_line,
)
from linka.subscriptions.events import CustomersOnboarded, LineCreated

Raw = str | None
PROGRESS_EVERY = 2_000


@dataclass(frozen=True, slots=True, kw_only=True)
class OnboardingRow:
    """One input row: a customer, one of its billing accounts and one line on it.

    Every field is text as a user would type it (dates may also be ``date``, the bill
    cycle day an ``int``); empty means not given. ``docs/customers.md`` describes each
    field; the CSV import's columns are exactly these names.
    """

    customer_ref: Raw = None
    account_ref: Raw = None
    # the customer's party (linka.customers.fields.PartyFields)
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
    # the billing account (linka.customers.fields.AccountFields)
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
    # the line (linka.subscriptions.bulk.LineFields)
    msisdn: Raw = None
    offering: Raw = None
    iccid: Raw = None
    imsi: Raw = None
    line_status: Raw = None
    activation_date: str | date | None = None
    installation_street: Raw = None
    installation_city: Raw = None
    installation_postal_code: Raw = None
    installation_country: Raw = None


ROW_FIELDS = tuple(f.name for f in dataclass_fields(OnboardingRow))
REFERENCE_FIELDS = ("customer_ref", "account_ref")


@dataclass(slots=True)
class PlannedCustomer:
    """A customer that passed every check, numbered, with its lines (and their accounts)."""

    ref: str | None
    customer: NewCustomer
    lines: list[tuple[NewAccount, NewLine]]
    rows: list[int]


@dataclass
class OnboardingPlan:
    """What :func:`apply_onboarding` would write, and what it would not and why."""

    total_rows: int
    customers: list[PlannedCustomer]
    issues: list[FieldIssue]  # every problem found, by row
    rejected: dict[int, str]  # every row not to be written -> why (own problems or its customer's)

    @property
    def accounts(self) -> int:
        return sum(len(p.customer.accounts) for p in self.customers)

    @property
    def lines(self) -> int:
        return sum(len(p.lines) for p in self.customers)


@dataclass(frozen=True)
class OnboardingResult:
    customers: int
    accounts: int
    lines: int
    customer_numbers: list[str]
    events: tuple[CustomerCreated | LineCreated | CustomersOnboarded, ...] = field(repr=False)


@dataclass
class _Group:
    ref: str | None
    rows: list[int] = field(default_factory=list)
    accounts: dict[str, list[int]] = field(default_factory=dict)


def plan_onboarding(
    session: Session,
    rows: Sequence[OnboardingRow],
    *,
    clock: Clock,
    defaults: AccountDefaults = AccountDefaults(),
    label: RowLabel = default_label,
    progress: Progress | None = None,
    known_issues: Sequence[FieldIssue] = (),
) -> OnboardingPlan:
    """Read and check every row (nothing is written); number the customers that pass.

    ``known_issues`` are problems the caller found before (a malformed CSV record); their
    rows are rejected like any other.
    """
    issues: list[FieldIssue] = list(known_issues)
    today = clock.now().date()
    local_days: dict[str, date] = {}
    planned: list[PlannedCustomer] = []
    groups = _group(rows)
    done = 0
    for group in groups:
        first = group.rows[0]
        party = read_party(rows[first], FieldReader(issues, first), today)
        _check_repeats(rows, group.rows, PARTY_FIELDS, issues, label, "customer")
        customer = None
        if party is not None:
            customer = NewCustomer(party[0], party[1], row=first, external_ref=group.ref)
        lines: list[tuple[NewAccount, NewLine]] = []
        for account_rows in group.accounts.values():
            head = account_rows[0]
            reader = FieldReader(issues, head)
            terms = read_account(rows[head], reader, defaults, party[0] if party else None)
            _check_repeats(rows, account_rows, ACCOUNT_FIELDS, issues, label, "account")
            account = NewAccount(terms, row=head) if terms is not None else None
            if customer is not None and account is not None:
                customer.accounts.append(account)
            zone = terms.timezone if terms else defaults.timezone
            if zone not in local_days:
                local_days[zone] = local_today(clock, zone)
            for index in account_rows:
                if not line_given(rows[index]):
                    continue
                spec = read_line(rows[index], FieldReader(issues, index), local_days[zone])
                if spec is not None and customer is not None and account is not None:
                    new_line = NewLine(
                        spec,
                        row=index,
                        segment=customer.segment.value,
                        payment_type=account.terms.payment_type.value,
                        timezone=zone,
                    )
                    lines.append((account, new_line))
        if customer is not None:
            planned.append(PlannedCustomer(group.ref, customer, lines, group.rows))
        done += len(group.rows)
        if progress and (done % PROGRESS_EVERY < len(group.rows) or done == len(rows)):
            progress("checking rows", done, len(rows))

    issues += check_customers(session, [p.customer for p in planned], clock=clock, label=label)
    all_lines = [line for p in planned for _, line in p.lines]
    issues += check_lines(session, all_lines, clock=clock, label=label)
    valid = _without_issues(planned, issues)
    issues += assign_numbers(session, [p.customer for p in valid], label=label)
    valid = _without_issues(valid, issues)
    for p in valid:
        for account, line in p.lines:
            line.account_number = account.number
    return OnboardingPlan(
        len(rows), valid, sorted(issues, key=_issue_order), _rejections(groups, issues, label)
    )


def apply_onboarding(
    session: Session,
    plan: OnboardingPlan,
    *,
    clock: Clock,
    actor: Actor,
    source: str,
    progress: Progress | None = None,
) -> OnboardingResult:
    """Write the planned customers, accounts and lines (set-based) with their timelines."""
    customers = [p.customer for p in plan.customers]
    created = insert_customers(session, customers, clock=clock, actor=actor, progress=progress)
    lines: list[NewLine] = []
    for p in plan.customers:
        for account, line in p.lines:
            line.account_id = account.id
            line.customer_id = p.customer.id
            lines.append(line)
    line_events = insert_lines(session, lines, clock=clock, actor=actor, progress=progress)
    numbers = [c.number for c in customers]
    summary = CustomersOnboarded(
        customers=len(customers),
        accounts=plan.accounts,
        lines=len(lines),
        first_customer_number=numbers[0] if numbers else None,
        last_customer_number=numbers[-1] if numbers else None,
        source=source,
        created_at=clock.now(),
    )
    return OnboardingResult(
        len(customers), plan.accounts, len(lines), numbers, (*created, *line_events, summary)
    )


def onboard_customers(
    session: Session,
    rows: Sequence[OnboardingRow],
    *,
    clock: Clock,
    actor: Actor,
    source: str,
    defaults: AccountDefaults = AccountDefaults(),
    progress: Progress | None = None,
) -> OnboardingResult:
    """All or nothing: create every customer of ``rows``, or raise
    :class:`~linka.customers.errors.InvalidInputError` listing every problem and write
    nothing. This is the call for the demo generator and for programmatic use."""
    plan = plan_onboarding(session, rows, clock=clock, defaults=defaults, progress=progress)
    if plan.issues:
        raise InvalidInputError(plan.issues, "onboarding")
    return apply_onboarding(
        session, plan, clock=clock, actor=actor, source=source, progress=progress
    )


def _group(rows: Sequence[OnboardingRow]) -> list[_Group]:
    """Customers in order of first appearance; a row without ``customer_ref`` stands alone."""
    groups: dict[str, _Group] = {}
    for index, row in enumerate(rows):
        ref = (row.customer_ref or "").strip() or None
        key = ref if ref is not None else f"\0{index}"
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(ref)
        group.rows.append(index)
        group.accounts.setdefault((row.account_ref or "").strip(), []).append(index)
    return list(groups.values())


def _check_repeats(
    rows: Sequence[OnboardingRow],
    indices: list[int],
    names: tuple[str, ...],
    issues: list[FieldIssue],
    label: RowLabel,
    what: str,
) -> None:
    """Later rows of a customer (account) may repeat its fields exactly or leave them empty."""
    first = rows[indices[0]]
    for index in indices[1:]:
        row = rows[index]
        for name in names:
            value = _text(getattr(row, name))
            if value and value != _text(getattr(first, name)):
                issues.append(
                    FieldIssue(
                        index,
                        name,
                        f"{value!r} differs from {label(indices[0])}, which defines this {what}: "
                        "leave it empty or repeat it exactly",
                    )
                )


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _without_issues(
    customers: list[PlannedCustomer], issues: list[FieldIssue]
) -> list[PlannedCustomer]:
    bad = {issue.row for issue in issues}
    return [p for p in customers if bad.isdisjoint(p.rows)]


def _issue_order(issue: FieldIssue) -> int:
    """By row; within a row in the order found (customer, account, then line fields)."""
    return -1 if issue.row is None else issue.row


def _rejections(groups: list[_Group], issues: list[FieldIssue], label: RowLabel) -> dict[int, str]:
    by_row: dict[int | None, list[FieldIssue]] = {}
    for issue in issues:
        by_row.setdefault(issue.row, []).append(issue)
    rejected: dict[int, str] = {}
    for group in groups:
        bad = [index for index in group.rows if index in by_row]
        if not bad:
            continue
        for index in group.rows:
            if index in by_row:
                rejected[index] = "; ".join(str(issue) for issue in by_row[index])
            else:
                rejected[index] = f"not imported: its customer has problems on {label(bad[0])}"
    return rejected
