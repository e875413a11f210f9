"""The compiled rate table: its columns, its row key and how deck rows join it.

A tariff's prices are its explicit rows (from the tariff YAML: zones, data, roaming)
plus the rows of the carrier decks it names. Decks are stored once per version, however
many tariffs use them, and expanded per tariff when read: a deck row without a time
band applies to every band of that tariff.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

AMOUNT = pl.Decimal(20, 6)
RATE_SCHEMA: dict[str, pl.DataType] = {
    "tariff_id": pl.String(),
    "rule_id": pl.String(),
    "service": pl.String(),
    "direction": pl.String(),
    "roaming_zone": pl.String(),
    "prefix": pl.String(),
    "zone_id": pl.String(),
    "band_id": pl.String(),
    "tier_from": AMOUNT,
    "price": AMOUNT,
    "connection_fee": AMOUNT,
    "minimum_charge": AMOUNT,
    "first_increment": pl.Int32(),
    "next_increment": pl.Int32(),
    "source": pl.String(),
}
RATE_KEY = ("tariff_id", "service", "direction", "roaming_zone", "prefix", "band_id", "tier_from")

DECK_SCHEMA: dict[str, pl.DataType] = {
    "line": pl.Int32(),
    "prefix": pl.String(),
    "destination": pl.String(),
    "zone_id": pl.String(),
    "band_id": pl.String(),
    "price": AMOUNT,
    "connection_fee": AMOUNT,
    "minimum_charge": AMOUNT,
    "first_increment": pl.Int32(),
    "next_increment": pl.Int32(),
}


def empty_rates() -> pl.DataFrame:
    return pl.DataFrame(schema=RATE_SCHEMA)


def rule_id(
    service: str, direction: str, roaming: str | None, prefix: str, band: str, tier: Decimal
) -> str:
    """Readable key of a rate row, e.g. ``voice-mo@home/4206/peak``."""
    base = f"{service}-{direction}@{roaming or 'home'}/{prefix or '*'}/{band}"
    return base if tier == 0 else f"{base}/from-{tier.normalize():f}"


def expand_deck(deck: pl.DataFrame, tariff_id: str, bands: list[str], name: str) -> pl.DataFrame:
    """A deck's rows as home voice rate rows of one tariff (band-less rows → every band)."""
    band_frame = pl.DataFrame({"band_all": bands}, schema={"band_all": pl.String})
    with_band = deck.filter(pl.col("band_id").is_not_null())
    without_band = (
        deck.filter(pl.col("band_id").is_null())
        .join(band_frame, how="cross")
        .with_columns(pl.col("band_all").alias("band_id"))
        .drop("band_all")
    )
    rows = pl.concat([with_band, without_band])
    return rows.select(
        pl.lit(tariff_id).alias("tariff_id"),
        pl.concat_str(
            pl.lit("voice-mo@home/"), pl.col("prefix"), pl.lit("/"), pl.col("band_id")
        ).alias("rule_id"),
        pl.lit("voice").alias("service"),
        pl.lit("mo").alias("direction"),
        pl.lit(None, dtype=pl.String).alias("roaming_zone"),
        "prefix",
        "zone_id",
        "band_id",
        pl.lit(Decimal(0)).cast(AMOUNT).alias("tier_from"),
        "price",
        "connection_fee",
        "minimum_charge",
        "first_increment",
        "next_increment",
        pl.concat_str(pl.lit(f"{name}:"), pl.col("line").cast(pl.String)).alias("source"),
    )
