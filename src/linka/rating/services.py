"""Rating use cases: rate (or re-rate) a bill period, read its rated usage.

A run reads every stored record that can belong to periods starting in the month,
prepares it (line, account, period, catalog version), rates it with the kernel and
writes the rated set as one Parquet file, registered with its totals in the same unit
of work. A run that would change prices because the catalog changed needs ``rerate``;
whatever it changes against the previous run is recorded per line.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from decimal import Decimal

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from linka.catalog.errors import CatalogNotLoadedError
from linka.catalog.services import read_version
from linka.catalog.tables import CatalogVersionRow
from linka.kernel.clock import Clock
from linka.rating.errors import NotRatedError, RerateRequiredError
from linka.rating.kernel import rate_usage
from linka.rating.model import RatedStatus, from_micro
from linka.rating.periods import next_month, parse_period, utc_days_for
from linka.rating.plan import RatingPlan, compile_plan
from linka.rating.prepare import prepare_usage
from linka.rating.tables import RatingDifferenceRow, RatingRunRow, RatingTotalRow
from linka.store.bulk import bulk_insert
from linka.usage.lines import line_directory
from linka.usage.services import record_files
from linka.usage.store import UsageStore
from linka.usage.tables import UsageBatchRow

RATED_COLUMNS = (
    "source", "record_id", "raw_ref", "line_id", "account_id", "line_msisdn", "period_start",
    "version_id", "offering_id", "service", "direction", "b_number", "start", "duration_s",
    "volume", "roaming_country",
)  # fmt: skip


@dataclass(frozen=True)
class RatingResult:
    period: str
    run_id: int | None
    up_to_date: bool
    records: int = 0
    totals: list[RatingTotalRow] = field(default_factory=list)
    changed_lines: int = 0
    changed_amount: dict[str, Decimal] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def current_run(session: Session, period: str) -> RatingRunRow | None:
    return session.scalars(
        select(RatingRunRow).where(RatingRunRow.period == period).order_by(RatingRunRow.id.desc())
    ).first()


def _fingerprint(frame: pl.DataFrame) -> str:
    return hashlib.sha256(frame.write_csv().encode()).hexdigest()


def rate_period(
    session: Session,
    store: UsageStore,
    period: str,
    *,
    clock: Clock,
    operator_timezone: str,
    rerate: bool = False,
) -> RatingResult:
    """Rate all usage of bill periods starting in ``period`` (YYYY-MM)."""
    month = parse_period(period)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    started_at = clock.now()
    previous = current_run(session, period)
    version_rows = list(
        session.scalars(
            select(CatalogVersionRow)
            .where(CatalogVersionRow.effective_from < next_month(month))
            .order_by(CatalogVersionRow.effective_from)
        )
    )
    catalog_checksums = ",".join(f"{row.id}:{row.checksum}" for row in version_rows)
    directory = line_directory(session)
    lines_checksum = _fingerprint(directory)
    last_batch = session.scalar(select(func.max(UsageBatchRow.id)))
    if (
        previous is not None
        and previous.last_batch_id == last_batch
        and previous.catalog_checksums == catalog_checksums
        and previous.lines_checksum == lines_checksum
    ):
        return RatingResult(period, previous.id, up_to_date=True, records=previous.records)
    if previous is not None and previous.catalog_checksums != catalog_checksums and not rerate:
        raise RerateRequiredError(
            f"the catalog changed since {period} was rated (run {previous.id}): prices may "
            f"change; run `linka rate --period {period} --rerate` to re-rate and record "
            "the differences"
        )

    if not version_rows:
        raise CatalogNotLoadedError(
            f"no catalog version is valid in {period}: load one with `linka catalog load`"
        )
    plan = compile_plan({row.id: read_version(session, row) for row in version_rows})
    timings["compile_s"] = time.perf_counter() - started
    mark = time.perf_counter()
    files = record_files(session, *utc_days_for(month))
    records = store.scan(files).collect()
    timings["read_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    prepared = prepare_usage(
        records,
        directory,
        [(row.id, row.effective_from) for row in version_rows],
        operator_timezone,
    ).filter((pl.col("period_start") >= month) & (pl.col("period_start") < next_month(month)))
    timings["prepare_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    rated = _rate(prepared, plan)
    timings["rate_s"] = time.perf_counter() - mark

    run = RatingRunRow(
        period=period,
        kind="rerate" if rerate else "rate",
        previous_run_id=previous.id if previous else None,
        started_at=started_at,
        finished_at=clock.now(),
        path="",
        records=rated.height,
        last_batch_id=last_batch,
        catalog_checksums=catalog_checksums,
        lines_checksum=lines_checksum,
    )
    session.add(run)
    session.flush()
    run.path = f"rated/period={period}/run-{run.id:06d}.parquet"
    mark = time.perf_counter()
    _write(store, run.path, rated)
    timings["write_s"] = time.perf_counter() - mark
    totals = _totals(session, run.id, rated)
    changed_lines, changed_amount = 0, dict[str, Decimal]()
    if previous is not None:
        changed_lines, changed_amount = _differences(session, store, run.id, previous, rated)
    timings["total_s"] = time.perf_counter() - started
    return RatingResult(
        period, run.id, False, rated.height, totals, changed_lines, changed_amount, timings
    )


def _rate(prepared: pl.DataFrame, plan: RatingPlan) -> pl.DataFrame:
    rated = pl.concat(
        [prepared.select(RATED_COLUMNS), rate_usage(prepared, plan)], how="horizontal"
    )
    return rated.with_columns(
        status=pl.when(pl.col("line_id").is_null())
        .then(pl.lit(RatedStatus.NO_LINE.value))
        .otherwise(pl.col("status"))
    )


def _write(store: UsageStore, relative: str, rated: pl.DataFrame) -> None:
    target = store.absolute(relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".tmp")
    rated.write_parquet(temporary, compression="lz4")
    temporary.replace(target)


def _totals(session: Session, run_id: int, rated: pl.DataFrame) -> list[RatingTotalRow]:
    summary = (
        rated.group_by("status", pl.col("currency").fill_null(""))
        .agg(records=pl.len(), micro=pl.col("price_micro").fill_null(0).sum())
        .sort("status", "currency")
    )
    rows = [
        RatingTotalRow(
            run_id=run_id,
            status=status,
            currency=currency,
            records=records,
            amount=from_micro(micro),
        )
        for status, currency, records, micro in summary.iter_rows()
    ]
    session.add_all(rows)
    session.flush()
    return rows


def _differences(
    session: Session, store: UsageStore, run_id: int, previous: RatingRunRow, rated: pl.DataFrame
) -> tuple[int, dict[str, Decimal]]:
    """Per line and currency: amounts before and after, where any record's price changed."""
    keys = ["source", "record_id"]
    before = pl.read_parquet(
        store.absolute(previous.path), columns=[*keys, "line_id", "currency", "price_micro"]
    )
    now = rated.select(*keys, "line_id", "currency", "price_micro")
    joined = before.join(now, on=keys, how="full", suffix="_new", coalesce=True).with_columns(
        line=pl.coalesce("line_id_new", "line_id"),
        cur=pl.coalesce("currency_new", "currency").fill_null(""),
        old=pl.col("price_micro").fill_null(0),
        new=pl.col("price_micro_new").fill_null(0),
    )
    per_line = (
        joined.filter(pl.col("line").is_not_null())
        .group_by("line", "cur")
        .agg(
            records_changed=(pl.col("old") != pl.col("new")).sum(),
            previous_micro=pl.col("old").sum(),
            new_micro=pl.col("new").sum(),
        )
        .filter(pl.col("records_changed") > 0)
        .sort("line", "cur")
    )
    if per_line.height:
        bulk_insert(
            session,
            RatingDifferenceRow,
            per_line.select(
                pl.lit(run_id).alias("run_id"),
                pl.col("line").alias("line_id"),
                pl.col("cur").alias("currency"),
                "records_changed",
                (pl.col("previous_micro").cast(pl.Decimal(38, 0)) / 1_000_000)
                .cast(pl.Decimal(20, 6))
                .alias("previous_amount"),
                (pl.col("new_micro").cast(pl.Decimal(38, 0)) / 1_000_000)
                .cast(pl.Decimal(20, 6))
                .alias("new_amount"),
            ),
        )
    change = per_line.group_by("cur").agg((pl.col("new_micro") - pl.col("previous_micro")).sum())
    return per_line.height, {cur: from_micro(micro) for cur, micro in change.iter_rows()}


def rated_usage(session: Session, store: UsageStore, period: str) -> pl.LazyFrame:
    """The current rated usage of a period (newest run)."""
    run = current_run(session, period)
    if run is None:
        raise NotRatedError(f"{period} has not been rated yet: run `linka rate --period {period}`")
    return pl.scan_parquet(store.absolute(run.path))


def registered_rated_paths(session: Session) -> set[str]:
    return set(session.scalars(select(RatingRunRow.path)))
