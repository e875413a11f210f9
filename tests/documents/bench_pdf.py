"""PDF throughput on one core: 3-page invoices with 120 usage rows, rendered as a batch.

    taskset -c 0 .venv/bin/python -m tests.documents.bench_pdf [COUNT]

Each document differs (number, variable symbol, usage rows) so that Typst's memoisation
cannot reuse a previous layout; the time includes building the template data and the
QR Platba code. Not collected by pytest.
"""

from __future__ import annotations

import dataclasses
import sys
import time

from linka.documents.pdf import render_pdfs
from tests.documents.builders import invoice, usage_items


def main(count: int = 200) -> None:
    base = invoice(usage=120)
    documents = [
        dataclasses.replace(
            base,
            number=f"2026{i:06d}",
            variable_symbol=f"2026{i:06d}",
            usage=usage_items(120 + i % 7)[i % 7 :],
        )
        for i in range(count)
    ]
    list(render_pdfs(documents[:3]))  # warm-up: template parse, fonts
    started = time.perf_counter()
    sizes = [len(pdf) for _, pdf in render_pdfs(documents)]
    elapsed = time.perf_counter() - started
    print(f"{count} PDFs in {elapsed:.2f} s: {count / elapsed:.1f} documents/s on one process")
    print(f"average size {sum(sizes) / len(sizes) / 1024:.0f} KiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
