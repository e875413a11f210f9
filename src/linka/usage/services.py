"""Usage use cases: import a file once, keep rejects, release waiting records later.

Import is one unit of work: the batch row, its files, rejects and counts are committed
together, and a file whose (source, checksum) is registered already is skipped — the
same file imported twice adds nothing. Records are de-duplicated per source against
every earlier batch by ``record_id``. Records for numbers no line has wait in suspense
until ``reprocess_suspense`` finds their line.

The file is read as a stream of parts (:meth:`~linka.usage.formats.Format.open`) and
written while it is read (:class:`~linka.usage.store.BatchWriter`), so memory does not
grow with the file. The checksum is computed while reading; only when a batch of the
same source has the same size (a file imported before has both) is it computed first,
so that a file imported twice is recognised before it is read.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from linka.kernel.clock import Clock
from linka.kernel.memory import cycle_collector_paused
from linka.store.bulk import bulk_insert
from linka.usage.checksum import file_checksum, new_digest
from linka.usage.earlier import EarlierIds
from linka.usage.errors import UsageImportError
from linka.usage.events import SuspenseReleased, UsageBatchImported
from linka.usage.formats import UnknownFormatError, get_format
from linka.usage.formats.stream import Part, RecordStream, empty_rejects
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


@cycle_collector_paused()  # the import makes no cycles; see linka.kernel.memory
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
    size = path.stat().st_size
    checksum: str | None = None
    if _same_size_imported(session, source, size):
        checksum = file_checksum(path)
        existing = _imported(session, source, checksum)
        if existing is not None:
            return _result(existing, already=True)
    try:
        stream = usage_format.open(path, source=source, **(options or {}))
    except (TypeError, ValueError) as exc:
        raise UsageImportError(f"{path}: cannot read as {format_name}: {exc}") from exc

    parts = _parts(stream, format_name)
    first = next(parts, None)  # worker threads read on while the register is queried
    directory = line_directory(session)
    earlier = EarlierIds(session, store, source)
    writer = store.batch_writer()
    counts = dict.fromkeys(("read", "ignored", "accepted", "waiting", "duplicates"), 0)
    rejects: list[pl.DataFrame] = []
    try:
        for part in itertools.chain([] if first is None else [first], parts):
            records = part.records
            if records.get_column("imsi").null_count() < records.height:
                records = fill_msisdn_from_imsi(records, directory)
            fresh = earlier.without_earlier(records)
            known = known_line(fresh, directory)
            if known.all():  # the common case: no copies
                accepted, waiting = fresh, fresh.clear()
            else:
                accepted, waiting = fresh.filter(known), fresh.filter(~known)
            writer.add(accepted, waiting)
            counts["read"] += part.read
            counts["ignored"] += part.ignored
            counts["accepted"] += accepted.height
            counts["waiting"] += waiting.height
            counts["duplicates"] += records.height - fresh.height
            if part.rejects.height:
                rejects.append(part.rejects)
        checksum = checksum or stream.checksum or file_checksum(path)
        existing = _imported(session, source, checksum)
        if existing is not None:  # imported meanwhile by another process
            writer.discard()
            return _result(existing, already=True)
    except BaseException:
        writer.discard()
        raise
    rejected = pl.concat(rejects) if rejects else empty_rejects()
    batch = UsageBatchRow(
        source=source,
        format=format_name,
        file_name=path.name,
        checksum=checksum,
        size_bytes=size,
        imported_at=clock.now(),
        rejected=rejected.height,
        **counts,
    )
    session.add(batch)
    session.flush()
    written = writer.finish(batch.id)
    _register_files(session, batch.id, written)
    if rejected.height:
        rows = rejected.select(
            pl.lit(batch.id).alias("batch_id"),
            pl.lit(source).alias("source"),
            pl.col("raw_ref").str.slice(0, 400),
            "reason",
            pl.col("detail").str.slice(0, 500),
            "raw",
        )
        bulk_insert(session, UsageRejectRow, rows)
    event = UsageBatchImported(
        batch.id, source, path.name, batch.accepted, batch.waiting, batch.rejected,
        batch.duplicates,
    )  # fmt: skip
    result = _result(batch, already=False)
    return ImportResult(**{**result.__dict__, "events": (event,)})


def _parts(stream: RecordStream, format_name: str) -> Iterator[Part]:
    """The parts of ``stream``; a file the format cannot read is a UsageImportError."""
    parts = iter(stream)
    while True:
        try:
            part = next(parts)
        except StopIteration:
            return
        except (TypeError, ValueError) as exc:
            raise UsageImportError(f"{stream.path}: cannot read as {format_name}: {exc}") from exc
        yield part


def _same_size_imported(session: Session, source: str, size: int) -> bool:
    """Whether a batch of ``source`` has this size: a file imported before would."""
    found = session.scalar(
        select(UsageBatchRow.id)
        .where(UsageBatchRow.source == source, UsageBatchRow.size_bytes == size)
        .limit(1)
    )
    return found is not None


def _imported(session: Session, source: str, checksum: str) -> UsageBatchRow | None:
    return session.scalars(
        select(UsageBatchRow).where(
            UsageBatchRow.source == source, UsageBatchRow.checksum == checksum
        )
    ).one_or_none()


def _register_files(session: Session, batch_id: int, written: list[WrittenFile]) -> None:
    for file in written:
        session.add(
            UsageBatchFileRow(
                batch_id=batch_id, kind=file.kind, day=file.day, path=file.path, rows=file.rows
            )
        )
    session.flush()


def record_files(session: Session, first_day: date, last_day: date) -> list[str]:
    """Committed record files of the UTC days ``first_day``..``last_day``, in batch order
    (and, within a batch and day, in file order: a later file holds later lines)."""
    return [path for path, _, _ in stored_days(session, first_day, last_day)]


def stored_days(session: Session, first_day: date, last_day: date) -> list[tuple[str, date, int]]:
    """(path, UTC day, records) of the committed record files of those days, in day
    order, then batch and file order."""
    rows = session.execute(
        select(UsageBatchFileRow.path, UsageBatchFileRow.day, UsageBatchFileRow.rows)
        .where(
            UsageBatchFileRow.kind == "records",
            UsageBatchFileRow.day >= first_day,
            UsageBatchFileRow.day <= last_day,
        )
        .order_by(UsageBatchFileRow.day, UsageBatchFileRow.batch_id, UsageBatchFileRow.id)
    )
    return [(path, day, count) for path, day, count in rows if day is not None]


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
            checksum=new_digest(
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
