"""The ``linka customers`` and ``linka lines`` commands, run in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from linka.cli import runtime
from linka.customers.tables import CustomerRow
from linka.store.database import Database
from tests.conftest import Cli
from tests.customers.builders import clock, count


@pytest.fixture
def linka(cli: Cli, loaded_catalog: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The CLI on a database with the demo catalog, its clock standing at 2026-03-02."""
    fixed = clock()
    monkeypatch.setattr(runtime, "clock", lambda: fixed)
    for console in (runtime.console, runtime.err_console):  # made at import, whatever COLUMNS
        monkeypatch.setattr(console, "width", 250)
    return cli


def test_adding_listing_and_showing_customers(linka: Cli) -> None:
    out = linka(
        "customers", "add", "--first-name", "Jan", "--last-name", "Novák",
        "--email", "jan@example.cz", "--phone", "601123456",
        "--msisdn", "602 123 456", "--offering", "mobile-basic", "--iccid", "8942090000000000055",
    )  # fmt: skip
    assert "created customer 10000001 (Jan Novák) with billing account 20000001" in out
    assert "(variable symbol 20000001) and line +420602123456" in out
    out = linka(
        "customers", "add", "--organisation-name", "Acme s.r.o.", "--ico", "25123891",
        "--street", "Dlouhá 5", "--city", "Praha", "--postal-code", "11000",
        "--email", "info@acme.cz", "--payment-method", "card",
    )  # fmt: skip
    assert "created customer 10000002 (Acme s.r.o.)" in out

    listed = linka("customers", "list", "--segment", "business")
    assert "Acme s.r.o." in listed
    assert "Jan Novák" not in listed
    assert "showing 1–1 of 1" in listed
    assert "Jan Novák" in linka("customers", "list", "--search", "novák")

    shown = linka("customers", "show", "10000001")
    for expected in (
        "Customer 10000001", "jan@example.cz", "+420601123456", "20000001", "+420602123456",
        "mobile-basic", "2026-03-02 new→active (created)", "customer.created", "line.created",
    ):  # fmt: skip
        assert expected in shown


def test_add_names_the_options_to_fix(linka: Cli, db: Database) -> None:
    out = linka(
        "customers", "add", "--organisation-name", "Bad s.r.o.", "--ico", "25123890",
        "--dic", "CZ1", "--street", "A 1", "--city", "Praha", "--postal-code", "1100",
        expect=1,
    )  # fmt: skip
    assert "customer refused (3 problems)" in out
    assert "--ico: IČO '25123890' fails the check-digit test" in out
    assert "--dic: expected a Czech DIČ" in out
    assert "--postal-code: expected a CZ postal code of 5 digits" in out
    assert count(db, CustomerRow) == 0


def test_line_lifecycle_commands(linka: Cli) -> None:
    linka("customers", "add", "--first-name", "Jan", "--last-name", "Novák",
          "--email", "jan@example.cz")  # fmt: skip
    out = linka("lines", "add", "20000001", "--msisdn", "+420601000001",
                "--offering", "mobile-basic", "--status", "pending")  # fmt: skip
    assert "created line +420601000001 on account 20000001: mobile-basic, pending" in out
    out = linka("lines", "status", "601000001", "--to", "active", "--reason", "SIM delivered")
    assert "line +420601000001: pending → active from 2026-03-02 (SIM delivered)" in out
    out = linka("lines", "status", "601000001", "--to", "suspended", "--reason", "lost",
                "--date", "2026-03-01", expect=1)  # fmt: skip
    assert "before the line's last status change (active on 2026-03-02)" in out
    out = linka("lines", "status", "601000001", "--to", "pending", "--reason", "x", expect=1)
    assert "error: a line cannot go from active to pending; from active it may go to: " in out
    shown = linka("lines", "show", "+420 601 000 001")
    for expected in ("10000001 (Jan Novák)", "barred, suspended, terminated", "SIM delivered"):
        assert expected in shown
    out = linka("lines", "add", "20000001", "--msisdn", "601000001", "--offering",
                "mobile-basic", "--status", "later", expect=1)  # fmt: skip
    assert "line refused (1 problem):" in out
    assert "--status: expected one of pending, active, suspended, barred, terminated" in out
    out = linka("lines", "add", "20000001", "--msisdn", "601000001", "--offering",
                "mobile-prepaid", expect=1)  # fmt: skip
    assert "--msisdn: MSISDN +420601000001 is in use by a line of account 20000001" in out
    assert "--offering: offering mobile-prepaid needs a prepaid account" in out


def test_import_command_exits_non_zero_when_rows_are_rejected(
    linka: Cli, db: Database, tmp_path: Path
) -> None:
    source = tmp_path / "people.csv"
    source.write_text(
        "customer_ref,first_name,last_name,email,tax_profile,msisdn,offering\n"
        "1,Jan,Novák,jan@example.cz,domestic,601000001,mobile-basic\n"
        "2,Eva,Nová,eva@example.cz,domestic,601000001,mobile-basic\n",
        encoding="utf-8",
    )
    out = linka("customers", "import", str(source), expect=1)
    assert "people.csv:3: msisdn: duplicate MSISDN +420601000001: also on people.csv:2" in out
    assert "refused: nothing stored" in out
    assert count(db, CustomerRow) == 0

    out = linka("customers", "import", str(source), "--dry-run", "--skip-invalid", expect=1)
    assert "dry run: nothing stored" in out
    assert count(db, CustomerRow) == 0

    rejects = tmp_path / "bad.csv"
    out = linka("customers", "import", str(source), "--skip-invalid", "--rejects", str(rejects),
                expect=1)  # fmt: skip
    assert f"rejected rows written to {rejects}" in out
    assert count(db, CustomerRow) == 1
    assert (
        rejects.read_text(encoding="utf-8")
        .splitlines()[1]
        .startswith(
            "2,Eva,Nová,eva@example.cz,domestic,601000001,mobile-basic,3,msisdn: duplicate MSISDN"
        )
    )

    good = tmp_path / "good.csv"
    good.write_text(
        "first_name,last_name,email,tax_profile\nIva,Malá,iva@example.cz,domestic\n",
        encoding="utf-8",
    )
    out = linka("customers", "import", str(good))
    assert "imported" in out
    assert count(db, CustomerRow) == 2


def test_consent_contact_and_update_commands(linka: Cli) -> None:
    linka("customers", "add", "--first-name", "Jan", "--last-name", "Novák",
          "--email", "jan@example.cz")  # fmt: skip
    assert "marketing by email granted" in linka(
        "customers", "consent", "10000001", "--channel", "email", "--purpose", "marketing",
        "--grant", "--source", "web form",
    )  # fmt: skip
    assert "contact 1: billing, technical of account 20000001" in linka(
        "customers", "contact", "20000001", "--name", "Petra Malá", "--role", "billing",
        "--role", "technical",
    )  # fmt: skip
    assert "customer 10000001: email: 'jan@example.cz' → 'jan@novak.cz'" in linka(
        "customers", "update", "10000001", "--set", "email=Jan@Novak.cz"
    )
    assert "account 20000001: bill_cycle_day: 1 → 15" in linka(
        "customers", "update-account", "20000001", "--set", "bill_cycle_day=15"
    )
    shown = linka("customers", "show", "10000001")
    for expected in ("Petra Malá", "technical", "web form", "customer.changed", "account.changed"):
        assert expected in shown
