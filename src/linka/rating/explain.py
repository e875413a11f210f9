"""Explaining rated usage: for each record, the rule, its source line, allowance and price.

This is what ``linka usage show`` prints and what an invoice line's explanation drills
into: every price traces back to the record (file:line), the tariff rule and the line of
the catalog file that set it.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from linka.catalog.services import read_version
from linka.catalog.tables import CatalogVersionRow
from linka.kernel.errors import LinkaError
from linka.rating.model import micro_amount
from linka.rating.services import rated_usage, with_record_details
from linka.subscriptions.tables import LineRow
from linka.usage.store import UsageStore


@dataclass(frozen=True)
class ExplainedLine:
    records: pl.DataFrame
    totals: pl.DataFrame


def _digits(msisdn: str) -> int:
    try:
        number = phonenumbers.parse(msisdn, "CZ")
    except phonenumbers.NumberParseException as exc:
        raise LinkaError(f"{msisdn!r} is not a phone number: {exc}") from None
    return int(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:])


def explain_line(session: Session, store: UsageStore, msisdn: str, period: str) -> ExplainedLine:
    digits = _digits(msisdn)
    line_ids = list(session.scalars(select(LineRow.id).where(LineRow.msisdn == f"+{digits}")))
    if not line_ids:
        raise LinkaError(f"no line has the number +{digits}")
    rated = with_record_details(
        store,
        rated_usage(session, store, period).filter(pl.col("line_id").is_in(line_ids)).collect(),
    )
    sources = rule_sources(session, rated)
    records = (
        rated.join(sources, on=["version_id", "tariff_id", "rule_id"], how="left")
        .sort("start", "path", "row")
        .select(
            pl.col("start").dt.convert_time_zone("Europe/Prague").dt.strftime("%Y-%m-%d %H:%M:%S"),
            "service",
            pl.col("direction").alias("dir"),
            pl.col("b_number").cast(pl.String).alias("number"),
            pl.when(pl.col("service") == "voice")
            .then(pl.format("{} s", pl.col("duration_s")))
            .when(pl.col("service") == "data")
            .then(pl.format("{} B", pl.col("volume")))
            .otherwise(pl.lit("1"))
            .alias("used"),
            "billable",
            pl.when(pl.col("included") > 0)
            .then(pl.format("{} ({})", pl.col("included"), pl.col("allowance_id")))
            .alias("included"),
            "location",
            "zone_id",
            "band_id",
            "rule_id",
            pl.col("rule_source").alias("rule source"),
            pl.col("raw_ref").alias("record"),
            micro_amount("price_micro").alias("price"),
            pl.col("status_text").alias("status"),
        )
    )
    totals = (
        rated.group_by(
            "service", pl.col("status_text").alias("status"), pl.col("currency").fill_null("")
        )
        .agg(records=pl.len(), amount=pl.col("price_micro").fill_null(0).sum())
        .sort("service", "status")
        .select("service", "status", "records", micro_amount("amount").alias("amount"), "currency")
    )
    return ExplainedLine(records, totals)


def rule_sources(session: Session, rated: pl.DataFrame) -> pl.DataFrame:
    """(version, tariff, rule) → the file:line that set the rule's price."""
    frames = []
    used = rated.select("version_id", "tariff_id").drop_nulls().unique()
    for version_id, tariff_id in used.iter_rows():
        row = session.get(CatalogVersionRow, version_id)
        if row is None:
            continue
        rates = read_version(session, row).tariff_rates(tariff_id)
        frames.append(
            rates.select(
                pl.lit(version_id, dtype=pl.Int64).alias("version_id"),
                "tariff_id",
                "rule_id",
                pl.col("source").alias("rule_source"),
            ).unique(["rule_id"], keep="first")
        )
    if not frames:
        return pl.DataFrame(
            schema={
                "version_id": pl.Int64,
                "tariff_id": pl.String,
                "rule_id": pl.String,
                "rule_source": pl.String,
            }
        )
    return pl.concat(frames)
