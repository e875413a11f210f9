"""Reading what dunning needs, set-based: accounts, open episodes, promises, exemptions.

One query per question for any number of accounts (``IN`` lists in chunks).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from linka.customers.tables import BillingAccountRow, CustomerRow
from linka.payments.dunning.decisions import Episode, Hold
from linka.payments.dunning.ladder import CLEARED
from linka.payments.dunning.tables import DunningExemptionRow, DunningStepRow, PaymentPromiseRow
from linka.store.bulk import chunked

CHUNK = 5_000


@dataclass(frozen=True)
class AccountFacts:
    """The account columns dunning uses."""

    account_id: int
    number: str
    customer_id: int
    segment: str
    currency: str
    language: str
    variable_symbol: str
    timezone: str
    billing_email: str | None


def load_accounts(session: Session, account_ids: Sequence[int]) -> dict[int, AccountFacts]:
    result: dict[int, AccountFacts] = {}
    for ids in chunked(sorted(set(account_ids)), CHUNK):
        rows = session.execute(
            select(
                BillingAccountRow.id,
                BillingAccountRow.number,
                BillingAccountRow.customer_id,
                CustomerRow.segment,
                BillingAccountRow.currency,
                BillingAccountRow.language,
                BillingAccountRow.variable_symbol,
                BillingAccountRow.timezone,
                BillingAccountRow.billing_email,
            )
            .join(CustomerRow, CustomerRow.id == BillingAccountRow.customer_id)
            .where(BillingAccountRow.id.in_(ids))
        )
        for row in rows:
            result[row[0]] = AccountFacts(*row)
    return result


@dataclass(frozen=True)
class EpisodeState:
    """An account's latest episode: open (with its steps), or ended on ``cleared_on``."""

    account_id: int
    start: date
    steps: tuple[DunningStepRow, ...]
    cleared_on: date | None

    @property
    def episode(self) -> Episode | None:
        if self.cleared_on is not None:
            return None
        return Episode(self.start, {row.step: row.taken_on for row in self.steps})


def latest_episodes(
    session: Session, account_ids: Sequence[int] | None = None
) -> dict[int, EpisodeState]:
    """Per account with any dunning history: its latest episode (open or ended)."""
    latest = select(
        DunningStepRow.account_id, func.max(DunningStepRow.episode_start).label("start")
    ).group_by(DunningStepRow.account_id)
    rows: list[DunningStepRow] = []
    for ids in chunked(account_ids, CHUNK) if account_ids is not None else [None]:
        chosen = latest if ids is None else latest.where(DunningStepRow.account_id.in_(ids))
        last = chosen.subquery()
        rows += session.scalars(
            select(DunningStepRow)
            .join(
                last,
                (last.c.account_id == DunningStepRow.account_id)
                & (last.c.start == DunningStepRow.episode_start),
            )
            .order_by(DunningStepRow.account_id, DunningStepRow.id)
        )
    grouped: dict[int, list[DunningStepRow]] = defaultdict(list)
    for row in rows:
        grouped[row.account_id].append(row)
    result: dict[int, EpisodeState] = {}
    for account_id, steps in grouped.items():
        cleared = next((row.taken_on for row in steps if row.step == CLEARED), None)
        taken = tuple(row for row in steps if row.step != CLEARED)
        result[account_id] = EpisodeState(account_id, steps[0].episode_start, taken, cleared)
    return result


def load_holds(
    session: Session, on: date, account_ids: Sequence[int] | None = None
) -> tuple[dict[int, list[Hold]], dict[int, list[Hold]]]:
    """(promises, exemptions) per account that are in force on ``on`` or later."""
    promises: dict[int, list[Hold]] = defaultdict(list)
    exemptions: dict[int, list[Hold]] = defaultdict(list)
    for ids in chunked(account_ids, CHUNK) if account_ids is not None else [None]:
        query = select(PaymentPromiseRow).where(PaymentPromiseRow.pay_by >= on)
        if ids is not None:
            query = query.where(PaymentPromiseRow.account_id.in_(ids))
        for promise in session.scalars(query):
            promises[promise.account_id].append(
                Hold(promise.promised_on, promise.pay_by, f"promise to pay by {promise.pay_by}")
            )
        exempt = select(DunningExemptionRow).where(
            or_(DunningExemptionRow.valid_until.is_(None), DunningExemptionRow.valid_until >= on)
        )
        if ids is not None:
            exempt = exempt.where(DunningExemptionRow.account_id.in_(ids))
        for row in session.scalars(exempt):
            exemptions[row.account_id].append(Hold(row.valid_from, row.valid_until, row.reason))
    return promises, exemptions


def steps_of(session: Session, account_ids: Sequence[int]) -> list[DunningStepRow]:
    """Every step of the accounts, newest episode first, in order within each."""
    rows: list[DunningStepRow] = []
    for ids in chunked(account_ids, CHUNK):
        rows += session.scalars(select(DunningStepRow).where(DunningStepRow.account_id.in_(ids)))
    return sorted(rows, key=lambda r: (r.account_id, -r.episode_start.toordinal(), r.id))


def open_episodes(session: Session) -> dict[int, EpisodeState]:
    """Accounts in an open episode, with the steps taken in it."""
    return {
        account_id: state
        for account_id, state in latest_episodes(session).items()
        if state.cleared_on is None
    }
