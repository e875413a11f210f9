"""Events the subscriptions context emits; the outbox delivers them after the commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class LineCreated:
    msisdn: str
    account_number: str
    offering_id: str
    status: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LineStatusChanged:
    msisdn: str
    account_number: str
    from_status: str
    to_status: str
    effective_on: date
    reason: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class LineOfferingChanged:
    msisdn: str
    account_number: str
    from_offering: str
    to_offering: str
    effective_on: date
    reason: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class CustomersOnboarded:
    """A batch of customers (with accounts and lines) was created in one unit of work."""

    customers: int
    accounts: int
    lines: int
    first_customer_number: str | None
    last_customer_number: str | None
    source: str
    created_at: datetime
