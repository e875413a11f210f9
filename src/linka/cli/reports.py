"""``linka reports``: receivables ageing, payments received, the unmatched queue; CSV too."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import typer

from linka.cli import runtime
from linka.cli.runtime import console, frame_table, open_database, parse_day, user_errors
from linka.kernel.errors import LinkaError
from linka.payments.reports import (
    BUCKETS,
    aging_report,
    aging_totals,
    payments_report,
    payments_summary,
    queue_view,
    unmatched_report,
)

app = typer.Typer(help="Reports: ageing, payments, the unmatched queue.", no_args_is_help=True)


def _write(report: pl.DataFrame, csv: Path | None) -> None:
    if csv is not None:
        report.write_csv(csv)
        console.print(f"wrote {report.height:,} rows to {csv}")


@app.command("aging")
@user_errors
def aging(
    on: str = typer.Option(None, "--date", help="Age open items as of this day [today]."),
    top: int = typer.Option(20, min=0, help="Accounts with the most overdue to show."),
    csv: Path = typer.Option(None, "--csv", help="Write every account's row to this CSV."),
) -> None:
    """Open items by days overdue (not due, 1–30, 31–60, 61–90, over 90), per account."""
    day = parse_day(on, "--date") or runtime.clock().now().date()
    with open_database() as database, database.session() as session:
        report = aging_report(session, day)
    overdue = report.with_columns(
        (pl.col("balance") - pl.col("not due") + pl.col("credit")).alias("overdue")
    )
    worst = overdue.filter(pl.col("overdue") > 0).sort("overdue", descending=True).head(top)
    if top:
        shown = worst.select("account", "name", *BUCKETS[1:], "balance")
        console.print(frame_table(shown, f"Most overdue accounts on {day}"))
    console.print(frame_table(aging_totals(report), f"Receivables ageing on {day}"))
    _write(report, csv)


def _period(text: str) -> tuple[date, date]:
    """YYYY-MM (a month) or YYYY-MM-DD..YYYY-MM-DD."""
    try:
        if ".." in text:
            first, last = text.split("..", 1)
            return date.fromisoformat(first), date.fromisoformat(last)
        year, month = (int(part) for part in text.split("-"))
        start = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        return start, date.fromordinal(following.toordinal() - 1)
    except ValueError:
        raise LinkaError(f"--period {text!r}: expected YYYY-MM or YYYY-MM-DD..YYYY-MM-DD") from None


@app.command("payments")
@user_errors
def payments(
    period: str = typer.Option(..., "--period", help="YYYY-MM or YYYY-MM-DD..YYYY-MM-DD."),
    csv: Path = typer.Option(None, "--csv", help="Write every payment to this CSV."),
) -> None:
    """Payments booked in a period: per currency, status and matching rule."""
    start, end = _period(period)
    with open_database() as database, database.session() as session:
        report = payments_report(session, start, end)
    console.print(frame_table(payments_summary(report), f"Payments {start} – {end}"))
    _write(report, csv)


@app.command("unmatched")
@user_errors
def unmatched(
    csv: Path = typer.Option(None, "--csv", help="Write the queue to this CSV."),
    limit: int = typer.Option(50, min=1, help="Rows to show in the terminal."),
) -> None:
    """Payments waiting for a person (match them with `linka payments match`)."""
    with open_database() as database, database.session() as session:
        report = unmatched_report(session)
    console.print(frame_table(queue_view(report, limit), f"Unmatched payments ({report.height:,})"))
    _write(report, csv)
