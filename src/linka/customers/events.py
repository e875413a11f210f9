"""Events the customers context emits; the outbox delivers them after the commit.

Events carry public numbers and what changed, not personal data beyond that: a webhook
consumer that needs a name or address reads it through the API with its own rights.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class CustomerCreated:
    customer_number: str
    segment: str
    account_numbers: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class BillingAccountOpened:
    customer_number: str
    account_number: str
    variable_symbol: str
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class CustomerChanged:
    customer_number: str
    changes: dict[str, dict[str, Any]]  # field -> {"from": old, "to": new}
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class BillingAccountChanged:
    account_number: str
    changes: dict[str, dict[str, Any]]
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class ContactRoleAssigned:
    contact_id: int
    account_number: str
    role: str


@dataclass(frozen=True, slots=True)
class ContactRoleRemoved:
    contact_id: int
    account_number: str
    role: str


@dataclass(frozen=True, slots=True)
class ConsentRecorded:
    customer_number: str
    channel: str
    purpose: str
    granted: bool
    recorded_at: datetime
