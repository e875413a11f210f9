"""Local wall time → UTC around the Europe/Prague DST changes of 2026."""
# ruff: noqa: DTZ001  (naive wall-clock times are the input under test)

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from linka.usage.localtime import local_to_utc, localise, utc_expr

TZ = "Europe/Prague"
WALLS = [
    datetime(2026, 3, 29, 1, 59, 59),  # CET
    datetime(2026, 3, 29, 2, 30, 0),  # does not exist
    datetime(2026, 3, 29, 3, 0, 0),  # CEST
    datetime(2026, 10, 25, 2, 30, 0),  # happens twice: the earlier (CEST) is chosen
    datetime(2026, 10, 25, 3, 0, 0),  # CET
]
SHIFTED = [
    datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 30, 0, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 0, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 0, 30, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 2, 0, 0, tzinfo=UTC),
]


def test_scalar_rules() -> None:
    assert [local_to_utc(w, TZ) for w in WALLS] == SHIFTED
    rejected = [local_to_utc(w, TZ, "reject") for w in WALLS]
    assert rejected == [SHIFTED[0], None, *SHIFTED[2:]]


def test_vectorised_paths_agree_with_scalar() -> None:
    frame = pl.DataFrame({"wall": pl.Series(WALLS, dtype=pl.Datetime("us"))})
    for mode in ("shift", "reject"):
        expected = [local_to_utc(w, TZ, mode) for w in WALLS]
        by_expr = frame.select(utc_expr(pl.col("wall"), TZ, mode)).to_series().to_list()
        by_lookup = localise(frame, {"wall": "utc"}, TZ, mode).get_column("utc").to_list()
        assert by_expr == expected
        assert by_lookup == expected


def test_offsets_that_are_not_whole_minutes_are_converted_row_by_row() -> None:
    # given Monrovia's clock, at UTC-0:44:30 until it moved to UTC on 1972-01-07
    walls = [datetime(1972, 1, 6, 12, 0, 0), datetime(1972, 1, 7, 0, 44, 40)]
    frame = pl.DataFrame({"wall": walls}, schema={"wall": pl.Datetime("us")})
    # when localised in bulk
    got = localise(frame, {"wall": "utc"}, "Africa/Monrovia").get_column("utc").to_list()
    # then each time is exactly what the zone rules give
    assert got == [local_to_utc(wall, "Africa/Monrovia") for wall in walls]
    assert got[0] == datetime(1972, 1, 6, 12, 44, 30, tzinfo=UTC)
