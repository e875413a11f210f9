"""A rating plan: the catalog versions compiled into arrays the rating kernel indexes.

Compiling happens once per rating run: every (version, tariff) gets a tariff index and a
time-band table (the band of each minute of the week); rates compile into prefix tries
and integer price arrays (:mod:`linka.rating.ratetables`); every allowance gets masks of
the zones and places its scope covers; countries map to places and roaming rates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
import polars as pl

from linka.catalog.model import WEEKDAYS, Allowance, Unit
from linka.catalog.version import CatalogVersion, CompiledTariff, band_for
from linka.kernel.money import Rounding
from linka.rating.compiled import MINUTES_PER_WEEK, MODE_CODES
from linka.rating.ratetables import SERVICE_CODES, RateTables, compile_rate_tables

HOME = "home"
MAX_PLACES = 127  # home and the roaming zones: rated records keep the place in a byte
BYTES_PER_MB = 1_000_000


@dataclass(frozen=True)
class TariffPlan:
    index: int
    version_id: int
    tariff: CompiledTariff
    band_ids: tuple[str, ...]
    unit_micro: int  # rounding unit in micro-units: 100 for 4 decimal places
    mode: Rounding

    @property
    def timezone(self) -> str:
        return self.tariff.timezone


@dataclass(frozen=True)
class AllowanceTables:
    ids: list[str]  # "offering/allowance" per allowance index
    slots: npt.NDArray[np.int32]  # [offering_idx, j] → allowance index (-1: none)
    quantity: npt.NDArray[np.int64]  # in base units: seconds, messages, bytes
    service: npt.NDArray[np.int8]
    zone_ok: npt.NDArray[np.bool_]  # [allowance, zone_idx]
    place_ok: npt.NDArray[np.bool_]  # [allowance, location index]


@dataclass(frozen=True)
class KernelTables:
    """The plan's lookup tables as the kernel gathers from them: flat, each with a
    sentinel last row or block that a -1 index ("none") reads."""

    offering_tariff: npt.NDArray[np.int64]  # [offering] → tariff
    table_code: npt.NDArray[np.int64]  # [((tariff·services + service)·2 + dir)·places + place]
    services: int
    places: int
    table_set: npt.NDArray[np.int64]  # [table] → prefix set (-1: none)
    table_base: npt.NDArray[np.int64]  # [table] → first entry
    band_table: npt.NDArray[np.int64]  # [tariff · MINUTES_PER_WEEK + minute] → band
    key_of: npt.NDArray[np.int64]  # [entry · bands + band] → key (-1: none)
    bands: int
    key_first: npt.NDArray[np.int64]  # [key] → first increment in base units
    key_step: npt.NDArray[np.int64]  # [key] → next increment in base units
    key_class: npt.NDArray[np.int64]  # [key] → service · zones + zone
    key_classes: int
    # [(offering · key_classes + key class) · places + place] → bit j: the offering's
    # j-th allowance covers that service, zone and place
    allowance_bits: npt.NDArray[np.integer]  # the smallest integer type that holds them


@dataclass(frozen=True)
class RatingPlan:
    """Everything the kernel needs, as arrays and small lookup frames."""

    versions: dict[int, CatalogVersion]
    tariffs: list[TariffPlan]
    band_table: npt.NDArray[np.int16]  # [tariff_idx * MINUTES_PER_WEEK + minute] → band
    offerings: pl.DataFrame  # version_id, offering_id → tariff_idx, offering_idx
    places: pl.DataFrame  # version_id, roaming_country ('*': rest) → location, rates_roaming
    location_ids: list[str]
    rates: RateTables
    allowances: AllowanceTables

    @cached_property
    def offering_tariff(self) -> npt.NDArray[np.int64]:
        """Tariff index of each offering index."""
        ordered = self.offerings.sort("offering_idx")["tariff_idx"].to_numpy()
        return np.asarray(ordered if len(ordered) else [-1], dtype=np.int64)

    @cached_property
    def key_unit(self) -> npt.NDArray[np.int64]:
        """Rounding unit (micro-units) of each rate key's tariff."""
        return np.asarray(self.rounding_unit[self.rates.keys["tariff_idx"].to_numpy()])

    @cached_property
    def key_den(self) -> npt.NDArray[np.int64]:
        """Divisor × rounding unit of each key: price × quantity / key_den = rounding units.

        Voice prices are per minute of billable seconds (60), data per unit of bytes.
        """
        keys = self.rates.keys
        tariff = keys["tariff_idx"].to_numpy()
        service = keys["service_code"].to_numpy()
        divisor = np.select([service == 0, service == 2], [60, self.data_unit[tariff]], 1)
        result: npt.NDArray[np.int64] = divisor * self.key_unit
        return result

    @cached_property
    def key_mode(self) -> npt.NDArray[np.int64]:
        return np.asarray(self.rounding_mode[self.rates.keys["tariff_idx"].to_numpy()])

    @cached_property
    def kernel_tables(self) -> KernelTables:
        rates = self.rates
        codes = rates.table_code.astype(np.int64)
        tariffs = max(len(self.tariffs), codes.shape[0])
        padded = np.full((tariffs + 1, *codes.shape[1:]), -1, dtype=np.int64)
        padded[: codes.shape[0]] = codes
        bands = rates.key_of.shape[1]
        keys = rates.keys
        service = keys["service_code"].to_numpy()
        tariff = keys["tariff_idx"].to_numpy()
        voice, data = service == SERVICE_CODES["voice"], service == SERVICE_CODES["data"]
        # billable = first, or first + whole steps: voice by the rate's increments, data
        # by the tariff's increment from 0, a message is 1
        first = np.where(voice, rates.first_increment, np.where(data, 0, 1))
        step = np.where(voice, rates.next_increment, np.where(data, self.data_increment[tariff], 1))
        zones = self.allowances.zone_ok.shape[1]
        key_class = service.astype(np.int64) * zones + rates.zone_idx
        classes = len(SERVICE_CODES) * zones + 1  # the last: no key
        return KernelTables(
            offering_tariff=np.append(self.offering_tariff, -1),
            table_code=padded.ravel(),
            services=codes.shape[1],
            places=codes.shape[3],
            table_set=np.append(rates.table_set, -1),
            table_base=np.append(rates.table_base, 0),
            band_table=np.append(
                self.band_table.astype(np.int64), np.zeros(MINUTES_PER_WEEK, np.int64)
            ),
            key_of=np.append(rates.key_of.astype(np.int64).ravel(), np.full(bands, -1)),
            bands=bands,
            key_first=np.append(first, 0).astype(np.int64),
            key_step=np.append(np.maximum(step, 1), 1).astype(np.int64),
            key_class=np.append(key_class, classes - 1),
            key_classes=classes,
            allowance_bits=self._allowance_bits(classes, zones).ravel(),
        )

    def _allowance_bits(self, classes: int, zones: int) -> npt.NDArray[np.integer]:
        """[offering (+ none), key class, place] → bits of the allowances that apply."""
        tables = self.allowances
        offerings, width = tables.slots.shape
        if width > 62:
            raise ValueError("an offering has more than 62 allowances")
        places = tables.place_ok.shape[1]
        bits = np.zeros((offerings + 1, classes, places), dtype=np.int64)
        service = np.repeat(np.arange(len(SERVICE_CODES)), zones)
        zone = np.tile(np.arange(zones), len(SERVICE_CODES))
        for j in range(width):
            allowance = tables.slots[:, j].astype(np.int64)  # [offering]
            safe = np.maximum(allowance, 0)
            applies = (
                (allowance >= 0)[:, None, None]
                & (tables.service[safe][:, None] == service[None, :])[:, :, None]
                & tables.zone_ok[safe][:, zone][:, :, None]
                & tables.place_ok[safe][:, None, :]
            )
            bits[:offerings, : classes - 1] |= applies.astype(np.int64) << j
        for small in (np.uint8, np.uint16, np.uint32):
            if width <= np.iinfo(small).bits:
                return bits.astype(small)
        return bits

    @cached_property
    def modes(self) -> list[int]:
        """The rounding modes the plan's keys use."""
        return [int(m) for m in np.unique(self.key_mode)] or [MODE_CODES[Rounding.HALF_UP]]

    @property
    def place_index(self) -> dict[str, int]:
        return {place: i for i, place in enumerate(self.location_ids)}

    def _per_tariff(self, values: list[int]) -> npt.NDArray[np.int64]:
        return np.array(values or [1], dtype=np.int64)

    @cached_property
    def data_increment(self) -> npt.NDArray[np.int64]:
        return self._per_tariff([t.tariff.data_increment_bytes for t in self.tariffs])

    @cached_property
    def data_unit(self) -> npt.NDArray[np.int64]:
        return self._per_tariff([t.tariff.data_unit_bytes for t in self.tariffs])

    @cached_property
    def rounding_unit(self) -> npt.NDArray[np.int64]:
        return self._per_tariff([t.unit_micro for t in self.tariffs])

    @cached_property
    def rounding_mode(self) -> npt.NDArray[np.int64]:
        return self._per_tariff([MODE_CODES[t.mode] for t in self.tariffs])


def allowance_quantity(allowance: Allowance) -> int:
    """The allowance in base units: seconds, messages or bytes (fractions rounded down)."""
    factor = {Unit.MINUTE: 60, Unit.MESSAGE: 1, Unit.MB: BYTES_PER_MB}[allowance.unit]
    return math.floor(allowance.quantity * factor)


def compile_plan(versions: dict[int, CatalogVersion]) -> RatingPlan:
    """Compile every tariff, rate, band, offering and allowance of the given versions."""
    tariffs: list[TariffPlan] = []
    bands: list[npt.NDArray[np.int16]] = []
    rate_frames: list[pl.DataFrame] = []
    band_rows: list[dict[str, object]] = []
    offering_rows: list[dict[str, object]] = []
    place_rows: list[dict[str, object]] = []
    location_ids = [HOME]
    for version_id, version in sorted(versions.items()):
        location_ids += [z.id for z in version.roaming.zones if z.id not in location_ids]
        if len(location_ids) > MAX_PLACES:
            raise ValueError(f"the catalogs define more than {MAX_PLACES - 1} roaming zones")
        place_rows.extend(_places(version_id, version))
        tariff_of: dict[str, int] = {}
        for compiled in version.tariffs:
            tariff = TariffPlan(
                index=len(tariffs),
                version_id=version_id,
                tariff=compiled,
                band_ids=tuple(band.id for band in compiled.time_bands),
                unit_micro=10 ** (6 - compiled.rounding_places),
                mode=compiled.rounding_mode,
            )
            tariff_of[compiled.id] = tariff.index
            tariffs.append(tariff)
            bands.append(_band_table(compiled))
            band_rows.extend(
                {"tariff_idx": tariff.index, "band_id": band, "band_idx": i}
                for i, band in enumerate(tariff.band_ids)
            )
            rate_frames.append(
                version.tariff_rates(compiled.id).with_columns(
                    tariff_idx=pl.lit(tariff.index, dtype=pl.Int32),
                    unit_bytes=pl.lit(compiled.data_unit_bytes, dtype=pl.Int64),
                )
            )
        base = len(offering_rows)
        offering_rows.extend(
            {
                "version_id": version_id,
                "offering_id": offering.id,
                "tariff_idx": tariff_of[offering.tariff],
                "offering_idx": base + i,
            }
            for i, offering in enumerate(version.offerings)
        )
    band_frame = pl.DataFrame(
        band_rows, schema={"tariff_idx": pl.Int32, "band_id": pl.String, "band_idx": pl.Int16}
    )
    rates = compile_rate_tables(
        pl.concat(rate_frames),
        band_frame,
        max((len(t.band_ids) for t in tariffs), default=1),
        location_ids,
    )
    return RatingPlan(
        versions=versions,
        tariffs=tariffs,
        band_table=np.concatenate(bands) if bands else np.zeros(0, np.int16),
        offerings=pl.DataFrame(
            offering_rows,
            schema={
                "version_id": pl.Int64,
                "offering_id": pl.String,
                "tariff_idx": pl.Int32,
                "offering_idx": pl.Int32,
            },
        ),
        places=pl.DataFrame(
            place_rows,
            schema={
                "version_id": pl.Int64,
                "roaming_country": pl.String,
                "location": pl.String,
                "rates_roaming": pl.String,
            },
        ),
        location_ids=location_ids,
        rates=rates,
        allowances=_allowance_tables(versions, offering_rows, rates.zone_index, location_ids),
    )


def _band_table(tariff: CompiledTariff) -> npt.NDArray[np.int16]:
    """Band index for each minute of the week (Monday 00:00 first).

    The first band in file order that covers a minute wins (as :func:`band_for`), so
    bands are laid down last to first, each over its days' [start, end) minutes.
    """
    table = np.full(MINUTES_PER_WEEK, -1, dtype=np.int16)
    for index in range(len(tariff.time_bands) - 1, -1, -1):
        band = tariff.time_bands[index]
        start, end = band.start_minute, band.end_minute
        for day in {WEEKDAYS.index(day) for day in band.days}:
            table[day * 1440 + start : day * 1440 + end] = index
    if (table < 0).any():
        minute = int(np.flatnonzero(table < 0)[0])
        band_for(tariff.time_bands, minute // 1440, minute % 1440)  # raises LookupError
    return table


def _places(version_id: int, version: CatalogVersion) -> list[dict[str, object]]:
    """Country → (location, roaming zone whose rates apply; None when roam-like-at-home)."""
    rows: list[dict[str, object]] = [
        {
            "version_id": version_id,
            "roaming_country": version.roaming.home_country,
            "location": HOME,
            "rates_roaming": None,
        }
    ]
    for zone in version.roaming.zones:
        rates = None if zone.roam_like_at_home else zone.id
        countries = [*zone.countries, *(["*"] if zone.rest_of_world else [])]
        rows.extend(
            {
                "version_id": version_id,
                "roaming_country": country,  # '*' stands for every country not listed
                "location": zone.id,
                "rates_roaming": rates,
            }
            for country in countries
        )
    return rows


def _allowance_tables(
    versions: dict[int, CatalogVersion],
    offering_rows: list[dict[str, object]],
    zone_index: dict[str, int],
    location_ids: list[str],
) -> AllowanceTables:
    found: list[tuple[int, str, Allowance, CompiledTariff]] = []
    for row in offering_rows:
        version = versions[int(str(row["version_id"]))]
        offering = version.offering(str(row["offering_id"]))
        tariff = version.tariff(offering.tariff)
        found += [
            (int(str(row["offering_idx"])), offering.id, a, tariff) for a in offering.allowances
        ]
    size = max(len(found), 1)
    zone_ok = np.zeros((size, max(len(zone_index), 1)), dtype=bool)
    place_ok = np.zeros((size, len(location_ids)), dtype=bool)
    quantity = np.zeros(size, dtype=np.int64)
    service = np.full(size, -1, dtype=np.int8)
    per_offering: dict[int, list[int]] = {}
    for position, (offering_idx, _, allowance, tariff) in enumerate(found):
        scope = tariff.scope(allowance.scope)
        quantity[position] = allowance_quantity(allowance)
        service[position] = SERVICE_CODES[allowance.unit.service.value]
        if scope.zones is None:
            zone_ok[position, :] = True
        else:
            zone_ok[position, [zone_index[z] for z in scope.zones if z in zone_index]] = True
        place_ok[position, [location_ids.index(place) for place in scope.roaming]] = True
        per_offering.setdefault(offering_idx, []).append(position)
    width = max((len(s) for s in per_offering.values()), default=1)
    slots = np.full((max(len(offering_rows), 1), width), -1, dtype=np.int32)
    for offering_idx, positions in per_offering.items():
        slots[offering_idx, : len(positions)] = positions
    return AllowanceTables(
        ids=[f"{offering}/{allowance.id}" for _, offering, allowance, _ in found],
        slots=slots,
        quantity=quantity,
        service=service,
        zone_ok=zone_ok,
        place_ok=place_ok,
    )
