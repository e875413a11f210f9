"""Storage: exact money and UTC instants on both databases; migrations match the models."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import polars as pl
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import StatementError

from linka.store.bulk import bulk_insert
from linka.store.database import Database
from linka.store.migrate import current_revision, head_revision
from linka.store.registry import metadata
from linka.store.types import Amount, UTCDateTime


@pytest.fixture
def ledger(db: Database) -> Iterator[sa.Table]:
    scratch = sa.MetaData()
    table = sa.Table(
        f"t_{uuid.uuid4().hex[:8]}",
        scratch,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("amount", Amount()),
        sa.Column("at", UTCDateTime()),
    )
    scratch.create_all(db.engine)
    yield table
    scratch.drop_all(db.engine)


def test_money_round_trips_exactly_and_sums_exactly(db: Database, ledger: sa.Table):
    values = [Decimal("0.1"), Decimal("0.2"), Decimal("-0.000001"), Decimal("12345678901.123456")]
    with db.session() as session:
        session.execute(sa.insert(ledger), [{"amount": v} for v in values])
    with db.session() as session:
        stored = session.scalars(sa.select(ledger.c.amount).order_by(ledger.c.id)).all()
        total = session.scalar(sa.select(sa.func.sum(ledger.c.amount)))
    assert stored == values
    assert total == Decimal("12345678901.423455")


def test_more_decimals_than_the_column_holds_are_refused(db: Database, ledger: sa.Table):
    with pytest.raises(StatementError, match="more than 6 decimal places"), db.session() as s:
        s.execute(sa.insert(ledger), [{"amount": Decimal("0.0000001")}])
    with pytest.raises(StatementError, match="Amount column needs Decimal"), db.session() as s:
        s.execute(sa.insert(ledger), [{"amount": 0.1}])


def test_instants_come_back_as_the_same_utc_instant(db: Database, ledger: sa.Table):
    cest = timezone(timedelta(hours=2))
    with db.session() as session:
        session.execute(sa.insert(ledger), [{"at": datetime(2026, 7, 1, 2, 0, 0, 5, tzinfo=cest)}])
    with db.session() as session:
        (at,) = session.scalars(sa.select(ledger.c.at)).all()
    assert at == datetime(2026, 7, 1, 0, 0, 0, 5, tzinfo=UTC)
    assert at.tzinfo is UTC
    with pytest.raises(StatementError, match="naive datetime"), db.session() as session:
        session.execute(sa.insert(ledger), [{"at": datetime(2026, 7, 1)}])  # noqa: DTZ001


def test_bulk_insert_stores_what_the_orm_would(db: Database, ledger: sa.Table):
    frame = pl.DataFrame(
        {
            "amount": [Decimal("1.5"), Decimal("-0.000001"), None],
            "at": [datetime(2026, 3, 29, 1, 30, tzinfo=UTC), None, None],
        },
        schema={"amount": pl.Decimal(20, 6), "at": pl.Datetime("us", "UTC")},
    )
    with db.session() as session:
        assert bulk_insert(session, ledger, frame) == 3
    with db.session() as session:
        rows = session.execute(sa.select(ledger.c.amount, ledger.c.at).order_by(ledger.c.id))
        assert [tuple(row) for row in rows] == [
            (Decimal("1.5"), datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
            (Decimal("-0.000001"), None),
            (None, None),
        ]


def test_migrations_create_exactly_the_models(db: Database):
    assert current_revision(db.engine) == head_revision()
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
