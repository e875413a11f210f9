"""Prepaid lines: a line of an account whose ``payment_type`` is prepaid, and its terms."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from linka.customers.tables import BillingAccountRow
from linka.payments.prepaid.errors import NotPrepaidError
from linka.subscriptions.services import find_line
from linka.subscriptions.tables import LineRow

PREPAID = "prepaid"


@dataclass(frozen=True)
class PrepaidTerms:
    """How long added credit stays usable (None: for ever) and when to warn the customer.

    The catalog has no prepaid section yet, so the installation's settings
    (``LINKA_PREPAID_CREDIT_VALIDITY_DAYS``, ``LINKA_PREPAID_LOW_BALANCE``) give the
    terms for every prepaid line.
    """

    credit_validity_days: int | None = None
    low_balance_threshold: Decimal = Decimal(50)

    def expires_on(self, booked_on: date) -> date | None:
        if self.credit_validity_days is None:
            return None
        return booked_on + timedelta(days=self.credit_validity_days)


@dataclass(frozen=True)
class PrepaidLine:
    """What prepaid bookings and notices need of a line and its account."""

    line_id: int
    msisdn: str
    status: str
    customer_id: int
    account_number: str
    currency: str
    language: str
    timezone: str


def _lines_query() -> Select[int, str, str, int, str, str, str, str]:
    return (
        select(
            LineRow.id,
            LineRow.msisdn,
            LineRow.status,
            BillingAccountRow.customer_id,
            BillingAccountRow.number,
            BillingAccountRow.currency,
            BillingAccountRow.language,
            BillingAccountRow.timezone,
        )
        .join(BillingAccountRow, BillingAccountRow.id == LineRow.account_id)
        .where(BillingAccountRow.payment_type == PREPAID)
    )


def prepaid_lines(
    session: Session, line_ids: Collection[int] | None = None
) -> dict[int, PrepaidLine]:
    """Every prepaid line (or those of ``line_ids`` that are prepaid), by line id."""
    query = _lines_query()
    if line_ids is not None:
        query = query.where(LineRow.id.in_(list(line_ids)))
    return {row[0]: PrepaidLine(*row) for row in session.execute(query)}


def prepaid_line(session: Session, msisdn: str) -> PrepaidLine:
    """The line holding ``msisdn``; refused when its account is postpaid."""
    line = find_line(session, msisdn)
    found = prepaid_lines(session, [line.id]).get(line.id)
    if found is None:
        account = session.get(BillingAccountRow, line.account_id)
        raise NotPrepaidError(line.msisdn, account.number if account else str(line.account_id))
    return found
