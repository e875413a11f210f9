"""The VAT rate on a prepaid line's usage of a day, for deducting prices with VAT.

Rating prices usage without VAT (the invoice adds it), but prepaid credit is money the
customer paid with VAT included (a single-purpose voucher: VAT is due at the top-up), so
a day's usage is deducted at its price plus the VAT rate of the line's offering valid
that day — the offering the line had that day (``line_offerings``), in the catalog
version valid that day. Tax profiles are not consulted: prepaid offerings are sold to
consumers with domestic VAT.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlalchemy import Executable, select
from sqlalchemy.orm import Session

from linka.catalog.tables import CatalogVersionRow, OfferingRow, VatRateRow
from linka.payments.prepaid.errors import PrepaidError
from linka.subscriptions.tables import LineOfferingRow


def _frame(session: Session, query: Executable, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    rows = [tuple(row) for row in session.execute(query)]
    return pl.DataFrame(rows, schema=schema, orient="row")


def vat_rates(session: Session, days: pl.DataFrame) -> pl.DataFrame:
    """``days`` (``line_id``, ``day``) with ``vat_rate`` (percent, Decimal) added.

    Raises :class:`PrepaidError` naming the first line and day without a rate (no
    offering that day, no catalog version, or no VAT rate for the offering's code).
    """
    line_ids = days.get_column("line_id").unique().to_list()
    offerings = _frame(
        session,
        select(
            LineOfferingRow.line_id,
            LineOfferingRow.valid_from,
            LineOfferingRow.valid_to,
            LineOfferingRow.offering_id,
        ).where(LineOfferingRow.line_id.in_(line_ids)),
        {
            "line_id": pl.Int64(),
            "valid_from": pl.Date(),
            "valid_to": pl.Date(),
            "offering_id": pl.String(),
        },
    )
    versions = _frame(
        session,
        select(CatalogVersionRow.id, CatalogVersionRow.effective_from),
        {"version_id": pl.Int64(), "effective_from": pl.Date()},
    )
    codes = _frame(
        session,
        select(OfferingRow.version_id, OfferingRow.id, OfferingRow.vat_rate),
        {"version_id": pl.Int64(), "offering_id": pl.String(), "code": pl.String()},
    )
    rates = _frame(
        session,
        select(
            VatRateRow.version_id,
            VatRateRow.code,
            VatRateRow.valid_from,
            VatRateRow.valid_to,
            VatRateRow.rate,
        ),
        {
            "version_id": pl.Int64(),
            "code": pl.String(),
            "rate_from": pl.Date(),
            "rate_to": pl.Date(),
            "vat_rate": pl.Decimal(20, 4),
        },
    )
    keyed = (
        days.select(pl.col("line_id").cast(pl.Int64()), "day")
        .unique()
        .sort("day")
        .join_asof(
            offerings.sort("valid_from"),
            left_on="day",
            right_on="valid_from",
            by="line_id",
            strategy="backward",
            check_sortedness=False,  # sorted by day overall, hence within each line
        )
        .with_columns(
            pl.when(pl.col("valid_to").is_null() | (pl.col("day") < pl.col("valid_to")))
            .then(pl.col("offering_id"))
            .alias("offering_id")
        )
        .join_asof(
            versions.sort("effective_from"),
            left_on="day",
            right_on="effective_from",
            strategy="backward",
        )
        .join(codes, on=["version_id", "offering_id"], how="left")
    )
    found = keyed.join(rates, on=["version_id", "code"], how="inner").filter(
        (pl.col("rate_from") <= pl.col("day"))
        & (pl.col("rate_to").is_null() | (pl.col("day") < pl.col("rate_to")))
    )
    result = keyed.select("line_id", "day", "offering_id").join(
        found.select("line_id", "day", "vat_rate"), on=["line_id", "day"], how="left"
    )
    missing = result.filter(pl.col("vat_rate").is_null()).sort("line_id", "day")
    if missing.height:
        line_id, day, offering = missing.row(0)
        raise PrepaidError(_missing_message(line_id, day, offering))
    return result.select("line_id", "day", "vat_rate")


def _missing_message(line_id: int, day: date, offering: str | None) -> str:
    if offering is None:
        return f"line {line_id} had no offering on {day.isoformat()}: its usage has no price"
    return (
        f"no VAT rate for offering {offering} of line {line_id} on {day.isoformat()}: "
        "check the catalog version valid that day"
    )
