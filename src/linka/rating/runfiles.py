"""A rating run on disk: the rated records (integer codes) and the tables that decode them.

``rated/period=2026-03/run-000012/`` holds ``usage-NNN.arrow`` (one per part of days;
one row per record: where it is in the store — file number and ``seq`` — its line,
account, period, service, start and the kernel's codes and amounts) plus small Parquet
tables: ``files`` (file number → store path) and one per code column (status, key,
tariff_idx, location_idx, allowance_idx).
Keeping text out of the big files makes writing and summing them fast; a reader joins the
small tables back when it needs names. The big files are Arrow IPC without compression:
writing one costs a fifth of the CPU of a Parquet file (the run's largest cost after the
kernel was compiled) and readers memory-map it; the price is disk space, about 75 bytes
a record (Parquet with LZ4 took about 18).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import polars as pl

from linka.rating.kernel import decode

USAGE = "usage-*.arrow"
FILES = "files"


def temporary_folder(folder: Path) -> Path:
    """An empty folder next to ``folder`` to write a run into before it counts."""
    temporary = folder.with_name(folder.name + ".tmp")
    if temporary.exists():
        shutil.rmtree(temporary)
    temporary.mkdir(parents=True)
    return temporary


def finish_run(temporary: Path, folder: Path, tables: dict[str, pl.DataFrame]) -> None:
    """Add the decoding tables and rename the run into place (atomic on one filesystem)."""
    for name, table in tables.items():
        table.write_parquet(temporary / f"{name}.parquet")
    if folder.exists():  # a crash left a run the register never committed
        shutil.rmtree(folder)
    os.replace(temporary, folder)


def read_tables(folder: Path) -> dict[str, pl.DataFrame]:
    return {
        path.stem: pl.read_parquet(path)
        for path in sorted(folder.glob("*.parquet"))
        if not path.name.startswith("usage-")
    }


def scan_codes(folder: Path) -> pl.LazyFrame:
    return pl.scan_ipc(folder / USAGE)


def scan_decoded(folder: Path, keep: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """The run's records with names instead of codes (status text, tariff, rule, …).

    ``keep``, when given, is inner-joined on the columns it shares with the records (e.g.
    ``line_id`` and ``period_start``; its other columns are carried along) before the
    codes are decoded, so only the wanted records get their text columns.
    """
    tables = read_tables(folder)
    codes = {name: table for name, table in tables.items() if name != FILES}
    records = scan_codes(folder)
    if keep is not None:
        shared = set(records.collect_schema().names())
        on = [name for name in keep.collect_schema().names() if name in shared]
        records = records.join(keep, on=on, how="inner")
    return decode(records, codes).join(
        tables[FILES].lazy(), on="file_no", how="left", maintain_order="left"
    )
