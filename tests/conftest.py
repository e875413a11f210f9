"""Shared fixtures: a fresh migrated database per test, on SQLite and on PostgreSQL.

``db`` runs every storage test twice: on a SQLite file and, when
``LINKA_TEST_DATABASE_URL`` is set, on PostgreSQL in a schema of its own. When the
variable is set but the server cannot be reached the tests fail (CI must not skip).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from linka.store.database import Database
from linka.store.registry import metadata

PG_URL = os.environ.get("LINKA_TEST_DATABASE_URL")
SHARED = Path(__file__).resolve().parents[2] / "shared"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "linka.db"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    database.dispose()
    return path


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("LINKA_TEST_DATABASE_URL is not set")
    schema = f"linka_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as connection:  # fails loudly when PostgreSQL is unreachable
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = sa.engine.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    database = Database(rendered)
    database.upgrade()
    database.dispose()
    yield rendered
    with admin.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def _truncate(database: Database) -> None:
    names = ", ".join(table.name for table in metadata.sorted_tables)
    with database.engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database with the newest schema."""
    if request.param == "sqlite":
        path = tmp_path / "linka.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        database = Database(f"sqlite:///{path}")
    else:
        database = Database(request.getfixturevalue("pg_schema_url"))
        _truncate(database)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    """SQLite only, for tests that are about behaviour rather than storage."""
    path = tmp_path / "linka.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


class Cli:
    """Runs ``linka`` commands in-process against a given data directory and database."""

    def __init__(self, data_dir: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        from linka.cli.app import app

        self.app = app
        self.runner = CliRunner()
        monkeypatch.setenv("LINKA_DATA_DIR", str(data_dir))
        monkeypatch.setenv("LINKA_DATABASE_URL", database_url)
        monkeypatch.setenv("COLUMNS", "200")
        from linka.cli import runtime

        for console in (runtime.console, runtime.err_console):  # wide tables: whole words
            monkeypatch.setattr(console, "width", 250)

    def __call__(self, *args: str, expect: int = 0) -> str:
        result = self.runner.invoke(self.app, list(args), catch_exceptions=False)
        output = result.output + (result.stderr if result.stderr_bytes is not None else "")
        assert result.exit_code == expect, f"exit {result.exit_code}, output:\n{output}"
        return output


@pytest.fixture
def cli(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(tmp_path / "data", db.url.render_as_string(hide_password=False), monkeypatch)


@pytest.fixture
def shared() -> Path:
    """The project's ../shared folder; tests using it skip where it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present in this checkout")
    return SHARED


DEMO_CATALOG = Path(__file__).resolve().parents[1] / "src/linka/demo/catalog"


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    """A copy of the demo catalog with a small generated deck (200 prefixes), safe to edit."""
    from linka.demo.deck import write_deck

    target = tmp_path / "catalog"
    shutil.copytree(DEMO_CATALOG, target)
    write_deck(target / "decks/international.csv", 200, seed=7)
    return target


@pytest.fixture
def loaded_catalog(db: Database, catalog_dir: Path) -> Path:
    """The demo catalog (small deck) loaded into ``db``, effective from 2026-01-01."""
    from datetime import UTC, datetime

    from linka.catalog.compile import compile_catalog
    from linka.catalog.services import load_catalog
    from linka.kernel.clock import FakeClock

    with db.session() as session:
        load_catalog(
            session,
            compile_catalog(catalog_dir),
            source=str(catalog_dir),
            clock=FakeClock(datetime(2026, 1, 1, tzinfo=UTC)),
        )
    return catalog_dir
