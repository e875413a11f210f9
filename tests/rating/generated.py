"""Hypothesis strategies: random catalogs (as real folders) and random usage for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from linka.catalog.decks import REQUIRED as DECK_COLUMNS

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
INCREMENTS = ["1/1", "60/1", "60/60", "30/6", "10/10", "45/15"]
COUNTRIES = {"home": "CZ", "rlah": ["DE", "AT"], "world": ["US", "CH"], "rest": ["JP", "BR"]}


def price(places: int = 4) -> st.SearchStrategy[Decimal]:
    return st.integers(min_value=0, max_value=10**places * 40).map(
        lambda n: Decimal(n).scaleb(-places)
    )


@dataclass
class GeneratedCatalog:
    files: dict[str, Any]
    deck: list[dict[str, str]]
    prefixes: list[str]

    def write(self, root: Path) -> Path:
        (root / "tariffs").mkdir(parents=True, exist_ok=True)
        (root / "decks").mkdir(exist_ok=True)
        for name, content in self.files.items():
            text = yaml.safe_dump(content, allow_unicode=True, sort_keys=False)
            (root / name).write_text(text, encoding="utf-8")
        columns = [*DECK_COLUMNS, "time_band"]
        lines = [",".join(columns)] + [",".join(row[c] for c in columns) for row in self.deck]
        (root / "decks/deck.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return root


def _text(value: Decimal) -> str:
    return f"{value:f}"


@st.composite
def catalogs(draw: st.DrawFn) -> GeneratedCatalog:
    places = draw(st.integers(min_value=0, max_value=6))
    mode = draw(st.sampled_from(["half_up", "half_even", "up", "down"]))
    peak_days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True))
    start_h = draw(st.integers(min_value=0, max_value=22))
    end_h = draw(st.integers(min_value=start_h + 1, max_value=24))
    bands = [
        {"id": "peak", "days": peak_days, "start": f"{start_h:02d}:00", "end": f"{end_h:02d}:00"},
        {"id": "offpeak"},
    ]
    band_ids = ["peak", "offpeak"]
    zone_prefixes = draw(
        st.lists(
            st.text("0123456789", min_size=1, max_size=4).map(lambda s: "420" + s),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    zones = [
        {"id": f"z{i}", "name": f"Zone {i}", "prefixes": [p]} for i, p in enumerate(zone_prefixes)
    ]
    zones.append({"id": "cz", "name": "Czechia", "prefixes": ["420"]})

    def rate(zone: str | None, service: str) -> dict[str, Any]:
        item: dict[str, Any] = {}
        if zone is not None:
            item["zone"] = zone
        if draw(st.booleans()):
            item["band"] = draw(st.sampled_from(band_ids))
        if draw(st.integers(0, 3)) == 0:
            starts = sorted(set(draw(st.lists(st.integers(1, 50), max_size=2))))
            item["tiers"] = [{"from_units": 0, "price": _text(draw(price(places)))}] + [
                {"from_units": s, "price": _text(draw(price(places)))} for s in starts
            ]
        else:
            item["price"] = _text(draw(price(places)))
        if service == "voice" and draw(st.booleans()):
            item["increments"] = draw(st.sampled_from(INCREMENTS))
        if draw(st.integers(0, 3)) == 0:
            item["connection_fee"] = _text(draw(price(2)))
        if draw(st.integers(0, 4)) == 0:
            item["minimum_charge"] = _text(draw(price(2)))
        return item

    def priced_everywhere(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Keep band-specific rates only when no all-band rate of the zone exists."""
        seen: dict[Any, set[str]] = {}
        kept = []
        for item in items:
            covered = seen.setdefault(item.get("zone"), set())
            bands_of = {item["band"]} if "band" in item else set(band_ids)
            if covered & bands_of:
                continue
            covered |= bands_of
            kept.append(item)
        return kept

    voice_rates = priced_everywhere([rate(z["id"], "voice") for z in zones for _ in range(2)])
    sms_rates = priced_everywhere([rate(z["id"], "sms") for z in zones[:2]] + [rate(None, "sms")])
    data_rates = priced_everywhere([rate(None, "data") for _ in range(2)])
    deck_prefixes = draw(  # international destinations: country code 1 and longer
        st.lists(
            st.text("0123456789", min_size=1, max_size=5).map(lambda s: "1" + s),
            min_size=1,
            max_size=8,
            unique=True,
        )
    )
    deck = []
    for prefix in deck_prefixes:
        for band in band_ids if draw(st.booleans()) else [""]:
            deck.append(
                {
                    "prefix": prefix,
                    "destination": f"Dest {prefix[:2]}",
                    "price_per_minute": _text(draw(price(4))),
                    "connection_fee": _text(draw(price(2))),
                    "first_increment": str(draw(st.sampled_from([1, 30, 60]))),
                    "next_increment": str(draw(st.sampled_from([1, 6, 60]))),
                    "time_band": band,
                }
            )
    scopes = [
        {
            "id": "national",
            "zones": ["cz", *(z["id"] for z in zones[:-1])],
            "roaming": ["home", "rlah"],
        },
        {"id": "anywhere"},
    ]
    allowances = []
    for i, unit in enumerate(
        draw(st.lists(st.sampled_from(["minute", "message", "MB"]), max_size=3))
    ):
        allowances.append(
            {
                "id": f"a{i}",
                "quantity": draw(st.integers(1, 8)),
                "unit": unit,
                "scope": draw(st.sampled_from(["national", "anywhere"])),
            }
        )
    tariff = {
        "id": "t",
        "name": "Generated",
        "rounding_places": places,
        "rounding_mode": mode,
        "time_bands": bands,
        "zones": zones,
        "scopes": scopes,
        "voice": {
            "increments": draw(st.sampled_from(INCREMENTS)),
            "rates": voice_rates,
            "decks": ["decks/deck.csv"],
        },
        "sms": {"rates": sms_rates},
        "data": {
            "unit_bytes": draw(st.sampled_from([1000, 1_000_000, 1_048_576])),
            "increment_bytes": draw(st.sampled_from([1, 1000, 10_240])),
            "rates": data_rates,
        },
        "roaming": [
            {
                "zone": "world",
                "voice_mo_per_minute": _text(draw(price(places))),
                "voice_mt_per_minute": _text(draw(price(places))),
                "sms_mo_per_message": _text(draw(price(places))),
                "data_per_unit": _text(draw(price(places))),
                "increments": draw(st.sampled_from(INCREMENTS)),
            }
        ],
    }
    files = {
        "catalog.yaml": {
            "id": "gen",
            "name": "Generated",
            "version": "1",
            "effective_from": "2020-01-01",
        },
        "taxes.yaml": {
            "vat_rates": [{"code": "standard", "rate": 21, "valid_from": "2000-01-01"}],
            "tax_profiles": [{"id": "domestic", "name": "Domestic", "mode": "domestic"}],
        },
        "roaming.yaml": {
            "zones": [
                {
                    "id": "rlah",
                    "name": "EU",
                    "roam_like_at_home": True,
                    "countries": COUNTRIES["rlah"],
                },
                {"id": "world", "name": "World 1", "countries": COUNTRIES["world"]},
                {"id": "rest", "name": "Rest", "rest_of_world": True},
            ]
        },
        "offerings.yaml": {
            "offerings": [{"id": "o", "name": "Offer", "tariff": "t", "allowances": allowances}]
        },
        "tariffs/t.yaml": tariff,
    }
    return GeneratedCatalog(files, deck, [*zone_prefixes, "420", *deck_prefixes])


# around the 2026 spring and autumn changes in Prague, and an ordinary week
_ANCHORS = [
    datetime(2026, 3, 29, 0, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 0, 0, tzinfo=UTC),
    datetime(2026, 6, 1, 0, 0, tzinfo=UTC),
]


@st.composite
def usage(draw: st.DrawFn, prefixes: list[str]) -> list[dict[str, Any]]:
    records = []
    for i in range(draw(st.integers(1, 60))):
        service = draw(st.sampled_from(["voice", "voice", "sms", "data"]))
        prefix = draw(st.sampled_from([*prefixes, "999", "4"]))
        tail = draw(st.text("0123456789", min_size=0, max_size=15 - len(prefix)))
        number = prefix + tail
        place = draw(st.sampled_from(["home", "home", "rlah", "world", "rest", None]))
        country = (
            None
            if place is None
            else (COUNTRIES["home"] if place == "home" else draw(st.sampled_from(COUNTRIES[place])))
        )
        start = draw(st.sampled_from(_ANCHORS)) + timedelta(
            seconds=draw(st.integers(-2 * 86400, 2 * 86400))
        )
        records.append(
            {
                "line_id": draw(st.integers(1, 2)),
                "period": draw(st.integers(0, 1)),
                "version_id": 1,
                "offering_id": draw(st.sampled_from(["o"] * 9 + ["gone"])),
                "service": service,
                "direction": draw(st.sampled_from(["mo", "mo", "mt"])),
                "b_number": int(number) if 8 <= len(number) <= 15 and number[0] != "0" else None,
                "start": start,
                "duration_s": draw(st.sampled_from([0, 1, 29, 30, 31, 59, 60, 61, 119, 3601]))
                if draw(st.booleans())
                else draw(st.integers(-5, 4000)),
                "volume": draw(st.sampled_from([0, 1, 999, 1000, 1001]))
                if draw(st.booleans())
                else draw(st.integers(0, 5_000_000)),
                "roaming_country": country,
                "seq": i,
            }
        )
    records.sort(key=lambda r: (r["start"], r["seq"]))
    return records
