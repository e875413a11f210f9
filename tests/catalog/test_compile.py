"""Compiling catalog folders: what the rate table holds, and the errors users see."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from linka.catalog.compile import compile_catalog
from linka.catalog.errors import CatalogInvalidError


def issues_of(folder: Path) -> list[str]:
    with pytest.raises(CatalogInvalidError) as caught:
        compile_catalog(folder)
    return [str(issue) for issue in caught.value.issues]


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_demo_catalog_compiles_into_one_rate_row_per_prefix_band_and_tier(catalog_dir: Path):
    catalog = compile_catalog(catalog_dir)

    assert [o.id for o in catalog.offerings] == [
        "mobile-prepaid",
        "mobile-basic",
        "mobile-unlimited",
        "mobile-business",
        "voip-fixed",
    ]
    mobile = catalog.tariff_rates("mobile")
    peak = mobile.filter(pl.col("rule_id") == "voice-mo@home/420601/peak").row(0, named=True)
    assert peak["price"] == Decimal("3.2231")
    assert (peak["first_increment"], peak["next_increment"]) == (60, 1)
    assert peak["zone_id"] == "cz-mobile"
    assert peak["source"] == "tariffs/mobile.yaml:36"
    fixed = mobile.filter(pl.col("rule_id") == "voice-mo@home/420/offpeak").row(0, named=True)
    assert (fixed["price"], fixed["first_increment"], fixed["next_increment"]) == (
        Decimal("2.4793"),
        60,
        60,
    )
    tiers = mobile.filter((pl.col("service") == "data") & (pl.col("roaming_zone").is_null()))
    assert sorted(zip(tiers["band_id"], tiers["tier_from"], tiers["price"], strict=True)) == [
        ("offpeak", Decimal(0), Decimal("0.4132")),
        ("offpeak", Decimal(1000), Decimal("0.2066")),
        ("peak", Decimal(0), Decimal("0.4132")),
        ("peak", Decimal(1000), Decimal("0.2066")),
    ]
    deck_rows = mobile.filter(pl.col("source").str.starts_with("decks/"))
    assert deck_rows.height == 400  # 200 prefixes x 2 bands from the CSV
    roaming = mobile.filter(pl.col("rule_id") == "voice-mt@world-2/*/peak").row(0, named=True)
    assert roaming["price"] == Decimal("24.7934")


def test_amounts_keep_every_decimal_the_file_wrote(catalog_dir: Path):
    replace_in(catalog_dir / "tariffs/voip.yaml", "price: 1.4876", "price: 0.1")
    catalog = compile_catalog(catalog_dir)
    prices = catalog.rates.filter(pl.col("rule_id") == "voice-mo@home/420601/peak")
    assert prices.filter(pl.col("tariff_id") == "voip")["price"].to_list() == [Decimal("0.1")]


def test_norway_stays_a_country_code(catalog_dir: Path):
    catalog = compile_catalog(catalog_dir)
    assert "NO" in catalog.roaming.zones[0].countries


def test_unknown_field_is_reported_with_file_line_and_field(catalog_dir: Path):
    replace_in(catalog_dir / "offerings.yaml", "        amount: 247.11", "        amuont: 247.11")
    assert issues_of(catalog_dir) == [
        "offerings.yaml:21: offerings[1].recurring_fees[0].amount: required field is missing",
        "offerings.yaml:23: offerings[1].recurring_fees[0].amuont: unknown field "
        "(check its spelling against docs/catalog.md)",
    ]


def test_bad_deck_cells_are_reported_with_their_csv_line(catalog_dir: Path):
    deck = catalog_dir / "decks/international.csv"
    lines = deck.read_text().splitlines()
    fields = lines[4].split(",")
    fields[2] = "abc"
    lines[4] = ",".join(fields)
    lines[9] = "+42x," + lines[9].split(",", 1)[1]
    deck.write_text("\n".join(lines) + "\n")
    assert issues_of(catalog_dir) == [
        "decks/international.csv:5: price_per_minute: 'abc': expected a non-negative decimal "
        "with at most 6 decimals",
        "decks/international.csv:10: prefix: '+42x': expected E.164 digits without spaces, "
        "1 to 15 long",
    ]


def test_deck_header_must_name_the_carrier_columns(catalog_dir: Path):
    deck = catalog_dir / "decks/international.csv"
    text = deck.read_text().replace("price_per_minute", "rate", 1)
    deck.write_text(text)
    (issue,) = issues_of(catalog_dir)
    assert issue.startswith("decks/international.csv:1: header: missing columns price_per_minute;")
    assert "unknown columns rate" in issue


def test_deck_time_band_must_exist_in_the_tariff(catalog_dir: Path):
    deck = catalog_dir / "decks/international.csv"
    lines = deck.read_text().splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + ",weekend"
    deck.write_text("\n".join(lines) + "\n")
    issues = issues_of(catalog_dir)
    assert (
        "decks/international.csv:2: time_band: 'weekend' is not a time band of tariff mobile "
        "(expected one of offpeak, peak)" in issues
    )


def test_a_prefix_priced_twice_names_both_sources(catalog_dir: Path):
    replace_in(
        catalog_dir / "tariffs/voip.yaml",
        'prefixes: ["420"]',
        'prefixes: ["420", "420601"]',
    )
    issues = issues_of(catalog_dir)
    assert any(
        "voice-mo@home/420601/peak is priced more than once (tariffs/voip.yaml:33, "
        "tariffs/voip.yaml:35)" in issue
        for issue in issues
    ), issues


def test_time_bands_must_cover_the_whole_week(catalog_dir: Path):
    replace_in(
        catalog_dir / "tariffs/voip.yaml",
        "  - id: offpeak\n",
        "  - id: offpeak\n    days: [sat, sun]\n",
    )
    issues = issues_of(catalog_dir)
    assert (
        "tariffs/voip.yaml:6: time_bands: no band covers mon 00:00: end the list with a band "
        "that has no days or times" in issues
    )


def test_references_between_files_are_checked(catalog_dir: Path):
    replace_in(catalog_dir / "offerings.yaml", "tariff: voip", "tariff: voip-2027")
    replace_in(catalog_dir / "offerings.yaml", "scope: home-and-eu", "scope: everywhere")
    replace_in(catalog_dir / "tariffs/mobile.yaml", "roaming: [home, eu-eea]", "roaming: [mars]")
    issues = issues_of(catalog_dir)
    assert "offerings.yaml:112: offerings[4].tariff: unknown tariff 'voip-2027'" in issues
    assert (
        "offerings.yaml:45: offerings[1].allowances[2].scope: tariff mobile has no scope "
        "'everywhere' (it has: home-and-eu, national)" in issues
    )
    assert (
        "tariffs/mobile.yaml:29: scopes[0].roaming: unknown place 'mars': expected 'home' "
        "or a roaming zone id" in issues
    )


def test_overlapping_vat_periods_are_refused(catalog_dir: Path):
    replace_in(catalog_dir / "taxes.yaml", "    valid_to: 2024-01-01\n", "")
    assert issues_of(catalog_dir) == [
        "taxes.yaml:10: vat_rates[2].valid_from: VAT rate 'reduced' overlaps an earlier "
        "period: give the earlier one a valid_to"
    ]


def test_yaml_syntax_errors_and_missing_files_are_located(catalog_dir: Path):
    (catalog_dir / "roaming.yaml").unlink()
    assert issues_of(catalog_dir) == ["roaming.yaml: required file is missing"]
    (catalog_dir / "roaming.yaml").write_text("home_country: CZ\nzones: [\n")
    (issue,) = issues_of(catalog_dir)
    assert issue.startswith("roaming.yaml:3: not valid YAML")


def test_a_country_in_two_roaming_zones_is_refused(catalog_dir: Path):
    replace_in(catalog_dir / "roaming.yaml", "countries: [GB,", "countries: [AT, GB,")
    assert issues_of(catalog_dir) == [
        "roaming.yaml:10: zones[1].countries: AT is already in zone eu-eea"
    ]


def test_version_lookups(catalog_dir: Path):
    from datetime import UTC, date, datetime

    catalog = compile_catalog(catalog_dir)
    assert catalog.vat_rate("reduced", date(2023, 12, 31)) == Decimal(15)
    assert catalog.vat_rate("reduced", date(2024, 1, 1)) == Decimal(12)
    with pytest.raises(KeyError, match="no VAT rate 'standard' valid on 2000-01-01"):
        catalog.vat_rate("standard", date(2000, 1, 1))
    assert catalog.roaming_zone_of("CZ") is None
    assert catalog.roaming_zone_of("DE").id == "eu-eea"  # type: ignore[union-attr]
    assert catalog.roaming_zone_of("JP").id == "world-2"  # type: ignore[union-attr]
    mobile = catalog.tariff("mobile")
    # Summer time began on Sunday 2026-03-29: on Monday peak starts at 05:00 UTC, not 06:00.
    assert mobile.band_at(datetime(2026, 3, 30, 4, 59, tzinfo=UTC)) == "offpeak"  # 06:59 CEST
    assert mobile.band_at(datetime(2026, 3, 30, 5, 0, tzinfo=UTC)) == "peak"  # 07:00 CEST
    assert mobile.band_at(datetime(2026, 3, 27, 6, 0, tzinfo=UTC)) == "peak"  # 07:00 CET Fri
    assert mobile.band_at(datetime(2026, 3, 27, 5, 59, tzinfo=UTC)) == "offpeak"


def test_usage_sources_are_checked_against_the_readers(catalog_dir: Path):
    from linka.usage.sources import check_sources

    assert check_sources(compile_catalog(catalog_dir)) == []
    replace_in(catalog_dir / "sources.yaml", "format: asterisk", "format: asterix")
    replace_in(catalog_dir / "sources.yaml", "duration_s: duration_s", "duration: duration_s")
    issues = [str(issue) for issue in check_sources(compile_catalog(catalog_dir))]
    assert len(issues) == 2
    assert issues[0].startswith("sources.yaml: sources[0].options: ")
    assert "columns.duration" in issues[0]
    assert issues[1].startswith("sources.yaml: sources[1].format: unknown format 'asterix'")
