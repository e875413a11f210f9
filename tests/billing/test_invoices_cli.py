"""``linka invoices export`` and ``explain`` on the demo operator, run in-process."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Cli


def test_export_writes_each_document_once_and_explain_traces_lines(
    cli: Cli, tmp_path: Path
) -> None:
    out = cli("demo", "--customers", "15", "--records", "1500", "--no-documents")
    assert "invoice documents" not in out
    folder = tmp_path / "exported"
    out = cli("invoices", "export", "--out", str(folder), "--format", "isdoc", "--format", "ubl",
              "--period", "2026-03")  # fmt: skip
    issued = len(list(folder.glob("*.isdoc")))
    assert issued > 0
    assert len(list(folder.glob("*.ubl.xml"))) == issued
    assert f"{issued} documents: wrote {issued} isdoc, {issued} ubl; kept 0 existing files" in out
    out = cli("invoices", "export", "--out", str(folder), "--format", "isdoc")  # every period
    total = len(list(folder.glob("*.isdoc")))
    assert total > issued  # accounts whose bill cycle starts mid-month: periods from February
    assert f"{total} documents: wrote {total - issued} isdoc; kept {issued} existing files" in out
    out = cli("invoices", "export", "--out", str(folder), "--format", "isdoc")
    assert f"wrote 0 isdoc; kept {total} existing files" in out
    out = cli("invoices", "export", "--out", str(folder), "--period", "2026-13", expect=1)
    assert "give a month as YYYY-MM" in out

    out = cli("invoices", "explain", "FA2026000001", "--records")
    assert "from: offering " in out
    assert "/month, 31/31 days" in out
    assert "set by" in out  # a usage line's rules, with the catalog file and line
    assert ".csv:" in out  # the records' own file and line
