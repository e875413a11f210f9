"""``linka payments`` SEPA commands end to end: mandates, sepa-export, sepa-returns, refunds."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from linka.cli import runtime
from linka.store.database import Database
from tests.conftest import Cli
from tests.payments.test_sepa import DEBTOR_IBAN, PAIN002, clock, credit, issue, open_account


@pytest.fixture
def billed(db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    """Account 20000001 pays by direct debit and owes FA2026000001 (646.50 EUR, due 15 April)."""
    monkeypatch.setattr(runtime, "clock", clock)
    with db.session() as session:
        issue(session, open_account(session, 1), 1, date(2026, 4, 15), "646.50")
    return db


def test_mandate_export_rejection_and_refund_from_the_command_line(
    billed: Database, cli: Cli, tmp_path: Path
) -> None:
    out = cli(
        "payments", "mandates", "add", "20000001", "--iban", "DE89 3704 0044 0532 0130 00",
        "--name", "Jana Veselá", "--signed-on", "2026-04-02",
    )  # fmt: skip
    assert "mandate 20000001-1 on account 20000001" in out
    assert "20000001-1" in cli("payments", "mandates", "list", "20000001")
    out = cli("payments", "sepa-export", "--date", "2026-04-15")
    row = next(line for line in out.splitlines() if "FA2026000001" in line)
    assert row.split("│")[1:-1] == [
        " FA2026000001  ", " 20000001 ", " 20000001-1 ", " Jana Veselá ", " FRST ",
        " 646.50 ", " EUR ",
    ]  # fmt: skip
    [written] = (tmp_path / "data" / "sepa").glob("pain.008-2026-04-15-*.xml")
    assert f"1 debits, 646.50 EUR: {written}" in out.replace("\n", "")
    assert "nothing to collect on 2026-04-15" in cli(
        "payments", "sepa-export", "--date", "2026-04-15"
    )
    # the bank rejects the debit in a pain.002
    batch = written.name.removeprefix("pain.008-2026-04-15-").removesuffix(".xml")
    report = tmp_path / "pain002.xml"
    report.write_text(PAIN002.format(batch=batch, e2e="FA2026000001"))
    assert "1 debits rejected, 0 booked before" in cli("payments", "sepa-returns", str(report))
    # a refund above the credit is refused; one within it is paid by pain.001
    out = cli("payments", "refund", "20000001", "10", expect=1)
    assert "exceeds the account's credit of 0" in out
    with billed.session() as session:
        credit(session, "bank/9", "700.00", "20000001", "transfer")
    out = cli("payments", "refund", "20000001", "53.50")
    assert "53.50 EUR to Jana Veselá" in out
    refund = out.split(":", 1)[0].removeprefix("refund ")  # REFUND-<id>; a sequence may skip
    out = cli("payments", "refunds-export", "--date", "2026-04-14")
    row = next(line for line in out.splitlines() if refund in line)
    assert [cell.strip() for cell in row.split("│")[1:-1]] == [
        refund, "Jana Veselá", DEBTOR_IBAN, "53.50",
    ]  # fmt: skip
    assert "1 refunds, 53.50 EUR" in out
    assert len(list((tmp_path / "data" / "sepa").glob("pain.001-2026-04-14-*.xml"))) == 1
    assert "no refunds waiting" in cli("payments", "refunds-export", "--date", "2026-04-14")
    assert cli("payments", "mandates", "revoke", "20000001-1").startswith(
        "mandate 20000001-1 revoked on 2026-04-14"
    )


def test_bad_input_ends_with_a_clear_error(billed: Database, cli: Cli) -> None:
    out = cli("payments", "mandates", "add", "20000001", "--iban", "CZ00", "--name", "X", expect=1)
    assert "error: debtor IBAN 'CZ00' is not a valid IBAN" in out
    out = cli(
        "payments", "mandates", "add", "29999999", "--iban", DEBTOR_IBAN, "--name", "X", expect=1
    )
    assert "error: no billing account with number '29999999'" in out
    assert "expected a date YYYY-MM-DD" in cli(
        "payments", "sepa-export", "--date", "15.4.2026", expect=1
    )
    assert "expected a number" in cli("payments", "refund", "20000001", "ten", expect=1)
