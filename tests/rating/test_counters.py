"""Rating records in consecutive chunks that share their counters gives what rating them
at once gives: allowances and volume tiers run on from one part of a period to the next."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linka.catalog.compile import compile_catalog
from linka.rating.compiled import _claim, grown
from linka.rating.engine import Counters, rate_arrays
from linka.rating.kernel import usage_arrays
from linka.rating.plan import compile_plan
from tests.rating.generated import GeneratedCatalog, catalogs, usage
from tests.rating.test_kernel_matches_reference import frame_of


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), generated=catalogs())
def test_chunks_sharing_counters_rate_like_one_call(
    data: st.DataObject, generated: GeneratedCatalog
):
    with tempfile.TemporaryDirectory() as folder:
        version = compile_catalog(generated.write(Path(folder)))
    records = data.draw(usage(generated.prefixes))  # in start order
    plan = compile_plan({1: version})
    frame = frame_of(records, plan)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(records)), max_size=3)))
    bounds = [0, *cuts, len(records)]

    counters = Counters()
    chunks = [
        rate_arrays(usage_arrays(frame.slice(low, high - low)), plan, counters).frame()
        for low, high in itertools.pairwise(bounds)
    ]
    at_once = rate_arrays(usage_arrays(frame), plan).frame()
    assert pl.concat(chunks).to_dicts() == at_once.to_dicts()


def test_the_counter_table_grows_and_keeps_its_counts():
    counters = Counters()
    capacity = len(counters.tables[2])
    for line in range(capacity // 4):
        slot = _claim(counters.tables, line, 20_000, line % 5)
        counters.tables[3][slot] = line * 7
    larger = grown(counters.tables, 4 * capacity)
    for line in range(capacity // 4):
        slot = _claim(larger, line, 20_000, line % 5)
        assert larger[3][slot] == line * 7
    assert larger[4][0] == capacity // 4
