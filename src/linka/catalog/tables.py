"""Catalog tables: every loaded version is kept, keyed by ``catalog_versions.id``.

A version is a snapshot of one catalog folder. Loading a folder whose ``effective_from``
is already stored replaces that snapshot (a correction); a later ``effective_from``
adds a new one and keeps the older for rating older usage.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from linka.store.base import Base
from linka.store.types import Amount, UTCDateTime

ID = String(63)


def _version_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("catalog_versions.id", ondelete="CASCADE"), primary_key=True)


class CatalogVersionRow(Base):
    __tablename__ = "catalog_versions"
    __table_args__ = (UniqueConstraint("catalog_id", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    catalog_id: Mapped[str] = mapped_column(ID)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(40))
    effective_from: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64))
    home_country: Mapped[str] = mapped_column(String(2))
    checksum: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(500))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OfferingRow(Base):
    __tablename__ = "catalog_offerings"

    version_id: Mapped[int] = _version_fk()
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    position: Mapped[int]
    name_cs: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    tariff_id: Mapped[str] = mapped_column(ID)
    vat_rate: Mapped[str] = mapped_column(ID)
    segments: Mapped[list[str]] = mapped_column(JSON)
    payment_types: Mapped[list[str]] = mapped_column(JSON)


class FeeRow(Base):
    """Recurring (with period and timing) and one-time fees of an offering."""

    __tablename__ = "catalog_fees"

    version_id: Mapped[int] = _version_fk()
    offering_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    position: Mapped[int]
    recurring: Mapped[bool]
    name_cs: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Amount())
    period: Mapped[str | None] = mapped_column(String(10))
    timing: Mapped[str | None] = mapped_column(String(10))
    charge_while_suspended: Mapped[bool | None]


class AllowanceRow(Base):
    __tablename__ = "catalog_allowances"

    version_id: Mapped[int] = _version_fk()
    offering_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    position: Mapped[int]
    quantity: Mapped[Decimal] = mapped_column(Amount())
    unit: Mapped[str] = mapped_column(String(10))
    scope_id: Mapped[str] = mapped_column(ID)


class TariffRow(Base):
    __tablename__ = "catalog_tariffs"

    version_id: Mapped[int] = _version_fk()
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name_cs: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64))
    rounding_places: Mapped[int]
    rounding_mode: Mapped[str] = mapped_column(String(10))
    data_unit_bytes: Mapped[int]
    data_increment_bytes: Mapped[int]
    time_bands: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    zones: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    scopes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    decks: Mapped[list[str]] = mapped_column(JSON)


class RateRow(Base):
    """One compiled price: see ``linka.catalog.version`` for the meaning of each column."""

    __tablename__ = "catalog_rates"
    __table_args__ = (Index("ix_catalog_rates_lookup", "version_id", "tariff_id", "service"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_versions.id", ondelete="CASCADE"))
    tariff_id: Mapped[str] = mapped_column(ID)
    rule_id: Mapped[str] = mapped_column(String(120))
    service: Mapped[str] = mapped_column(String(10))
    direction: Mapped[str] = mapped_column(String(2))
    roaming_zone: Mapped[str | None] = mapped_column(ID)
    prefix: Mapped[str] = mapped_column(String(15))
    zone_id: Mapped[str] = mapped_column(ID)
    band_id: Mapped[str] = mapped_column(ID)
    tier_from: Mapped[Decimal] = mapped_column(Amount())
    price: Mapped[Decimal] = mapped_column(Amount())
    connection_fee: Mapped[Decimal] = mapped_column(Amount())
    minimum_charge: Mapped[Decimal] = mapped_column(Amount())
    first_increment: Mapped[int]
    next_increment: Mapped[int]
    source: Mapped[str] = mapped_column(String(300))


class DeckRateRow(Base):
    """One row of a carrier rate deck as the carrier sent it (``band_id`` null: every band)."""

    __tablename__ = "catalog_deck_rates"
    __table_args__ = (Index("ix_catalog_deck_rates_deck", "version_id", "deck"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_versions.id", ondelete="CASCADE"))
    deck: Mapped[str] = mapped_column(String(300))
    line: Mapped[int]
    prefix: Mapped[str] = mapped_column(String(15))
    destination: Mapped[str] = mapped_column(String(200))
    zone_id: Mapped[str] = mapped_column(ID)
    band_id: Mapped[str | None] = mapped_column(ID)
    price: Mapped[Decimal] = mapped_column(Amount())
    connection_fee: Mapped[Decimal] = mapped_column(Amount())
    minimum_charge: Mapped[Decimal] = mapped_column(Amount())
    first_increment: Mapped[int]
    next_increment: Mapped[int]


class VatRateRow(Base):
    __tablename__ = "catalog_vat_rates"

    version_id: Mapped[int] = _version_fk()
    code: Mapped[str] = mapped_column(ID, primary_key=True)
    valid_from: Mapped[date] = mapped_column(primary_key=True)
    valid_to: Mapped[date | None]
    rate: Mapped[Decimal] = mapped_column(Amount(scale=4))


class TaxProfileRow(Base):
    __tablename__ = "catalog_tax_profiles"

    version_id: Mapped[int] = _version_fk()
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    position: Mapped[int]
    name_cs: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(20))
    note_cs: Mapped[str | None] = mapped_column(String(500))
    note_en: Mapped[str | None] = mapped_column(String(500))


class RoamingZoneRow(Base):
    __tablename__ = "catalog_roaming_zones"

    version_id: Mapped[int] = _version_fk()
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    position: Mapped[int]
    name_cs: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    roam_like_at_home: Mapped[bool]
    rest_of_world: Mapped[bool]
    countries: Mapped[list[str]] = mapped_column(JSON)


class SourceRow(Base):
    """A usage source of ``sources.yaml``: its format and reader options."""

    __tablename__ = "catalog_sources"

    version_id: Mapped[int] = _version_fk()
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    position: Mapped[int]
    name_cs: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(20))
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
