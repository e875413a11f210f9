"""Gapless invoice numbers: one counter row per series and year, taken while issuing.

The counter is raised with a single ``UPDATE … RETURNING`` in the transaction that issues
the invoices: on PostgreSQL the row lock makes a concurrent run wait until this one
commits or rolls back (a rolled-back issue gives its numbers back), on SQLite the
write transaction is exclusive anyway. The unique (series, year, number) constraint on
invoices is the last line of defence.
"""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from linka.billing.tables import NumberSeriesRow


def reserve_numbers(session: Session, series: str, year: int, count: int) -> list[int]:
    """The next ``count`` numbers of ``series`` in ``year``, in order, with no gap."""
    if count <= 0:
        return []
    dialect = session.get_bind().dialect.name
    values = {"series": series, "year": year, "last_number": 0}
    if dialect == "postgresql":
        session.execute(postgresql.insert(NumberSeriesRow).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(NumberSeriesRow).values(values).on_conflict_do_nothing())
    elif session.get(NumberSeriesRow, (series, year)) is None:
        session.execute(insert(NumberSeriesRow).values(values))
    last = session.execute(
        update(NumberSeriesRow)
        .where(NumberSeriesRow.series == series, NumberSeriesRow.year == year)
        .values(last_number=NumberSeriesRow.last_number + count)
        .returning(NumberSeriesRow.last_number)
    ).scalar_one()
    return list(range(last - count + 1, last + 1))


def number_text(series: str, year: int, number: int) -> str:
    """The printed number: series, year and six digits, e.g. FA2026000042."""
    return f"{series}{year}{number:06d}"


def last_number(session: Session, series: str, year: int) -> int:
    value = session.scalar(
        select(NumberSeriesRow.last_number).where(
            NumberSeriesRow.series == series, NumberSeriesRow.year == year
        )
    )
    return int(value or 0)
