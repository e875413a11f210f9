"""The database handle: engine, unit-of-work sessions and schema upgrades.

A ``Database`` wraps one SQLAlchemy engine. ``session()`` is the unit of work: it
commits when the block ends normally and rolls back on any exception, so a failed
command leaves nothing half-written. On SQLite every transaction starts with
``BEGIN IMMEDIATE`` (writers queue instead of failing mid-transaction), foreign keys
are enforced and the journal is WAL so readers never block.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, configure_mappers, sessionmaker

from linka.settings import Settings


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """One database: SQLite file (embedded default) or PostgreSQL."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = make_url(url)
        if self.url.get_backend_name() == "sqlite" and self.url.database:
            Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
        options: dict[str, Any] = {"echo": echo}
        if self.url.get_backend_name() == "postgresql":
            options["pool_pre_ping"] = True
        self.engine = create_engine(self.url, **options)
        if self.url.get_backend_name() == "sqlite":
            _configure_sqlite(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # once per process, here rather than inside the first query of whatever runs first
        configure_mappers()

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(settings.resolved_database_url, echo=settings.echo_sql)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commit on success, roll back on any exception."""
        with self._sessions() as session, session.begin():
            yield session

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (a no-op when already there)."""
        from linka.store.migrate import upgrade_to_head

        upgrade_to_head(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
