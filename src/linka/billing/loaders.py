"""Set-based reads that feed the pure billing functions: a handful of queries per run.

Accounts, lines, their status and offering histories, discounts, adjustments, one-time
charges and what was already invoiced are each read with one query for all the accounts
of a run; rated usage comes from the current rating run of every period, summed per
line, period, service and zone with Polars. Nothing here loops over the database per
account or per line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import polars as pl
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from linka.billing.cycles import add_months
from linka.billing.model import (
    AccountFacts,
    Adjustment,
    Charge,
    ChargeKind,
    Discount,
    InvoicedKey,
    LineFacts,
    OneTimeCharge,
    Segment,
    UsageTotal,
)
from linka.billing.tables import (
    AdjustmentRow,
    DiscountRow,
    InvoiceLineRow,
    InvoiceRow,
    OneTimeChargeRow,
)
from linka.catalog.version import CatalogVersion
from linka.customers.tables import BillingAccountRow, CustomerRow
from linka.rating.model import RatedStatus
from linka.rating.runfiles import scan_decoded
from linka.rating.services import current_run
from linka.subscriptions.tables import LineOfferingRow, LineRow, LineStatusChangeRow
from linka.usage.store import UsageStore

Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])


def _selected(query: Q, column: Any, ids: Sequence[int] | None) -> Q:
    """The query restricted to ``ids`` of ``column`` (all rows when ids is None)."""
    return query if ids is None else query.where(column.in_(list(ids)))


def load_accounts(session: Session, numbers: Sequence[str] | None = None) -> list[AccountFacts]:
    """The accounts (all, or those numbered) with their lines' histories as segments."""
    query = select(
        BillingAccountRow.id,
        BillingAccountRow.number,
        BillingAccountRow.customer_id,
        CustomerRow.segment,
        BillingAccountRow.payment_type,
        BillingAccountRow.currency,
        BillingAccountRow.bill_cycle_day,
        BillingAccountRow.timezone,
        BillingAccountRow.tax_profile_id,
        BillingAccountRow.language,
        BillingAccountRow.variable_symbol,
    ).join(CustomerRow, CustomerRow.id == BillingAccountRow.customer_id)
    if numbers is not None:
        query = query.where(BillingAccountRow.number.in_(list(numbers)))
    accounts = session.execute(query.order_by(BillingAccountRow.id)).all()
    ids = [row[0] for row in accounts] if numbers is not None else None
    lines = session.execute(
        _selected(
            select(LineRow.id, LineRow.account_id, LineRow.msisdn, LineRow.activated_on),
            LineRow.account_id,
            ids,
        )
    ).all()
    line_ids = [row[0] for row in lines] if ids is not None else None
    statuses: dict[int, list[tuple[date, str]]] = defaultdict(list)
    for line_id, effective, status in session.execute(
        _selected(
            select(
                LineStatusChangeRow.line_id,
                LineStatusChangeRow.effective_on,
                LineStatusChangeRow.to_status,
            ).order_by(LineStatusChangeRow.line_id, LineStatusChangeRow.id),
            LineStatusChangeRow.line_id,
            line_ids,
        )
    ):
        statuses[line_id].append((effective, status))
    offerings: dict[int, list[tuple[date, date | None, str]]] = defaultdict(list)
    for line_id, start, end, offering in session.execute(
        _selected(
            select(
                LineOfferingRow.line_id,
                LineOfferingRow.valid_from,
                LineOfferingRow.valid_to,
                LineOfferingRow.offering_id,
            ).order_by(LineOfferingRow.line_id, LineOfferingRow.valid_from),
            LineOfferingRow.line_id,
            line_ids,
        )
    ):
        offerings[line_id].append((start, end, offering))
    per_account: dict[int, list[LineFacts]] = defaultdict(list)
    for line_id, account_id, msisdn, activated in lines:
        segments = segments_of(statuses[line_id], offerings[line_id])
        per_account[account_id].append(LineFacts(line_id, msisdn, segments, activated))
    return [
        AccountFacts(
            account_id=row[0],
            number=row[1],
            customer_id=row[2],
            segment=row[3],
            payment_type=row[4],
            currency=row[5],
            cycle_day=row[6],
            timezone=row[7],
            tax_profile_id=row[8],
            language=row[9],
            variable_symbol=row[10],
            lines=tuple(per_account.get(row[0], ())),
        )
        for row in accounts
    ]


def segments_of(
    statuses: Sequence[tuple[date, str]], offerings: Sequence[tuple[date, date | None, str]]
) -> tuple[Segment, ...]:
    """A line's life cut at every status change and offering change."""
    if not statuses or not offerings:
        return ()
    cuts = sorted(
        {day for day, _ in statuses}
        | {start for start, _, _ in offerings}
        | {end for _, end, _ in offerings if end is not None}
    )
    segments: list[Segment] = []
    for i, start in enumerate(cuts):
        end = cuts[i + 1] if i + 1 < len(cuts) else None
        status = next((s for day, s in reversed(statuses) if day <= start), None)
        offering = next(
            (
                o
                for begin, stop, o in offerings
                if begin <= start and (stop is None or start < stop)
            ),
            None,
        )
        if status is None or offering is None:
            continue
        if segments and (segments[-1].status, segments[-1].offering_id) == (status, offering):
            previous = segments.pop()
            segments.append(Segment(previous.start, end, offering, status))
        else:
            segments.append(Segment(start, end, offering, status))
    return tuple(segments)


def load_discounts(
    session: Session, account_ids: Sequence[int] | None
) -> dict[int, list[Discount]]:
    result: dict[int, list[Discount]] = defaultdict(list)
    for row in session.scalars(_selected(select(DiscountRow), DiscountRow.account_id, account_ids)):
        result[row.account_id].append(
            Discount(
                row.id,
                row.account_id,
                row.line_id,
                row.offering_id,
                row.percent,
                row.amount,
                row.valid_from,
                row.valid_to,
                row.description,
            )
        )
    return result


def load_adjustments(
    session: Session, account_ids: Sequence[int] | None
) -> dict[int, list[Adjustment]]:
    result: dict[int, list[Adjustment]] = defaultdict(list)
    for row in session.scalars(
        _selected(select(AdjustmentRow), AdjustmentRow.account_id, account_ids)
    ):
        result[row.account_id].append(
            Adjustment(
                row.id,
                row.account_id,
                row.line_id,
                row.amount,
                row.vat_code,
                row.description,
                row.effective_on,
            )
        )
    return result


def load_one_time(
    session: Session, account_ids: Sequence[int] | None
) -> dict[int, list[OneTimeCharge]]:
    result: dict[int, list[OneTimeCharge]] = defaultdict(list)
    for row in session.scalars(
        _selected(select(OneTimeChargeRow), OneTimeChargeRow.account_id, account_ids)
    ):
        result[row.account_id].append(
            OneTimeCharge(
                row.id,
                row.account_id,
                row.line_id,
                row.fee_id,
                row.amount,
                row.vat_code,
                row.description_cs,
                row.description_en,
                row.occurred_on,
            )
        )
    return result


def load_invoiced(
    session: Session, account_ids: Sequence[int] | None
) -> dict[int, dict[str, InvoicedKey]]:
    """Per account and charge key: the sum of every invoice line so far (any status, credit
    notes included) and the newest line as the template for a reversal."""
    columns = (
        InvoiceRow.account_id,
        InvoiceLineRow.id,
        InvoiceLineRow.charge_key,
        InvoiceLineRow.kind,
        InvoiceLineRow.net,
        InvoiceLineRow.vat_code,
        InvoiceLineRow.description_cs,
        InvoiceLineRow.description_en,
        InvoiceLineRow.line_id,
        InvoiceLineRow.line_msisdn,
        InvoiceLineRow.period_start,
        InvoiceLineRow.period_end,
        InvoiceLineRow.unit,
        InvoiceLineRow.source,
    )
    query = select(*columns).join(InvoiceRow, InvoiceRow.id == InvoiceLineRow.invoice_id)
    result: dict[int, dict[str, InvoicedKey]] = defaultdict(dict)
    rows = session.execute(
        _selected(query.order_by(InvoiceLineRow.id), InvoiceRow.account_id, account_ids)
    )
    for account_id, _, key, kind, net, vat, cs, en, line_id, msisdn, start, end, unit, src in rows:
        had = result[account_id].get(key)
        template = Charge(
            key=key,
            kind=ChargeKind(kind),
            amount=net,
            vat_code=vat,
            description_cs=cs,
            description_en=en,
            unit=unit,
            line_id=line_id,
            line_msisdn=msisdn,
            period_start=start,
            period_end=end,
            source=src,
        )
        total = (had.amount if had else Decimal(0)) + net
        result[account_id][key] = InvoicedKey(total, template)
    return result


def load_usage(
    session: Session,
    store: UsageStore,
    versions: dict[int, CatalogVersion],
    since: date,
    until: date,
) -> dict[int, list[UsageTotal]]:
    """Rated usage per line of every bill period starting between the two days."""
    frames = []
    month = date(since.year, since.month, 1)
    while month <= until:
        run = current_run(session, f"{month:%Y-%m}")
        if run is not None:
            frames.append(
                scan_decoded(store.absolute(run.path))
                .filter(
                    pl.col("status_text").is_in(
                        [RatedStatus.CHARGED.value, RatedStatus.INCLUDED.value]
                    )
                )
                .group_by(
                    "line_id",
                    "period_start",
                    "service",
                    "zone_id",
                    "version_id",
                    "tariff_id",
                    "currency",
                )
                .agg(
                    records=pl.len(),
                    billable=pl.col("billable").sum(),
                    included=pl.col("included").sum(),
                    micro=pl.col("price_micro").sum(),
                )
                .with_columns(run_id=pl.lit(run.id))
                .collect()
            )
        month = add_months(month, 1)
    result: dict[int, list[UsageTotal]] = defaultdict(list)
    if not frames:
        return result
    names = zone_names(versions)
    totals = pl.concat(frames).sort("line_id", "period_start", "service", "zone_id")
    for row in totals.iter_rows(named=True):
        cs, en = names.get(
            (row["version_id"], row["tariff_id"], row["zone_id"]), (row["zone_id"], row["zone_id"])
        )
        result[row["line_id"]].append(
            UsageTotal(
                line_id=row["line_id"],
                period_start=row["period_start"],
                period_end=add_months(row["period_start"], 1),
                service=str(row["service"]),
                zone_id=row["zone_id"],
                zone_name_cs=cs,
                zone_name_en=en,
                currency=row["currency"],
                records=row["records"],
                billable=row["billable"],
                included=row["included"],
                micro=row["micro"],
                run_id=row["run_id"],
            )
        )
    return result


CATCH_ALL_NAMES = {
    "voice": ("ostatní destinace", "other destinations"),
    "sms": ("ostatní sítě", "other networks"),
    "data": ("mobilní data", "mobile data"),
}


def zone_names(versions: dict[int, CatalogVersion]) -> dict[tuple[int, str, str], tuple[str, str]]:
    """(version, tariff, zone id) → (Czech, English) names, including the zones rating
    makes up: catch-all rates (zone = the service) and roaming zones (``roaming-<id>``)."""
    names: dict[tuple[int, str, str], tuple[str, str]] = {}
    for version_id, version in versions.items():
        roaming = {
            f"roaming-{zone.id}": (f"roaming {zone.name.cs}", f"roaming {zone.name.en}")
            for zone in version.roaming.zones
        }
        for tariff in version.tariffs:
            for zone_id, pair in (CATCH_ALL_NAMES | roaming).items():
                names[(version_id, tariff.id, zone_id)] = pair
            for zone in tariff.zones:
                names[(version_id, tariff.id, zone.id)] = (zone.name.cs, zone.name.en)
    return names
