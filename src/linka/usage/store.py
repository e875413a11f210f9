"""The usage store: accepted records as Parquet files partitioned by UTC day.

Layout under ``<data dir>/usage``::

    records/day=2026-03-14/batch-000042.parquet   accepted records of batch 42 started that day
    suspense/batch-000042.parquet                 records of batch 42 waiting for their line

Files are written to a temporary name, flushed and renamed, so a reader never sees half
a file; which files count is decided by the batch register in the database (see
:mod:`linka.usage.tables`). Each records file holds one batch's records of one day,
sorted by line (in file order within a line) in row groups of :data:`ROW_GROUP` rows and
numbered by a ``seq`` column: (file, seq) identifies a record for ever, and rating reads
one range of lines at a time while Parquet statistics skip the row groups of other lines.

On PostgreSQL deployments the same files live on shared storage (or object storage via
the same paths); the register, rejects and rating runs live in PostgreSQL. See
``docs/usage.md`` for the mapping and for scaling beyond one machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

import polars as pl

from linka.usage.records import DIRECTION_ENUM, RECORD_SCHEMA, SERVICE_ENUM

COMPRESSION: Final = "lz4"  # fast to write and read; zstd is smaller but slower to write
ROW_GROUP: Final = 65_536


@dataclass(frozen=True)
class WrittenFile:
    kind: str  # records | suspense
    day: date | None
    path: str  # relative to the store root
    rows: int


def with_enums(frame: pl.DataFrame) -> pl.DataFrame:
    """Service and direction as the store's enums (idempotent)."""
    return frame.with_columns(
        pl.col("service").cast(SERVICE_ENUM), pl.col("direction").cast(DIRECTION_ENUM)
    )


class UsageStore:
    """Reads and writes the Parquet side of the usage store."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> UsageStore:
        return cls(data_dir / "usage")

    def absolute(self, relative: str) -> Path:
        return self.root / relative

    def write_batch(
        self, batch_id: int, records: pl.DataFrame, suspense: pl.DataFrame
    ) -> list[WrittenFile]:
        """Write a batch's accepted records (one file per day) and its suspense file."""
        written: list[WrittenFile] = []
        frame = records
        if frame.height:
            frame = with_enums(frame).with_columns(pl.col("start").dt.date().alias("_day"))
            frame = frame.sort("line_msisdn", maintain_order=True, nulls_last=True)
            for (day,), part in frame.group_by("_day", maintain_order=True):
                relative = f"records/day={day}/batch-{batch_id:06d}.parquet"
                numbered = part.drop("_day").with_columns(
                    seq=pl.int_range(pl.len(), dtype=pl.Int32)
                )
                self._write(relative, numbered)
                written.append(WrittenFile("records", day, relative, part.height))
        if suspense.height:
            relative = f"suspense/batch-{batch_id:06d}.parquet"
            self._write(relative, with_enums(suspense))
            written.append(WrittenFile("suspense", None, relative, suspense.height))
        return written

    def _write(self, relative: str, frame: pl.DataFrame) -> None:
        target = self.absolute(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(target.name + ".tmp")
        frame.write_parquet(
            temporary, compression=COMPRESSION, statistics=True, row_group_size=ROW_GROUP
        )
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)

    def scan(self, relative_paths: Iterable[str]) -> pl.LazyFrame:
        """The records in the given files (records or suspense), RECORD_SCHEMA columns only."""
        scans = [
            pl.scan_parquet(self.absolute(path)).select(RECORD_SCHEMA.names)
            for path in relative_paths
        ]
        if not scans:
            return pl.LazyFrame(schema=pl.Schema(_POLARS_SCHEMA))
        return pl.concat(scans)

    def remove(self, relative_paths: Iterable[str]) -> None:
        for relative in relative_paths:
            self.absolute(relative).unlink(missing_ok=True)

    def unregistered(self, registered: set[str]) -> list[str]:
        """Files on disk that no committed batch or run names (left by a crash).

        ``registered`` holds file paths and folder paths (a rating run is a folder).
        """
        if not self.root.exists():
            return []
        found = [
            path.relative_to(self.root).as_posix()
            for path in self.root.rglob("*.parquet*")
            if path.is_file()
        ]
        return sorted(
            p
            for p in found
            if p not in registered and not any(p.startswith(f"{r}/") for r in registered)
        )


_POLARS_SCHEMA = dict(
    with_enums(pl.from_arrow(RECORD_SCHEMA.empty_table())).schema  # type: ignore[arg-type]
)
