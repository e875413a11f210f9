"""``linka prepaid``: the commands on two prepaid lines of the demo catalog."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from linka.cli import runtime
from linka.kernel.clock import FakeClock
from linka.store.database import Database
from tests.conftest import Cli
from tests.usage.test_store import LINES, set_up


@pytest.fixture
def linka(cli: Cli, db: Database, catalog_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    set_up(db, catalog_dir)
    clock = FakeClock(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    monkeypatch.setattr(runtime, "clock", lambda: clock)
    monkeypatch.setenv("LINKA_PREPAID_CREDIT_VALIDITY_DAYS", "180")
    for console in (runtime.console, runtime.err_console):
        monkeypatch.setattr(console, "width", 250)
    return cli


def test_top_up_twice_with_one_reference_and_see_the_balance(linka: Cli):
    first = linka("prepaid", "top-up", LINES[0], "200", "--reference", "pay-1")
    again = linka("prepaid", "top-up", LINES[0], "200", "--reference", "pay-1")
    shown = linka("prepaid", "balance", LINES[0])

    assert "+200.00 CZK, usable until 2026-09-06; balance 200.00 CZK" in first
    assert "top-up top-up:pay-1 was booked already on 2026-03-10: nothing new" in again
    assert "top_up" in shown
    assert "top-up:pay-1" in shown
    assert "balance: 200,00 Kč" in shown


def test_vouchers_are_written_once_and_redeemed_once(linka: Cli, tmp_path: Path):
    target = tmp_path / "vouchers.csv"
    linka(
        "prepaid",
        "vouchers",
        "create",
        "--count",
        "2",
        "--amount",
        "100",
        "--valid-until",
        "2026-12-31",
        "--output",
        str(target),
    )
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    code = rows[0]["code"]

    assert [row["serial"] for row in rows] == ["V0000000001", "V0000000002"]
    assert "balance 100.00 CZK" in linka("prepaid", "vouchers", "redeem", LINES[0], code)
    refused = linka("prepaid", "vouchers", "redeem", LINES[0], code, expect=1)
    assert "voucher V0000000001 was already redeemed on 2026-03-10" in refused
    mistyped = linka("prepaid", "vouchers", "redeem", LINES[0], code[:-1] + "x", expect=1)
    assert "is mistyped" in mistyped
    assert "exists" in linka(
        "prepaid",
        "vouchers",
        "create",
        "--count",
        "1",
        "--amount",
        "100",
        "--valid-until",
        "2026-12-31",
        "--output",
        str(target),
        expect=1,
    )


def test_deduct_expire_and_low_with_nothing_to_do(linka: Cli):
    linka("prepaid", "top-up", LINES[0], "200", "--reference", "pay-1")

    assert "0 entries on 0 lines" in linka("prepaid", "deduct", "--through", "2026-03-31")
    assert "0 credits on 0 lines" in linka("prepaid", "expire", "--date", "2026-03-31")
    low = linka("prepaid", "low")
    assert LINES[1] in low
    assert LINES[0] not in low


def test_an_unknown_number_and_a_bad_amount_are_refused(linka: Cli):
    assert "expected a number" in linka("prepaid", "top-up", LINES[0], "abc", expect=1)
    assert "no line" in linka("prepaid", "balance", "+420777000000", expect=1).lower()
