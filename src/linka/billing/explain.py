"""Why an invoice says what it says: each line traced to what produced it.

A line's charge key names its origin. Recurring fees and discounts name the offering,
fee and proration; adjustments and one-time charges their stored row (with reason and
approver); usage lines the rating run whose records they sum, broken down here by tariff
rule (with the catalog file and line that set its price) and allowance. Because the bill
run invoices differences, a line also shows what earlier documents already hold for the
same key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from linka.billing.itemisation import ITEMISED
from linka.billing.model import ChargeKind, InvoiceStatus
from linka.billing.tables import AdjustmentRow, InvoiceLineRow, InvoiceRow, OneTimeChargeRow
from linka.rating.explain import rule_sources
from linka.rating.model import micro_amount
from linka.rating.runfiles import scan_decoded
from linka.rating.services import current_run, with_record_details
from linka.rating.tables import RatingRunRow
from linka.usage.store import UsageStore

RUN_SOURCE = re.compile(r"rating run (\d+)")


@dataclass(frozen=True)
class LineExplanation:
    line: InvoiceLineRow
    origin: str  # what produced the amount, in words
    earlier: Decimal  # what other documents hold for the same charge key
    rules: pl.DataFrame | None = None  # usage: records per rule and allowance
    records: pl.DataFrame | None = None  # usage, when asked for: every record


def explain_invoice(
    session: Session, store: UsageStore, invoice: InvoiceRow, *, records: bool = False
) -> list[LineExplanation]:
    lines = list(
        session.scalars(
            select(InvoiceLineRow)
            .where(InvoiceLineRow.invoice_id == invoice.id)
            .order_by(InvoiceLineRow.position)
        )
    )
    earlier = _earlier(session, invoice, [line.charge_key for line in lines])
    result = []
    for line in lines:
        rules = details = None
        origin = _origin(session, line)
        if line.kind == ChargeKind.USAGE and not line.source.startswith("credit of"):
            rated = _usage_records(session, store, line)
            rules = _per_rule(session, rated)
            details = _records(store, rated) if records else None
        result.append(
            LineExplanation(line, origin, earlier.get(line.charge_key, Decimal(0)), rules, details)
        )
    return result


def _earlier(session: Session, invoice: InvoiceRow, keys: list[str]) -> dict[str, Decimal]:
    """Per key: the sum of the account's other issued documents created before this one."""
    rows = session.execute(
        select(InvoiceLineRow.charge_key, func.sum(InvoiceLineRow.net))
        .join(InvoiceRow, InvoiceRow.id == InvoiceLineRow.invoice_id)
        .where(
            InvoiceRow.account_id == invoice.account_id,
            InvoiceRow.id < invoice.id,
            InvoiceRow.status == InvoiceStatus.ISSUED,
            InvoiceLineRow.charge_key.in_(keys),
        )
        .group_by(InvoiceLineRow.charge_key)
    )
    return {key: Decimal(total) for key, total in rows}


def _origin(session: Session, line: InvoiceLineRow) -> str:
    kind, _, ref = line.charge_key.partition(":")
    if kind == "adj":
        adjustment = session.get(AdjustmentRow, int(ref))
        if adjustment is not None:
            return (
                f"{line.source}: {adjustment.description} — reason: {adjustment.reason}; "
                f"approved by {adjustment.approved_by}, effective {adjustment.effective_on}"
            )
    if kind == "ot":
        charge = session.get(OneTimeChargeRow, int(ref))
        if charge is not None:
            return f"{line.source}: fee {charge.fee_id} on {charge.occurred_on} ({charge.source})"
    return line.source


def _usage_key(line: InvoiceLineRow) -> tuple[int, date, str, str]:
    _, line_id, start, service, zone = line.charge_key.split(":", 4)
    return int(line_id), date.fromisoformat(start), service, zone


def _usage_records(session: Session, store: UsageStore, line: InvoiceLineRow) -> pl.DataFrame:
    """The rated records the line sums, from the run its source names (else the current)."""
    line_id, start, service, zone = _usage_key(line)
    found = RUN_SOURCE.search(line.source)
    run = session.get(RatingRunRow, int(found.group(1))) if found else None
    run = run or current_run(session, f"{start:%Y-%m}")
    if run is None:
        return pl.DataFrame()
    return (
        scan_decoded(store.absolute(run.path))
        .filter(
            pl.col("line_id") == line_id,
            pl.col("period_start") == start,
            pl.col("service") == service,
            pl.col("zone_id") == zone,
            pl.col("status_text").is_in(ITEMISED),
        )
        .collect()
    )


def _per_rule(session: Session, rated: pl.DataFrame) -> pl.DataFrame:
    if rated.is_empty():
        return rated
    sources = rule_sources(session, rated)
    return (
        rated.join(sources, on=["version_id", "tariff_id", "rule_id"], how="left")
        .group_by("tariff_id", "rule_id", "rule_source", "band_id", "allowance_id")
        .agg(
            records=pl.len(),
            billable=pl.col("billable").sum(),
            included=pl.col("included").sum(),
            amount=pl.col("price_micro").sum(),
        )
        .sort("tariff_id", "rule_id", "band_id", "allowance_id", nulls_last=True)
        .select(
            pl.col("tariff_id").alias("tariff"),
            pl.col("rule_id").alias("rule"),
            pl.col("rule_source").alias("set by"),
            pl.col("band_id").alias("band"),
            pl.col("allowance_id").alias("allowance"),
            "records",
            "billable",
            "included",
            micro_amount("amount").alias("amount"),
        )
    )


def _records(store: UsageStore, rated: pl.DataFrame) -> pl.DataFrame:
    if rated.is_empty():
        return rated
    return (
        with_record_details(store, rated)
        .sort("start", "path", "seq")
        .select(
            pl.col("start").dt.strftime("%Y-%m-%d %H:%M:%S UTC").alias("start"),
            pl.col("b_number").cast(pl.String).alias("number"),
            "billable",
            "included",
            "allowance_id",
            "rule_id",
            micro_amount("price_micro").alias("price"),
            pl.col("raw_ref").alias("record"),
        )
    )
