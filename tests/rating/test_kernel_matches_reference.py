"""The vectorised kernel and the Decimal reference rater agree on every generated case."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linka.catalog.compile import compile_catalog
from linka.rating.kernel import USAGE_COLUMNS, rate_usage, with_offering_idx
from linka.rating.plan import RatingPlan, compile_plan
from linka.rating.reference import ReferenceRater
from tests.rating.generated import GeneratedCatalog, catalogs, usage

COMPARED = ("status", "rule_id", "billable", "included", "allowance_id", "price_micro", "location")


def frame_of(records: list[dict[str, Any]], plan: RatingPlan) -> pl.DataFrame:
    columns = {**USAGE_COLUMNS, "offering_id": pl.String()}
    columns.pop("offering_idx")
    frame = pl.DataFrame(
        [{k: r[k] for k in columns} for r in records], schema=columns, orient="row"
    )
    return with_offering_idx(frame, plan)


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

    plan = compile_plan({1: version})
    kernel = rate_usage(frame_of(records, plan), plan).to_dicts()
    reference = ReferenceRater({1: version}).rate(records)

    for record, fast, slow in zip(records, kernel, reference, strict=True):
        assert {k: fast[k] for k in COMPARED} == {k: slow[k] for k in COMPARED}, record
