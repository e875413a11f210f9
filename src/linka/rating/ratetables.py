"""Rate tables: every tariff's rate rows compiled into prefix tries and integer arrays.

A *table* is one (tariff, service, direction, roaming zone); its prefixes form a set that
compiles into a trie (tables with identical sets — tariffs sharing a carrier deck — share
one). A *key* is one (prefix entry, band) of a table: it owns the price parameters, and
its tiers (threshold in base units, price in micro-units) sit in two padded matrices.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
import polars as pl

from linka.rating.compiled import NO_TIER
from linka.rating.lookup import PrefixIndex

SERVICE_CODES = {"voice": 0, "sms": 1, "data": 2, "other": 3}  # = the store's enum order
DIRECTION_CODES = {"mo": 0, "mt": 1}
MICRO_UNITS = 1_000_000


@dataclass(frozen=True)
class RateTables:
    tables: pl.DataFrame  # tariff_idx, service, direction, rates_roaming → table_idx
    table_code: npt.NDArray[np.int32]  # [tariff, service, direction, roaming place] → table
    prefixes: PrefixIndex
    table_set: npt.NDArray[np.int64]  # table → prefix set (trie)
    table_base: npt.NDArray[np.int64]  # table → first entry id
    key_of: npt.NDArray[np.int32]  # [entry, band] → key (-1: no price)
    keys: pl.DataFrame  # one row per key, see compile_rate_tables
    tier_from: npt.NDArray[np.int64]  # [key, tier] → threshold in base units
    tier_price: npt.NDArray[np.int64]  # [key, tier] → price in micro-units
    zone_index: dict[str, int]

    def _column(self, name: str) -> npt.NDArray[np.int64]:
        return self.keys[name].to_numpy().astype(np.int64)

    @cached_property
    def first_increment(self) -> npt.NDArray[np.int64]:
        return self._column("first_increment")

    @cached_property
    def next_increment(self) -> npt.NDArray[np.int64]:
        return self._column("next_increment")

    @cached_property
    def zone_idx(self) -> npt.NDArray[np.int64]:
        return self._column("zone_idx")

    @cached_property
    def fee_micro(self) -> npt.NDArray[np.int64]:
        return self._column("fee_micro")

    @cached_property
    def minimum_micro(self) -> npt.NDArray[np.int64]:
        return self._column("minimum_micro")

    @cached_property
    def tier_group(self) -> npt.NDArray[np.int64]:
        return self._column("tier_group")

    @cached_property
    def tier_group_code(self) -> npt.NDArray[np.int64]:
        """Dense code of each key's tier group (0 .. tier_groups - 1)."""
        codes: npt.NDArray[np.int64] = np.unique(self.tier_group, return_inverse=True)[1]
        return codes.astype(np.int64)

    @cached_property
    def tier_groups(self) -> int:
        return int(self.tier_group_code.max()) + 1 if len(self.tier_group_code) else 1

    @cached_property
    def has_tiers(self) -> npt.NDArray[np.bool_]:
        return np.asarray((self.tier_from[:, 1:] < NO_TIER).any(axis=1), dtype=bool)

    @cached_property
    def safe_units(self) -> npt.NDArray[np.int64]:
        """The largest quantity whose products with the key's tier prices stay < 2^62."""
        dearest = np.maximum(self.tier_price.max(axis=1), 1)
        result: npt.NDArray[np.int64] = (2**62 // self.tier_price.shape[1]) // dearest
        return result


def _micro(column: str) -> pl.Expr:
    return (pl.col(column).cast(pl.Decimal(38, 6)) * MICRO_UNITS).cast(pl.Int64)


def compile_rate_tables(
    rates: pl.DataFrame, bands: pl.DataFrame, max_bands: int, places: list[str]
) -> RateTables:
    """``rates``: every tariff's rows with ``tariff_idx`` and ``unit_bytes`` columns;
    ``bands``: (tariff_idx, band_id) → band_idx; ``places``: 'home' then roaming zones."""
    rates = rates.with_columns(pl.col("roaming_zone").fill_null(""))
    tables = (
        rates.select("tariff_idx", "service", "direction", "roaming_zone")
        .unique()
        .sort("tariff_idx", "service", "direction", "roaming_zone")
        .with_row_index("table_idx")
        .with_columns(pl.col("table_idx").cast(pl.Int32))
    )
    rates = rates.join(tables, on=["tariff_idx", "service", "direction", "roaming_zone"])
    prefix_lists = (
        rates.group_by("table_idx").agg(pl.col("prefix").unique().sort()).sort("table_idx")
    )
    set_of: dict[tuple[str, ...], int] = {}
    table_set = np.zeros(tables.height, dtype=np.int64)
    table_base = np.zeros(tables.height, dtype=np.int64)
    ordinals: list[pl.DataFrame] = []
    entries = 0
    for table, prefixes in prefix_lists.iter_rows():
        table_set[table] = set_of.setdefault(tuple(prefixes), len(set_of))
        table_base[table] = entries
        ordinals.append(
            pl.DataFrame(
                {"table_idx": table, "prefix": prefixes, "ordinal": range(len(prefixes))},
                schema={"table_idx": pl.Int32, "prefix": pl.String, "ordinal": pl.Int64},
            )
        )
        entries += len(prefixes)
    zone_index = {zone: i for i, zone in enumerate(sorted(rates["zone_id"].unique()))}
    factor = (
        pl.when(pl.col("service") == "voice")
        .then(60)
        .when(pl.col("service") == "data")
        .then(pl.col("unit_bytes"))
        .otherwise(1)
    )
    keyed = (
        rates.join(pl.concat(ordinals), on=["table_idx", "prefix"])
        .join(bands, on=["tariff_idx", "band_id"])
        .with_columns(
            entry=pl.col("table_idx").replace_strict(
                list(range(len(table_base))), table_base.tolist(), return_dtype=pl.Int64
            )
            + pl.col("ordinal"),
            zone_idx=pl.col("zone_id").replace_strict(zone_index, return_dtype=pl.Int32),
            price_micro=_micro("price"),
            # thresholds in base units (minutes → seconds, data units → bytes), rounded up
            tier_base=(_micro("tier_from").cast(pl.Int128) * factor + MICRO_UNITS - 1)
            // MICRO_UNITS,
        )
        .sort("entry", "band_idx", "tier_from")
        .with_columns(  # sorted: a key starts where (entry, band) changes
            first=(pl.col("entry").diff() != 0).fill_null(True)
            | (pl.col("band_idx").diff() != 0).fill_null(True),
            row=pl.int_range(pl.len()),
        )
        .with_columns(
            key=(pl.col("first").cum_sum() - 1).cast(pl.Int32),
            tier=(pl.col("row") - pl.when(pl.col("first")).then(pl.col("row")).forward_fill()).cast(
                pl.Int32
            ),
        )
        .drop("first", "row")
    )
    first = keyed.filter(pl.col("tier") == 0)
    keys = first.select(
        "key",
        "tariff_idx",
        "rule_id",
        "prefix",
        "zone_id",
        "band_id",
        "zone_idx",
        "band_idx",
        pl.col("service").replace_strict(SERVICE_CODES, return_dtype=pl.Int8).alias("service_code"),
        _micro("connection_fee").alias("fee_micro"),
        _micro("minimum_charge").alias("minimum_micro"),
        "first_increment",
        "next_increment",
        (  # volume tiers count per (tariff, service, zone, roaming zone)
            pl.col("tariff_idx").cast(pl.Int64) * 1_000_000
            + pl.struct("service", "zone_id", "roaming_zone").rank("dense").cast(pl.Int64)
        ).alias("tier_group"),
    ).sort("key")
    key_of = np.full((max(entries, 1), max_bands), -1, dtype=np.int32)
    key_of[first["entry"].to_numpy(), first["band_idx"].to_numpy()] = first["key"].to_numpy()
    width = int(keyed["tier"].max() or 0) + 1  # type: ignore[arg-type]
    tier_from = np.full((max(first.height, 1), width), NO_TIER, dtype=np.int64)
    tier_price = np.zeros((max(first.height, 1), width), dtype=np.int64)
    key_array, tier_array = keyed["key"].to_numpy(), keyed["tier"].to_numpy()
    tier_from[key_array, tier_array] = keyed["tier_base"].cast(pl.Int64).to_numpy()
    tier_price[key_array, tier_array] = keyed["price_micro"].to_numpy()
    tariffs = int(tables["tariff_idx"].max() or 0) + 1  # type: ignore[arg-type]
    table_code = np.full((tariffs, len(SERVICE_CODES), 2, len(places)), -1, dtype=np.int32)
    columns = ("tariff_idx", "service", "direction", "roaming_zone", "table_idx")
    for tariff, service, direction, roaming, table in tables.select(columns).iter_rows():
        place = places.index(roaming) if roaming else 0
        table_code[tariff, SERVICE_CODES[service], DIRECTION_CODES[direction], place] = table
    return RateTables(
        tables=tables.rename({"roaming_zone": "rates_roaming"}),
        table_code=table_code,
        prefixes=PrefixIndex.build([list(prefixes) for prefixes in set_of]),
        table_set=table_set,
        table_base=table_base,
        key_of=key_of,
        keys=keys,
        tier_from=tier_from,
        tier_price=tier_price,
        zone_index=zone_index,
    )
