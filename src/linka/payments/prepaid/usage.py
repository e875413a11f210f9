"""Deducting rated usage from prepaid credit: one entry per line and usage day.

``deduct_usage`` sums the current rated usage (the newest rating run of every period)
of prepaid lines per line and local day (the account's time zone) with Polars over the
run's Parquet files, adds VAT (see :mod:`linka.payments.prepaid.vat`) and rounds each
day to the currency's minor unit. It then books, per line and day, the difference
between that charge and the usage entries already booked for the day: the first run
books ``usage:<line>:<day>:1``; a later run books ``…:2`` only when more usage was rated
for the day (or a re-rating changed its price), so running it again books nothing.

Usage has already happened when it is rated, so it is deducted in full even when that
takes the balance below zero; stopping calls when credit runs out is online charging's
job, not this batch's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from linka.kernel.clock import Clock
from linka.kernel.money import minor_units
from linka.payments.prepaid.balances import (
    USAGE,
    ZERO,
    balances,
    insert_entries,
    notify_low_balances,
)
from linka.payments.prepaid.errors import PrepaidError
from linka.payments.prepaid.lines import PrepaidLine, PrepaidTerms, prepaid_lines
from linka.payments.prepaid.tables import PrepaidEntryRow
from linka.payments.prepaid.vat import vat_rates
from linka.rating.runfiles import scan_codes
from linka.rating.services import current_run
from linka.rating.tables import RatingRunRow
from linka.usage.store import UsageStore

CHARGE_SCHEMA: dict[str, pl.DataType] = {
    "line_id": pl.Int64(),
    "day": pl.Date(),
    "amount": pl.Decimal(38, 6),
}
"""What :func:`book_usage` takes: the whole charge (with VAT) per line and usage day."""


@dataclass(frozen=True)
class DeductionResult:
    through: date
    lines: int  # lines with an entry booked
    entries: int
    amount: Decimal  # sum of the entries booked (negative: credit taken)
    low_balance: int  # lines that went under the low-balance threshold


def deduct_usage(
    session: Session, store: UsageStore, through: date, *, clock: Clock, terms: PrepaidTerms
) -> DeductionResult:
    """Deduct the rated usage of every prepaid line up to and including day ``through``."""
    lines = prepaid_lines(session)
    charges = daily_charges(session, store, through, lines)
    return book_usage(session, charges, through, clock=clock, terms=terms, lines=lines)


def daily_charges(
    session: Session, store: UsageStore, through: date, lines: Mapping[int, PrepaidLine]
) -> pl.DataFrame:
    """Rated usage with VAT per prepaid line and local day up to ``through`` (CHARGE_SCHEMA)."""
    net = _net_per_day(session, store, through, lines)
    if net.height == 0:
        return pl.DataFrame(schema=CHARGE_SCHEMA)
    wrong = net.filter(
        pl.col("currency")
        != pl.col("line_id").replace_strict(
            {k: v.currency for k, v in lines.items()}, return_dtype=pl.String
        )
    )
    if wrong.height:
        line_id, day, currency, _ = wrong.row(0)
        raise PrepaidError(
            f"line {line_id} was rated in {currency} on {day.isoformat()}, but its account "
            f"is in {lines[line_id].currency}"
        )
    with_vat = net.join(vat_rates(session, net), on=["line_id", "day"], how="left")
    amounts = [
        _gross(micro, rate, minor_units(currency))
        for micro, rate, currency in with_vat.select(
            "net_micro", "vat_rate", "currency"
        ).iter_rows()
    ]
    return with_vat.select("line_id", "day", pl.Series("amount", amounts, dtype=pl.Decimal(38, 6)))


def _gross(net_micro: int, vat_rate: Decimal, places: int) -> Decimal:
    net = Decimal(net_micro).scaleb(-6)
    return (net * (1 + vat_rate / 100)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


def _net_per_day(
    session: Session, store: UsageStore, through: date, lines: Mapping[int, PrepaidLine]
) -> pl.DataFrame:
    """Sum of rated prices (micro-units, no VAT) per line, local day and currency."""
    periods = session.scalars(
        select(RatingRunRow.period).where(RatingRunRow.period <= f"{through:%Y-%m}").distinct()
    ).all()
    zones = pl.DataFrame(
        {"line_id": list(lines), "timezone": [line.timezone for line in lines.values()]},
        schema={"line_id": pl.Int64, "timezone": pl.String},
    )
    sums: list[pl.DataFrame] = []
    for period in sorted(periods):
        run = current_run(session, period)
        if run is None:
            continue
        folder = store.absolute(run.path)
        currency = pl.scan_parquet(folder / "tariff_idx.parquet").select("tariff_idx", "currency")
        records = (
            scan_codes(folder)
            .select(pl.col("line_id").cast(pl.Int64), "start", "tariff_idx", "price_micro")
            .filter(pl.col("price_micro").fill_null(0) != 0)
            .join(zones.lazy(), on="line_id", how="inner")
            .join(currency, on="tariff_idx", how="left")
        )
        for timezone in zones.get_column("timezone").unique().to_list():
            start = pl.col("start")
            sums.append(
                records.filter(pl.col("timezone") == timezone)
                .with_columns(day=_utc(start, records).dt.convert_time_zone(timezone).dt.date())
                .filter(pl.col("day") <= through)
                .group_by("line_id", "day", "currency")
                .agg(net_micro=pl.col("price_micro").sum())
                .collect()
            )
    if not sums:
        return pl.DataFrame(
            schema={
                "line_id": pl.Int64,
                "day": pl.Date,
                "currency": pl.String,
                "net_micro": pl.Int64,
            }
        )
    return (
        pl.concat(sums)
        .group_by("line_id", "day", "currency")
        .agg(pl.col("net_micro").sum())
        .sort("line_id", "day")
    )


def _utc(start: pl.Expr, records: pl.LazyFrame) -> pl.Expr:
    """``start`` as a UTC-aware datetime (stored naive UTC or aware)."""
    dtype = records.collect_schema()["start"]
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
        return start.dt.replace_time_zone("UTC")
    return start


def book_usage(
    session: Session,
    charges: pl.DataFrame,
    through: date,
    *,
    clock: Clock,
    terms: PrepaidTerms,
    lines: Mapping[int, PrepaidLine] | None = None,
) -> DeductionResult:
    """Book, per line and day up to ``through``, what ``charges`` says minus what usage
    entries already took; then warn the lines that went under the threshold.

    A line and day booked before but missing from ``charges`` (its usage re-rated to
    nothing) is credited back. ``lines`` defaults to every prepaid line.
    """
    lines = prepaid_lines(session) if lines is None else lines
    wanted: dict[tuple[int, date], Decimal] = {
        (line_id, day): -amount
        for line_id, day, amount in charges.select(list(CHARGE_SCHEMA)).iter_rows()
        if day <= through and line_id in lines
    }
    booked = {
        (line_id, day): (Decimal(total), count)
        for line_id, day, total, count in session.execute(
            select(
                PrepaidEntryRow.line_id,
                PrepaidEntryRow.booked_on,
                func.sum(PrepaidEntryRow.amount),
                func.count(),
            )
            .where(PrepaidEntryRow.kind == USAGE, PrepaidEntryRow.booked_on <= through)
            .group_by(PrepaidEntryRow.line_id, PrepaidEntryRow.booked_on)
        )
    }
    rows = []
    for key in sorted(wanted.keys() | booked.keys()):
        total, count = booked.get(key, (ZERO, 0))
        difference = wanted.get(key, ZERO) - total
        if difference != ZERO and key[0] in lines:
            rows.append((*key, difference, count))
    if not rows:
        return DeductionResult(through, 0, 0, ZERO, 0)
    touched = {line_id for line_id, *_ in rows}
    known = balances(session, touched)
    before = {line_id: known.get(line_id, ZERO) for line_id in touched}
    now = clock.now()
    insert_entries(
        session,
        [
            (
                line_id,
                USAGE,
                amount,
                lines[line_id].currency,
                f"usage:{line_id}:{day.isoformat()}:{count + 1}",
                day,
                None,
                f"Usage {day.isoformat()}" + (" (correction)" if count else ""),
                now,
            )
            for line_id, day, amount, count in rows
        ],
    )
    low = notify_low_balances(session, before, threshold=terms.low_balance_threshold, clock=clock)
    total = sum((row[2] for row in rows), ZERO)
    return DeductionResult(through, len(touched), len(rows), total, low)
