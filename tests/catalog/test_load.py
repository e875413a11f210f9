"""Loading catalog versions into the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select

from linka.catalog.compile import compile_catalog
from linka.catalog.errors import CatalogNotLoadedError
from linka.catalog.services import LoadOutcome, list_versions, load_catalog, read_catalog
from linka.catalog.tables import CatalogVersionRow, RateRow
from linka.kernel.clock import FakeClock
from linka.store.database import Database

CLOCK = FakeClock(datetime(2026, 1, 15, 9, 30, tzinfo=UTC))


def load(db: Database, folder: Path, dry_run: bool = False) -> LoadOutcome:
    with db.session() as session:
        result = load_catalog(
            session, compile_catalog(folder), source=str(folder), clock=CLOCK, dry_run=dry_run
        )
    return result.outcome


def count_rates(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(RateRow)) or 0


def test_a_loaded_version_reads_back_exactly_as_compiled(db: Database, catalog_dir: Path):
    compiled = compile_catalog(catalog_dir)

    assert load(db, catalog_dir) is LoadOutcome.ADDED

    with db.session() as session:
        stored = read_catalog(session, date(2026, 2, 1))
    assert stored.same_content(compiled)
    assert stored.offering("mobile-basic").recurring_fees[0].amount == Decimal("247.11")
    assert stored.vat_rate("standard", date(2026, 2, 1)) == Decimal(21)


def test_loading_identical_content_again_changes_nothing(db: Database, catalog_dir: Path):
    load(db, catalog_dir)
    assert load(db, catalog_dir) is LoadOutcome.UNCHANGED
    with db.session() as session:
        assert len(list_versions(session)) == 1


def test_a_correction_for_the_same_date_replaces_the_version_in_place(
    db: Database, catalog_dir: Path
):
    load(db, catalog_dir)
    with db.session() as session:
        (before,) = list_versions(session)
    tariff = catalog_dir / "tariffs/mobile.yaml"
    tariff.write_text(tariff.read_text().replace("price: 3.2231", "price: 3.1000"))

    assert load(db, catalog_dir) is LoadOutcome.REPLACED

    with db.session() as session:
        (after,) = list_versions(session)
        rates = read_catalog(session, date(2026, 1, 1)).rates
    assert after.id == before.id
    assert after.checksum != before.checksum
    peak = rates.filter(
        (pl.col("tariff_id") == "mobile") & (pl.col("rule_id") == "voice-mo@home/420601/peak")
    )
    assert peak["price"].to_list() == [Decimal("3.1")]
    assert count_rates(db) == compile_catalog(catalog_dir).rates.height


def test_a_later_version_keeps_the_older_one_for_older_usage(db: Database, catalog_dir: Path):
    load(db, catalog_dir)
    manifest = catalog_dir / "catalog.yaml"
    manifest.write_text(
        manifest.read_text()
        .replace("effective_from: 2026-01-01", "effective_from: 2026-07-01")
        .replace('version: "2026.1"', 'version: "2026.2"')
    )
    offerings = catalog_dir / "offerings.yaml"
    offerings.write_text(offerings.read_text().replace("amount: 247.11", "amount: 264.46"))

    assert load(db, catalog_dir) is LoadOutcome.ADDED

    with db.session() as session:
        june = read_catalog(session, date(2026, 6, 30))
        july = read_catalog(session, date(2026, 7, 1))
        with pytest.raises(CatalogNotLoadedError, match="no catalog version is valid on 2025"):
            read_catalog(session, date(2025, 12, 31))
    assert june.manifest.version == "2026.1"
    assert june.offering("mobile-basic").recurring_fees[0].amount == Decimal("247.11")
    assert july.manifest.version == "2026.2"
    assert july.offering("mobile-basic").recurring_fees[0].amount == Decimal("264.46")
    assert count_rates(db) == 2 * compile_catalog(catalog_dir).rates.height


def test_dry_run_stores_nothing(db: Database, catalog_dir: Path):
    assert load(db, catalog_dir, dry_run=True) is LoadOutcome.ADDED
    assert count_rates(db) == 0
    with db.session() as session:
        assert list_versions(session) == []


def test_a_load_that_fails_midway_leaves_nothing_behind(db: Database, catalog_dir: Path):
    class LoadInterruptedError(Exception):
        pass

    def load_then_fail() -> None:
        with db.session() as session:
            load_catalog(session, compile_catalog(catalog_dir), source="x", clock=CLOCK)
            assert session.scalar(select(func.count()).select_from(RateRow))
            raise LoadInterruptedError

    with pytest.raises(LoadInterruptedError):
        load_then_fail()
    assert count_rates(db) == 0
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(CatalogVersionRow)) == 0
