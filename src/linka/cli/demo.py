"""``linka demo``: build the demo operator (a Czech MVNO) in the configured data directory.

Zero setup: with no ``LINKA_*`` variables the data directory is ``./var`` and the
database a SQLite file in it. The build is deterministic for a seed; it ends with a
summary and the database's content digest (``linka db digest`` prints the same).
"""

from __future__ import annotations

from decimal import Decimal

import typer
from rich.table import Table
from sqlalchemy.engine import make_url

from linka.cli.billing import print_result
from linka.cli.runtime import console, open_database, phase_progress, settings, user_errors
from linka.demo.month import MonthSummary
from linka.demo.operator import DEMO_NOW, build_demo, embedded_database, reset_demo
from linka.demo.payments import PaymentsSummary
from linka.demo.summary import DemoSummary

SEED = typer.Option(1, "--seed", help="Seed of every random choice: same seed, same content.")
CUSTOMERS = typer.Option(
    1000, "--customers", min=0, help="Customers to generate (~1.3 lines each)."
)
RESET = typer.Option(
    False,
    "--reset",
    help="First delete what an earlier run made: the data directory's database (another "
    "configured database is emptied, after confirmation) and its catalog and usage folders.",
)
YES = typer.Option(False, "--yes", "-y", help="Do not ask before emptying a non-embedded database.")
RECORDS = typer.Option(
    1_000_000, "--records", min=0, help="Usage records of the demo month (March 2026)."
)
DOCUMENTS = typer.Option(
    True, "--documents/--no-documents", help="Write the PDF and ISDOC files of the invoices."
)
STATUSES = ("active", "pending", "suspended", "barred", "terminated")


@user_errors
def demo(
    seed: int = SEED,
    customers: int = CUSTOMERS,
    records: int = RECORDS,
    reset: bool = RESET,
    yes: bool = YES,
    documents: bool = DOCUMENTS,
) -> None:
    """Build a realistic Czech MVNO and run its first month end to end.

    Catalog with a 5,000-prefix rate deck, customers and lines; then March 2026's usage
    files from the host network and the VoIP switch, imported and rated; then the bill run
    of 1 April 2026, which issues every account's invoice, and their PDF and ISDOC files.

    The demo builds on an empty database only; run it again with --reset to start over.
    """
    config = settings()
    data_dir = config.data_dir
    url = config.resolved_database_url
    if reset:
        if embedded_database(url, data_dir) is None and not yes:
            typer.confirm(
                f"--reset empties every linka table of {_shown(url)}, which is not the data "
                "directory's own database. Continue?",
                abort=True,
            )
        for step in reset_demo(url, data_dir):
            console.print(f"reset: {step}", highlight=False)
    with phase_progress() as progress, open_database() as database:
        summary = build_demo(
            database, data_dir, seed=seed, customers=customers, records=records,
            documents=documents, progress=progress,
        )  # fmt: skip
    print_summary(summary)


def print_summary(summary: DemoSummary) -> None:
    """The catalog, the customers, the lines per offering and status, and where it all is."""
    catalog = summary.catalog
    console.print(
        f"[bold]Demo operator built[/] (seed {summary.seed}, demo date {summary.today}, "
        f"clock at {DEMO_NOW:%Y-%m-%d %H:%M} UTC)",
        highlight=False,
    )
    table = Table(title=f"Catalog {catalog.catalog_id} {catalog.version}", show_header=False)
    table.add_column("")
    table.add_column("", justify="right")
    for label, value in (
        ("effective from", catalog.effective_from.isoformat()),
        ("offerings", f"{len(catalog.offerings)}"),
        ("tariffs", f"{catalog.tariffs}"),
        ("international deck prefixes", f"{catalog.deck_prefixes:,}"),
        ("explicit rate rows", f"{catalog.rate_rows:,}"),
    ):
        table.add_row(label, value)
    console.print(table)

    figures = summary.customers
    table = Table(title="Customers and accounts")
    table.add_column("")
    table.add_column("count", justify="right")
    rows = [("customers", figures.customers)]
    rows += [(f"  {kind}s", count) for kind, count in figures.by_kind.items()]
    rows += [(f"  segment {name}", count) for name, count in figures.by_segment.items()]
    rows += [
        (f"  organisations, tax profile {profile}", count)
        for profile, count in figures.organisations_by_tax_profile.items()
    ]
    rows.append(("billing accounts", figures.accounts))
    rows += [(f"  {kind}", count) for kind, count in figures.accounts_by_payment_type.items()]
    rows += [(f"  paid by {m}", count) for m, count in figures.accounts_by_payment_method.items()]
    for label, count in rows:
        table.add_row(label, f"{count:,}")
    console.print(table)

    statuses = [s for s in STATUSES if s in figures.lines_by_status]
    table = Table(title="Lines per offering and status")
    for column in ("offering", "name", "monthly fee (CZK excl. VAT)", *statuses, "total"):
        table.add_column(column, justify="left" if column in ("offering", "name") else "right")
    for offering in catalog.offerings:
        table.add_row(
            offering.id,
            offering.name,
            _money(offering.monthly_fee),
            *(f"{offering.lines.get(s, 0):,}" for s in statuses),
            f"{offering.total:,}",
        )
    table.add_row(
        "all",
        "",
        "",
        *(f"{figures.lines_by_status[s]:,}" for s in statuses),
        f"{figures.lines:,}",
        style="bold",
    )
    console.print(table)

    if summary.month is not None:
        print_month(summary.month)
    if summary.bill is not None:
        print_result(summary.bill)
        console.print(
            "look at an invoice with `linka invoices show FA2026000001` and trace every line "
            "to its records and tariff rules with `linka invoices explain FA2026000001`",
            highlight=False,
        )
    if summary.documents is not None:
        exported = summary.documents
        written = ", ".join(f"{n:,} {kind}" for kind, n in exported.written.items())
        console.print(f"documents: {written} in {exported.seconds:.1f} s", highlight=False)
    if summary.payments is not None:
        print_payments(summary.payments)

    table = Table(title="Where the data lives", show_header=False)
    table.add_column("")
    table.add_column("")
    table.add_row("data directory", str(summary.data_dir))
    table.add_row("database", summary.database)
    table.add_row("catalog folder", str(summary.catalog_dir))
    if summary.documents is not None:
        table.add_row("invoice documents", str(summary.data_dir / "documents"))
    console.print(table)
    steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in summary.timings.items())
    console.print(f"built in {sum(summary.timings.values()):.1f} s: {steps}", highlight=False)
    console.print(f"content digest: [bold]{summary.digest}[/]", highlight=False)


def print_month(month: MonthSummary) -> None:
    """What the network delivered for March, what mediation made of it, what it costs."""
    table = Table(title="March 2026 usage: mediation", show_header=False)
    table.add_column("")
    table.add_column("", justify="right")
    for label, value in (
        ("files delivered (host network CSV, Asterisk Master.csv)", month.files),
        ("records in the files", month.total("read")),
        ("accepted into the usage store", month.total("accepted")),
        ("duplicates dropped", month.total("duplicates")),
        ("rejected (see `linka usage rejects`)", month.total("rejected")),
        ("waiting for their line", month.total("waiting")),
    ):
        table.add_row(label, f"{value:,}")
    console.print(table)
    rating = month.rating
    table = Table(title=f"Rating run {rating.run_id}: bill periods starting in March 2026")
    for column in ("status", "records", "amount (excl. VAT)", "currency"):
        table.add_column(column, justify="left" if column in ("status", "currency") else "right")
    for total in rating.totals:
        table.add_row(total.status, f"{total.records:,}", f"{total.amount:,.2f}", total.currency)
    console.print(table)
    kernel = rating.timings.get("rate_s", 0.0)
    console.print(
        f"rated {rating.records:,} records in {rating.timings.get('total_s', 0.0):.1f} s "
        f"(kernel {kernel:.2f} s); explain a line with "
        "`linka usage show --line +420… --period 2026-03`",
        highlight=False,
    )


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01')):,}"


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def print_payments(summary: PaymentsSummary) -> None:
    """How the customers paid, what the imports booked, and the ledger's sums."""
    table = Table(title="Payments: bank statements imported")
    for column in ("step", "file", "statements", "entries", "matched", "queued", "CZK"):
        table.add_column(column, justify="left" if column in ("step", "file") else "right")
    for step, results in (("1st", summary.first), ("again", summary.again),
                          ("late", summary.late)):  # fmt: skip
        for result in results:
            paid = result.payments
            received = sum(paid.received.values(), Decimal(0))
            table.add_row(
                step, result.file, f"{result.statements - result.already} new",
                f"{paid.read - paid.already:,}", f"{paid.matched:,}",
                f"{paid.unmatched:,}", f"{received:,.2f}",
            )  # fmt: skip
    console.print(table)
    collected = sum(len(f.collections) for f in summary.collections)
    amount = sum((f.total for f in summary.collections), Decimal(0))
    console.print(
        f"SEPA: {summary.mandates:,} mandates; {collected:,} direct debits ({amount:,.2f} CZK) "
        f"collected on the due date in {len(summary.collections)} pain.008 file(s)",
        highlight=False,
    )
    console.print(
        "customers: " + ", ".join(f"{n:,} {kind}" for kind, n in sorted(summary.behaviour.items())),
        highlight=False,
    )
    for report in summary.dunning:
        steps: dict[str, int] = {}
        for action in report.actions:
            steps[action.action] = steps.get(action.action, 0) + 1
        taken = ", ".join(f"{n:,} {kind}" for kind, n in sorted(steps.items())) or "nothing"
        fees = sum(report.fees.values(), Decimal(0))
        console.print(f"dunning on {report.on}: {taken}; fees {fees:,.2f} CZK", highlight=False)
    console.print(
        f"the late statement's payments restored {summary.restored} line(s) the day they "
        "were booked",
        highlight=False,
    )
    ledger = summary.ledger
    if ledger is not None:
        state = "balances" if ledger.balanced else "DOES NOT BALANCE"
        console.print(
            f"ledger: {ledger.entries:,} entries; invoiced {ledger.invoiced:,.2f}, received "
            f"{ledger.received:,.2f}, open {ledger.open:,.2f}, credit held {ledger.credit:,.2f} "
            f"CZK; sum of entries {ledger.balance:,.2f} = open − credit: {state}",
            highlight=False,
        )
    console.print(
        "see `linka reports aging`, `linka payments unmatched` and `linka dunning status`",
        highlight=False,
    )
