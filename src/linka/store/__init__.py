"""Storage: the database engine, sessions, column types and migrations.

One SQLAlchemy model serves the embedded SQLite file and PostgreSQL; Alembic migrations
are the only way the schema changes and run on both. Money columns are exact (NUMERIC on
PostgreSQL, integer micro-units on SQLite, which has no exact decimal type); instants are
aware UTC. See ``docs/storage.md``.
"""

from linka.store.database import Database

__all__ = ["Database"]
