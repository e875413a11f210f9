"""Usage use cases: import a file once, keep rejects, release waiting records later.

Import is one unit of work: the batch row, its files, rejects and counts are committed
together, and a file whose (source, checksum) is registered already is skipped — the
same file imported twice adds nothing. Records are de-duplicated per source against
every earlier batch by ``record_id``. Records for numbers no line has wait in suspense
until ``reprocess_suspense`` finds their line.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from linka.kernel.clock import Clock
from linka.store.bulk import bulk_insert
from linka.usage.errors import UsageImportError
from linka.usage.events import SuspenseReleased, UsageBatchImported
from linka.usage.formats import UnknownFormatError, get_format
from linka.usage.lines import fill_msisdn_from_imsi, known_line, line_directory
from linka.usage.store import UsageStore, WrittenFile
from linka.usage.tables import UsageBatchFileRow, UsageBatchRow, UsageRejectRow


@dataclass(frozen=True)
class ImportResult:
    file: str
    batch_id: int
    already_imported: bool
    read: int
    accepted: int
    waiting: int
    rejected: int
    duplicates: int
    ignored: int
    events: tuple[UsageBatchImported, ...] = ()


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _result(batch: UsageBatchRow, already: bool) -> ImportResult:
    return ImportResult(
        file=batch.file_name,
        batch_id=batch.id,
        already_imported=already,
        read=batch.read,
        accepted=batch.accepted,
        waiting=batch.waiting,
        rejected=batch.rejected,
        duplicates=batch.duplicates,
        ignored=batch.ignored,
    )


def import_usage(
    session: Session,
    store: UsageStore,
    path: Path,
    format_name: str,
    *,
    clock: Clock,
    source: str | None = None,
    options: dict[str, Any] | None = None,
) -> ImportResult:
    """Import one file of ``format_name`` (see :data:`linka.usage.formats.FORMATS`)."""
    try:
        usage_format = get_format(format_name)
    except UnknownFormatError as exc:
        raise UsageImportError(str(exc)) from None
    if not path.is_file():
        raise UsageImportError(f"{path}: no such file")
    source = source or format_name
    checksum = file_checksum(path)
    existing = session.scalars(
        select(UsageBatchRow).where(
            UsageBatchRow.source == source, UsageBatchRow.checksum == checksum
        )
    ).one_or_none()
    if existing is not None:
        return _result(existing, already=True)
    try:
        parsed = usage_format(path, source=source, **(options or {}))
    except (TypeError, ValueError) as exc:
        raise UsageImportError(f"{path}: cannot read as {format_name}: {exc}") from exc

    records = pl.from_arrow(parsed.table)
    assert isinstance(records, pl.DataFrame)
    directory = line_directory(session)
    records = fill_msisdn_from_imsi(records, directory)
    fresh, duplicates = _without_earlier(session, store, source, records)
    known = known_line(fresh, directory)
    accepted, waiting = fresh.filter(known), fresh.filter(~known)

    batch = UsageBatchRow(
        source=source,
        format=format_name,
        file_name=path.name,
        checksum=checksum,
        size_bytes=path.stat().st_size,
        imported_at=clock.now(),
        read=parsed.read,
        accepted=accepted.height,
        waiting=waiting.height,
        rejected=len(parsed.rejects),
        duplicates=duplicates,
        ignored=parsed.ignored,
    )
    session.add(batch)
    session.flush()
    written = store.write_batch(batch.id, accepted, waiting)
    _register_files(session, batch.id, written)
    if parsed.rejects:
        rejects = pl.DataFrame(
            {
                "batch_id": [batch.id] * len(parsed.rejects),
                "source": [r.source for r in parsed.rejects],
                "raw_ref": [r.raw_ref[:400] for r in parsed.rejects],
                "reason": [r.reason.value for r in parsed.rejects],
                "detail": [r.detail[:500] for r in parsed.rejects],
                "raw": [r.raw for r in parsed.rejects],
            }
        )
        bulk_insert(session, UsageRejectRow, rejects)
    event = UsageBatchImported(
        batch.id, source, path.name, batch.accepted, batch.waiting, batch.rejected, duplicates
    )
    result = _result(batch, already=False)
    return ImportResult(**{**result.__dict__, "events": (event,)})


def _register_files(session: Session, batch_id: int, written: list[WrittenFile]) -> None:
    for file in written:
        session.add(
            UsageBatchFileRow(
                batch_id=batch_id, kind=file.kind, day=file.day, path=file.path, rows=file.rows
            )
        )
    session.flush()


def _without_earlier(
    session: Session, store: UsageStore, source: str, records: pl.DataFrame
) -> tuple[pl.DataFrame, int]:
    """Drop records this source already delivered in an earlier batch (stored or waiting)."""
    if records.height == 0:
        return records, 0
    days = records.select(pl.col("start").dt.date().unique()).to_series().to_list()
    paths = session.scalars(
        select(UsageBatchFileRow.path)
        .join(UsageBatchRow, UsageBatchRow.id == UsageBatchFileRow.batch_id)
        .where(
            UsageBatchRow.source == source,
            ((UsageBatchFileRow.kind == "records") & UsageBatchFileRow.day.in_(days))
            | ((UsageBatchFileRow.kind == "suspense") & UsageBatchFileRow.released_at.is_(None)),
        )
    ).all()
    if not paths:
        return records, 0
    earlier = store.scan(paths).select("record_id").collect()
    fresh = records.join(earlier, on="record_id", how="anti", maintain_order="left")
    return fresh, records.height - fresh.height


def record_files(session: Session, first_day: date, last_day: date) -> list[str]:
    """Committed record files of the UTC days ``first_day``..``last_day``, in batch order."""
    return list(
        session.scalars(
            select(UsageBatchFileRow.path)
            .where(
                UsageBatchFileRow.kind == "records",
                UsageBatchFileRow.day >= first_day,
                UsageBatchFileRow.day <= last_day,
            )
            .order_by(UsageBatchFileRow.day, UsageBatchFileRow.batch_id)
        )
    )


def reprocess_suspense(
    session: Session, store: UsageStore, *, clock: Clock
) -> tuple[int, int, list[SuspenseReleased]]:
    """Move waiting records whose line now exists into the store; returns (released, left).

    Released records form a new batch per original source (file name ``reprocess of …``),
    so the register still accounts for every record.
    """
    files = session.execute(
        select(UsageBatchFileRow, UsageBatchRow.source)
        .join(UsageBatchRow, UsageBatchRow.id == UsageBatchFileRow.batch_id)
        .where(UsageBatchFileRow.kind == "suspense", UsageBatchFileRow.released_at.is_(None))
        .order_by(UsageBatchFileRow.batch_id)
    ).all()
    if not files:
        return 0, 0, []
    directory = line_directory(session)
    released_total, left_total, events = 0, 0, []
    by_source: dict[str, list[UsageBatchFileRow]] = {}
    for file, source in files:
        by_source.setdefault(source, []).append(file)
    for source, source_files in by_source.items():
        waiting = store.scan([f.path for f in source_files]).collect()
        waiting = fill_msisdn_from_imsi(waiting, directory)
        known = known_line(waiting, directory)
        release, still = waiting.filter(known), waiting.filter(~known)
        left_total += still.height
        if release.height == 0:
            continue
        now = clock.now()
        batch = UsageBatchRow(
            source=source,
            format="reprocess",
            file_name=f"reprocess of batches {', '.join(str(f.batch_id) for f in source_files)}"[
                :300
            ],
            checksum=hashlib.sha256(
                f"{source}:{now.isoformat()}:{[f.id for f in source_files]}".encode()
            ).hexdigest(),
            size_bytes=0,
            imported_at=now,
            read=waiting.height,
            accepted=release.height,
            waiting=still.height,
            rejected=0,
            duplicates=0,
            ignored=0,
        )
        session.add(batch)
        session.flush()
        written = store.write_batch(batch.id, release, still)
        _register_files(session, batch.id, written)
        session.execute(
            update(UsageBatchFileRow)
            .where(UsageBatchFileRow.id.in_([f.id for f in source_files]))
            .values(released_at=now)
        )
        released_total += release.height
        events.append(SuspenseReleased(batch.id, release.height))
    return released_total, left_total, events


def list_batches(session: Session, limit: int = 50) -> list[UsageBatchRow]:
    return list(
        session.scalars(select(UsageBatchRow).order_by(UsageBatchRow.id.desc()).limit(limit))
    )


def list_rejects(
    session: Session, *, batch_id: int | None = None, reason: str | None = None, limit: int = 100
) -> tuple[list[UsageRejectRow], int]:
    """Rejects (newest batches first) and how many match in total."""
    query = select(UsageRejectRow)
    if batch_id is not None:
        query = query.where(UsageRejectRow.batch_id == batch_id)
    if reason is not None:
        query = query.where(UsageRejectRow.reason == reason)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(UsageRejectRow.batch_id.desc(), UsageRejectRow.id).limit(limit)
    )
    return list(rows), total


def registered_paths(session: Session) -> set[str]:
    return set(session.scalars(select(UsageBatchFileRow.path)))
