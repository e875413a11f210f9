"""Scratch databases for benchmarks: a temporary SQLite file or a throw-away PostgreSQL schema."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from linka.store.database import Database


@contextmanager
def scratch_database(database_url: str | None, workdir: Path) -> Iterator[Database]:
    """A migrated empty database that disappears afterwards."""
    if database_url is None or database_url.startswith("sqlite"):
        database = Database(f"sqlite:///{workdir / 'bench.db'}")
        database.upgrade()
        try:
            yield database
        finally:
            database.dispose()
        return
    schema = f"linka_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(database_url)
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = sa.engine.make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
    database = Database(url.render_as_string(hide_password=False))
    try:
        database.upgrade()
        yield database
    finally:
        database.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextmanager
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="linka-bench-") as path:
        yield Path(path)
