"""Catalog use cases: validate a folder, load it as a version, read the version for a date.

Loading happens inside the caller's unit of work, so a load that fails anywhere leaves
the database as it was. Rate rows are written with set-based bulk inserts: a 100,000
prefix deck loads in seconds on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from linka.catalog.compile import compile_catalog
from linka.catalog.errors import CatalogNotLoadedError
from linka.catalog.events import CatalogVersionLoaded
from linka.catalog.model import (
    Allowance,
    Eligibility,
    LocalText,
    Manifest,
    Offering,
    OneTimeFee,
    RecurringFee,
    Roaming,
    RoamingZone,
    Scope,
    TaxProfile,
    TimeBand,
    UsageSource,
    VatRate,
)
from linka.catalog.ratetable import DECK_SCHEMA, RATE_SCHEMA
from linka.catalog.tables import (
    AllowanceRow,
    CatalogVersionRow,
    DeckRateRow,
    FeeRow,
    OfferingRow,
    RateRow,
    RoamingZoneRow,
    SourceRow,
    TariffRow,
    TaxProfileRow,
    VatRateRow,
)
from linka.catalog.version import CatalogVersion, CompiledTariff, ZoneName
from linka.kernel.clock import Clock
from linka.kernel.money import Rounding
from linka.store.bulk import bulk_insert

CHILD_TABLES = (
    OfferingRow,
    FeeRow,
    AllowanceRow,
    TariffRow,
    RateRow,
    DeckRateRow,
    VatRateRow,
    TaxProfileRow,
    RoamingZoneRow,
    SourceRow,
)


class LoadOutcome(StrEnum):
    ADDED = "added"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class LoadResult:
    outcome: LoadOutcome
    version_id: int | None
    offerings: int
    tariffs: int
    rates: int
    events: tuple[CatalogVersionLoaded, ...] = ()


def validate_catalog(root: Path) -> CatalogVersion:
    """Compile the folder; raises CatalogInvalidError with every problem found."""
    return compile_catalog(root)


def load_catalog(
    session: Session,
    catalog: CatalogVersion,
    *,
    source: str,
    clock: Clock,
    dry_run: bool = False,
) -> LoadResult:
    """Store ``catalog`` as the version for its ``effective_from``.

    Identical content (same checksum) is left alone; different content for a stored
    ``effective_from`` replaces that version's rows under the same version id.
    """
    manifest = catalog.manifest
    existing = session.scalars(
        select(CatalogVersionRow).where(
            CatalogVersionRow.catalog_id == manifest.id,
            CatalogVersionRow.effective_from == manifest.effective_from,
        )
    ).one_or_none()
    counts = (len(catalog.offerings), len(catalog.tariffs), catalog.rates.height)
    if existing is not None and existing.checksum == catalog.checksum:
        return LoadResult(LoadOutcome.UNCHANGED, existing.id, *counts)
    outcome = LoadOutcome.ADDED if existing is None else LoadOutcome.REPLACED
    if dry_run:
        return LoadResult(outcome, existing.id if existing else None, *counts)

    if existing is None:
        row = CatalogVersionRow(catalog_id=manifest.id, effective_from=manifest.effective_from)
        session.add(row)
    else:
        row = existing
        for table in CHILD_TABLES:
            session.execute(delete(table).where(table.version_id == row.id))
    row.name = manifest.name
    row.version = manifest.version
    row.currency = manifest.currency
    row.timezone = manifest.timezone
    row.home_country = catalog.roaming.home_country
    row.checksum = catalog.checksum
    row.source = source[-500:]
    row.loaded_at = clock.now()
    session.flush()
    _insert_definitions(session, row.id, catalog)
    bulk_insert(
        session, RateRow, catalog.rates.select(list(RATE_SCHEMA)).with_columns(version_id=row.id)
    )
    for name, deck in catalog.decks.items():
        frame = deck.select(list(DECK_SCHEMA)).with_columns(version_id=row.id, deck=pl.lit(name))
        bulk_insert(session, DeckRateRow, frame)
    event = CatalogVersionLoaded(
        manifest.id, manifest.version, manifest.effective_from, row.id, existing is not None
    )
    return LoadResult(outcome, row.id, *counts, events=(event,))


def _insert_definitions(session: Session, version_id: int, catalog: CatalogVersion) -> None:
    offerings, fees, allowances = [], [], []
    for position, offering in enumerate(catalog.offerings):
        offerings.append(
            {
                "version_id": version_id,
                "id": offering.id,
                "position": position,
                "name_cs": offering.name.cs,
                "name_en": offering.name.en,
                "kind": offering.kind.value,
                "tariff_id": offering.tariff,
                "vat_rate": offering.vat_rate,
                "segments": [s.value for s in offering.eligibility.segments],
                "payment_types": [p.value for p in offering.eligibility.payment],
            }
        )
        all_fees: list[RecurringFee | OneTimeFee] = [
            *offering.recurring_fees,
            *offering.one_time_fees,
        ]
        for i, fee in enumerate(all_fees):
            recurring = isinstance(fee, RecurringFee)
            fees.append(
                {
                    "version_id": version_id,
                    "offering_id": offering.id,
                    "id": fee.id,
                    "position": i,
                    "recurring": recurring,
                    "name_cs": fee.name.cs,
                    "name_en": fee.name.en,
                    "amount": fee.amount,
                    "period": fee.period.value if isinstance(fee, RecurringFee) else None,
                    "timing": fee.timing.value if isinstance(fee, RecurringFee) else None,
                    "charge_while_suspended": (
                        fee.charge_while_suspended if isinstance(fee, RecurringFee) else None
                    ),
                }
            )
        for i, allowance in enumerate(offering.allowances):
            allowances.append(
                {
                    "version_id": version_id,
                    "offering_id": offering.id,
                    "id": allowance.id,
                    "position": i,
                    "quantity": allowance.quantity,
                    "unit": allowance.unit.value,
                    "scope_id": allowance.scope,
                }
            )
    tariffs = [
        {
            "version_id": version_id,
            "id": t.id,
            "name_cs": t.name.cs,
            "name_en": t.name.en,
            "currency": t.currency,
            "timezone": t.timezone,
            "rounding_places": t.rounding_places,
            "rounding_mode": t.rounding_mode.value,
            "data_unit_bytes": t.data_unit_bytes,
            "data_increment_bytes": t.data_increment_bytes,
            "time_bands": [band.model_dump(mode="json") for band in t.time_bands],
            "zones": [{"id": z.id, "name": z.name.model_dump()} for z in t.zones],
            "scopes": [scope.model_dump(mode="json") for scope in t.scopes],
            "decks": list(t.decks),
        }
        for t in catalog.tariffs
    ]
    vat_rates = [{"version_id": version_id, **rate.model_dump()} for rate in catalog.vat_rates]
    profiles = [
        {
            "version_id": version_id,
            "id": p.id,
            "position": i,
            "name_cs": p.name.cs,
            "name_en": p.name.en,
            "mode": p.mode.value,
            "note_cs": p.note.cs if p.note else None,
            "note_en": p.note.en if p.note else None,
        }
        for i, p in enumerate(catalog.tax_profiles)
    ]
    zones = [
        {
            "version_id": version_id,
            "id": z.id,
            "position": i,
            "name_cs": z.name.cs,
            "name_en": z.name.en,
            "roam_like_at_home": z.roam_like_at_home,
            "rest_of_world": z.rest_of_world,
            "countries": list(z.countries),
        }
        for i, z in enumerate(catalog.roaming.zones)
    ]
    sources = [
        {
            "version_id": version_id,
            "id": source.id,
            "position": i,
            "name_cs": source.name.cs,
            "name_en": source.name.en,
            "format": source.format,
            "options": source.options,
        }
        for i, source in enumerate(catalog.sources)
    ]
    for table, rows in (
        (SourceRow, sources),
        (OfferingRow, offerings),
        (FeeRow, fees),
        (AllowanceRow, allowances),
        (TariffRow, tariffs),
        (VatRateRow, vat_rates),
        (TaxProfileRow, profiles),
        (RoamingZoneRow, zones),
    ):
        if rows:
            session.execute(insert(table), rows)


def version_for(session: Session, on: date, catalog_id: str | None = None) -> CatalogVersionRow:
    """The stored version valid on ``on``: the latest ``effective_from`` not after it."""
    query = select(CatalogVersionRow).where(CatalogVersionRow.effective_from <= on)
    if catalog_id is not None:
        query = query.where(CatalogVersionRow.catalog_id == catalog_id)
    row = session.scalars(query.order_by(CatalogVersionRow.effective_from.desc()).limit(1)).first()
    if row is None:
        raise CatalogNotLoadedError(
            f"no catalog version is valid on {on.isoformat()}: load one with `linka catalog load`"
        )
    return row


def list_versions(session: Session) -> list[CatalogVersionRow]:
    return list(
        session.scalars(
            select(CatalogVersionRow).order_by(
                CatalogVersionRow.catalog_id, CatalogVersionRow.effective_from
            )
        )
    )


def read_catalog(session: Session, on: date, catalog_id: str | None = None) -> CatalogVersion:
    """Rebuild the full catalog version valid on ``on`` from the database."""
    row = version_for(session, on, catalog_id)
    return read_version(session, row)


def _text(cs: str, en: str) -> LocalText:
    return LocalText(cs=cs, en=en)


def read_version(session: Session, row: CatalogVersionRow) -> CatalogVersion:
    vid = row.id

    def rows_of(table: Any, *order: Any) -> list[Any]:
        return list(session.scalars(select(table).where(table.version_id == vid).order_by(*order)))

    fees = rows_of(FeeRow, FeeRow.offering_id, FeeRow.position)
    allowances = rows_of(AllowanceRow, AllowanceRow.offering_id, AllowanceRow.position)
    offerings = tuple(
        _offering(o, fees, allowances) for o in rows_of(OfferingRow, OfferingRow.position)
    )
    tariffs = tuple(
        CompiledTariff(
            id=t.id,
            name=_text(t.name_cs, t.name_en),
            currency=t.currency,
            timezone=t.timezone,
            rounding_places=t.rounding_places,
            rounding_mode=Rounding(t.rounding_mode),
            data_unit_bytes=t.data_unit_bytes,
            data_increment_bytes=t.data_increment_bytes,
            time_bands=tuple(TimeBand.model_validate(b) for b in t.time_bands),
            zones=tuple(ZoneName(z["id"], LocalText.model_validate(z["name"])) for z in t.zones),
            scopes=tuple(Scope.model_validate(s) for s in t.scopes),
            decks=tuple(t.decks),
        )
        for t in rows_of(TariffRow, TariffRow.id)
    )
    manifest = Manifest(
        id=row.catalog_id,
        name=row.name,
        version=row.version,
        effective_from=row.effective_from,
        currency=row.currency,
        timezone=row.timezone,
    )
    vat_rates = tuple(
        VatRate(code=v.code, rate=v.rate, valid_from=v.valid_from, valid_to=v.valid_to)
        for v in rows_of(VatRateRow, VatRateRow.code, VatRateRow.valid_from)
    )
    profiles = tuple(
        TaxProfile(
            id=p.id,
            name=_text(p.name_cs, p.name_en),
            mode=p.mode,
            note=_text(p.note_cs, p.note_en) if p.note_cs and p.note_en else None,
        )
        for p in rows_of(TaxProfileRow, TaxProfileRow.position)
    )
    roaming = Roaming(
        home_country=row.home_country,
        zones=[
            RoamingZone(
                id=z.id,
                name=_text(z.name_cs, z.name_en),
                roam_like_at_home=z.roam_like_at_home,
                rest_of_world=z.rest_of_world,
                countries=z.countries,
            )
            for z in rows_of(RoamingZoneRow, RoamingZoneRow.position)
        ],
    )
    return CatalogVersion(
        manifest=manifest,
        offerings=offerings,
        tariffs=tariffs,
        vat_rates=vat_rates,
        tax_profiles=profiles,
        roaming=roaming,
        rates=read_rates(session, vid),
        decks=read_decks(session, vid),
        sources=tuple(
            UsageSource(
                id=source.id,
                name=_text(source.name_cs, source.name_en),
                format=source.format,
                options=source.options,
            )
            for source in rows_of(SourceRow, SourceRow.position)
        ),
        checksum=row.checksum,
    )


def read_rates(session: Session, version_id: int) -> pl.DataFrame:
    """The version's rate table as a typed Polars frame."""
    columns = [getattr(RateRow, name) for name in RATE_SCHEMA]
    result = session.execute(
        select(*columns).where(RateRow.version_id == version_id).order_by(RateRow.id)
    )
    return pl.DataFrame(result.all(), schema=RATE_SCHEMA, orient="row")


def read_decks(session: Session, version_id: int) -> dict[str, pl.DataFrame]:
    """The version's carrier decks by file name, rows in file order."""
    columns = [DeckRateRow.deck, *(getattr(DeckRateRow, name) for name in DECK_SCHEMA)]
    result = session.execute(
        select(*columns)
        .where(DeckRateRow.version_id == version_id)
        .order_by(DeckRateRow.deck, DeckRateRow.line)
    )
    frame = pl.DataFrame(result.all(), schema={"deck": pl.String, **DECK_SCHEMA}, orient="row")
    return {
        str(name): group.drop("deck")
        for (name,), group in frame.group_by("deck", maintain_order=True)
    }


def _offering(row: OfferingRow, fees: list[FeeRow], allowances: list[AllowanceRow]) -> Offering:
    own_fees = [f for f in fees if f.offering_id == row.id]
    return Offering(
        id=row.id,
        name=_text(row.name_cs, row.name_en),
        kind=row.kind,
        tariff=row.tariff_id,
        vat_rate=row.vat_rate,
        eligibility=Eligibility(segments=row.segments, payment=row.payment_types),
        recurring_fees=[
            RecurringFee(
                id=f.id,
                name=_text(f.name_cs, f.name_en),
                amount=f.amount,
                period=f.period,
                timing=f.timing,
                charge_while_suspended=bool(f.charge_while_suspended),
            )
            for f in own_fees
            if f.recurring
        ],
        one_time_fees=[
            OneTimeFee(id=f.id, name=_text(f.name_cs, f.name_en), amount=f.amount)
            for f in own_fees
            if not f.recurring
        ],
        allowances=[
            Allowance(id=a.id, quantity=a.quantity, unit=a.unit, scope=a.scope_id)
            for a in allowances
            if a.offering_id == row.id
        ],
    )


def offering_ids(session: Session, on: date) -> dict[str, OfferingRow]:
    """Offerings of the version valid on ``on`` by id (for CRM checks, without rates)."""
    row = version_for(session, on)
    rows = session.scalars(select(OfferingRow).where(OfferingRow.version_id == row.id))
    return {offering.id: offering for offering in rows}


def tax_profile_ids(session: Session, on: date) -> set[str]:
    """Tax profile ids of the version valid on ``on``."""
    row = version_for(session, on)
    return set(session.scalars(select(TaxProfileRow.id).where(TaxProfileRow.version_id == row.id)))
