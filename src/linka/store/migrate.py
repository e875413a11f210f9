"""Alembic, driven from code: ``linka db upgrade`` and every command that needs a schema.

The migration scripts live in ``linka/store/migrations/versions``; one linear history
serves SQLite and PostgreSQL. Checking whether an upgrade is needed costs one query, so
commands call :func:`upgrade_to_head` unconditionally.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(engine: Engine) -> bool:
    """Upgrade the schema; return True if a migration ran."""
    if current_revision(engine) == head_revision():
        return False
    command.upgrade(alembic_config(engine), "head")
    return True
