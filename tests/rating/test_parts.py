"""Rating a part (store read, line matching, one consumption order, kernel) gives what
the plain path gives: prepare_usage (sorted by start) and the kernel on that order.

The generated month has recycled numbers, offering changes, lines of several bill-cycle
days and time zones, records of periods that start in other months, records without a
number and records of numbers without a line.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linka.catalog.compile import compile_catalog
from linka.rating.kernel import rate_codes
from linka.rating.model import CODE_SCHEMA, STATUSES, RatedStatus
from linka.rating.partitions import RunInput, rate_records
from linka.rating.plan import compile_plan
from linka.rating.prepare import RECORD_COLUMNS, Lines, prepare_usage
from linka.rating.reading import INT64_MAX, INT64_MIN, read_range
from linka.usage.lines import DIRECTORY_SCHEMA
from linka.usage.store import by_line, with_enums
from tests.rating.generated import _ANCHORS, GeneratedCatalog, catalogs, usage

NUMBERS = [420601000001, 420601000002, 420601000003]
ANCHOR_DAYS = [anchor.date() for anchor in _ANCHORS]
ZONES = [None, "Europe/Prague", "America/New_York"]


@st.composite
def directories(draw: st.DrawFn) -> pl.DataFrame:
    """Each number: one line, or two when it was recycled around an anchor day; a line
    may change offering on the way (one directory row per offering)."""
    rows = []
    line_id = 0
    for number in NUMBERS:
        cuts = [date(2025, 12, 1)]
        if draw(st.booleans()):  # recycled: the second line starts the day after
            cuts.append(
                draw(st.sampled_from(ANCHOR_DAYS)) + timedelta(days=draw(st.integers(-3, 3)))
            )
        for i, first in enumerate(cuts):
            line_id += 1
            last = cuts[i + 1] - timedelta(days=1) if i + 1 < len(cuts) else None
            zone, cycle = draw(st.sampled_from(ZONES)), draw(st.sampled_from([1, 15, 28]))
            change = draw(st.sampled_from([None, *ANCHOR_DAYS]))
            spans = [(first, last)]
            if change is not None and first < change and (last is None or change <= last):
                spans = [(first, change - timedelta(days=1)), (change, last)]
            for active_from, active_until in spans:
                rows.append(
                    {
                        "line_id": line_id,
                        "msisdn": number,
                        "imsi": None,
                        "account_id": 100 + line_id,
                        "offering_id": draw(st.sampled_from(["o", "o", "o", "gone"])),
                        "active_from": active_from,
                        "active_until": active_until,
                        "bill_cycle_day": cycle,
                        "timezone": zone,
                        "currency": "CZK",
                    }
                )
    return pl.DataFrame(rows, schema=DIRECTORY_SCHEMA, orient="row")


def store_file(records: list[dict[str, Any]], numbers: list[int | None], folder: Path) -> str:
    frame = pl.DataFrame(
        [
            {
                "line_msisdn": number,
                "service": r["service"],
                "direction": r["direction"],
                "b_number": r["b_number"],
                "start": r["start"],
                "duration_s": max(r["duration_s"], 0),
                "volume_up": r["volume"],
                "volume_down": 0,
                "roaming_country": r["roaming_country"] or "",
            }
            for r, number in zip(records, numbers, strict=True)
        ],
        schema={
            "line_msisdn": pl.Int64,
            "service": pl.String,
            "direction": pl.String,
            "b_number": pl.Int64,
            "start": pl.Datetime("us", "UTC"),
            "duration_s": pl.Int32,
            "volume_up": pl.Int64,
            "volume_down": pl.Int64,
            "roaming_country": pl.String,
        },
        orient="row",
    )
    by_line(with_enums(frame)).with_columns(
        seq=pl.int_range(pl.len(), dtype=pl.Int32)
    ).write_parquet(folder / "records.parquet", row_group_size=8)  # several groups
    return "records.parquet"


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), generated=catalogs(), directory=directories())
def test_a_rated_part_equals_the_plain_path(
    data: st.DataObject, generated: GeneratedCatalog, directory: pl.DataFrame
):
    with tempfile.TemporaryDirectory() as folder:
        version = compile_catalog(generated.write(Path(folder)))
        anchor = data.draw(st.sampled_from(_ANCHORS))  # one month or two, many per line
        records = [
            r | {"start": anchor + (r["start"] - min(_ANCHORS, key=lambda a: abs(r["start"] - a)))}
            for r in data.draw(usage(generated.prefixes))
        ]
        numbers = [
            data.draw(st.sampled_from([*NUMBERS, *NUMBERS, 420609999999, None])) for _ in records
        ]
        path = store_file(records, numbers, Path(folder))
        plan = compile_plan({1: version})
        versions = [(1, date(2020, 1, 1))]
        month = data.draw(
            st.sampled_from(sorted({date(r["start"].year, r["start"].month, 1) for r in records}))
        )
        run = RunInput(plan, directory, versions, Path(folder), [path], month, "Europe/Prague")
        read = read_range(Path(folder), [path], INT64_MIN, INT64_MAX)
        part = rate_records(run, read, Lines.of(directory, "Europe/Prague"), {}).frame()
        stored = pl.read_parquet(Path(folder) / path).with_columns(
            file_no=pl.lit(0, dtype=pl.Int32)
        )
    offerings = plan.offerings.select("version_id", "offering_id", "offering_idx")
    prepared = prepare_usage(
        stored.select(*RECORD_COLUMNS, "seq", "file_no"), directory, versions, offerings,
        "Europe/Prague",
    ).filter(
        (pl.col("period_start") >= month)
        & (pl.col("period_start") < _next_month(month))
    )  # fmt: skip
    plain = pl.concat(
        [prepared.select("file_no", "seq", "line_id", "account_id", "period_start"),
         rate_codes(prepared, plan)],
        how="horizontal",
    ).with_columns(
        status=pl.when(pl.col("line_id").is_null())
        .then(pl.lit(STATUSES.index(RatedStatus.NO_LINE), dtype=pl.Int8))
        .otherwise(pl.col("status"))
    )  # fmt: skip
    columns = ["file_no", "seq", "line_id", "account_id", "period_start", *CODE_SCHEMA]
    assert (
        part.select(columns).sort("seq").to_dicts() == plain.select(columns).sort("seq").to_dicts()
    )


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)
