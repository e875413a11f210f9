"""Run a rating conformance set (deck.csv, Master.csv, expected.csv) through linka.

A set's rules (its README): one offering whose tariff is the deck, no allowances, peak
Monday–Friday 07:00–19:00 Europe/Prague, prices rounded half-up to 4 decimals; the calling
line is +420 followed by ``src``. The catalog built here states exactly those rules, so
any set of the same shape can be checked.
"""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, datetime
from pathlib import Path

CATALOG = {
    "catalog.yaml": 'id: conformance\nname: Conformance\nversion: "1"\n'
    "effective_from: 2000-01-01\ncurrency: CZK\ntimezone: Europe/Prague\n",
    "taxes.yaml": "vat_rates: [{code: standard, rate: 21, valid_from: 2000-01-01}]\n"
    "tax_profiles: [{id: domestic, name: Domestic, mode: domestic}]\n",
    "roaming.yaml": "zones: [{id: world, name: World, rest_of_world: true}]\n",
    "offerings.yaml": "offerings:\n  - {id: deck-line, name: Deck line, kind: fixed_voice,"
    " tariff: deck}\n",
    "tariffs/deck.yaml": "id: deck\nname: Carrier deck\nrounding_places: 4\n"
    "rounding_mode: half_up\ntime_bands:\n"
    '  - {id: peak, days: [mon, tue, wed, thu, fri], start: "07:00", end: "19:00"}\n'
    "  - {id: offpeak}\nvoice:\n  decks: [decks/deck.csv]\n",
}
CLOCK_START = datetime(2030, 1, 1, tzinfo=UTC)


def conformance_sets(shared: Path) -> list[Path]:
    root = shared / "conformance"
    return sorted(
        p for p in root.iterdir() if all((p / f).is_file() for f in ("deck.csv", "Master.csv"))
    )


def build_catalog(set_dir: Path, target: Path) -> Path:
    for name, text in CATALOG.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text(text, encoding="utf-8")
    (target / "decks").mkdir(exist_ok=True)
    shutil.copy(set_dir / "deck.csv", target / "decks/deck.csv")
    return target


def calling_lines(set_dir: Path) -> list[str]:
    with (set_dir / "Master.csv").open(newline="", encoding="utf-8") as handle:
        return sorted({f"+420{row[1]}" for row in csv.reader(handle) if len(row) > 2})


def expected(set_dir: Path) -> dict[str, dict[str, str]]:
    with (set_dir / "expected.csv").open(newline="", encoding="utf-8") as handle:
        return {row["uniqueid"]: row for row in csv.DictReader(handle)}
