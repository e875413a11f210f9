"""``linka rate``: rate (or re-rate) the usage of a bill period."""

from __future__ import annotations

import typer
from rich.table import Table

from linka.cli import runtime
from linka.cli.runtime import console, open_database, user_errors
from linka.rating.services import rate_period
from linka.usage.store import UsageStore


@user_errors
def rate(
    period: str = typer.Option(..., help="YYYY-MM: rate bill periods starting that month."),
    rerate: bool = typer.Option(
        False, "--rerate", help="Re-rate after a catalog correction and record the differences."
    ),
) -> None:
    """Rate every record of the period's bill periods; safe to run again at any time."""
    settings = runtime.settings()
    with open_database() as database, database.session() as session:
        result = rate_period(
            session,
            UsageStore.in_data_dir(settings.data_dir),
            period,
            clock=runtime.clock(),
            operator_timezone=settings.timezone,
            rerate=rerate,
        )
    if result.up_to_date:
        console.print(
            f"{period} is up to date (run {result.run_id}, {result.records:,} records): "
            "no new usage, catalog or line changes since"
        )
        return
    table = Table(title=f"Rating run {result.run_id}: period {period}")
    for column in ("status", "records", "amount", "currency"):
        table.add_column(column, justify="right" if column in {"records", "amount"} else "left")
    for total in result.totals:
        table.add_row(total.status, f"{total.records:,}", f"{total.amount:,.4f}", total.currency)
    console.print(table)
    if result.changed_lines:
        changes = ", ".join(
            f"{amount:+,.4f} {cur}" for cur, amount in result.changed_amount.items()
        )
        console.print(
            f"{result.changed_lines:,} lines changed against the previous run: {changes} "
            "(recorded in rating_differences)"
        )
    total_s = result.timings.get("total_s", 0.0)
    rate_s = result.timings.get("rate_s", 0.0)
    console.print(
        f"{result.records:,} records in {total_s:.2f} s "
        f"(kernel {rate_s:.2f} s, {result.records / max(rate_s, 1e-9):,.0f} records/s)"
    )
