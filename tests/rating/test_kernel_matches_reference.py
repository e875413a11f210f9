"""The vectorised kernel and the Decimal reference rater agree on every generated case."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linka.catalog.compile import compile_catalog
from linka.rating.kernel import USAGE_COLUMNS, rate_usage
from linka.rating.plan import compile_plan
from linka.rating.reference import ReferenceRater
from tests.rating.generated import GeneratedCatalog, catalogs, usage

COMPARED = ("status", "rule_id", "billable", "included", "allowance_id", "price_micro", "location")


def frame_of(records: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(
        [{k: r[k] for k in USAGE_COLUMNS} for r in records], schema=USAGE_COLUMNS, orient="row"
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), generated=catalogs())
def test_kernel_equals_reference(data: st.DataObject, generated: GeneratedCatalog):
    with tempfile.TemporaryDirectory() as folder:
        version = compile_catalog(generated.write(Path(folder)))
    records = data.draw(usage(generated.prefixes))

    kernel = rate_usage(frame_of(records), compile_plan({1: version})).to_dicts()
    reference = ReferenceRater({1: version}).rate(records)

    for record, fast, slow in zip(records, kernel, reference, strict=True):
        assert {k: fast[k] for k in COMPARED} == {k: slow[k] for k in COMPARED}, record
