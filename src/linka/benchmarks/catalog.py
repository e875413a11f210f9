"""How long a large carrier rate deck takes to validate and to load."""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from linka.benchmarks.scratch import scratch_database, workdir
from linka.catalog.compile import compile_catalog
from linka.catalog.services import load_catalog
from linka.demo.deck import write_deck
from linka.kernel.clock import FakeClock
from linka.kernel.memory import peak_rss_mb

DEMO_CATALOG = Path(__file__).resolve().parents[1] / "demo" / "catalog"


@dataclass(frozen=True)
class CatalogFigures:
    prefixes: int
    deck_rows: int
    explicit_rate_rows: int
    validate_s: float
    load_s: float
    database: str
    peak_rss_mb: float


def run_catalog_benchmark(prefixes: int, database_url: str | None = None) -> CatalogFigures:
    """Validate and load the demo catalog with a ``prefixes``-prefix deck into a scratch DB."""
    with workdir() as work:
        folder = work / "catalog"
        shutil.copytree(DEMO_CATALOG, folder)
        deck_rows = write_deck(folder / "decks" / "international.csv", prefixes, seed=1)
        with scratch_database(database_url, work) as database:
            started = time.perf_counter()
            catalog = compile_catalog(folder)
            validated = time.perf_counter()
            with database.session() as session:
                load_catalog(
                    session,
                    catalog,
                    source=str(folder),
                    clock=FakeClock(datetime(2026, 1, 1, tzinfo=UTC)),
                )
            loaded = time.perf_counter()
            return CatalogFigures(
                prefixes=prefixes,
                deck_rows=deck_rows,
                explicit_rate_rows=catalog.rates.height,
                validate_s=round(validated - started, 3),
                load_s=round(loaded - validated, 3),
                database=database.dialect,
                peak_rss_mb=peak_rss_mb(),
            )


def as_dict(figures: CatalogFigures) -> dict[str, object]:
    return asdict(figures)
