"""Compiling a tariff's explicit rates (YAML zones, data, roaming) into rate rows.

Each row prices one (service, direction, roaming zone, prefix, band, tier). A rate without
a band is expanded to every band; a rate without a zone applies to any destination
(prefix ''). Deck rows stay in their decks (see ``ratetable``) but are checked here
against the tariff: their bands must exist, and two rows with the same key (explicit or
from a deck) are an error that names both sources.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import polars as pl

from linka.catalog.errors import CatalogIssue
from linka.catalog.model import Direction, Rate, Service, Tariff, UsageSection
from linka.catalog.ratetable import RATE_KEY, RATE_SCHEMA, empty_rates, expand_deck, rule_id
from linka.catalog.source import YamlDocument


def _row(
    tariff: str,
    service: str,
    direction: str,
    *,
    roaming: str | None,
    prefix: str,
    zone: str,
    band: str,
    tier: Decimal,
    price: Decimal,
    fee: Decimal,
    minimum: Decimal,
    increments: tuple[int, int],
    source: str,
) -> dict[str, Any]:
    return {
        "tariff_id": tariff,
        "rule_id": rule_id(service, direction, roaming, prefix, band, tier),
        "service": service,
        "direction": direction,
        "roaming_zone": roaming,
        "prefix": prefix,
        "zone_id": zone,
        "band_id": band,
        "tier_from": tier,
        "price": price,
        "connection_fee": fee,
        "minimum_charge": minimum,
        "first_increment": increments[0],
        "next_increment": increments[1],
        "source": source,
    }


def _section_rows(
    tariff: Tariff,
    service: Service,
    section: UsageSection,
    doc: YamlDocument,
    issues: list[CatalogIssue],
) -> list[dict[str, Any]]:
    zones = {zone.id: zone for zone in tariff.zones}
    bands = [band.id for band in tariff.time_bands]
    rows: list[dict[str, Any]] = []
    for i, rate in enumerate(section.rates):
        path = (service.value, "rates", i)
        source = f"{doc.relative}:{doc.line_of(path)}"
        if rate.band is not None and rate.band not in bands:
            issues.append(doc.issue((*path, "band"), f"unknown time band {rate.band!r}"))
            continue
        if service is Service.DATA and rate.zone is not None:
            issues.append(doc.issue((*path, "zone"), "data rates have no destination zone"))
            continue
        if rate.zone is not None and rate.zone not in zones:
            issues.append(doc.issue((*path, "zone"), f"unknown zone {rate.zone!r}"))
            continue
        prefixes = zones[rate.zone].prefixes if rate.zone is not None else [""]
        increments = rate.increments or section.increments
        if service is not Service.VOICE:
            increments = increments.model_copy(update={"first": 1, "next": 1})
        for band in [rate.band] if rate.band else bands:
            for tier_from, price in _tiers(rate):
                for prefix in prefixes:
                    rows.append(
                        _row(
                            tariff.id,
                            service.value,
                            Direction.MO.value,
                            roaming=None,
                            prefix=prefix,
                            zone=rate.zone or service.value,
                            band=band,
                            tier=tier_from,
                            price=price,
                            fee=_or(rate.connection_fee, section.connection_fee),
                            minimum=_or(rate.minimum_charge, section.minimum_charge),
                            increments=(increments.first, increments.next),
                            source=source,
                        )
                    )
    return rows


def _or(value: Decimal | None, default: Decimal) -> Decimal:
    return default if value is None else value


def _tiers(rate: Rate) -> list[tuple[Decimal, Decimal]]:
    if rate.tiers is not None:
        return [(tier.from_units, tier.price) for tier in rate.tiers]
    assert rate.price is not None  # the model requires price or tiers
    return [(Decimal(0), rate.price)]


def _roaming_rows(
    tariff: Tariff, doc: YamlDocument, roaming_zones: dict[str, bool], issues: list[CatalogIssue]
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, rate in enumerate(tariff.roaming):
        path = ("roaming", i, "zone")
        if rate.zone not in roaming_zones:
            issues.append(doc.issue(path, f"unknown roaming zone {rate.zone!r}"))
            continue
        if roaming_zones[rate.zone]:
            issues.append(
                doc.issue(path, f"{rate.zone!r} is roam-like-at-home: it uses the home rates")
            )
            continue
        if rate.zone in seen:
            issues.append(doc.issue(path, f"roaming zone {rate.zone!r} priced twice"))
            continue
        seen.add(rate.zone)
        source = f"{doc.relative}:{doc.line_of(('roaming', i))}"
        zero = Decimal(0)
        inc = rate.increments
        prices = [
            (Service.VOICE, Direction.MO, rate.voice_mo_per_minute, inc.first, inc.next),
            (Service.VOICE, Direction.MT, rate.voice_mt_per_minute, inc.first, inc.next),
            (Service.SMS, Direction.MO, rate.sms_mo_per_message, 1, 1),
            (Service.DATA, Direction.MO, rate.data_per_unit, 1, 1),
        ]
        for band in tariff.time_bands:
            for service, direction, price, first, nxt in prices:
                rows.append(
                    _row(
                        tariff.id,
                        service.value,
                        direction.value,
                        roaming=rate.zone,
                        prefix="",
                        zone=f"roaming-{rate.zone}",
                        band=band.id,
                        tier=zero,
                        price=price,
                        fee=zero,
                        minimum=zero,
                        increments=(first, nxt),
                        source=source,
                    )
                )
    return rows


def compile_rates(
    tariff: Tariff,
    doc: YamlDocument,
    decks: dict[str, pl.DataFrame],
    roaming_zones: dict[str, bool],
    issues: list[CatalogIssue],
) -> pl.DataFrame:
    """The explicit rate rows of one tariff; problems (its decks' too) go to ``issues``."""
    rows = _section_rows(tariff, Service.VOICE, tariff.voice, doc, issues)
    rows += _section_rows(tariff, Service.SMS, tariff.sms, doc, issues)
    rows += _section_rows(tariff, Service.DATA, tariff.data, doc, issues)
    rows += _roaming_rows(tariff, doc, roaming_zones, issues)
    frames = [pl.DataFrame(rows, schema=RATE_SCHEMA)] if rows else [empty_rates()]
    bands = {band.id for band in tariff.time_bands}
    for relative in tariff.voice.decks:
        deck = decks.get(relative)
        if deck is None:
            continue
        unknown = deck.filter(
            pl.col("band_id").is_not_null() & ~pl.col("band_id").is_in(sorted(bands))
        )
        for row in unknown.head(20).iter_rows(named=True):
            issues.append(
                CatalogIssue(
                    relative,
                    row["line"],
                    "time_band",
                    f"{row['band_id']!r} is not a time band of tariff {tariff.id} "
                    f"(expected one of {', '.join(sorted(bands))})",
                )
            )
        if unknown.height == 0:
            frames.append(expand_deck(deck, tariff.id, sorted(bands), relative))
    explicit = frames[0]
    every = pl.concat(frames)
    duplicated = every.filter(pl.struct(list(RATE_KEY)).is_duplicated())
    if duplicated.height:
        for _key, group in duplicated.group_by(list(RATE_KEY), maintain_order=True):
            sources = ", ".join(group["source"].to_list()[:3])
            first = group.row(0, named=True)
            issues.append(
                CatalogIssue(
                    doc.relative,
                    None,
                    "rates",
                    f"{first['rule_id']} is priced more than once ({sources})",
                )
            )
            if len(issues) > 200:
                break
    return explicit
