"""``linka demo`` and ``linka db digest``, run in-process."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from linka.cli import runtime
from linka.cli.app import app
from tests.conftest import Cli


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    for console in (runtime.console, runtime.err_console):  # made at import, whatever COLUMNS
        monkeypatch.setattr(console, "width", 250)


def _digest(output: str) -> str:
    found = re.search(r"content digest: ([0-9a-f]{64})", output)
    assert found, output
    return found.group(1)


def test_demo_prints_the_summary_and_the_digest(cli: Cli, wide: None) -> None:
    out = cli("demo", "--customers", "30", "--records", "2000")
    for expected in (
        "Demo operator built (seed 1, demo date 2026-03-31",
        "international deck prefixes │      5,000",
        "customers                                      │    30",
        "Lines per offering and status",
        "mobile-prepaid   │ Předplacená karta │                        0.00",
        "voip-fixed       │ Pevná linka VoIP  │                      123.14",
        "data directory",
    ):
        assert expected in out, out
    digest = _digest(out)
    assert cli("db", "digest").startswith(digest)

    refused = cli("demo", "--customers", "30", "--records", "2000", expect=1)
    assert "already holds 30 customers" in refused
    again = cli("demo", "--customers", "30", "--records", "2000", "--reset", "--yes")
    assert "reset: emptied" in again
    assert _digest(again) == digest


def test_demo_runs_with_zero_setup_in_the_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wide: None
) -> None:
    monkeypatch.delenv("LINKA_DATABASE_URL", raising=False)
    monkeypatch.setenv("LINKA_DATA_DIR", str(tmp_path / "var"))
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--customers", "5", "--records", "300", "--seed", "9"])
    assert first.exit_code == 0, first.output
    assert (tmp_path / "var/linka.db").is_file()
    again = runner.invoke(
        app, ["demo", "--customers", "5", "--records", "300", "--seed", "9", "--reset"]
    )
    assert again.exit_code == 0, again.output
    assert f"reset: deleted {(tmp_path / 'var/linka.db').resolve()}" in again.output
    assert _digest(again.output) == _digest(first.output)
