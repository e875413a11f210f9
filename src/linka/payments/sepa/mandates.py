"""SEPA Core mandates: the debtor's permission to collect invoices of a billing account.

An account has at most one active mandate; a new bank account means revoking the old
mandate and adding a new one (whose first collection is FRST again). The mandate
reference (UMR) is the debtor's to quote to their bank, so it is fixed once given:
``<account number>-<n>`` unless the signed paper names another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from linka.customers.services import get_account
from linka.customers.tables import BillingAccountRow
from linka.kernel.clock import Clock
from linka.payments.sepa.errors import SepaError
from linka.payments.sepa.pain import checked_bic, checked_iban
from linka.payments.sepa.tables import MandateRow

ACTIVE = "active"
REVOKED = "revoked"
# The characters the EPC rulebook allows in a mandate reference (no spaces).
REFERENCE = re.compile(r"[A-Za-z0-9+?/\-:().,']{1,35}")


@dataclass(frozen=True)
class MandateView:
    reference: str
    account: str
    payment_method: str
    debtor_name: str
    debtor_iban: str
    debtor_bic: str | None
    signed_on: date
    status: str
    revoked_on: date | None
    first_collected_on: date | None


def add_mandate(
    session: Session,
    account_number: str,
    *,
    iban: str,
    name: str,
    clock: Clock,
    bic: str | None = None,
    signed_on: date | None = None,
    reference: str | None = None,
) -> MandateRow:
    """Record a signed mandate on the account; refused while another one is active."""
    account = get_account(session, account_number)
    debtor_iban = checked_iban(iban, "debtor IBAN")
    debtor_bic = checked_bic(bic, "debtor BIC") if bic else None
    if not name.strip():
        raise SepaError("the debtor's name is required (as on the debtor's bank account)")
    today = clock.now().date()
    signed = signed_on or today
    if signed > today:
        raise SepaError(f"a mandate signed on {signed} is in the future (today is {today})")
    active = active_mandate(session, account.id)
    if active is not None:
        raise SepaError(
            f"account {account.number} already has the active mandate {active.reference}: "
            "revoke it first"
        )
    umr = reference.strip() if reference else _next_reference(session, account)
    if not REFERENCE.fullmatch(umr):
        raise SepaError(
            f"mandate reference {umr!r}: 1 to 35 of A-Z a-z 0-9 + ? / - : ( ) . , ' expected"
        )
    if session.scalars(select(MandateRow.id).where(MandateRow.reference == umr)).first():
        raise SepaError(f"mandate reference {umr} is already used")
    row = MandateRow(
        account_id=account.id, reference=umr, debtor_name=name.strip()[:140],
        debtor_iban=debtor_iban, debtor_bic=debtor_bic, signed_on=signed, status=ACTIVE,
        revoked_on=None, first_collected_on=None, created_at=clock.now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def _next_reference(session: Session, account: BillingAccountRow) -> str:
    count = session.scalar(
        select(func.count()).select_from(MandateRow).where(MandateRow.account_id == account.id)
    )
    return f"{account.number}-{(count or 0) + 1}"


def revoke_mandate(session: Session, reference: str, clock: Clock) -> MandateRow:
    """End a mandate: nothing more is collected under it (debits already sent stand)."""
    row = session.scalars(
        select(MandateRow).where(MandateRow.reference == reference.strip()).with_for_update()
    ).first()
    if row is None:
        raise SepaError(f"no mandate with reference {reference!r}")
    if row.status == REVOKED:
        raise SepaError(f"mandate {row.reference} was revoked on {row.revoked_on}")
    row.status = REVOKED
    row.revoked_on = clock.now().date()
    session.flush()
    return row


def active_mandate(session: Session, account_id: int) -> MandateRow | None:
    return session.scalars(
        select(MandateRow).where(MandateRow.account_id == account_id, MandateRow.status == ACTIVE)
    ).first()


def list_mandates(session: Session, account_number: str | None = None) -> list[MandateView]:
    """Mandates, of one account or of all, oldest first."""
    query = (
        select(MandateRow, BillingAccountRow.number, BillingAccountRow.payment_method)
        .join(BillingAccountRow, BillingAccountRow.id == MandateRow.account_id)
        .order_by(MandateRow.id)
    )
    if account_number is not None:
        query = query.where(MandateRow.account_id == get_account(session, account_number).id)
    return [
        MandateView(
            row.reference,
            number,
            method,
            row.debtor_name,
            row.debtor_iban,
            row.debtor_bic,
            row.signed_on,
            row.status,
            row.revoked_on,
            row.first_collected_on,
        )
        for row, number, method in session.execute(query)
    ]
