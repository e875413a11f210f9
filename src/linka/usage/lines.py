"""Which subscriber line a usage record belongs to, read set-based from the CRM tables.

The directory holds one row per line that has ever been active and offering it had: its
MSISDN as E.164 digits (int64, the record schema's form), IMSI, account, offering, bill
cycle and the local dates between which it was in service with that offering. Records
are matched by MSISDN (or by IMSI when a network element sent no MSISDN) and start time.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from linka.customers.tables import BillingAccountRow
from linka.subscriptions.tables import LineOfferingRow, LineRow

DIRECTORY_SCHEMA: dict[str, pl.DataType] = {
    "line_id": pl.Int64(),
    "msisdn": pl.Int64(),
    "imsi": pl.String(),
    "account_id": pl.Int64(),
    "offering_id": pl.String(),
    "active_from": pl.Date(),
    "active_until": pl.Date(),  # last day in service (inclusive); null: still in service
    "bill_cycle_day": pl.Int32(),
    "timezone": pl.String(),
    "currency": pl.String(),
}


def line_directory(session: Session) -> pl.DataFrame:
    """One row per activated line and offering it had, with the dates it was in service
    with that offering (its service dates cut by the offering's validity)."""
    rows = session.execute(
        select(
            LineRow.id,
            LineRow.msisdn,
            LineRow.imsi,
            LineRow.account_id,
            LineOfferingRow.offering_id,
            LineRow.activated_on,
            LineRow.terminated_on,
            BillingAccountRow.bill_cycle_day,
            BillingAccountRow.timezone,
            BillingAccountRow.currency,
            LineOfferingRow.valid_from,
            LineOfferingRow.valid_to,
        )
        .join(BillingAccountRow, BillingAccountRow.id == LineRow.account_id)
        .join(LineOfferingRow, LineOfferingRow.line_id == LineRow.id)
        .where(LineRow.activated_on.is_not(None))
        .order_by(LineRow.id, LineOfferingRow.valid_from)
    ).all()
    frame = pl.DataFrame(
        rows,
        schema={
            **DIRECTORY_SCHEMA,
            "msisdn": pl.String(),
            "valid_from": pl.Date(),
            "valid_to": pl.Date(),
        },
        orient="row",
    )
    last_day = pl.col("valid_to") - pl.duration(days=1)
    return (
        frame.with_columns(
            pl.col("msisdn").str.strip_prefix("+").cast(pl.Int64),
            pl.max_horizontal("active_from", "valid_from").alias("active_from"),
            pl.when(pl.col("active_until").is_null())
            .then(last_day)
            .when(last_day.is_null())
            .then(pl.col("active_until"))
            .otherwise(pl.min_horizontal("active_until", last_day))
            .alias("active_until"),
        )
        .filter(
            pl.col("active_until").is_null() | (pl.col("active_until") >= pl.col("active_from"))
        )
        .drop("valid_from", "valid_to")
    )


def fill_msisdn_from_imsi(records: pl.DataFrame, directory: pl.DataFrame) -> pl.DataFrame:
    """Records that carry only an IMSI get the MSISDN of the line with that IMSI."""
    if records.filter(pl.col("line_msisdn").is_null() & pl.col("imsi").is_not_null()).height == 0:
        return records
    by_imsi = (
        directory.filter(pl.col("imsi").is_not_null())
        .sort("line_id")
        .unique("imsi", keep="last")
        .select("imsi", pl.col("msisdn").alias("_imsi_msisdn"))
    )
    return (
        records.join(by_imsi, on="imsi", how="left", maintain_order="left")
        .with_columns(pl.coalesce("line_msisdn", "_imsi_msisdn").alias("line_msisdn"))
        .drop("_imsi_msisdn")
    )


def known_line(records: pl.DataFrame, directory: pl.DataFrame) -> pl.Series:
    """True for records whose MSISDN belongs to some activated line."""
    return records["line_msisdn"].is_in(directory["msisdn"].unique().implode())
