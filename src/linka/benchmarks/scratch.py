"""Scratch databases for benchmarks: a temporary SQLite file or a throw-away PostgreSQL schema."""

from __future__ import annotations

import resource
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


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB.

    On Linux this is ``VmHWM`` of ``/proc/self/status``: it belongs to the process's own
    address space, whereas ``ru_maxrss`` survives ``exec`` and would count the memory of
    the parent a benchmark child was started from.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
