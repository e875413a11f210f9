"""Rating a period in parts of whole days (store reads, line matching, one consumption
order per part, the kernel, counters carried from part to part) gives what the plain
path gives: prepare_usage (sorted by start) and the kernel on all records at once.

The generated month has recycled numbers, offering changes, lines of several bill-cycle
days and time zones, records of periods that start in other months, records without a
number and records of numbers without a line.
"""

from __future__ import annotations

import itertools
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linka.catalog.compile import compile_catalog
from linka.rating import partitions
from linka.rating.kernel import rate_codes
from linka.rating.model import CODE_SCHEMA, STATUSES, RatedStatus
from linka.rating.partitions import RunInput, day_parts, rate_parts
from linka.rating.plan import compile_plan
from linka.rating.prepare import RECORD_COLUMNS, prepare_usage
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


def store_files(records: list[dict[str, Any]], numbers: list[int | None], folder: Path) -> list:
    """The records in one file per UTC day, sorted by line like the store's: (path, day,
    rows) in day order."""
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
    files = []
    for (day,), rows in sorted(frame.group_by(pl.col("start").dt.date()), key=lambda g: g[0]):
        path = f"day-{day}.parquet"
        by_line(with_enums(rows)).with_columns(
            seq=pl.int_range(pl.len(), dtype=pl.Int32)
        ).write_parquet(folder / path, row_group_size=8)  # several groups
        files.append((path, day, rows.height))
    return files


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    data=st.data(),
    generated=catalogs(),
    directory=directories(),
    part_records=st.integers(1, 12),
)
def test_a_period_rated_in_parts_equals_the_plain_path(
    data: st.DataObject, generated: GeneratedCatalog, directory: pl.DataFrame, part_records: int
):
    """Parts of a few days each, rated one after the other with the counters carried on,
    give what rating every record at once gives."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        version = compile_catalog(generated.write(root))
        anchor = data.draw(st.sampled_from(_ANCHORS))  # one month or two, many per line
        records = [
            r | {"start": anchor + (r["start"] - min(_ANCHORS, key=lambda a: abs(r["start"] - a)))}
            for r in data.draw(usage(generated.prefixes))
        ]
        numbers = [
            data.draw(st.sampled_from([*NUMBERS, *NUMBERS, 420609999999, None])) for _ in records
        ]
        files = store_files(records, numbers, root)
        paths = [path for path, _, _ in files]
        plan = compile_plan({1: version})
        versions = [(1, date(2020, 1, 1))]
        month = data.draw(
            st.sampled_from(sorted({date(r["start"].year, r["start"].month, 1) for r in records}))
        )
        run = RunInput(plan, directory, versions, root, month, "Europe/Prague")
        with patch.object(partitions, "PART_RECORDS", part_records):
            parts = day_parts(files)
        (root / "run").mkdir()
        rate_parts(run, parts, root / "run")
        rated = pl.concat(pl.read_ipc(file) for file in sorted((root / "run").glob("*.arrow")))
        stored = pl.concat(
            pl.read_parquet(root / path).with_columns(file_no=pl.lit(n, dtype=pl.Int32))
            for n, path in enumerate(paths)
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
    keys = ["file_no", "seq"]
    assert (
        rated.select(columns).sort(keys).to_dicts() == plain.select(columns).sort(keys).to_dicts()
    )


def test_parts_hold_whole_days_and_the_last_one_is_smaller():
    files = [(f"d{day}-{n}", date(2026, 3, day), 100) for day in range(1, 11) for n in range(2)]
    with patch.object(partitions, "PART_RECORDS", 500):
        parts = day_parts(files)
    days = [{files[number][1] for number, _ in part} for part in parts]
    assert [number for part in parts for number, _ in part] == list(range(20))  # all, in order
    assert all(not (a & b) for a, b in itertools.pairwise(days))  # a day is in one part
    assert [len(part) for part in parts] == [6, 6, 6, 2]  # 4 parts of 2000: 571 each, last half


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)
