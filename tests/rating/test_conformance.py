"""Conformance: every record of each shared set rated exactly as independently computed.

The records go the normal way: the carrier deck is loaded as a catalog, the lines are
onboarded, Master.csv is imported with the Asterisk reader and the month is rated.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import polars as pl
from sqlalchemy import select

from linka.catalog.compile import compile_catalog
from linka.catalog.services import load_catalog
from linka.customers.model import Actor
from linka.kernel.clock import FakeClock
from linka.rating.services import rate_period, rated_usage, with_record_details
from linka.store.database import Database
from linka.subscriptions.onboarding import OnboardingRow, onboard_customers
from linka.usage.services import import_usage
from linka.usage.store import UsageStore
from linka.usage.tables import UsageBatchFileRow, UsageRejectRow
from tests.rating.conformance import (
    CLOCK_START,
    build_catalog,
    calling_lines,
    conformance_sets,
    expected,
)

REJECT_STATUS = {"bad_number": "rejected: bad number"}


def run_set(db: Database, set_dir: Path, work: Path) -> dict[str, tuple[str, Decimal, dict]]:
    clock = FakeClock(CLOCK_START)
    store = UsageStore(work / "usage")
    catalog = compile_catalog(build_catalog(set_dir, work / "catalog"))
    rows = [
        OnboardingRow(
            customer_ref=msisdn, first_name="Line", last_name=msisdn[-4:],
            email=f"line{msisdn[1:]}@example.cz", tax_profile="domestic", msisdn=msisdn,
            offering="deck-line", activation_date="2000-01-01",
        )
        for msisdn in calling_lines(set_dir)
    ]  # fmt: skip
    with db.session() as session:
        load_catalog(session, catalog, source="conformance", clock=clock)
        onboard_customers(session, rows, clock=clock, actor=Actor("test", "test"), source="test")
    with db.session() as session:
        batch = import_usage(session, store, set_dir / "Master.csv", "asterisk", clock=clock)
    results: dict[str, tuple[str, Decimal, dict]] = {}
    with db.session() as session:
        rejects = session.scalars(
            select(UsageRejectRow).where(UsageRejectRow.batch_id == batch.batch_id)
        ).all()
        for reject in rejects:
            fields = next(csv.reader([reject.raw]), [])
            uid = fields[16] if len(fields) > 16 else reject.raw_ref
            results[uid] = (REJECT_STATUS.get(reject.reason, reject.reason), Decimal(0), {})
    periods = _periods(store, db)
    for period in periods:
        with db.session() as session:
            rate_period(session, store, period, clock=clock, operator_timezone="Europe/Prague")
            rated = with_record_details(store, rated_usage(session, store, period).collect())
        for row in rated.iter_rows(named=True):
            price = Decimal(row["price_micro"] or 0).scaleb(-6)
            results[row["record_id"]] = (row["status_text"], price, row)
    return results


def _periods(store: UsageStore, db: Database) -> list[str]:
    """Every month (local time) the imported records start in."""
    with db.session() as session:
        paths = session.scalars(select(UsageBatchFileRow.path)).all()
    starts = store.scan(paths).select(
        pl.col("start").dt.convert_time_zone("Europe/Prague").dt.strftime("%Y-%m")
    )
    return sorted(starts.collect().to_series().unique().to_list())


def test_every_conformance_record_is_rated_exactly(db: Database, shared: Path, tmp_path: Path):
    sets = conformance_sets(shared)
    assert sets, "no conformance sets found"
    for set_dir in sets:
        results = run_set(db, set_dir, tmp_path / set_dir.name)
        wrong = []
        for uid, want in expected(set_dir).items():
            status, price, row = results.get(uid, ("missing", Decimal(0), {}))
            got = (status, price)
            if want["status"] == "charged":
                got += (row.get("prefix"), row.get("band_id"), row.get("billable"))
                wanted = (
                    "charged",
                    Decimal(want["price"]),
                    want["prefix"],
                    want["time_band"],
                    int(want["billable_seconds"]),
                )
            else:
                wanted = (want["status"], Decimal(want["price"]))
            if got != wanted:
                wrong.append((uid, got, wanted))
        assert wrong == [], f"{set_dir.name}: {len(wrong)} records differ, first: {wrong[:3]}"
        assert len(results) == len(expected(set_dir))
