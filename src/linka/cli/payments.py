"""``linka payments``: import bank statements, the unmatched queue, matching by hand, ledgers."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import typer
from rich.table import Table

from linka.cli import runtime
from linka.cli import sepa as sepa_cli
from linka.cli.runtime import console, frame_table, open_database, user_errors
from linka.payments.reports import queue_size, queue_view, unmatched_report
from linka.payments.services import account_ledger, match_manually
from linka.payments.statement_import import StatementImport, import_statement_file
from linka.payments.statements import StatementFormat

app = typer.Typer(
    help="Payments: bank statements, matching, the customer ledger, SEPA.", no_args_is_help=True
)


def money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


@app.command("import")
@user_errors
def import_command(
    files: list[Path] = typer.Argument(..., help="Statement files.", exists=True, dir_okay=False),
    format: StatementFormat = typer.Option(..., "--format", "-f", help="The files' format."),
) -> None:
    """Book bank statements: each statement and each entry once, matched to invoices.

    A file is all or nothing: one that is corrupt or does not add up is refused with the
    record and field at fault, and nothing of it is booked.
    """
    config = runtime.settings()
    results: list[StatementImport] = []
    with open_database() as database:
        for path in files:
            with database.session() as session:
                results.append(
                    import_statement_file(
                        session, path, format, clock=runtime.clock(), settings=config
                    )
                )
        with database.session() as session:
            waiting, amount = queue_size(session)
    table = Table(title="Statements imported")
    for column in ("file", "statements", "read before", "entries", "booked before", "matched",
                   "unmatched", "returns", "other debits", "received", "credit kept"):  # fmt: skip
        table.add_column(column, justify="left" if column == "file" else "right")
    for r in results:
        p = r.payments
        received = ", ".join(f"{money(v)} {c}" for c, v in sorted(p.received.items()))
        table.add_row(
            r.file, str(r.statements), str(r.already), f"{p.read:,}", f"{p.already:,}",
            f"{p.matched:,}", f"{p.unmatched:,}", f"{r.returns_booked}/{r.returns}",
            f"{r.others:,}", received, money(p.credit),
        )  # fmt: skip
    console.print(table)
    rules: dict[str, int] = {}
    for r in results:
        for rule, count in r.payments.by_rule.items():
            rules[rule] = rules.get(rule, 0) + count
    if rules:
        console.print("matched by: " + ", ".join(f"{k} {v:,}" for k, v in sorted(rules.items())))
    top_ups = sum(r.payments.top_ups for r in results)
    restored = sum(len(r.restored) for r in results)
    if top_ups or restored:
        console.print(f"{top_ups:,} prepaid top-ups; {restored:,} lines restored from dunning")
    console.print(
        f"{waiting:,} payments ({money(amount)}) wait in the queue: linka payments unmatched"
    )


@app.command("unmatched")
@user_errors
def unmatched_command(
    csv: Path = typer.Option(None, "--csv", help="Also write the queue to this CSV file."),
    limit: int = typer.Option(50, min=1, help="Rows to show in the terminal."),
) -> None:
    """The queue: payments no rule could give to an account, oldest first."""
    with open_database() as database, database.session() as session:
        report = unmatched_report(session)
    console.print(frame_table(queue_view(report, limit), f"Unmatched payments ({report.height:,})"))
    if csv is not None:
        report.write_csv(csv)
        console.print(f"wrote {csv}")


@app.command("match")
@user_errors
def match_command(
    payment: str = typer.Argument(..., help="The payment: #id (see `unmatched`) or bank ref."),
    target: str = typer.Argument(..., help="An issued invoice number or a billing account."),
) -> None:
    """Give a waiting payment to an invoice or an account; what is left is credit."""
    with open_database() as database, database.session() as session:
        row, allocations, left = match_manually(
            session, payment, target, clock=runtime.clock(), actor=runtime.actor()
        )
        assert row.account_id is not None
        ledger = account_ledger(session, row.account_id)
    console.print(
        f"payment #{row.id} ({money(row.amount)} {row.currency}) → account "
        f"{ledger.account.number}: paid {len(allocations)} item(s), credit kept {money(left)}; "
        f"balance now {money(ledger.balance)} {row.currency}"
    )


@app.command("ledger")
@user_errors
def ledger_command(account: str = typer.Argument(..., help="Billing account number.")) -> None:
    """A billing account's ledger: every movement, the running balance and open items."""
    with open_database() as database, database.session() as session:
        ledger = account_ledger(session, account)
    table = Table(title=f"Ledger of {ledger.account.number} ({ledger.account.currency})")
    for column in ("booked", "kind", "description", "amount", "balance"):
        table.add_column(column, justify="right" if column in ("amount", "balance") else "left")
    running = Decimal(0)
    for entry in ledger.entries:
        running += entry.amount
        table.add_row(
            str(entry.booked_on), entry.kind, entry.description, money(entry.amount),
            money(running),
        )  # fmt: skip
    console.print(table)
    if ledger.open_items:
        items = Table(title="Open items")
        for column in ("item", "due", "open"):
            items.add_column(column, justify="right" if column == "open" else "left")
        for item in ledger.open_items:
            items.add_row(item.number, str(item.due_date), money(item.open))
        console.print(items)
    state = "owes" if ledger.balance > 0 else "is owed" if ledger.balance < 0 else "is settled:"
    console.print(
        f"balance: the customer {state} {money(abs(ledger.balance))} {ledger.account.currency}"
    )


sepa_cli.register(app)  # after the statement commands: they come first in --help
