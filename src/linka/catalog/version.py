"""A compiled catalog version: what rating, billing and CRM read.

Compiling turns the files' shape (zones with prefix lists, rates with defaults) into flat
rate rows, one per (service, direction, roaming zone, prefix, band, tier); carrier decks
are kept as they came, once per version, and joined to each tariff that names them
(:meth:`CatalogVersion.tariff_rates`). Each row carries a readable ``rule_id`` and the
``source`` (file:line) it came from, so every price traces back to the line that set it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import polars as pl

from linka.catalog.model import (
    WEEKDAYS,
    LocalText,
    Manifest,
    Offering,
    Roaming,
    RoamingZone,
    Scope,
    TaxProfile,
    TimeBand,
    UsageSource,
    VatRate,
)
from linka.catalog.ratetable import RATE_KEY, RATE_SCHEMA, expand_deck
from linka.kernel.money import Rounding


@dataclass(frozen=True)
class ZoneName:
    id: str
    name: LocalText


@dataclass(frozen=True)
class CompiledTariff:
    """A tariff's settings; its prices are the version's rate rows with its ``tariff_id``."""

    id: str
    name: LocalText
    currency: str
    timezone: str
    rounding_places: int
    rounding_mode: Rounding
    data_unit_bytes: int
    data_increment_bytes: int
    time_bands: tuple[TimeBand, ...]
    zones: tuple[ZoneName, ...]
    scopes: tuple[Scope, ...]
    decks: tuple[str, ...] = ()

    def band_at(self, instant: datetime) -> str:
        """The time band of an aware instant, read in the tariff's time zone (DST-correct)."""
        local = instant.astimezone(ZoneInfo(self.timezone))
        return band_for(self.time_bands, local.weekday(), local.hour * 60 + local.minute)

    def scope(self, scope_id: str) -> Scope:
        return next(s for s in self.scopes if s.id == scope_id)


def band_for(bands: tuple[TimeBand, ...] | list[TimeBand], weekday: int, minute: int) -> str:
    """First band (in file order) covering weekday (Monday = 0) and minute of the day."""
    for band in bands:
        if WEEKDAYS[weekday] in band.days and band.start_minute <= minute < band.end_minute:
            return band.id
    raise LookupError(f"no time band covers weekday {weekday} minute {minute}")


@dataclass(frozen=True, eq=False)
class CatalogVersion:
    """Everything one catalog folder defines, valid from ``manifest.effective_from``."""

    manifest: Manifest
    offerings: tuple[Offering, ...]
    tariffs: tuple[CompiledTariff, ...]
    vat_rates: tuple[VatRate, ...]
    tax_profiles: tuple[TaxProfile, ...]
    roaming: Roaming
    rates: pl.DataFrame = field(repr=False)  # explicit rows of every tariff
    decks: Mapping[str, pl.DataFrame] = field(repr=False)  # carrier decks by file name
    sources: tuple[UsageSource, ...]
    checksum: str

    @property
    def effective_from(self) -> date:
        return self.manifest.effective_from

    def offering(self, offering_id: str) -> Offering:
        for offering in self.offerings:
            if offering.id == offering_id:
                return offering
        raise KeyError(f"no offering {offering_id!r} in catalog {self.manifest.version}")

    def tariff(self, tariff_id: str) -> CompiledTariff:
        for tariff in self.tariffs:
            if tariff.id == tariff_id:
                return tariff
        raise KeyError(f"no tariff {tariff_id!r} in catalog {self.manifest.version}")

    def tariff_rates(self, tariff_id: str) -> pl.DataFrame:
        """Every rate row of one tariff: its explicit rows and its decks, expanded."""
        tariff = self.tariff(tariff_id)
        bands = sorted(band.id for band in tariff.time_bands)
        frames = [self.rates.filter(pl.col("tariff_id") == tariff_id)]
        frames += [expand_deck(self.decks[name], tariff_id, bands, name) for name in tariff.decks]
        return pl.concat(frames)

    def all_rates(self) -> pl.DataFrame:
        """The rate rows of every tariff (explanations, audits and tests)."""
        return pl.concat([self.tariff_rates(tariff.id) for tariff in self.tariffs])

    def source(self, source_id: str) -> UsageSource | None:
        return next((source for source in self.sources if source.id == source_id), None)

    def tax_profile(self, profile_id: str) -> TaxProfile:
        for profile in self.tax_profiles:
            if profile.id == profile_id:
                return profile
        raise KeyError(f"no tax profile {profile_id!r} in catalog {self.manifest.version}")

    def vat_rate(self, code: str, on: date) -> Decimal:
        """The VAT percentage of ``code`` valid on ``on`` (the tax point)."""
        for rate in self.vat_rates:
            if (
                rate.code == code
                and rate.valid_from <= on
                and (rate.valid_to is None or on < rate.valid_to)
            ):
                return rate.rate
        raise KeyError(f"no VAT rate {code!r} valid on {on.isoformat()}")

    def roaming_zone_of(self, country: str) -> RoamingZone | None:
        """The roaming zone of a visited country; None at home."""
        if country == self.roaming.home_country:
            return None
        fallback = None
        for zone in self.roaming.zones:
            if country in zone.countries:
                return zone
            if zone.rest_of_world:
                fallback = zone
        return fallback

    def same_content(self, other: CatalogVersion) -> bool:
        """Structural equality (the rate table compared row by row in key order)."""

        def ordered(rates: pl.DataFrame) -> pl.DataFrame:
            return rates.select(list(RATE_SCHEMA)).sort(list(RATE_KEY), nulls_last=True)

        return (
            self.manifest == other.manifest
            and self.offerings == other.offerings
            and self.tariffs == other.tariffs
            and self.vat_rates == other.vat_rates
            and self.tax_profiles == other.tax_profiles
            and self.roaming == other.roaming
            and self.sources == other.sources
            and self.checksum == other.checksum
            and ordered(self.rates).equals(ordered(other.rates))
            and sorted(self.decks) == sorted(other.decks)
            and all(
                self.decks[name].sort("line").equals(other.decks[name].sort("line"))
                for name in self.decks
            )
        )
