"""`linka bench rating` runs end to end on a small month and prints the figures the issue
asks to track, with the reference rater agreeing record by record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Cli


def test_the_rating_benchmark_prints_its_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # the benchmark makes its own scratch database: one run, whichever database is tested
    cli = Cli(tmp_path / "data", f"sqlite:///{tmp_path / 'unused.db'}", monkeypatch)
    output = cli("bench", "rating", "--records", "20000", "--import-records", "5000", "--json")
    figures = json.loads(output.strip().splitlines()[-1])
    for key in (
        "records", "records_per_s", "import_records_per_s", "reference_records_per_s",
        "wall_s", "peak_rss_mb",
    ):  # fmt: skip
        assert figures[key] > 0, key
    assert figures["import_records"] == 5000
    assert figures["records"] > 15_000  # the month's bill periods hold most of the 20,000
    assert figures["reference_agrees"] is True
