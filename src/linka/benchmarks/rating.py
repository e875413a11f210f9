"""The rating benchmark: a month of usage for the demo operator, imported and rated.

Set-up (not measured): a scratch database with the demo catalog (5,000-prefix deck) and
enough demo customers for about 730 records per line, a small month rated once (so the
compiled kernel is in its on-disk cache, as on any machine that has rated before), the
month's records written into the usage store as Parquet (one batch per day), and an
Asterisk ``Master.csv`` of the same size. Measured, each in a fresh process so its
peak memory is its own:

* **import**: ``import_usage`` of the Asterisk file (parse, normalise, de-duplicate
  against the store, store) — records per second;
* **rating**: ``rate_period`` of the month from the Parquet store, with the full rule
  set (lines, periods, catalog versions, prefixes, bands, allowances, tiers, roaming,
  writing the run) — records per second, and the kernel's share;
* **reference**: the Decimal reference rater on every record of a sample of lines, which
  must agree with the kernel record by record — records per second.
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select

from linka.benchmarks.scratch import scratch_database, workdir
from linka.catalog.compile import compile_catalog
from linka.catalog.services import load_catalog, read_version
from linka.catalog.tables import CatalogVersionRow
from linka.customers.model import Actor
from linka.demo.customers import generate_customers
from linka.demo.month import demo_lines
from linka.demo.operator import DECK_FILE, write_demo_catalog
from linka.demo.usage import usage_records, write_switch_file
from linka.kernel.clock import FakeClock
from linka.kernel.memory import peak_rss_mb
from linka.rating.kernel import rate_usage
from linka.rating.plan import compile_plan
from linka.rating.prepare import RECORD_COLUMNS, prepare_usage
from linka.rating.reading import INT64_MAX, INT64_MIN, read_part
from linka.rating.reference import ReferenceRater
from linka.rating.services import rate_period
from linka.store.database import Database
from linka.subscriptions.onboarding import onboard_customers
from linka.usage.lines import line_directory
from linka.usage.services import import_usage, record_files
from linka.usage.store import UsageStore
from linka.usage.tables import UsageBatchFileRow, UsageBatchRow

MONTH = date(2026, 3, 1)
WARM_UP = date(2026, 1, 1)  # a month of its own, far from the measured one
CLOCK_AT = datetime(2026, 4, 1, 5, 0, tzinfo=UTC)
RECORDS_PER_CUSTOMER = 1_000
TIMEZONE = "Europe/Prague"


@dataclass(frozen=True)
class RatingFigures:
    records: int
    records_per_s: float
    kernel_records_per_s: float
    wall_s: float
    peak_rss_mb: float
    import_records: int
    import_records_per_s: float
    import_s: float
    import_peak_rss_mb: float
    reference_records: int
    reference_records_per_s: float
    reference_agrees: bool
    lines: int
    database: str
    steps: dict[str, float]


def run_rating_benchmark(
    records: int,
    import_records: int | None = None,
    database_url: str | None = None,
    reference_lines: int = 40,
) -> RatingFigures:
    import_records = records if import_records is None else import_records
    with workdir() as work, scratch_database(database_url, work) as database:
        url = database.url.render_as_string(hide_password=False)
        customers = max(50, records // RECORDS_PER_CUSTOMER)
        lines, international = demo_operator(database, work, customers)
        store = UsageStore(work / "usage")
        # the kernel compiles on its first use on a machine (cached on disk afterwards):
        # a small month of its own rated first keeps that out of the measurement
        store_month(
            database, store, usage_records(lines, international, WARM_UP, 1_000, 3), "warm-up"
        )
        in_child(_rate_child, url, str(store.root), f"{WARM_UP:%Y-%m}")
        store_month(
            database, store, usage_records(lines, international, MONTH, records, 1), "month"
        )
        switch = work / "Master.csv"
        write_switch_file(lines, international, MONTH, import_records, 2, switch)
        rated = in_child(_rate_child, url, str(store.root), f"{MONTH:%Y-%m}")
        reference = _reference(database, store, reference_lines)
        # last: its batch joins the register, which the two steps above must not see
        imported = in_child(_import_child, url, str(work / "import-store"), str(switch))
        return RatingFigures(
            records=rated["records"],
            records_per_s=round(rated["records"] / rated["seconds"]),
            kernel_records_per_s=round(rated["records"] / rated["steps"]["rate_s"]),
            wall_s=round(rated["seconds"], 3),
            peak_rss_mb=rated["peak_rss_mb"],
            import_records=imported["read"],
            import_records_per_s=round(imported["read"] / imported["seconds"]),
            import_s=round(imported["seconds"], 3),
            import_peak_rss_mb=imported["peak_rss_mb"],
            reference_records=reference[0],
            reference_records_per_s=round(reference[0] / reference[1]),
            reference_agrees=reference[2],
            lines=lines.height,
            database=database.dialect,
            steps={k: round(v, 3) for k, v in rated["steps"].items()},
        )


def as_dict(figures: RatingFigures) -> dict[str, Any]:
    return asdict(figures)


def demo_operator(database: Database, work: Path, customers: int) -> tuple[pl.DataFrame, list[str]]:
    """The demo catalog and ``customers`` demo customers; their lines and the deck's prefixes."""
    clock = FakeClock(CLOCK_AT)
    catalog = compile_catalog(write_demo_catalog(work, seed=1))
    with database.session() as session:
        load_catalog(session, catalog, source="bench", clock=clock)
        onboard_customers(
            session,
            generate_customers(customers, 1, date(2026, 3, 31)),
            clock=clock,
            actor=Actor("bench", "bench"),
            source="bench",
        )
    international = sorted(
        catalog.decks[DECK_FILE]["prefix"].unique().to_list(), key=lambda p: (len(p), p)
    )
    return demo_lines(database), international


def store_month(database: Database, store: UsageStore, records: pl.DataFrame, name: str) -> None:
    """Register a month's records as one batch (the Parquet input of the benchmark)."""
    with database.session() as session:
        batch = UsageBatchRow(
            source="host-mno", format="generated", file_name=f"benchmark {name}",
            checksum=f"benchmark {name}", size_bytes=0, imported_at=CLOCK_AT, read=records.height,
            accepted=records.height, waiting=0, rejected=0, duplicates=0, ignored=0,
        )  # fmt: skip
        session.add(batch)
        session.flush()
        for file in store.write_batch(batch.id, records, records.clear()):
            session.add(
                UsageBatchFileRow(
                    batch_id=batch.id, kind=file.kind, day=file.day, path=file.path, rows=file.rows
                )
            )


def in_child(function: Any, *args: Any) -> dict[str, Any]:
    """Run ``function`` in a fresh process: its time and peak memory are its own."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=_report, args=(results, function, args))
    child.start()
    outcome: tuple[bool, Any] = results.get()
    child.join()
    if not outcome[0]:
        raise RuntimeError(f"benchmark step failed:\n{outcome[1]}")
    result: dict[str, Any] = outcome[1]
    return result


def _report(results: Any, function: Any, args: tuple[Any, ...]) -> None:
    try:
        results.put((True, function(*args)))
    except Exception:  # the parent shows it
        results.put((False, traceback.format_exc()))


def _import_child(url: str, store_root: str, path: str) -> dict[str, Any]:
    database = Database(url)
    started = time.perf_counter()
    with database.session() as session:
        result = import_usage(
            session, UsageStore(Path(store_root)), Path(path), "asterisk",
            clock=FakeClock(CLOCK_AT), source="bench-switch", options={"timezone": TIMEZONE},
        )  # fmt: skip
    seconds = time.perf_counter() - started
    database.dispose()
    return {"read": result.read, "seconds": seconds, "peak_rss_mb": peak_rss_mb()}


def _rate_child(url: str, store_root: str, period: str) -> dict[str, Any]:
    database = Database(url)
    started = time.perf_counter()
    with database.session() as session:
        result = rate_period(
            session, UsageStore(Path(store_root)), period,
            clock=FakeClock(CLOCK_AT), operator_timezone=TIMEZONE,
        )  # fmt: skip
    seconds = time.perf_counter() - started
    database.dispose()
    return {
        "records": result.records,
        "seconds": seconds,
        "steps": result.timings,
        "peak_rss_mb": peak_rss_mb(),
    }


def _reference(database: Database, store: UsageStore, sample_lines: int) -> tuple[int, float, bool]:
    """Rate every record of a few lines with the kernel and the reference rater."""
    with database.session() as session:
        rows = list(session.scalars(select(CatalogVersionRow)))
        versions = {row.id: read_version(session, row) for row in rows}
        directory = line_directory(session)
        paths = record_files(session, date(2026, 2, 28), date(2026, 4, 29))
    plan = compile_plan(versions)
    chosen = directory.sort("line_id").head(sample_lines)["msisdn"].implode()
    records = read_part(store, paths, INT64_MIN, INT64_MAX).filter(
        pl.col("line_msisdn").is_in(chosen)
    )
    prepared = prepare_usage(
        records.select(RECORD_COLUMNS),
        directory,
        [(row.id, row.effective_from) for row in rows],
        plan.offerings.select("version_id", "offering_id", "offering_idx"),
        TIMEZONE,
    ).filter(pl.col("line_id").is_not_null())
    kernel = rate_usage(prepared, plan).to_dicts()
    offering_of = dict(
        zip(plan.offerings["offering_idx"], plan.offerings["offering_id"], strict=True)
    )
    started = time.perf_counter()
    reference = ReferenceRater(versions).rate(
        row | {"offering_id": offering_of.get(row["offering_idx"], "")}
        for row in prepared.to_dicts()
    )
    seconds = time.perf_counter() - started
    compared = ("status", "rule_id", "billable", "included", "price_micro")
    agrees = all(
        {k: fast[k] for k in compared} == {k: slow[k] for k in compared}
        for fast, slow in zip(kernel, reference, strict=True)
    )
    return len(reference), seconds, agrees
