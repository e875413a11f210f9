"""``linka payments`` and ``linka reports`` on a small ledger, run in-process."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from linka.payments.statements import write_camt053, write_gpc
from linka.store.database import Database
from tests.conftest import Cli
from tests.payments.builders import account, invoice, paid, statement


def test_import_queue_match_ledger_and_reports(db: Database, cli: Cli, tmp_path: Path) -> None:
    with db.session() as session:
        owner = account(session, 1)
        invoice(session, owner, 1, "1000.00")
        invoice(session, owner, 2, "200.00")
        invoice(session, account(session, 2), 3, "300.00")  # never paid
    camt = tmp_path / "april.xml"
    camt.write_bytes(
        write_camt053(
            statement("S-1", paid("E1", "1000.00", "2026000001"), paid("E2", "200.00", "555"))
        )
    )
    out = cli("payments", "import", "--format", "camt053", str(camt))
    assert "1 payments (200.00) wait in the queue" in out
    assert "vs-invoice 1" in out
    out = cli("payments", "import", "--format", "camt053", str(camt))
    assert "0 payments" not in out  # the queue still holds the one
    assert "1 payments (200.00) wait in the queue" in out

    queue = tmp_path / "queue.csv"
    out = cli("payments", "unmatched", "--csv", str(queue))
    assert "Unmatched payments (1)" in out
    assert pl.read_csv(queue)["amount"].to_list() == [200.0]

    out = cli("payments", "match", "#2", "FA2026000002")
    assert "→ account 20000001: paid 1 item(s), credit kept 0.00; balance now 0.00" in out
    out = cli("payments", "match", "#2", "FA2026000002", expect=1)
    assert "is matched, not waiting" in out

    out = cli("payments", "ledger", "20000001")
    assert "invoice FA2026000001" in out
    assert "the customer is settled: 0.00 CZK" in out

    report = tmp_path / "aging.csv"
    out = cli("reports", "aging", "--date", "2026-05-20", "--csv", str(report))
    assert "Receivables ageing on 2026-05-20" in out
    aging = pl.read_csv(report)
    assert aging["account"].to_list() == [20000002]
    assert (aging["31–60"].to_list(), aging["balance"].to_list()) == ([300.0], [300.0])
    out = cli("reports", "payments", "--period", "2026-04")
    assert "vs-invoice" in out
    assert "manual" in out
    out = cli("reports", "payments", "--period", "April", expect=1)
    assert "expected YYYY-MM" in out


def test_a_corrupt_file_is_refused_naming_it(db: Database, cli: Cli, tmp_path: Path) -> None:
    gpc = tmp_path / "bad.gpc"
    gpc.write_bytes(write_gpc(statement("S-1", paid("E1", "10.00", "1")))[:-30])
    out = cli("payments", "import", "--format", "gpc", str(gpc), expect=1)
    assert "bad.gpc" in out
