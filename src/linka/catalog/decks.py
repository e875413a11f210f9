"""Carrier rate decks: the CSV shape carriers send, one row per prefix (and time band).

``prefix,destination,price_per_minute,connection_fee,first_increment,next_increment``
with optional ``time_band`` (empty: every band) and ``minimum_charge`` columns.
Validation is column-wise (Polars), so a 100,000-row deck is checked in a fraction of a
second, and every bad cell is reported with its CSV line number.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import polars as pl

from linka.catalog.errors import CatalogIssue

REQUIRED = (
    "prefix",
    "destination",
    "price_per_minute",
    "connection_fee",
    "first_increment",
    "next_increment",
)
OPTIONAL = ("time_band", "minimum_charge")
PRICE_SCALE = 6
MAX_ISSUES_PER_FILE = 20

_AMOUNT = r"^[0-9]{1,12}(\.[0-9]{1,6})?$"
_CHECKS: dict[str, tuple[str, str]] = {
    "prefix": (r"^\+?[1-9][0-9]{0,14}$", "E.164 digits without spaces, 1 to 15 long"),
    "destination": (r"\S", "a destination name"),
    "price_per_minute": (_AMOUNT, "a non-negative decimal with at most 6 decimals"),
    "connection_fee": (_AMOUNT, "a non-negative decimal with at most 6 decimals"),
    "minimum_charge": (_AMOUNT, "a non-negative decimal with at most 6 decimals"),
    "first_increment": (r"^[1-9][0-9]{0,3}$", "whole seconds from 1 to 3600"),
    "next_increment": (r"^[1-9][0-9]{0,3}$", "whole seconds from 1 to 3600"),
    "time_band": (r"^([a-z0-9][a-z0-9._-]*)?$", "a time band id of the tariff, or empty"),
}


def zone_id_for(destination: str) -> str:
    """A stable zone id from a destination name ("Czech Rep. – mobile" → czech-rep-mobile)."""
    ascii_name = unicodedata.normalize("NFKD", destination).encode("ascii", "ignore").decode()
    words = "".join(ch.lower() if ch.isalnum() else " " for ch in ascii_name).split()
    return "-".join(words)[:63] or "unnamed"


def read_deck(root: Path, relative: str, issues: list[CatalogIssue]) -> pl.DataFrame | None:
    """Read and check a deck; on problems add issues and return None.

    The result has the deck's columns typed (prices ``Decimal(20,6)``, increments int),
    a ``line`` column with the CSV line of each row and a ``zone_id`` per destination.
    """
    path = root / relative
    if not path.is_file():
        issues.append(CatalogIssue(relative, None, "", "rate deck file not found"))
        return None
    try:
        raw = pl.read_csv(path, infer_schema=False, encoding="utf8")
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, UnicodeDecodeError) as exc:
        issues.append(CatalogIssue(relative, None, "", f"not a readable CSV file: {exc}"))
        return None
    columns = [c.strip() for c in raw.columns]
    raw.columns = columns
    missing = [c for c in REQUIRED if c not in columns]
    unknown = [c for c in columns if c not in REQUIRED + OPTIONAL]
    if missing or unknown:
        expected = ",".join(REQUIRED) + " [,time_band] [,minimum_charge]"
        what = (f"missing columns {', '.join(missing)}" if missing else "") + (
            f"{'; ' if missing else ''}unknown columns {', '.join(unknown)}" if unknown else ""
        )
        issues.append(CatalogIssue(relative, 1, "header", f"{what}; expected {expected}"))
        return None

    frame = raw.with_row_index("line", offset=2).with_columns(
        pl.col(c).str.strip_chars() for c in columns
    )
    found = _cell_issues(frame, relative, columns)
    if found:
        issues.extend(found)
        return None

    zone_ids = {name: zone_id_for(name) for name in frame["destination"].unique().to_list()}
    band = (  # an empty band means every band of the tariff
        pl.col("time_band").replace("", None)
        if "time_band" in columns
        else pl.lit(None, dtype=pl.String)
    )
    minimum = pl.col("minimum_charge") if "minimum_charge" in columns else pl.lit("0")
    deck = frame.select(
        pl.col("line").cast(pl.Int32),
        pl.col("prefix").str.strip_prefix("+").alias("prefix"),
        "destination",
        pl.col("destination").replace_strict(zone_ids, return_dtype=pl.String).alias("zone_id"),
        band.alias("band_id"),
        pl.col("price_per_minute").cast(pl.Decimal(20, PRICE_SCALE)).alias("price"),
        pl.col("connection_fee").cast(pl.Decimal(20, PRICE_SCALE)),
        minimum.cast(pl.Decimal(20, PRICE_SCALE)).alias("minimum_charge"),
        pl.col("first_increment").cast(pl.Int32),
        pl.col("next_increment").cast(pl.Int32),
    )
    bad_increments = deck.filter(
        (pl.col("first_increment") > 3600) | (pl.col("next_increment") > 3600)
    )
    for row in bad_increments.head(MAX_ISSUES_PER_FILE).iter_rows(named=True):
        issues.append(
            CatalogIssue(relative, row["line"], "first_increment", "increments must be ≤ 3600 s")
        )
    duplicates = deck.filter(pl.struct("prefix", "band_id").is_duplicated())
    for row in duplicates.head(MAX_ISSUES_PER_FILE).iter_rows(named=True):
        band_text = f" band {row['band_id']}" if row["band_id"] else ""
        issues.append(
            CatalogIssue(
                relative,
                row["line"],
                "prefix",
                f"prefix {row['prefix']}{band_text} appears more than once",
            )
        )
    if bad_increments.height or duplicates.height:
        return None
    return deck


def _cell_issues(frame: pl.DataFrame, relative: str, columns: list[str]) -> list[CatalogIssue]:
    found: list[CatalogIssue] = []
    for column in columns:
        pattern, expected = _CHECKS[column]
        bad = frame.filter(~pl.col(column).fill_null("").str.contains(pattern))
        for row in bad.head(MAX_ISSUES_PER_FILE).iter_rows(named=True):
            shown = row[column] if row[column] is not None else ""
            found.append(
                CatalogIssue(relative, row["line"], column, f"{shown!r}: expected {expected}")
            )
        if bad.height > MAX_ISSUES_PER_FILE:
            found.append(
                CatalogIssue(
                    relative,
                    None,
                    column,
                    f"{bad.height - MAX_ISSUES_PER_FILE} more rows with bad {column}",
                )
            )
    return found
