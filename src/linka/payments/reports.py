"""Receivables reports: ageing of open items, payments received in a period, the queue.

Each report is a Polars frame built from set-based queries, so the terminal table and the
CSV file show the same figures. Amounts are Decimal; totals are sums of the rows shown.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from linka.customers.tables import BillingAccountRow, CustomerRow
from linka.payments.ledger import AGE_BUCKETS, ageing, balances, credits, open_items
from linka.payments.model import PaymentStatus
from linka.payments.tables import PaymentRow

BUCKETS = [name for _, name in AGE_BUCKETS]
AMOUNT = pl.Decimal(18, 2)  # ledger amounts are whole haléř


def _accounts(session: Session) -> dict[int, tuple[str, str, str, str]]:
    """Account id → (account number, customer number, customer name, currency)."""
    return {
        account_id: (number, customer_number, name, currency)
        for account_id, number, customer_number, name, currency in session.execute(
            select(
                BillingAccountRow.id, BillingAccountRow.number, CustomerRow.number,
                CustomerRow.name, BillingAccountRow.currency,
            ).join(CustomerRow, CustomerRow.id == BillingAccountRow.customer_id)
        )
    }  # fmt: skip


def aging_report(session: Session, on: date) -> pl.DataFrame:
    """One row per account with anything open or any credit: open amounts by days overdue
    on ``on``, the unallocated credit, and the balance (open − credit)."""
    items = open_items(session)
    buckets = ageing(items, on)
    balance = balances(session)
    held = {
        account_id: sum((c.available for c in found), Decimal(0))
        for account_id, found in credits(session, list(balance)).items()
    }
    names = _accounts(session)
    rows = []
    for account_id in sorted(set(buckets) | set(held), key=lambda a: names[a][0]):
        number, customer, name, currency = names[account_id]
        amounts = buckets.get(account_id, dict.fromkeys(BUCKETS, Decimal(0)))
        rows.append(
            [number, customer, name, currency]
            + [amounts[bucket] for bucket in BUCKETS]
            + [held.get(account_id, Decimal(0)), balance.get(account_id, Decimal(0))]
        )
    schema: dict[str, pl.DataType] = {
        "account": pl.String(), "customer": pl.String(), "name": pl.String(),
        "currency": pl.String(),
    }  # fmt: skip
    schema |= dict.fromkeys(BUCKETS, AMOUNT) | {"credit": AMOUNT, "balance": AMOUNT}
    return pl.DataFrame(rows, schema=schema, orient="row")


def aging_totals(report: pl.DataFrame) -> pl.DataFrame:
    """The ageing report summed per currency."""
    return (
        report.group_by("currency")
        .agg(
            pl.len().alias("accounts"), *(pl.col(c).sum() for c in [*BUCKETS, "credit", "balance"])
        )
        .sort("currency")
    )


def payments_report(session: Session, start: date, end: date) -> pl.DataFrame:
    """Payments booked from ``start`` to ``end`` (inclusive), one row each."""
    names = _accounts(session)
    rows = [
        [
            payment_id, booked_on, Decimal(amount), currency, symbol, payer, payer_name,
            status, rule, names[account_id][0] if account_id else None, note,
        ]
        for payment_id, booked_on, amount, currency, symbol, payer, payer_name, status, rule,
        account_id, note in session.execute(
            select(
                PaymentRow.id, PaymentRow.booked_on, PaymentRow.amount, PaymentRow.currency,
                PaymentRow.variable_symbol, PaymentRow.counterparty_account,
                PaymentRow.counterparty_name, PaymentRow.status, PaymentRow.match_rule,
                PaymentRow.account_id, PaymentRow.match_note,
            )
            .where(PaymentRow.booked_on >= start, PaymentRow.booked_on <= end)
            .order_by(PaymentRow.booked_on, PaymentRow.id)
        )
    ]  # fmt: skip
    return pl.DataFrame(
        rows,
        schema={
            "payment": pl.Int64, "booked_on": pl.Date, "amount": AMOUNT, "currency": pl.String,
            "variable_symbol": pl.String, "payer_account": pl.String, "payer": pl.String,
            "status": pl.String, "rule": pl.String, "account": pl.String, "note": pl.String,
        },
        orient="row",
    )  # fmt: skip


def payments_summary(report: pl.DataFrame) -> pl.DataFrame:
    """Payments per currency, status and matching rule: how many and how much."""
    return (
        report.group_by("currency", "status", "rule")
        .agg(pl.len().alias("payments"), pl.col("amount").sum())
        .sort("currency", "status", "rule")
    )


def unmatched_report(session: Session) -> pl.DataFrame:
    """The queue: payments no rule could place, oldest first."""
    rows = session.execute(
        select(
            PaymentRow.id, PaymentRow.booked_on, PaymentRow.amount, PaymentRow.currency,
            PaymentRow.variable_symbol, PaymentRow.counterparty_account,
            PaymentRow.counterparty_name, PaymentRow.message, PaymentRow.match_note,
        )
        .where(PaymentRow.status == PaymentStatus.UNMATCHED.value)
        .order_by(PaymentRow.booked_on, PaymentRow.id)
    ).all()  # fmt: skip
    return pl.DataFrame(
        [[*row[:2], Decimal(row[2]), *row[3:]] for row in rows],
        schema={
            "payment": pl.Int64, "booked_on": pl.Date, "amount": AMOUNT, "currency": pl.String,
            "variable_symbol": pl.String, "payer_account": pl.String, "payer": pl.String,
            "message": pl.String, "why": pl.String,
        },
        orient="row",
    )  # fmt: skip


def queue_size(session: Session) -> tuple[int, Decimal]:
    """How many payments wait in the queue, and how much money."""
    count, total = session.execute(
        select(func.count(), func.coalesce(func.sum(PaymentRow.amount), 0)).where(
            PaymentRow.status == PaymentStatus.UNMATCHED.value
        )
    ).one()
    return int(count), Decimal(total)


def queue_view(report: pl.DataFrame, limit: int) -> pl.DataFrame:
    """The queue's columns that fit a terminal (the CSV has them all)."""
    return report.head(limit).select(
        "payment", "booked_on", "amount", "variable_symbol", "payer", "message"
    )
