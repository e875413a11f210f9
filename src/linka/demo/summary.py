"""What the demo operator holds, counted from the database after it was built.

The figures are read back rather than taken from the generator's input, so the summary
``linka demo`` prints shows what onboarding really stored (and a later step that adds
usage or bills can extend it with what it stored). Every mapping is sorted, so the same
database always gives the same summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Select, distinct, func, select
from sqlalchemy.orm import Session

from linka.billing.export import ExportResult
from linka.billing.runs import BillRunResult
from linka.catalog.services import version_for
from linka.catalog.tables import DeckRateRow, FeeRow, OfferingRow, RateRow, TariffRow
from linka.customers.tables import BillingAccountRow, CustomerRow
from linka.demo.month import MonthSummary
from linka.demo.payments import PaymentsSummary
from linka.subscriptions.tables import LineRow


@dataclass(frozen=True, slots=True)
class OfferingFigures:
    """One offering of the demo catalog and how many lines have it, by status."""

    id: str
    name: str
    kind: str
    monthly_fee: Decimal  # recurring monthly fees, CZK excluding VAT
    lines: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.lines.values())


@dataclass(frozen=True, slots=True)
class CatalogFigures:
    catalog_id: str
    version: str
    effective_from: date
    tariffs: int
    deck_prefixes: int
    rate_rows: int
    offerings: tuple[OfferingFigures, ...]


@dataclass(frozen=True, slots=True)
class CustomerFigures:
    by_kind: dict[str, int]  # person / organisation
    by_segment: dict[str, int]
    organisations_by_tax_profile: dict[str, int]
    accounts_by_payment_type: dict[str, int]
    accounts_by_payment_method: dict[str, int]
    lines_by_status: dict[str, int]

    @property
    def customers(self) -> int:
        return sum(self.by_kind.values())

    @property
    def accounts(self) -> int:
        return sum(self.accounts_by_payment_type.values())

    @property
    def lines(self) -> int:
        return sum(self.lines_by_status.values())


@dataclass(frozen=True)
class DemoSummary:
    """The built demo: what it holds, where it lives, how long each step took, its digest."""

    seed: int
    today: date
    data_dir: Path
    catalog_dir: Path
    database: str
    catalog: CatalogFigures
    customers: CustomerFigures
    digest: str
    timings: dict[str, float] = field(default_factory=dict)
    month: MonthSummary | None = None
    bill: BillRunResult | None = None
    documents: ExportResult | None = None
    payments: PaymentsSummary | None = None


def count_catalog(session: Session, on: date) -> CatalogFigures:
    """The catalog version valid on ``on`` with its offerings and their lines."""
    version = version_for(session, on)
    vid = version.id
    monthly = dict(
        session.execute(
            select(FeeRow.offering_id, func.sum(FeeRow.amount))
            .where(FeeRow.version_id == vid, FeeRow.recurring, FeeRow.period == "month")
            .group_by(FeeRow.offering_id)
        ).all()
    )
    lines: dict[str, dict[str, int]] = {}
    for offering, status, count in session.execute(
        select(LineRow.offering_id, LineRow.status, func.count()).group_by(
            LineRow.offering_id, LineRow.status
        )
    ):
        lines.setdefault(offering, {})[status] = count
    offerings = tuple(
        OfferingFigures(
            row.id,
            row.name_cs,
            row.kind,
            _amount(monthly.get(row.id)),
            dict(sorted(lines.get(row.id, {}).items())),
        )
        for row in session.scalars(
            select(OfferingRow).where(OfferingRow.version_id == vid).order_by(OfferingRow.position)
        )
    )
    return CatalogFigures(
        catalog_id=version.catalog_id,
        version=version.version,
        effective_from=version.effective_from,
        tariffs=_scalar(session, select(func.count()).where(TariffRow.version_id == vid)),
        deck_prefixes=_scalar(
            session,
            select(func.count(distinct(DeckRateRow.prefix))).where(DeckRateRow.version_id == vid),
        ),
        rate_rows=_scalar(session, select(func.count()).where(RateRow.version_id == vid)),
        offerings=offerings,
    )


def count_customers(session: Session) -> CustomerFigures:
    """Customers by kind and segment, accounts by payment terms, lines by status."""
    organisations = (
        select(BillingAccountRow.tax_profile_id, func.count(distinct(CustomerRow.id)))
        .join(CustomerRow, CustomerRow.id == BillingAccountRow.customer_id)
        .where(CustomerRow.party_kind == "organisation")
        .group_by(BillingAccountRow.tax_profile_id)
    )
    return CustomerFigures(
        by_kind=_grouped(session, CustomerRow.party_kind),
        by_segment=_grouped(session, CustomerRow.segment),
        organisations_by_tax_profile=_pairs(session, organisations),
        accounts_by_payment_type=_grouped(session, BillingAccountRow.payment_type),
        accounts_by_payment_method=_grouped(session, BillingAccountRow.payment_method),
        lines_by_status=_grouped(session, LineRow.status),
    )


def _grouped(session: Session, column: Any) -> dict[str, int]:
    return _pairs(session, select(column, func.count()).group_by(column))


def _pairs(session: Session, query: Select[Any, Any]) -> dict[str, int]:
    return {str(key): int(count) for key, count in sorted(session.execute(query).all())}


def _scalar(session: Session, query: Select[Any]) -> int:
    return int(session.scalar(query) or 0)


def _amount(value: object) -> Decimal:
    return Decimal(0) if value is None else Decimal(str(value)).normalize()
