"""Reading a catalog folder into a :class:`CatalogVersion`, or a complete list of problems.

The folder holds ``catalog.yaml`` (the manifest), ``offerings.yaml``, ``taxes.yaml``,
``roaming.yaml``, one file per tariff in ``tariffs/``, carrier rate decks (CSV) named
by the tariffs and, optionally, ``sources.yaml`` (usage sources and their readers).
Every file is checked, then the references between them; all problems are collected so
one run shows everything to fix.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import TypeVar

import polars as pl

from linka.catalog.decks import read_deck
from linka.catalog.errors import CatalogInvalidError, CatalogIssue
from linka.catalog.model import (
    WEEKDAYS,
    LocalText,
    Manifest,
    Offerings,
    Roaming,
    Service,
    Sources,
    Tariff,
    Taxes,
    VatRate,
)
from linka.catalog.rates import compile_rates
from linka.catalog.source import YamlDocument, load_yaml
from linka.catalog.version import CatalogVersion, CompiledTariff, ZoneName, band_for

REQUIRED_FILES = ("catalog.yaml", "offerings.yaml", "taxes.yaml", "roaming.yaml")
SOURCES_FILE = "sources.yaml"


def catalog_checksum(root: Path, files: list[str]) -> str:
    digest = hashlib.sha256()
    for relative in sorted(set(files)):
        digest.update(relative.encode() + b"\0")
        digest.update((root / relative).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def compile_catalog(root: Path) -> CatalogVersion:
    """Validate and compile the folder ``root``; raise CatalogInvalidError with all issues."""
    root = Path(root)
    issues: list[CatalogIssue] = []
    if not root.is_dir():
        raise CatalogInvalidError([CatalogIssue(str(root), None, "", "not a directory")])
    for name in REQUIRED_FILES:
        if not (root / name).is_file():
            issues.append(CatalogIssue(name, None, "", "required file is missing"))
    if issues:
        raise CatalogInvalidError(issues)

    docs = {name: load_yaml(root, name, issues) for name in REQUIRED_FILES}
    manifest = _parse(docs["catalog.yaml"], Manifest, issues)
    offerings = _parse(docs["offerings.yaml"], Offerings, issues)
    taxes = _parse(docs["taxes.yaml"], Taxes, issues)
    roaming = _parse(docs["roaming.yaml"], Roaming, issues)

    sources_doc = load_yaml(root, SOURCES_FILE, issues) if (root / SOURCES_FILE).is_file() else None
    sources = _parse(sources_doc, Sources, issues) if sources_doc else Sources()

    tariff_docs: list[tuple[YamlDocument, Tariff]] = []
    for path in sorted((root / "tariffs").glob("*.yaml")):
        doc = load_yaml(root, path.relative_to(root).as_posix(), issues)
        tariff = _parse(doc, Tariff, issues)
        if doc is not None and tariff is not None:
            tariff_docs.append((doc, tariff))
    if not tariff_docs and not any(i.file.startswith("tariffs/") for i in issues):
        issues.append(CatalogIssue("tariffs/", None, "", "no tariff files (tariffs/*.yaml)"))

    deck_names = sorted({deck for _, tariff in tariff_docs for deck in tariff.voice.decks})
    decks = {}
    for relative in deck_names:
        deck = read_deck(root, relative, issues)
        if deck is not None:
            decks[relative] = deck

    if (
        manifest is None
        or offerings is None
        or taxes is None
        or roaming is None
        or sources is None
        or issues
    ):
        # cross-references need every file parsed; report what we have
        raise CatalogInvalidError(issues)

    _check_taxes(taxes, docs["taxes.yaml"], issues)
    _check_roaming(roaming, docs["roaming.yaml"], issues)
    roaming_zones = {zone.id: zone.roam_like_at_home for zone in roaming.zones}
    compiled: list[CompiledTariff] = []
    frames: list[pl.DataFrame] = []
    seen_tariffs: dict[str, str] = {}
    for doc, tariff in tariff_docs:
        if tariff.id in seen_tariffs:
            issues.append(
                doc.issue(
                    ("id",), f"tariff {tariff.id!r} also defined in {seen_tariffs[tariff.id]}"
                )
            )
            continue
        seen_tariffs[tariff.id] = doc.relative
        _check_tariff(tariff, doc, set(roaming_zones), issues)
        rates = compile_rates(tariff, doc, decks, roaming_zones, issues)
        frames.append(rates)
        compiled.append(_compiled_tariff(manifest, tariff, decks))
    _check_scopes(compiled, tariff_docs, issues)
    _check_offerings(offerings, docs["offerings.yaml"], compiled, taxes, issues)
    if sources_doc is not None:
        for duplicate in _duplicates([item.id for item in sources.sources]):
            issues.append(sources_doc.issue(("sources",), f"source {duplicate!r} defined twice"))
    if issues:
        raise CatalogInvalidError(issues)

    files = [*REQUIRED_FILES, *(doc.relative for doc, _ in tariff_docs), *deck_names]
    files += [SOURCES_FILE] if sources_doc is not None else []
    return CatalogVersion(
        manifest=manifest,
        offerings=tuple(offerings.offerings),
        tariffs=tuple(sorted(compiled, key=lambda tariff: tariff.id)),
        vat_rates=tuple(sorted(taxes.vat_rates, key=lambda rate: (rate.code, rate.valid_from))),
        tax_profiles=tuple(taxes.tax_profiles),
        roaming=roaming,
        rates=pl.concat(frames),
        decks=decks,
        sources=tuple(sources.sources),
        checksum=catalog_checksum(root, files),
    )


M = TypeVar("M", Manifest, Offerings, Taxes, Roaming, Tariff, Sources)


def _parse(doc: YamlDocument | None, model: type[M], issues: list[CatalogIssue]) -> M | None:
    return doc.parse(model, issues) if doc is not None else None


def _compiled_tariff(
    manifest: Manifest, tariff: Tariff, decks: dict[str, pl.DataFrame]
) -> CompiledTariff:
    zones = {zone.id: zone.name for zone in tariff.zones}
    for relative in tariff.voice.decks:
        deck = decks[relative]
        for zone_id, destination in (
            deck.select("zone_id", "destination")
            .unique("zone_id", keep="first", maintain_order=True)
            .iter_rows()
        ):
            zones.setdefault(zone_id, LocalText(cs=destination, en=destination))
    return CompiledTariff(
        id=tariff.id,
        name=tariff.name,
        currency=tariff.currency or manifest.currency,
        timezone=tariff.timezone or manifest.timezone,
        rounding_places=tariff.rounding_places,
        rounding_mode=tariff.rounding_mode,
        data_unit_bytes=tariff.data.unit_bytes,
        data_increment_bytes=tariff.data.increment_bytes,
        time_bands=tuple(tariff.time_bands),
        zones=tuple(ZoneName(zone_id, name) for zone_id, name in sorted(zones.items())),
        scopes=tuple(tariff.scopes),
        decks=tuple(tariff.voice.decks),
    )


def _duplicates(values: list[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)


def _check_tariff(
    tariff: Tariff, doc: YamlDocument, roaming_zones: set[str], issues: list[CatalogIssue]
) -> None:
    for duplicate in _duplicates([item.id for item in tariff.time_bands]):
        issues.append(doc.issue(("time_bands",), f"time band {duplicate!r} defined twice"))
    for duplicate in _duplicates([item.id for item in tariff.zones]):
        issues.append(doc.issue(("zones",), f"zone {duplicate!r} defined twice"))
    for day in range(7):
        for minute in range(24 * 60):
            try:
                band_for(tariff.time_bands, day, minute)
            except LookupError:
                hh, mm = divmod(minute, 60)
                issues.append(
                    doc.issue(
                        ("time_bands",),
                        f"no band covers {WEEKDAYS[day]} {hh:02d}:{mm:02d}: "
                        "end the list with a band that has no days or times",
                    )
                )
                return
    for i, scope in enumerate(tariff.scopes):
        for place in scope.roaming:
            if place != "home" and place not in roaming_zones:
                issues.append(
                    doc.issue(
                        ("scopes", i, "roaming"),
                        f"unknown place {place!r}: expected 'home' or a roaming zone id",
                    )
                )
    for duplicate in _duplicates([item.id for item in tariff.scopes]):
        issues.append(doc.issue(("scopes",), f"scope {duplicate!r} defined twice"))


def _check_scopes(
    compiled: list[CompiledTariff],
    tariff_docs: list[tuple[YamlDocument, Tariff]],
    issues: list[CatalogIssue],
) -> None:
    docs = {tariff.id: doc for doc, tariff in tariff_docs}
    for tariff in compiled:
        zone_ids = {zone.id for zone in tariff.zones} | {s.value for s in Service}
        for i, scope in enumerate(tariff.scopes):
            for zone in scope.zones or []:
                if zone not in zone_ids:
                    issues.append(
                        docs[tariff.id].issue(("scopes", i, "zones"), f"unknown zone {zone!r}")
                    )


def _check_offerings(
    offerings: Offerings,
    doc: YamlDocument | None,
    tariffs: list[CompiledTariff],
    taxes: Taxes,
    issues: list[CatalogIssue],
) -> None:
    assert doc is not None
    by_id = {tariff.id: tariff for tariff in tariffs}
    vat_codes = {rate.code for rate in taxes.vat_rates}
    for duplicate in _duplicates([item.id for item in offerings.offerings]):
        issues.append(doc.issue(("offerings",), f"offering {duplicate!r} defined twice"))
    for i, offering in enumerate(offerings.offerings):
        path = ("offerings", i)
        tariff = by_id.get(offering.tariff)
        if tariff is None:
            issues.append(doc.issue((*path, "tariff"), f"unknown tariff {offering.tariff!r}"))
        if offering.vat_rate not in vat_codes:
            issues.append(
                doc.issue((*path, "vat_rate"), f"unknown VAT rate code {offering.vat_rate!r}")
            )
        fee_ids = [f.id for f in offering.recurring_fees] + [f.id for f in offering.one_time_fees]
        for fee in _duplicates(fee_ids):
            issues.append(doc.issue(path, f"fee {fee!r} defined twice"))
        for duplicate in _duplicates([item.id for item in offering.allowances]):
            issues.append(doc.issue(path, f"allowance {duplicate!r} defined twice"))
        if tariff is None:
            continue
        scopes = {scope.id for scope in tariff.scopes}
        for j, allowance in enumerate(offering.allowances):
            if allowance.scope not in scopes:
                issues.append(
                    doc.issue(
                        (*path, "allowances", j, "scope"),
                        f"tariff {tariff.id} has no scope {allowance.scope!r}"
                        f" (it has: {', '.join(sorted(scopes)) or 'none'})",
                    )
                )


def _check_taxes(taxes: Taxes, doc: YamlDocument | None, issues: list[CatalogIssue]) -> None:
    assert doc is not None
    for duplicate in _duplicates([item.id for item in taxes.tax_profiles]):
        issues.append(doc.issue(("tax_profiles",), f"tax profile {duplicate!r} defined twice"))
    by_code: dict[str, list[tuple[int, VatRate]]] = {}
    for i, rate in enumerate(taxes.vat_rates):
        by_code.setdefault(rate.code, []).append((i, rate))
    for entries in by_code.values():
        ordered = sorted(entries, key=lambda entry: entry[1].valid_from)
        for (_, earlier), (j, later) in pairwise(ordered):
            if earlier.valid_to is None or earlier.valid_to > later.valid_from:
                issues.append(
                    doc.issue(
                        ("vat_rates", j, "valid_from"),
                        f"VAT rate {later.code!r} overlaps an earlier period: "
                        "give the earlier one a valid_to",
                    )
                )


def _check_roaming(roaming: Roaming, doc: YamlDocument | None, issues: list[CatalogIssue]) -> None:
    assert doc is not None
    for duplicate in _duplicates([item.id for item in roaming.zones]):
        issues.append(doc.issue(("zones",), f"roaming zone {duplicate!r} defined twice"))
    if sum(zone.rest_of_world for zone in roaming.zones) > 1:
        issues.append(doc.issue(("zones",), "only one zone may be rest_of_world"))
    seen: dict[str, str] = {}
    for i, zone in enumerate(roaming.zones):
        for country in zone.countries:
            if country == roaming.home_country:
                issues.append(
                    doc.issue(("zones", i, "countries"), f"{country} is the home country")
                )
            elif country in seen:
                issues.append(
                    doc.issue(
                        ("zones", i, "countries"), f"{country} is already in zone {seen[country]}"
                    )
                )
            seen[country] = zone.id
