"""A synthetic carrier rate deck: realistic international destinations and prices.

Destinations are real country calling codes (from phonenumbers) with country names
(from Babel) split into fixed, mobile and premium ranges; prices follow a per-country
cost class. The same seed always gives the same deck, byte for byte.
"""

from __future__ import annotations

import csv
import random
from decimal import Decimal
from pathlib import Path

import phonenumbers
from babel import Locale

from linka.catalog.decks import REQUIRED

HOME_CODE = 420
BANDS = ("peak", "offpeak")
OFFPEAK_FACTOR = Decimal("0.7")
_COST_CLASSES = (Decimal("0.8"), Decimal("2.5"), Decimal("6"), Decimal("14"), Decimal("35"))
_INCREMENTS = ((60, 60), (60, 60), (60, 60), (60, 1), (1, 1), (30, 6))


def _countries() -> list[tuple[int, str]]:
    names = Locale("en").territories
    result = []
    for code, regions in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items()):
        if code == HOME_CODE or regions[0] == "001":
            continue
        result.append((code, str(names.get(regions[0], regions[0]))))
    return result


def generate_deck_rows(prefixes: int, seed: int = 1) -> list[dict[str, str]]:
    """Rows in the carrier CSV shape with ``prefixes`` distinct prefixes, two bands each."""
    rng = random.Random(seed)
    countries = _countries()
    cost = {code: rng.choice(_COST_CLASSES) for code, _ in countries}
    increments = {code: rng.choice(_INCREMENTS) for code, _ in countries}
    seen: set[str] = set()
    rows: list[dict[str, str]] = []

    def add(prefix: str, destination: str, code: int, factor: Decimal) -> None:
        if prefix in seen or len(seen) >= prefixes:
            return
        seen.add(prefix)
        peak = (cost[code] * factor * Decimal(rng.randint(80, 120)) / 100).quantize(
            Decimal("0.0001")
        )
        fee = Decimal(rng.choice((0, 0, 0, 10, 25, 50))) / 100
        first, nxt = increments[code]
        for band in BANDS:
            price = peak if band == "peak" else (peak * OFFPEAK_FACTOR).quantize(Decimal("0.0001"))
            rows.append(
                {
                    "prefix": prefix,
                    "destination": destination,
                    "price_per_minute": f"{price:f}",
                    "connection_fee": f"{fee:.4f}",
                    "first_increment": str(first),
                    "next_increment": str(nxt),
                    "time_band": band,
                }
            )

    for code, name in countries:  # every country reachable: its bare code is fixed lines
        add(str(code), f"{name} fixed", code, Decimal(1))
    kinds = (("mobile", Decimal("1.6")), ("fixed", Decimal(1)), ("premium", Decimal(5)))
    while len(seen) < prefixes:
        code, name = rng.choice(countries)
        kind, factor = rng.choices(kinds, weights=(6, 3, 1))[0]
        digits = "".join(str(rng.randint(0, 9)) for _ in range(rng.randint(1, 5)))
        add(f"{code}{rng.randint(1, 9)}{digits}"[:15], f"{name} {kind}", code, factor)
    return rows


def write_deck(path: Path, prefixes: int, seed: int = 1) -> int:
    """Write a deck CSV; returns the number of rows."""
    rows = generate_deck_rows(prefixes, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*REQUIRED, "time_band"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)
