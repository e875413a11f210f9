"""Building the demo operator end to end: catalog, rate deck, customers and their lines.

:func:`build_demo` is what ``linka demo`` runs. It writes the demo catalog into
``<data_dir>/catalog`` (the packaged YAML plus a generated international deck of
:data:`DECK_PREFIXES` prefixes), validates and loads it, generates the customers
(:mod:`linka.demo.customers`) and onboards them through the ordinary bulk path, then
applies the suspensions customers asked for since. All database work is one unit of
work: a build that fails anywhere leaves the database as it was.

Determinism: the demo lives on a fixed date, :data:`DEMO_TODAY` (31 March 2026, the last
day of the first quarter the catalog is valid for), and every service gets a
:class:`~linka.kernel.clock.FakeClock` standing at :data:`DEMO_NOW` on that day, and the
actor :data:`DEMO_ACTOR`. Nothing reads the system clock, the environment's defaults or
the data directory's path into stored content, so the same seed on an empty database
gives the same content, which :func:`linka.store.digest.digest_database` proves.

After onboarding come March 2026's usage (imported and rated) and, with the clock moved to
:data:`BILL_NOW`, the bill run of 1 April that issues every account's first invoice; the
PDF and ISDOC documents of those invoices are written to ``<data_dir>/documents``; then
the customers pay (:mod:`linka.demo.payments`: bank statements in ``<data_dir>/statements``
imported twice, dunning, a late statement). The
supplier on them is the demo operator of the settings' defaults (environment variables are
not read), so the documents are the same bytes on every machine.

Re-running: the demo builds only on an empty database (no customers, no catalog) and
refuses otherwise with :class:`DemoExistsError`; :func:`reset_demo` empties what an
earlier run made (``linka demo --reset``).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from linka.billing.export import DocumentFormat, Selection, export_documents
from linka.billing.runs import run_bill_run
from linka.catalog.compile import compile_catalog
from linka.catalog.services import load_catalog
from linka.catalog.tables import CatalogVersionRow
from linka.catalog.version import CatalogVersion
from linka.customers.bulk import Progress
from linka.customers.model import AccountDefaults, Actor
from linka.customers.tables import CustomerRow
from linka.demo.customers import choose_suspensions, generate_customers
from linka.demo.deck import write_deck
from linka.demo.month import run_month
from linka.demo.payments import run_payments
from linka.demo.summary import DemoSummary, count_catalog, count_customers
from linka.kernel.clock import FakeClock
from linka.kernel.errors import LinkaError
from linka.settings import Settings
from linka.store.database import Database
from linka.store.digest import digest_database
from linka.store.registry import metadata
from linka.subscriptions.model import LineStatus
from linka.subscriptions.onboarding import onboard_customers
from linka.subscriptions.services import change_line_status
from linka.usage.store import UsageStore

DEMO_TODAY = date(2026, 3, 31)
DEMO_NOW = datetime(2026, 3, 31, 8, 0, tzinfo=UTC)  # 10:00 in Prague (summer time)
BILL_DATE = date(2026, 4, 1)  # the first bill run: March's usage, April's fees in advance
BILL_SINCE = date(2026, 3, 1)
BILL_NOW = datetime(2026, 4, 1, 5, 0, tzinfo=UTC)  # 7:00 in Prague
DOCUMENT_FORMATS = (DocumentFormat.PDF, DocumentFormat.ISDOC)
DEMO_ACTOR = Actor("linka demo", "demo")
DECK_PREFIXES = 5_000
CATALOG_FOLDER = "catalog"
DECK_FILE = "decks/international.csv"
OWNED_FOLDERS = (
    "catalog",
    "usage",
    "cdr",
    "documents",
    "statements",
)  # what the demo writes in data_dir
PACKAGED_CATALOG = Path(__file__).with_name("catalog")


class DemoExistsError(LinkaError):
    """The database already holds data: the demo builds only on an empty one."""


def demo_clock() -> FakeClock:
    """The demo's clock: standing at :data:`DEMO_NOW` until a later step moves it."""
    return FakeClock(DEMO_NOW)


def build_demo(
    database: Database,
    data_dir: Path,
    *,
    seed: int = 1,
    customers: int = 1000,
    records: int = 1_000_000,
    bill: bool = True,
    documents: bool = True,
    progress: Progress | None = None,
) -> DemoSummary:
    """Build the demo operator into ``database`` (empty) and ``data_dir``; return what it holds.

    ``bill=False`` stops after rating; ``documents=False`` bills without writing files.
    Raises :class:`DemoExistsError` when the database already has customers or a catalog.
    """
    report = progress or _quiet
    timings: dict[str, float] = {}
    with database.session() as session:
        check_empty(session)
    clock = demo_clock()

    with _timed(timings, "catalog files and validation"):
        report("writing the catalog", 0, 1)
        catalog_dir = write_demo_catalog(data_dir, seed)
        catalog = compile_catalog(catalog_dir)
        report("writing the catalog", 1, 1)
    with _timed(timings, "customer generation"):
        rows = generate_customers(customers, seed, DEMO_TODAY, progress=report)
        suspensions = choose_suspensions(rows, seed, DEMO_TODAY)
    with database.session() as session:
        check_empty(session)
        with _timed(timings, "catalog load"):
            report("loading the catalog", 0, 1)
            load_catalog(session, catalog, source=str(catalog_dir), clock=clock)
            report("loading the catalog", 1, 1)
        with _timed(timings, "onboarding"):
            onboard_customers(
                session,
                rows,
                clock=clock,
                actor=DEMO_ACTOR,
                source=f"linka demo --seed {seed}",
                defaults=AccountDefaults(),  # every field is given: settings do not matter
                progress=report,
            )
        with _timed(timings, "suspensions"):
            for done, suspension in enumerate(suspensions, start=1):
                change_line_status(
                    session,
                    suspension.msisdn,
                    LineStatus.SUSPENDED,
                    reason=suspension.reason,
                    clock=clock,
                    actor=DEMO_ACTOR,
                    effective_on=suspension.effective_on,
                )
                report("suspending lines", done, len(suspensions))
        committing = time.perf_counter()
    timings["commit"] = round(time.perf_counter() - committing, 3)
    with _timed(timings, "usage month"):
        month = run_month(
            database,
            data_dir,
            _international_prefixes(catalog),
            clock=clock,
            seed=seed,
            records=records,
            timezone=catalog.manifest.timezone,
            progress=report,
        )
    billed = exported = paid = None
    if bill:
        store = UsageStore.in_data_dir(data_dir)
        config = Settings.model_construct()  # the demo operator, whatever the environment says
        with _timed(timings, "bill run"):
            clock.set(BILL_NOW)
            billed = run_bill_run(
                database, store, BILL_DATE, since=BILL_SINCE, clock=clock, settings=config,
                issue=True, progress=report,
            )  # fmt: skip
        if documents:
            with _timed(timings, "documents"):
                exported = export_documents(
                    database, store, data_dir / "documents", DOCUMENT_FORMATS,
                    Selection(run_id=billed.run_id), config, progress=report,
                )  # fmt: skip
        with _timed(timings, "payments"):
            report("bank statements", 0, 1)
            paid = run_payments(
                database, data_dir, clock=clock, seed=seed, settings=config, actor=DEMO_ACTOR
            )
            report("bank statements", 1, 1)
    with database.session() as session:
        with _timed(timings, "digest"):
            report("computing the digest", 0, 1)
            digest = digest_database(session)
            report("computing the digest", 1, 1)
        catalog_figures = count_catalog(session, DEMO_TODAY)
        customer_figures = count_customers(session)
    return DemoSummary(
        seed=seed,
        today=DEMO_TODAY,
        data_dir=data_dir,
        catalog_dir=catalog_dir,
        database=database.url.render_as_string(hide_password=True),
        catalog=catalog_figures,
        customers=customer_figures,
        digest=digest.sha256,
        timings=timings,
        month=month,
        bill=billed,
        documents=exported,
        payments=paid,
    )


def _international_prefixes(catalog: CatalogVersion) -> list[str]:
    """The deck's prefixes, shortest first: country codes get most of the calls."""
    prefixes = catalog.decks[DECK_FILE]["prefix"].unique().to_list()
    return sorted(prefixes, key=lambda prefix: (len(prefix), prefix))


def check_empty(session: Session) -> None:
    """Refuse to build over existing data (numbers and ids would differ from a clean run)."""
    customers = session.scalar(select(func.count()).select_from(CustomerRow)) or 0
    versions = session.scalar(select(func.count()).select_from(CatalogVersionRow)) or 0
    if customers or versions:
        raise DemoExistsError(
            f"the database already holds {customers:,} customers and {versions:,} catalog "
            "version(s): the demo is built on an empty database. Run `linka demo --reset` to "
            "delete what the last run made and build again, or point LINKA_DATA_DIR at "
            "another directory"
        )


def write_demo_catalog(data_dir: Path, seed: int, prefixes: int = DECK_PREFIXES) -> Path:
    """Copy the packaged demo catalog into ``<data_dir>/catalog`` and generate its deck.

    The folder is replaced as a whole: it belongs to the demo, and the deck depends on the
    seed. Returns the folder.
    """
    target = data_dir / CATALOG_FOLDER
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(PACKAGED_CATALOG, target, ignore=shutil.ignore_patterns("__pycache__"))
    write_deck(target / DECK_FILE, prefixes, seed=seed)
    return target


def embedded_database(database_url: str, data_dir: Path) -> Path | None:
    """The SQLite file of ``database_url`` when it lies inside ``data_dir``, else ``None``."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database).resolve()
    return path if path.is_relative_to(data_dir.resolve()) else None


def reset_demo(database_url: str, data_dir: Path) -> list[str]:
    """Delete what a demo run made: the database and the demo's folders of ``data_dir``.

    A SQLite file inside the data directory (the embedded default) is deleted with its
    journal files; any other database is emptied table by table with its id sequences
    restarted. Returns what was done, for the user.
    """
    done = []
    embedded = embedded_database(database_url, data_dir)
    if embedded is not None:
        for path in (embedded, *(Path(f"{embedded}{end}") for end in ("-wal", "-shm", "-journal"))):
            if path.exists():
                path.unlink()
                done.append(f"deleted {path}")
    else:
        database = Database(database_url)
        try:
            database.upgrade()
            empty_database(database)
        finally:
            database.dispose()
        done.append(f"emptied {make_url(database_url).render_as_string(hide_password=True)}")
    for name in OWNED_FOLDERS:
        folder = data_dir / name
        if folder.exists():
            shutil.rmtree(folder)
            done.append(f"deleted {folder}")
    return done


def empty_database(database: Database) -> None:
    """Every linka table emptied and ids restarted, as in a new database."""
    tables = metadata.sorted_tables
    if database.dialect == "postgresql":
        with database.engine.begin() as connection:
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    # SQLite: issued invoices refuse DELETE (a trigger), so start from an empty schema
    with database.engine.begin() as connection:
        metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    database.upgrade()


@contextmanager
def _timed(timings: dict[str, float], step: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[step] = round(time.perf_counter() - started, 3)


def _quiet(phase: str, done: int, total: int) -> None:
    """No progress display."""
