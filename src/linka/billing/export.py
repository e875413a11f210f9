"""Writing the documents of issued invoices to a folder: PDF, ISDOC, UBL, Factur-X, PNG.

Documents are write-once: a file that already exists is kept as it is (an issued
document never changes), and a new one appears whole or not at all (written to a
temporary name, then renamed). Re-running an export therefore only fills in what is
missing. The XML formats are validated by their builders before anything is written.
PDFs are laid out on threads: Typst releases the GIL, so each core renders in parallel.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path

from sqlalchemy import select

from linka.billing.model import InvoiceStatus
from linka.billing.rendering import load_documents, read_zone_names
from linka.billing.tables import InvoiceRow
from linka.documents.facturx import render_facturx
from linka.documents.isdoc import build_isdoc
from linka.documents.model import InvoiceDocument
from linka.documents.pdf import render_pdf, render_png
from linka.documents.ubl import build_ubl
from linka.settings import Settings
from linka.store.database import Database
from linka.usage.store import UsageStore

Progress = Callable[[str, int, int], None]
BATCH = 100  # invoices loaded (with their itemised usage) at a time: ~100k records


class DocumentFormat(StrEnum):
    PDF = "pdf"
    ISDOC = "isdoc"
    UBL = "ubl"
    FACTURX = "facturx"
    PNG = "png"  # the first page as an image (previews, the self-service portal)


SUFFIXES = {
    DocumentFormat.PDF: ".pdf",
    DocumentFormat.ISDOC: ".isdoc",
    DocumentFormat.UBL: ".ubl.xml",
    DocumentFormat.FACTURX: ".facturx.pdf",
    DocumentFormat.PNG: ".png",
}
BUILDERS: dict[DocumentFormat, Callable[[InvoiceDocument], bytes]] = {
    DocumentFormat.PDF: render_pdf,
    DocumentFormat.ISDOC: build_isdoc,
    DocumentFormat.UBL: build_ubl,
    DocumentFormat.FACTURX: render_facturx,
    DocumentFormat.PNG: render_png,
}


@dataclass(frozen=True)
class Selection:
    """Which issued documents: all, those of bill periods starting in a month, of a run."""

    period: str | None = None  # YYYY-MM
    run_id: int | None = None
    numbers: tuple[str, ...] = ()


@dataclass
class ExportResult:
    documents: int = 0
    written: dict[str, int] = field(default_factory=dict)
    kept: int = 0  # files that existed already and were left alone
    seconds: float = 0.0


def selected(database: Database, selection: Selection) -> list[tuple[int, str]]:
    """(id, number) of the selected issued documents, oldest first."""
    query = select(InvoiceRow.id, InvoiceRow.number_text).where(
        InvoiceRow.status == InvoiceStatus.ISSUED
    )
    if selection.period:
        year, month = (int(part) for part in selection.period.split("-"))
        first = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        query = query.where(InvoiceRow.period_start >= first, InvoiceRow.period_start < following)
    if selection.run_id is not None:
        query = query.where(InvoiceRow.bill_run_id == selection.run_id)
    if selection.numbers:
        query = query.where(InvoiceRow.number_text.in_(selection.numbers))
    with database.session() as session:
        return [
            (id_, str(number)) for id_, number in session.execute(query.order_by(InvoiceRow.id))
        ]


def document_path(folder: Path, number: str, kind: DocumentFormat) -> Path:
    return folder / f"{number}{SUFFIXES[kind]}"


def export_documents(
    database: Database,
    store: UsageStore,
    folder: Path,
    formats: Sequence[DocumentFormat],
    selection: Selection,
    settings: Settings,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the selected documents in every format into ``folder`` (created if needed)."""
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    chosen = selected(database, selection)
    result = ExportResult(documents=len(chosen), written={kind.value: 0 for kind in formats})
    ids = [
        id_
        for id_, number in chosen
        if not all(document_path(folder, number, kind).exists() for kind in formats)
    ]
    result.kept = (len(chosen) - len(ids)) * len(formats)
    report = progress or (lambda phase, done, total: None)
    report("writing documents", 0, len(ids))  # only those with a file missing
    with database.session() as session:
        names = read_zone_names(session)

    def load(batch: list[int]) -> list[InvoiceDocument]:
        with database.session() as session:
            return load_documents(session, store, batch, settings, names)

    batches = [ids[start : start + BATCH] for start in range(0, len(ids), BATCH)]
    done = 0
    # The next batch loads on its own thread while this one renders.
    with ThreadPoolExecutor(1) as loader, ThreadPoolExecutor(workers or os.cpu_count()) as pool:
        pending = [loader.submit(load, batches[0])] if batches else []
        for index in range(len(batches)):
            documents = pending.pop().result()
            if index + 1 < len(batches):
                pending.append(loader.submit(load, batches[index + 1]))
            for written in pool.map(lambda doc: _write_all(folder, doc, formats), documents):
                for kind in written:
                    result.written[kind.value] += 1
                result.kept += len(formats) - len(written)
            done += len(documents)
            report("writing documents", done, len(ids))
    result.seconds = time.perf_counter() - started
    return result


def _write_all(
    folder: Path, document: InvoiceDocument, formats: Sequence[DocumentFormat]
) -> list[DocumentFormat]:
    written = []
    for kind in formats:
        target = document_path(folder, document.number, kind)
        if target.exists():
            continue
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_bytes(BUILDERS[kind](document))
        os.replace(temporary, target)
        written.append(kind)
    return written
