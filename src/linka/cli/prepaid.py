"""``linka prepaid``: prepaid credit of lines — top-ups, vouchers, usage deduction, expiry."""

from __future__ import annotations

import csv
import secrets
from decimal import Decimal, InvalidOperation
from pathlib import Path

import typer
from rich.table import Table

from linka.cli import runtime
from linka.cli.runtime import console, open_database, parse_day, user_errors
from linka.kernel.clock import local_today
from linka.kernel.errors import LinkaError
from linka.payments.prepaid.balances import Booking, balance, low_balance_lines, movements, top_up
from linka.payments.prepaid.codes import display_code
from linka.payments.prepaid.expiry import expire_credit
from linka.payments.prepaid.lines import PrepaidTerms, prepaid_line
from linka.payments.prepaid.notices import money_text
from linka.payments.prepaid.usage import deduct_usage
from linka.payments.prepaid.vouchers import create_vouchers, redeem_voucher
from linka.settings import Settings
from linka.usage.store import UsageStore

app = typer.Typer(help="Prepaid credit: top-ups, vouchers, balances.", no_args_is_help=True)
vouchers = typer.Typer(help="Top-up vouchers: issue a batch, redeem a code.", no_args_is_help=True)
app.add_typer(vouchers, name="vouchers")


def _terms(settings: Settings) -> PrepaidTerms:
    return PrepaidTerms(settings.prepaid_credit_validity_days, settings.prepaid_low_balance)


def _key(settings: Settings) -> bytes | None:
    secret = settings.prepaid_voucher_key
    return secret.get_secret_value().encode() if secret is not None else None


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise LinkaError(f"amount {text!r}: expected a number such as 200 or 99.50") from None


def _booked(what: str, booking: Booking, msisdn: str) -> None:
    entry = booking.entry
    if not booking.created:
        console.print(f"{what} {entry.source} was booked already on {entry.booked_on}: nothing new")
    expiry = f", usable until {entry.expires_on}" if entry.expires_on else ""
    console.print(
        f"{msisdn}: +{entry.amount:.2f} {entry.currency}{expiry}; "
        f"balance {booking.balance:.2f} {entry.currency}"
    )


@app.command("balance")
@user_errors
def balance_command(
    msisdn: str = typer.Argument(..., help="The line's number."),
    limit: int = typer.Option(20, min=1, help="How many movements (newest first)."),
) -> None:
    """A line's prepaid balance and its latest movements."""
    with open_database() as database, database.session() as session:
        line = prepaid_line(session, msisdn)
        current = balance(session, line.line_id)
        table = Table(title=f"{line.msisdn} (account {line.account_number})")
        for column in ("booked", "kind", "amount", "expires", "description", "source"):
            table.add_column(column, justify="right" if column == "amount" else "left")
        for entry in movements(session, line.line_id, limit=limit):
            table.add_row(
                entry.booked_on.isoformat(),
                entry.kind,
                f"{entry.amount:.2f}",
                entry.expires_on.isoformat() if entry.expires_on else "",
                entry.description,
                entry.source,
            )
    console.print(table)
    console.print(f"balance: {money_text(current, line)}")


@app.command("top-up")
@user_errors
def top_up_command(
    msisdn: str = typer.Argument(..., help="The line's number."),
    amount: str = typer.Argument(..., help="Amount with VAT, e.g. 200."),
    reference: str = typer.Option(
        None, help="The payment's id; the same reference again books nothing. Unset: a new one."
    ),
) -> None:
    """Add a paid top-up to a line's credit (and confirm it by SMS)."""
    settings = runtime.settings()
    reference = reference or f"cli-{secrets.token_hex(8)}"
    with open_database() as database, database.session() as session:
        booking = top_up(
            session,
            msisdn,
            _amount(amount),
            reference=reference,
            clock=runtime.clock(),
            actor=runtime.actor(),
            terms=_terms(settings),
        )
        _booked("top-up", booking, msisdn)


@vouchers.command("create")
@user_errors
def create_command(
    count: int = typer.Option(..., min=1, help="How many vouchers."),
    amount: str = typer.Option(..., help="Credit each voucher adds (with VAT)."),
    valid_until: str = typer.Option(..., help="Last day a voucher can be redeemed (YYYY-MM-DD)."),
    output: Path = typer.Option(None, help="Write serial,code,amount,currency,valid_until here."),
) -> None:
    """Issue vouchers; their codes are shown (or written) now and never again."""
    settings = runtime.settings()
    last_day = parse_day(valid_until, "--valid-until")
    assert last_day is not None  # a required option
    if output is not None and output.exists():
        raise LinkaError(f"{output} exists: codes are written to a new file only")
    with open_database() as database, database.session() as session:
        issued = create_vouchers(
            session,
            count,
            _amount(amount),
            last_day,
            currency=settings.currency,
            clock=runtime.clock(),
            key=_key(settings),
        )
        if output is not None:  # written inside the transaction: no file, no vouchers
            with output.open("x", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["serial", "code", "amount", "currency", "valid_until"])
                for v in issued:
                    writer.writerow(
                        [v.serial, display_code(v.code), v.amount, v.currency, v.valid_until]
                    )
    if output is not None:
        console.print(f"{len(issued)} vouchers written to {output}")
        return
    table = Table(title=f"{len(issued)} vouchers (codes are not stored: keep them now)")
    for column in ("serial", "code", "amount", "valid until"):
        table.add_column(column, justify="right" if column == "amount" else "left")
    for v in issued:
        table.add_row(
            v.serial, display_code(v.code), f"{v.amount:.2f} {v.currency}", str(v.valid_until)
        )
    console.print(table)


@vouchers.command("redeem")
@user_errors
def redeem_command(
    msisdn: str = typer.Argument(..., help="The line to top up."),
    code: str = typer.Argument(..., help="The voucher's code (spaces and dashes allowed)."),
) -> None:
    """Top up a line with a voucher (each voucher once)."""
    settings = runtime.settings()
    with open_database() as database, database.session() as session:
        booking = redeem_voucher(
            session,
            msisdn,
            code,
            clock=runtime.clock(),
            actor=runtime.actor(),
            terms=_terms(settings),
            key=_key(settings),
        )
        _booked("voucher", booking, msisdn)


@app.command("deduct")
@user_errors
def deduct_command(
    through: str = typer.Option(..., help="Last usage day to deduct (YYYY-MM-DD)."),
) -> None:
    """Deduct rated usage from prepaid lines, one entry per line and day (re-runnable)."""
    settings = runtime.settings()
    day = parse_day(through, "--through")
    assert day is not None  # a required option
    with open_database() as database, database.session() as session:
        result = deduct_usage(
            session,
            UsageStore.in_data_dir(settings.data_dir),
            day,
            clock=runtime.clock(),
            terms=_terms(settings),
        )
    console.print(
        f"usage through {result.through}: {result.entries} entries on {result.lines} lines, "
        f"{result.amount:.2f} {settings.currency}; {result.low_balance} low-balance notices"
    )


@app.command("expire")
@user_errors
def expire_command(
    date: str = typer.Option(None, "--date", help="Expire credit due by this day. Default: today."),
) -> None:
    """Take away what is left of credit past its validity (FIFO: oldest credit used first)."""
    settings = runtime.settings()
    clock = runtime.clock()
    day = parse_day(date, "--date") or local_today(clock, settings.timezone)
    with open_database() as database, database.session() as session:
        result = expire_credit(session, day, clock=clock, terms=_terms(settings))
    console.print(
        f"credit expired by {result.on}: {result.credits} credits on {result.lines} lines, "
        f"{result.amount:.2f} {settings.currency}; {result.low_balance} low-balance notices"
    )


@app.command("low")
@user_errors
def low_command(
    threshold: str = typer.Option(None, help="Default: LINKA_PREPAID_LOW_BALANCE."),
) -> None:
    """Prepaid lines whose balance is under the low-balance threshold, lowest first."""
    settings = runtime.settings()
    limit = _amount(threshold) if threshold is not None else settings.prepaid_low_balance
    with open_database() as database, database.session() as session:
        rows = low_balance_lines(session, limit)
    table = Table(title=f"Prepaid lines under {limit}")
    for column in ("msisdn", "account", "status", "balance"):
        table.add_column(column, justify="right" if column == "balance" else "left")
    for line, amount in rows:
        table.add_row(line.msisdn, line.account_number, line.status, f"{amount:.2f}")
    console.print(table)
