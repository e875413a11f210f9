"""A content digest of the whole database: one SHA-256 that is equal when the data is.

It proves that a build is deterministic (``linka demo --seed 1`` twice, into two data
directories, gives the same digest) and lets a test or an operator compare two
databases without dumping them. Every table of :data:`linka.store.registry.metadata` is
read in name order, its rows in primary-key order, and each value is rendered in one
canonical text form, so the digest does not depend on the database engine:

- decimals are normalised (``247.110000`` and ``247.11`` are the same amount; SQLite keeps
  them as scaled integers, PostgreSQL as NUMERIC, both read back as ``Decimal``);
- instants are ISO 8601 in UTC, dates ISO 8601, JSON documents with sorted keys;
- text primary keys are ordered by code point (``COLLATE "C"`` on PostgreSQL, SQLite's
  default), not by the server's locale.

Columns that record *where* data came from on this machine rather than the data itself
are left out: :data:`EXCLUDED_COLUMNS`. Autoincrement ids are included — the same
inserts into an empty database give the same ids, and a changed id is a changed
reference. Alembic's own table is not part of the metadata and so not digested.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, select
from sqlalchemy.orm import Session

from linka.store.registry import metadata as linka_metadata

EXCLUDED_COLUMNS: Mapping[str, frozenset[str]] = {
    # the folder a catalog was loaded from: an absolute path on the loading machine
    "catalog_versions": frozenset({"source"}),
}
STREAM_ROWS = 10_000
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_SORTED = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True, slots=True)
class TableDigest:
    name: str
    rows: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ContentDigest:
    """The database's digest and, for finding where two databases differ, each table's."""

    sha256: str
    tables: tuple[TableDigest, ...]

    @property
    def rows(self) -> int:
        return sum(table.rows for table in self.tables)


def digest_database(
    session: Session,
    *,
    metadata: MetaData = linka_metadata,
    exclude: Mapping[str, Iterable[str]] = EXCLUDED_COLUMNS,
) -> ContentDigest:
    """Digest every table of ``metadata`` as seen by ``session`` (read only)."""
    tables = [
        digest_table(session, table, frozenset(exclude.get(table.name, ())))
        for table in sorted(metadata.tables.values(), key=lambda t: t.name)
    ]
    total = hashlib.sha256()
    for table in tables:
        total.update(f"{table.name}\t{table.rows}\t{table.sha256}\n".encode())
    return ContentDigest(total.hexdigest(), tuple(tables))


def digest_table(
    session: Session, table: Table, exclude: frozenset[str] = frozenset()
) -> TableDigest:
    """One table's digest: its included column names, then every row in key order."""
    columns = [column for column in table.columns if column.name not in exclude]
    keys = list(table.primary_key.columns) or list(table.columns)
    dialect = session.get_bind().dialect.name
    query = select(*columns).order_by(*(_ordered(key, dialect) for key in keys))
    # Text and integer columns are already canonical; only the others are converted.
    converted = [i for i, column in enumerate(columns) if not _plain(column)]
    hasher = hashlib.sha256()
    hasher.update(_ENCODER.encode([c.name for c in columns]).encode())
    count = 0
    for row in session.execute(query.execution_options(yield_per=STREAM_ROWS)):
        values = list(row)
        for i in converted:
            values[i] = canonical(values[i])
        hasher.update(b"\n")
        hasher.update(_ENCODER.encode(values).encode())
        count += 1
    return TableDigest(table.name, count, hasher.hexdigest())


def canonical(value: Any) -> str | int | None:
    """The one text (or integer) form of a stored value that every backend agrees on."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return "0" if value == 0 else format(value.normalize(), "f")
    if isinstance(value, datetime):
        instant = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return instant.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return _SORTED.encode(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, float):
        return repr(value)
    raise TypeError(f"cannot digest a value of type {type(value).__name__}: {value!r}")


def _plain(column: Column[Any]) -> bool:
    """Whether the column's values are ``str`` or ``int`` (not ``bool``) as read."""
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return False
    return python_type in (str, int)


def _ordered(column: Column[Any], dialect: str) -> Any:
    if dialect == "postgresql" and isinstance(column.type, String):
        return column.collate("C")
    return column
