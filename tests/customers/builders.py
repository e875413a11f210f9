"""Test data for customers and lines: valid by default, one keyword away from invalid."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from stdnum import luhn

from linka.customers.fields import AccountInput, PartyInput
from linka.customers.model import Actor
from linka.kernel.clock import FakeClock
from linka.store.database import Database
from linka.subscriptions.onboarding import OnboardingRow

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # 10:30 in Prague; catalog valid from 2026-01-01
ACTOR = Actor("tester", "test")


def clock() -> FakeClock:
    return FakeClock(START)


def person(**fields: Any) -> PartyInput:
    values: dict[str, Any] = {
        "first_name": "Jan",
        "last_name": "Novák",
        "email": "jan.novak@example.cz",
        "phone": "601 123 456",
    }
    return PartyInput(**(values | fields))


def company(**fields: Any) -> PartyInput:
    values: dict[str, Any] = {
        "organisation_name": "Acme s.r.o.",
        "ico": "25123891",
        "dic": "CZ25123891",
        "email": "info@acme.cz",
        "street": "Dlouhá 5",
        "city": "Praha",
        "postal_code": "11000",
        "country": "CZ",
    }
    return PartyInput(**(values | fields))


def account(**fields: Any) -> AccountInput:
    return AccountInput(**({"tax_profile": "domestic"} | fields))


def row(**fields: Any) -> OnboardingRow:
    """A consumer with a postpaid account and an active mobile-basic line."""
    values: dict[str, Any] = {
        "first_name": "Jan",
        "last_name": "Novák",
        "email": "jan.novak@example.cz",
        "tax_profile": "domestic",
        "msisdn": "+420601000001",
        "offering": "mobile-basic",
    }
    return OnboardingRow(**(values | fields))


def iccid(serial: int) -> str:
    """A valid 19-digit ICCID (89 telecom, 420 Czechia) for the n-th test SIM."""
    body = f"894209{serial:012d}"
    return body + luhn.calc_check_digit(body)


def imsi(serial: int) -> str:
    return f"23099{serial:010d}"  # MCC 230 (CZ), MNC 99 (unassigned)


def count(database: Database, table: Any) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0
