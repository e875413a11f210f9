"""``linka bill``: the bill run, and the discounts, adjustments and charges it bills."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

import typer
from rich.table import Table

from linka.billing import services
from linka.billing.runs import BillRunResult, run_bill_run
from linka.cli import runtime
from linka.cli.runtime import console, fail, open_database, parse_day, phase_progress, user_errors
from linka.kernel.clock import local_today
from linka.kernel.errors import LinkaError
from linka.usage.store import UsageStore

app = typer.Typer(help="Bill runs, discounts, adjustments and one-time charges.")


def parse_amount(text: str, option: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise LinkaError(f"{option} {text!r}: expected a number such as 123.45") from None


@app.command("run")
@user_errors
def run(
    on: str = typer.Option(None, "--date", help="Run date YYYY-MM-DD (default: today)."),
    since: str = typer.Option(
        None, help="Bill nothing from before this date (go-live). Default: 2000-01-01."
    ),
    accounts: str = typer.Option(None, help="Only these account numbers (comma-separated)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Compute and report, store nothing."),
    issue: bool = typer.Option(False, "--issue", help="Issue (number) invoices at once."),
) -> None:
    """Invoice everything due by the run date that earlier invoices do not hold yet.

    Safe to run again: it reconciles what is due with what was invoiced.
    """
    settings = runtime.settings()
    run_date = parse_day(on, "--date") or local_today(runtime.clock(), settings.timezone)
    numbers = [n.strip() for n in accounts.split(",")] if accounts else None
    with (
        open_database() as database,
        phase_progress() as progress,
    ):
        result = run_bill_run(
            database,
            UsageStore.in_data_dir(settings.data_dir),
            run_date,
            since=parse_day(since, "--since") or date(2000, 1, 1),
            clock=runtime.clock(),
            settings=settings,
            accounts=numbers,
            dry_run=dry_run,
            issue=issue,
            progress=progress,
        )
    print_result(result)
    if result.problems:
        raise fail(f"{len(result.problems)} accounts were not billed (listed above)")


def print_result(result: BillRunResult) -> None:
    title = "Bill run (dry run, nothing stored)" if result.dry_run else f"Bill run {result.run_id}"
    console.print(
        f"[bold]{title}[/] on {result.run_date}: {result.accounts:,} accounts, "
        f"{result.invoices:,} invoices"
        + (f", {result.issued:,} issued" if result.issued else "")
        + f" in {result.seconds:.1f} s",
        highlight=False,
    )
    table = Table(title="Totals per currency and VAT rate")
    for column in ("currency", "VAT rate", "base", "VAT"):
        table.add_column(column, justify="right")
    for (currency, rate), (base, vat) in result.totals.items():
        table.add_row(currency, f"{rate.normalize():f} %", f"{base:,.2f}", f"{vat:,.2f}")
    for currency, due in result.amount_due.items():
        table.add_row(currency, "amount due", "", f"{due:,.2f}", style="bold")
    console.print(table)
    if result.problems:
        problems = Table(title="Accounts not billed")
        problems.add_column("account")
        problems.add_column("reason", overflow="fold")
        for problem in result.problems:
            problems.add_row(problem.account, problem.reason)
        console.print(problems)


@app.command("discount")
@user_errors
def discount(
    account: str = typer.Option(..., help="Billing account number."),
    percent: str = typer.Option(None, help="Percent of the recurring fees, e.g. 10."),
    amount: str = typer.Option(None, help="Fixed amount per bill period, net of VAT."),
    valid_from: str = typer.Option(..., "--from", help="First day YYYY-MM-DD."),
    valid_to: str = typer.Option(None, "--to", help="Day it ends (exclusive) YYYY-MM-DD."),
    description: str = typer.Option(..., help="Text on the invoice."),
    line: str = typer.Option(None, help="Only this line (MSISDN)."),
    offering: str = typer.Option(None, help="Only fees of this offering."),
) -> None:
    """Record a discount; bill runs apply it to every bill period it is valid in."""
    with open_database() as database, database.session() as session:
        row = services.add_discount(
            session, account,
            percent=parse_amount(percent, "--percent") if percent else None,
            amount=parse_amount(amount, "--amount") if amount else None,
            valid_from=parse_day(valid_from, "--from") or local_today(runtime.clock(), "UTC"),
            valid_to=parse_day(valid_to, "--to"), description=description,
            clock=runtime.clock(), actor=runtime.actor(), line_msisdn=line, offering_id=offering,
        )  # fmt: skip
        console.print(f"discount {row.id} recorded on account {account}")


@app.command("adjust")
@user_errors
def adjust(
    account: str = typer.Option(..., help="Billing account number."),
    amount: str = typer.Option(..., help="Net amount: negative credits, positive debits."),
    description: str = typer.Option(..., help="Text on the invoice."),
    reason: str = typer.Option(..., help="Why (kept for audit)."),
    approved_by: str = typer.Option(..., help="Who approved it."),
    vat: str = typer.Option("standard", help="VAT rate code of the catalog."),
    line: str = typer.Option(None, help="The line it concerns (MSISDN)."),
    on: str = typer.Option(None, "--date", help="Effective date (default today)."),
) -> None:
    """Record a manual credit or debit; the next bill run invoices it."""
    settings = runtime.settings()
    with open_database() as database, database.session() as session:
        row = services.add_adjustment(
            session, account, amount=parse_amount(amount, "--amount"), vat_code=vat,
            description=description, reason=reason, approved_by=approved_by,
            effective_on=parse_day(on, "--date") or local_today(runtime.clock(), settings.timezone),
            clock=runtime.clock(), line_msisdn=line,
        )  # fmt: skip
        console.print(f"adjustment {row.id} of {row.amount} recorded on account {account}")


@app.command("charge")
@user_errors
def charge(
    line: str = typer.Option(..., help="The line (MSISDN)."),
    fee: str = typer.Option(..., help="One-time fee id of its offering, e.g. sim-swap."),
    on: str = typer.Option(None, "--date", help="When it happened (default today)."),
) -> None:
    """Record a one-time fee of the line's offering (SIM swap …); the next bill run bills it."""
    settings = runtime.settings()
    with open_database() as database, database.session() as session:
        row = services.add_one_time_charge(
            session, line, fee,
            occurred_on=parse_day(on, "--date") or local_today(runtime.clock(), settings.timezone),
            clock=runtime.clock(), source=f"cli {runtime.actor().name}",
        )  # fmt: skip
        console.print(f"charge {row.id}: {row.fee_id} {row.amount} on line {line}")
