"""Reading a part's files gives every stored record of them once, in file and row order,
with the quantity rating uses, missing numbers as 0 and an empty country as none; the
reader hands the parts over in order, reading ahead."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linka.rating.reading import PartReader, read_files
from linka.usage.store import by_line, with_enums

START = datetime(2026, 3, 1, tzinfo=UTC)
SCHEMA = {
    "line_msisdn": pl.Int64, "service": pl.String, "direction": pl.String, "b_number": pl.Int64,
    "start": pl.Datetime("us", "UTC"), "duration_s": pl.Int32, "volume_up": pl.Int64,
    "volume_down": pl.Int64, "roaming_country": pl.String,
}  # fmt: skip


def records_file(folder: Path, name: str, numbers: list[int | None], group: int) -> str:
    rows = len(numbers)
    frame = pl.DataFrame(
        {
            "line_msisdn": numbers,
            "service": ["voice", "sms", "data", "other"] * (rows // 4) + ["voice"] * (rows % 4),
            "direction": ["mo"] * rows,
            "b_number": [420600000000 + i for i in range(rows)],
            "start": [START + timedelta(minutes=i) for i in range(rows)],
            "duration_s": [60 + i for i in range(rows)],
            "volume_up": [1000 * i for i in range(rows)],
            "volume_down": [None] * rows,
            "roaming_country": ["", "DE", None, "AT"] * (rows // 4) + [""] * (rows % 4),
        },
        schema=SCHEMA,
    )
    sorted_frame = by_line(with_enums(frame)).with_columns(
        seq=pl.int_range(pl.len(), dtype=pl.Int32)
    )
    sorted_frame.write_parquet(folder / name, row_group_size=group, statistics=True)
    return name


numbers = st.lists(st.one_of(st.none(), st.integers(420600000001, 420600000030)), max_size=60)


@settings(max_examples=40, deadline=None)
@given(files=st.lists(numbers, min_size=1, max_size=4), group=st.integers(1, 9))
def test_a_part_holds_every_record_of_its_files(files: list[list[int | None]], group: int):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        paths = [records_file(root, f"f{n}.parquet", rows, group) for n, rows in enumerate(files)]
        wanted = pl.concat(
            pl.read_parquet(root / path).with_columns(file_no=pl.lit(n, dtype=pl.Int32))
            for n, path in enumerate(paths)
        )
        part = read_files(root, list(enumerate(paths)))
    assert part.n_chunks() == 1
    assert part.select("file_no", "seq").rows() == wanted.select("file_no", "seq").rows()
    quantity = {"voice": "duration_s", "data": "volume_up"}
    assert part["quantity"].to_list() == [
        (row[quantity[row["service"]]] or 0)
        if row["service"] in quantity
        else int(row["service"] == "sms")
        for row in wanted.to_dicts()
    ]
    assert part["line_msisdn"].to_list() == wanted["line_msisdn"].fill_null(0).to_list()
    assert part["roaming_country"].to_list() == [
        country or None for country in wanted["roaming_country"].to_list()
    ]


def test_the_reader_reads_ahead_and_in_order():
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        paths = [
            records_file(root, f"f{n}.parquet", [420600000001] * rows, 4)
            for n, rows in enumerate([15, 21, 14])
        ]
        parts = [[(0, paths[0]), (1, paths[1])], [(2, paths[2])], []]
        with PartReader(root, parts) as reader:
            heights = [reader.take()[0].height for _ in parts]
            with pytest.raises(IndexError):
                reader.take()
    assert heights == [36, 14, 0]
