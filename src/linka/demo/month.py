"""The demo's first month of traffic: March 2026 generated, imported and rated.

After onboarding, the network "delivers" the month: daily CSV files from the host
network (source ``host-mno``, read by the generic reader through the catalog's column
map) and the Asterisk switch's ``Master.csv`` (source ``pbx``), written to
``<data dir>/cdr``. They are imported through the normal mediation path — duplicates and
broken records included, as real feeds have them — and the month is rated. The clock
stands on the morning of 1 April, after the last record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
from sqlalchemy import select

from linka.catalog.tables import OfferingRow
from linka.customers.bulk import Progress
from linka.demo.usage import generate_usage
from linka.kernel.clock import FakeClock
from linka.rating.services import RatingResult, rate_period
from linka.store.database import Database
from linka.subscriptions.tables import LineRow
from linka.usage.services import ImportResult, import_usage
from linka.usage.sources import source_settings
from linka.usage.store import UsageStore

MONTH = date(2026, 3, 1)
PERIOD = "2026-03"
AFTER_MONTH = datetime(2026, 4, 1, 5, 0, tzinfo=UTC)  # 07:00 on 1 April in Prague
CDR_FOLDER = "cdr"


@dataclass(frozen=True)
class MonthSummary:
    files: int
    records_written: int
    duplicates_written: int
    broken_written: int
    imports: list[ImportResult]
    rating: RatingResult

    def total(self, field: str) -> int:
        return sum(getattr(result, field) for result in self.imports)


def demo_lines(database: Database) -> pl.DataFrame:
    """msisdn, imsi, kind and activation date of every activated line."""
    with database.session() as session:
        rows = session.execute(
            select(LineRow.msisdn, LineRow.imsi, OfferingRow.kind, LineRow.activated_on)
            .join(OfferingRow, OfferingRow.id == LineRow.offering_id)
            .where(LineRow.activated_on.is_not(None))
            .distinct()
            .order_by(LineRow.msisdn)
        ).all()
    return pl.DataFrame(
        rows,
        schema={"msisdn": pl.String, "imsi": pl.String, "kind": pl.String, "activated_on": pl.Date},
        orient="row",
    )


def run_month(
    database: Database,
    data_dir: Path,
    international: list[str],
    *,
    clock: FakeClock,
    seed: int,
    records: int,
    timezone: str,
    progress: Progress,
) -> MonthSummary:
    """Generate, import and rate the demo month; every file is its own unit of work."""
    clock.set(AFTER_MONTH)
    progress("generating usage", 0, 1)
    files = generate_usage(
        demo_lines(database), international, MONTH, records, seed, data_dir / CDR_FOLDER
    )
    progress("generating usage", 1, 1)
    store = UsageStore.in_data_dir(data_dir)
    deliveries = [("host-mno", path) for path in files.host_mno]
    deliveries += [("pbx", path) for path in files.pbx]
    imports = []
    for done, (source, path) in enumerate(deliveries, start=1):
        with database.session() as session:
            settings = source_settings(session, source, MONTH)
            imports.append(
                import_usage(
                    session,
                    store,
                    path,
                    settings.format_name,
                    clock=clock,
                    source=source,
                    options=settings.options,
                )
            )
        progress("importing usage files", done, len(deliveries))
    progress("rating March 2026", 0, 1)
    with database.session() as session:
        rating = rate_period(session, store, PERIOD, clock=clock, operator_timezone=timezone)
    progress("rating March 2026", 1, 1)
    return MonthSummary(
        files=len(deliveries),
        records_written=files.records,
        duplicates_written=files.duplicates,
        broken_written=files.broken,
        imports=imports,
        rating=rating,
    )
