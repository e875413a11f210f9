"""Rating use cases: rate (or re-rate) a bill period, read its rated usage.

A run reads every stored record that can belong to periods starting in the month,
prepares it (line, account, period, catalog version), rates it with the kernel and
writes the rated set as a run folder, registered with its totals in the same unit of
work. A run that would change prices because the catalog changed needs ``rerate``;
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
from linka.kernel.memory import cycle_collector_paused
from linka.rating.errors import NotRatedError, RerateRequiredError
from linka.rating.kernel import dictionaries
from linka.rating.model import from_micro, micro_amount
from linka.rating.partitions import RunInput, day_parts, rate_parts
from linka.rating.periods import next_month, parse_period, utc_days_for
from linka.rating.plan import compile_plan
from linka.rating.reading import PartReader
from linka.rating.runfiles import FILES, finish_run, scan_codes, scan_decoded, temporary_folder
from linka.rating.tables import RatingDifferenceRow, RatingRunRow, RatingTotalRow
from linka.store.bulk import bulk_insert
from linka.usage.lines import line_directory
from linka.usage.records import RAW_REF
from linka.usage.services import stored_days
from linka.usage.store import UsageStore
from linka.usage.tables import UsageBatchRow


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


def rate_period(
    session: Session,
    store: UsageStore,
    period: str,
    *,
    clock: Clock,
    operator_timezone: str,
    rerate: bool = False,
) -> RatingResult:
    """Rate all usage of bill periods starting in ``period`` (YYYY-MM).

    The cycle collector pauses meanwhile: rating makes no cycles, but the objects the
    reading and writing threads create trigger its passes over the whole heap (numba's
    and the ORM's), which cost a seventh of a 10M-record run (measured).
    """
    with cycle_collector_paused():
        return _rate_period(
            session, store, period, clock=clock, operator_timezone=operator_timezone, rerate=rerate
        )


def _rate_period(
    session: Session,
    store: UsageStore,
    period: str,
    *,
    clock: Clock,
    operator_timezone: str,
    rerate: bool,
) -> RatingResult:
    month = parse_period(period)
    timings: dict[str, float] = {}
    started, started_at = time.perf_counter(), clock.now()
    previous = current_run(session, period)
    version_rows = list(
        session.scalars(
            select(CatalogVersionRow)
            .where(CatalogVersionRow.effective_from < next_month(month))
            .order_by(CatalogVersionRow.effective_from)
        )
    )
    catalog_checksums = ",".join(f"{row.id}:{row.checksum}" for row in version_rows)
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
    files = stored_days(session, *utc_days_for(month))
    paths = [path for path, _, _ in files]
    parts = day_parts(files)
    # reading starts first: it is the longest step; the first parts are read while the
    # lines are loaded and the plan compiles (and dropped if the period is up to date)
    with PartReader(store.root, parts) as reader:
        directory = line_directory(session)
        lines_checksum = hashlib.sha256(directory.write_csv().encode()).hexdigest()
        last_batch = session.scalar(select(func.max(UsageBatchRow.id)))
        if previous is not None and (
            previous.last_batch_id,
            previous.catalog_checksums,
            previous.lines_checksum,
        ) == (last_batch, catalog_checksums, lines_checksum):
            return RatingResult(period, previous.id, up_to_date=True, records=previous.records)
        plan = compile_plan({row.id: read_version(session, row) for row in version_rows})
        timings["compile_s"] = time.perf_counter() - started
        run = RatingRunRow(
            period=period,
            kind="rerate" if rerate else "rate",
            previous_run_id=previous.id if previous else None,
            started_at=started_at,
            finished_at=started_at,
            path="",
            records=0,
            last_batch_id=last_batch,
            catalog_checksums=catalog_checksums,
            lines_checksum=lines_checksum,
        )
        session.add(run)
        session.flush()
        run.path = f"rated/period={period}/run-{run.id:06d}"
        folder = store.absolute(run.path)
        temporary = temporary_folder(folder)
        mark = time.perf_counter()
        run_input = RunInput(
            plan=plan,
            directory=directory,
            versions=[(r.id, r.effective_from) for r in version_rows],
            store_root=store.root,
            month=month,
            timezone=operator_timezone,
        )
        results = rate_parts(run_input, parts, temporary, reader)
    timings["parts_s"] = time.perf_counter() - mark
    for part in results:
        for step, seconds in part.timings.items():
            timings[step] = timings.get(step, 0.0) + seconds
    numbered = pl.DataFrame(
        {"file_no": range(len(paths)), "path": paths},
        schema={"file_no": pl.Int32, "path": pl.String},
    )
    tables = dictionaries(plan)
    finish_run(temporary, folder, {**tables, FILES: numbered})
    run.records = sum(part.records for part in results)
    run.finished_at = clock.now()
    summary = pl.concat([part.summary for part in results])
    totals = _totals(session, run.id, summary, tables)
    changed_lines, changed_amount = 0, dict[str, Decimal]()
    if previous is not None:
        changed_lines, changed_amount = _differences(session, store, run, previous)
    timings["total_s"] = time.perf_counter() - started
    return RatingResult(
        period,
        run.id,
        False,
        run.records,
        totals,
        changed_lines,
        changed_amount,
        timings,
    )


def _totals(
    session: Session, run_id: int, parts: pl.DataFrame, tables: dict[str, pl.DataFrame]
) -> list[RatingTotalRow]:
    """Records and amount per status and currency: the parts' sums on codes, then named."""
    summary = (
        parts.group_by("status", "tariff_idx")
        .agg(pl.col("records").sum(), pl.col("micro").sum())
        .join(tables["status"], on="status", how="left")
        .join(tables["tariff_idx"], on="tariff_idx", how="left")
        .group_by("status_text", pl.col("currency").fill_null(""))
        .agg(pl.col("records").sum(), pl.col("micro").sum())
        .sort("status_text", "currency")
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


def _with_paths(store: UsageStore, run: RatingRunRow) -> pl.LazyFrame:
    folder = store.absolute(run.path)
    currency = pl.read_parquet(folder / "tariff_idx.parquet").select("tariff_idx", "currency")
    return (
        scan_codes(folder)
        .select("file_no", "seq", "line_id", "tariff_idx", "price_micro")
        .join(pl.scan_parquet(folder / f"{FILES}.parquet"), on="file_no")
        .join(currency.lazy(), on="tariff_idx", how="left")
        .drop("file_no", "tariff_idx")
    )


def _differences(
    session: Session, store: UsageStore, run: RatingRunRow, previous: RatingRunRow
) -> tuple[int, dict[str, Decimal]]:
    """Per line and currency: amounts before and after, where any record's price changed."""
    keys = ["path", "seq"]
    joined = (
        _with_paths(store, previous)
        .join(_with_paths(store, run), on=keys, how="full", suffix="_new", coalesce=True)
        .with_columns(
            line=pl.coalesce("line_id_new", "line_id"),
            cur=pl.coalesce("currency_new", "currency").fill_null(""),
            old=pl.col("price_micro").fill_null(0),
            new=pl.col("price_micro_new").fill_null(0),
        )
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
        .collect()
    )
    if per_line.height:
        bulk_insert(
            session,
            RatingDifferenceRow,
            per_line.select(
                pl.lit(run.id).alias("run_id"),
                pl.col("line").alias("line_id"),
                pl.col("cur").alias("currency"),
                "records_changed",
                micro_amount("previous_micro").alias("previous_amount"),
                micro_amount("new_micro").alias("new_amount"),
            ),
        )
    change = per_line.group_by("cur").agg((pl.col("new_micro") - pl.col("previous_micro")).sum())
    return per_line.height, {cur: from_micro(micro) for cur, micro in change.iter_rows()}


def rated_usage(session: Session, store: UsageStore, period: str) -> pl.LazyFrame:
    """The current rated usage of a period (newest run), decoded, with store paths."""
    run = current_run(session, period)
    if run is None:
        raise NotRatedError(f"{period} has not been rated yet: run `linka rate --period {period}`")
    return scan_decoded(store.absolute(run.path))


DETAIL_COLUMNS = (
    "record_id", "source", "direction", "b_number", "duration_s", "roaming_country",
)  # fmt: skip


def with_record_details(store: UsageStore, rated: pl.DataFrame) -> pl.DataFrame:
    """Rated rows (with ``path`` and ``seq``) joined with their records' own fields."""
    details = []
    for path in rated["path"].unique().sort().to_list():
        rows = rated.filter(pl.col("path") == path).select("seq")
        details.append(
            store.scan_file(path)
            .with_columns(
                pl.lit(path).alias("path"),
                (pl.col("volume_up").fill_null(0) + pl.col("volume_down").fill_null(0)).alias(
                    "volume"
                ),
            )
            .join(rows.lazy(), on="seq", how="semi")
            .select("path", "seq", *DETAIL_COLUMNS, RAW_REF.alias("raw_ref"), "volume")
            .collect()
        )
    if not details:
        return rated
    return rated.join(pl.concat(details), on=["path", "seq"], how="left", maintain_order="left")


def registered_rated_paths(session: Session) -> set[str]:
    """Run folders the register knows (everything else under rated/ is crash debris)."""
    return set(session.scalars(select(RatingRunRow.path)))
