"""``linka dunning``: run the collections ladder, promises to pay, exemptions."""

from __future__ import annotations

from collections.abc import Sized
from datetime import date
from decimal import Decimal, InvalidOperation

import typer
from rich.table import Table

from linka.cli import runtime
from linka.cli.runtime import console, open_database, parse_day, user_errors
from linka.customers.services import get_account
from linka.kernel.clock import local_today
from linka.kernel.errors import LinkaError
from linka.payments.dunning.episodes import load_accounts, open_episodes, steps_of
from linka.payments.dunning.holds import add_exemption, add_promise, end_exemptions, list_holds
from linka.payments.dunning.ladder import load_ladder
from linka.payments.dunning.run import DunningReport, run_dunning

app = typer.Typer(help="Dunning: reminders, fees, suspension, restore.", no_args_is_help=True)


def _today() -> date:
    return local_today(runtime.clock(), runtime.settings().timezone)


def _day(text: str | None, option: str) -> date:
    return parse_day(text, option) or _today()


@app.command("run")
@user_errors
def run_command(
    on: str = typer.Option(None, "--date", help="The day to dun for (YYYY-MM-DD). Default: today."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Decide and report; change nothing."),
) -> None:
    """Take every ladder step due on the day; restore the lines of accounts that paid.

    Running the same day again takes nothing new.
    """
    day = _day(on, "--date")
    settings = runtime.settings()
    ladder = load_ladder(settings.dunning_ladder)
    with open_database() as database, database.session() as session:
        report = run_dunning(
            session, day, runtime.clock(), runtime.actor(), dry_run=dry_run, ladder=ladder,
            settings=settings,
        )  # fmt: skip
    _print_report(report)


def _count(items: Sized, noun: str) -> str:
    return f"{len(items)} {noun}" + ("" if len(items) == 1 else "s")


def _print_report(report: DunningReport) -> None:
    title = f"Dunning {report.on}" + (" — dry run, nothing changed" if report.dry_run else "")
    table = Table(title=title)
    for column in ("account", "step", "action", "day", "overdue", "fee", "lines", "messages"):
        numeric = column in ("day", "overdue", "fee", "messages")
        table.add_column(column, justify="right" if numeric else "left", overflow="fold")
    for action in report.actions:
        table.add_row(
            action.account,
            action.step,
            action.action,
            str(action.days_overdue),
            f"{action.overdue:,.2f} {action.currency}",
            "" if action.fee is None else f"{action.fee:,.2f} {action.currency}",
            ", ".join(action.lines),
            str(action.messages),
        )
    for line in report.restored:
        table.add_row(
            line.account, "", "restore", "", "", "", f"{line.msisdn} → {line.to_status}", ""
        )
    console.print(table)
    fees = ", ".join(f"{amount:,.2f} {currency}" for currency, amount in report.fees.items())
    overdue = ", ".join(f"{amount:,.2f} {currency}" for currency, amount in report.overdue.items())
    verb = "would take" if report.dry_run else "took"
    console.print(
        f"{verb} {_count(report.actions, 'step')} ({overdue or 'nothing'} overdue; fees "
        f"{fees or 'none'}); {_count(report.cleared, 'account')} cleared, "
        f"{_count(report.restored, 'line')} restored; accounts waiting for their next step "
        f"{len(report.waiting)}, held {len(report.held)}, with collections {len(report.done)}",
        highlight=False,
    )
    for account, reason in report.held:
        console.print(f"  held {account}: {reason}", highlight=False)
    for problem in report.problems:
        console.print(f"  [yellow]problem:[/] {problem}", highlight=False)


@app.command("promise")
@user_errors
def promise_command(
    account: str = typer.Argument(..., help="Billing account number."),
    until: str = typer.Option(..., "--until", help="The day the customer promises to pay by."),
    amount: str = typer.Option(None, "--amount", help="The amount promised (optional)."),
    note: str = typer.Option("", "--note", help="What was agreed, for the timeline."),
) -> None:
    """Record a promise to pay: the ladder holds for the account until that day."""
    pay_by = _day(until, "--until")
    promised = _amount(amount)
    with open_database() as database, database.session() as session:
        row = add_promise(
            session, account, pay_by, clock=runtime.clock(), actor=runtime.actor(),
            amount=promised, note=note,
        )  # fmt: skip
        console.print(f"promise #{row.id}: account {account} pays by {pay_by}; dunning holds")


def _amount(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text.replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise LinkaError(f"--amount {text!r}: expected a number such as 646.00") from None


@app.command("exempt")
@user_errors
def exempt_command(
    account: str = typer.Argument(..., help="Billing account number."),
    reason: str = typer.Option(None, "--reason", help="Why the account is not dunned."),
    until: str = typer.Option(None, "--until", help="Last day of the exemption. Default: open."),
    end: bool = typer.Option(False, "--end", help="End the account's exemptions today instead."),
) -> None:
    """Exempt an account from dunning (from today), or end its exemption with --end."""
    with open_database() as database, database.session() as session:
        if end:
            ended = end_exemptions(session, account, clock=runtime.clock(), actor=runtime.actor())
            console.print(f"account {account}: {ended} exemption(s) ended; dunning applies again")
            return
        if not reason:
            raise LinkaError("--reason is required to exempt an account")
        last = parse_day(until, "--until")
        row = add_exemption(
            session, account, reason, clock=runtime.clock(), actor=runtime.actor(), until=last
        )
        console.print(
            f"account {account} exempted from dunning from {row.valid_from}"
            + (f" until {last}" if last else "")
        )


@app.command("status")
@user_errors
def status_command(
    account: str = typer.Argument(None, help="A billing account: its whole dunning history."),
) -> None:
    """Accounts in an open dunning episode, or one account's episodes, promises, exemptions."""
    today = _today()
    with open_database() as database, database.session() as session:
        if account is None:
            episodes = open_episodes(session)
            facts = load_accounts(session, list(episodes))
            table = Table(title=f"Open dunning episodes ({today})")
            for column in ("account", "since", "days", "steps taken", "last step", "on"):
                table.add_column(column, justify="right" if column == "days" else "left")
            for account_id, state in sorted(episodes.items(), key=lambda e: facts[e[0]].number):
                last = state.steps[-1] if state.steps else None
                table.add_row(
                    facts[account_id].number,
                    str(state.start),
                    str((today - state.start).days),
                    ", ".join(step.step for step in state.steps),
                    last.action if last else "",
                    str(last.taken_on) if last else "",
                )
            console.print(table)
            holds = list_holds(session, today)
        else:
            row = get_account(session, account)
            table = Table(title=f"Dunning of account {row.number}")
            columns = ("episode", "step", "action", "taken", "overdue", "fee entry", "restored")
            for column in columns:
                table.add_column(column, justify="right" if column == "overdue" else "left")
            for step in steps_of(session, [row.id]):
                table.add_row(
                    str(step.episode_start),
                    step.step,
                    step.action,
                    str(step.taken_on),
                    f"{step.overdue_amount:,.2f} {row.currency}",
                    "" if step.fee_entry_id is None else f"#{step.fee_entry_id}",
                    "" if step.restored_on is None else str(step.restored_on),
                )
            console.print(table)
            holds = list_holds(session, today, row.number)
    for hold in holds:
        until = f" until {hold.valid_until}" if hold.valid_until else ""
        amount = f" {hold.amount:,.2f}" if hold.amount is not None else ""
        console.print(
            f"{hold.kind} {hold.account}{amount}: from {hold.valid_from}{until}"
            f" — {hold.text or '(no note)'} [{hold.created_by}]",
            highlight=False,
        )


@app.command("ladder")
@user_errors
def ladder_command() -> None:
    """Print the dunning ladder of each customer segment (LINKA_DUNNING_LADDER or default)."""
    settings = runtime.settings()
    ladder = load_ladder(settings.dunning_ladder)
    source = settings.dunning_ladder or "the packaged default"
    for segment, steps in ladder.by_segment().items():
        minimum = ", ".join(f"{amount} {code}" for code, amount in steps.min_amount.items())
        table = Table(title=f"{segment} (dunned from {minimum} overdue)")
        for column in ("day", "step", "action", "notify", "fee", "lines"):
            table.add_column(column, justify="right" if column == "day" else "left")
        for step in steps.steps:
            table.add_row(
                f"+{step.day}",
                step.id,
                step.action.value,
                ", ".join(channel.value for channel in step.notify),
                ", ".join(f"{amount} {code}" for code, amount in (step.fee or {}).items()),
                step.lines.value,
            )
        restore = ", ".join(channel.value for channel in steps.restore_notify)
        table.caption = f"restored lines are announced by {restore or 'nothing'}"
        console.print(table)
    console.print(f"ladder: {source}", highlight=False)
