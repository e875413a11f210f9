"""Alembic environment: runs migrations on the engine handed over by linka.store.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from linka.store.registry import metadata


def run_migrations() -> None:
    engine = context.config.attributes.get("engine")
    if engine is None:
        url = context.config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("no engine or sqlalchemy.url given to the migrations")
        engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
