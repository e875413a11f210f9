"""Building the demo operator: exact content for a seed, determinism proved by the digest."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from linka.customers.tables import CustomerRow
from linka.demo.operator import (
    DECK_PREFIXES,
    DemoExistsError,
    build_demo,
    embedded_database,
    reset_demo,
)
from linka.store.database import Database
from linka.store.digest import digest_database


@pytest.fixture
def fresh_sqlite(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    """Another empty migrated SQLite database beside the test's ``db``."""
    path = tmp_path / "other" / "linka.db"
    path.parent.mkdir()
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


def test_the_demo_of_60_customers_holds_exactly_this_on_every_database(
    db: Database, fresh_sqlite: Database, tmp_path: Path
) -> None:
    """Built twice — on SQLite: into two files; on PostgreSQL: there and into a SQLite
    file — the content is the same to the digest."""
    summary = build_demo(db, tmp_path / "data", seed=1, customers=60, records=5_000)
    again = build_demo(fresh_sqlite, tmp_path / "again", seed=1, customers=60, records=5_000)
    assert again.digest == summary.digest
    assert (again.catalog, again.customers) == (summary.catalog, summary.customers)
    # the first bill run issued every billable account's invoice, same bytes both times
    assert summary.bill is not None
    assert again.bill is not None
    assert summary.bill.problems == []
    # (prepaid accounts' usage is paid from credit: only postpaid accounts get invoices)
    assert summary.bill.issued == again.bill.issued == 56
    documents = sorted((tmp_path / "data/documents").iterdir())
    assert len(documents) == 2 * 56  # a PDF and an ISDOC each
    for path in documents:
        assert (tmp_path / "again/documents" / path.name).read_bytes() == path.read_bytes()
    # the statements were booked once: the second import of the same files added nothing
    payments = summary.payments
    assert payments is not None
    assert [r.statements for r in payments.first] == [1, 1]
    assert [(r.already, r.payments.read) for r in payments.again] == [(1, 0), (1, 0)]
    booked = sum(r.payments.matched + r.payments.unmatched for r in payments.first + payments.late)
    assert booked == sum(n for kind, n in payments.behaviour.items() if kind != "not paid")
    assert payments.ledger is not None
    assert payments.ledger.balanced  # sum of entries == open − credit, to the haléř

    catalog = summary.catalog
    assert (catalog.catalog_id, catalog.version, catalog.tariffs) == ("demo-mvno", "2026.1", 4)
    assert catalog.deck_prefixes == DECK_PREFIXES
    assert (tmp_path / "data/catalog/decks/international.csv").is_file()
    lines = {o.id: o.lines for o in catalog.offerings}
    assert lines == {  # after dunning suspended the unpaid and restored the late payers
        "mobile-prepaid": {"active": 9, "pending": 1},
        "mobile-basic": {"active": 30, "suspended": 4},
        "mobile-unlimited": {"active": 11, "suspended": 1},
        "mobile-business": {"active": 28, "suspended": 2},
        "voip-fixed": {"active": 9, "pending": 1},
    }
    assert {o.id: str(o.monthly_fee) for o in catalog.offerings} == {
        "mobile-prepaid": "0",
        "mobile-basic": "247.11",
        "mobile-unlimited": "577.69",
        "mobile-business": "479",
        "voip-fixed": "123.14",
    }
    figures = summary.customers
    assert figures.by_kind == {"organisation": 15, "person": 45}
    assert figures.by_segment == {"business": 15, "consumer": 45}
    assert figures.organisations_by_tax_profile == {
        "domestic": 13,
        "eu-reverse-charge": 1,
        "non-eu": 1,
    }
    assert figures.accounts_by_payment_type == {"postpaid": 57, "prepaid": 9}
    assert figures.lines_by_status == {"active": 87, "pending": 2, "suspended": 7}
    with db.session() as session:
        assert digest_database(session).sha256 == summary.digest


def test_the_demo_refuses_a_database_with_data_and_reset_empties_it(
    db: Database, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first = build_demo(db, data, seed=3, customers=10, records=500)
    assert (data / "usage").is_dir()
    assert (data / "cdr").is_dir()
    assert (data / "documents").is_dir()
    with pytest.raises(DemoExistsError, match=r"already holds 10 customers .* --reset"):
        build_demo(db, data, seed=3, customers=10, records=500)

    url = db.url.render_as_string(hide_password=False)
    db.dispose()
    done = reset_demo(url, data)
    assert done[0].startswith("emptied ")
    assert not (data / "usage").exists()
    assert not (data / "cdr").exists()
    assert not (data / "catalog").exists()
    assert not (data / "documents").exists()
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(CustomerRow)) == 0
    rebuilt = build_demo(db, data, seed=4, customers=10, records=500)
    assert rebuilt.customers.customers == 10
    assert rebuilt.digest != first.digest  # another seed, other content


def test_reset_deletes_the_embedded_database_file(sqlite_template: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(sqlite_template, data / "linka.db")
    url = f"sqlite:///{data / 'linka.db'}"
    assert embedded_database(url, data) == (data / "linka.db").resolve()
    assert embedded_database(url, tmp_path / "elsewhere") is None
    assert embedded_database("postgresql+psycopg://u@h/db", data) is None
    assert reset_demo(url, data) == [f"deleted {(data / 'linka.db').resolve()}"]
    assert not (data / "linka.db").exists()
