"""Any CSV or JSON-lines usage file, driven by a column map (:class:`ColumnMap`).

For sources without a module of their own (a customised FreeSWITCH template, an SMSC
export, a wholesale partner's CSV). The map will be declared per source in the catalog's
``sources.yaml``; it validates on load with messages that name the offending key::

    columns: {record_id: uuid, a_number: caller, b_number: callee, start: started_at,
              duration_s: billsec}
    timestamp_format: "%Y-%m-%dT%H:%M:%S"
    timezone: Europe/Prague
    service: voice

Units are converted to ours (seconds, bytes); ``duration_unit: ms`` rounds **up** to whole
seconds (a started second counts). Numbers go through :mod:`linka.usage.numbers` unless
``numbers: e164`` says the columns already hold E.164 digits. Without a ``record_id``
column the id is ``h:`` + BLAKE2b-128 of the mapped source values. An unmapped
``line_msisdn`` is the calling number for ``mo`` and the called number for ``mt``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from linka.usage.formats.parsed import Options, Parsed, assemble, read_lines
from linka.usage.localtime import utc_expr, zone
from linka.usage.numbers import e164_expr, rule_text
from linka.usage.records import RejectReason, UsageService

NAME = "generic"
Target = Literal[
    "record_id",
    "service",
    "direction",
    "line_msisdn",
    "imsi",
    "a_number",
    "b_number",
    "start",
    "duration_s",
    "volume_up",
    "volume_down",
    "cell_id",
    "roaming_country",
]
NUMBERS = ("line_msisdn", "a_number", "b_number")
VOLUME_FACTORS = {"B": 1, "kB": 1000, "KiB": 1024, "MB": 1000**2, "MiB": 1024**2}
DURATION_DIVISORS = {"s": 1, "ms": 1000}
MAX_SECONDS = 2**31 - 1


class ColumnMap(BaseModel):
    """How the columns of one source's files map onto the usage record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["csv", "jsonl"] = "csv"
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    has_header: bool = True
    columns: dict[Target, str] = Field(description="our field → source column name")
    timestamp_format: str = Field(
        default="%Y-%m-%d %H:%M:%S", description="strftime format, or epoch_s / epoch_ms"
    )
    timezone: str | None = Field(default=None, description="of local times; None: the option")
    duration_unit: Literal["s", "ms"] = "s"
    volume_unit: Literal["B", "kB", "KiB", "MB", "MiB"] = "B"
    service: UsageService | None = None  # the constant service when no column is mapped
    direction: Literal["mo", "mt"] = "mo"  # the constant direction when no column is mapped
    numbers: Literal["normalise", "e164"] = "normalise"

    @model_validator(mode="after")
    def _complete(self) -> ColumnMap:
        if "start" not in self.columns:
            raise ValueError("columns.start: required (the column with the usage time)")
        if "service" not in self.columns and self.service is None:
            raise ValueError("service: give a constant (voice, sms, data, other) or map a column")
        if not any(name in self.columns for name in NUMBERS) and "imsi" not in self.columns:
            raise ValueError("columns: map at least one of line_msisdn, a_number, b_number, imsi")
        if self.timezone is not None:
            zone(self.timezone)
        return self

    @classmethod
    def from_yaml(cls, text: str) -> ColumnMap:
        data = yaml.safe_load(text)
        if not isinstance(data, dict):
            raise ValueError("column map: expected a mapping at the top level")
        return cls.model_validate(data)


@dataclass(frozen=True, kw_only=True)
class GenericOptions(Options):
    column_map: ColumnMap | dict[str, Any]

    def map(self) -> ColumnMap:
        if isinstance(self.column_map, ColumnMap):
            return self.column_map
        return ColumnMap.model_validate(self.column_map)


def parse(path: Path, options: GenericOptions) -> Parsed:
    cmap = options.map()
    source = options.source_or(NAME)
    frame, first_line = _read(path, cmap)
    read = frame.height
    frame = frame.with_columns(
        pl.int_range(first_line, first_line + frame.height, eager=True, dtype=pl.Int64).alias(
            "line"
        )
    )
    records, detail = _normalise(frame, cmap, options)
    return assemble(
        records,
        detail=detail,
        constants={"source": source},
        source=source,
        path=path,
        raw=lambda lines: read_lines(path, lines),
        read=read,
    )


def _read(path: Path, cmap: ColumnMap) -> tuple[pl.DataFrame, int]:
    if cmap.format == "jsonl":
        frame = pl.read_ndjson(path, infer_schema_length=None)
        return frame.with_columns(pl.all().cast(pl.String).fill_null("")), 1
    frame = pl.read_csv(
        path,
        separator=cmap.delimiter,
        has_header=cmap.has_header,
        infer_schema=False,
    )
    if not cmap.has_header:
        frame = frame.rename({c: c.removeprefix("column_") for c in frame.columns})
    frame = frame.with_columns(pl.all().fill_null(""))
    missing = sorted(set(cmap.columns.values()) - set(frame.columns))
    if missing:
        raise ValueError(f"{path.name}: no columns {missing}; the file has {frame.columns}")
    return frame, 2 if cmap.has_header else 1


def _normalise(
    frame: pl.DataFrame, cmap: ColumnMap, options: GenericOptions
) -> tuple[pl.DataFrame, pl.Expr]:
    plan = options.plan()
    tz = cmap.timezone or options.timezone
    cols = cmap.columns

    def text(target: str) -> pl.Expr:
        return pl.col(cols[target]).str.strip_chars() if target in cols else pl.lit(None, pl.String)

    exprs: dict[str, pl.Expr] = {}
    for target in NUMBERS:
        value = text(target)
        if target not in cols:
            exprs[target] = pl.lit(None, dtype=pl.Int64)
        elif cmap.numbers == "normalise":
            exprs[target] = e164_expr(value, plan)
        else:
            exprs[target] = value.cast(pl.Int64, strict=False)
    raw_start = text("start")
    if cmap.timestamp_format in ("epoch_s", "epoch_ms"):
        unit: Literal["s", "ms"] = "s" if cmap.timestamp_format == "epoch_s" else "ms"
        number = raw_start.cast(pl.Int64, strict=False)
        exprs["start"] = pl.from_epoch(number, time_unit=unit).dt.cast_time_unit("us")
        exprs["start"] = exprs["start"].dt.replace_time_zone("UTC")
    else:
        naive = raw_start.str.to_datetime(cmap.timestamp_format, time_unit="us", strict=False)
        exprs["start"] = utc_expr(naive, tz, options.nonexistent)
    divisor = DURATION_DIVISORS[cmap.duration_unit]
    amount = text("duration_s").cast(pl.Int64, strict=False)
    rounded_up = pl.when(amount < 0).then(amount).otherwise((amount + (divisor - 1)) // divisor)
    exprs["duration_s"] = rounded_up if "duration_s" in cols else pl.lit(0)
    factor = VOLUME_FACTORS[cmap.volume_unit]
    for target in ("volume_up", "volume_down"):
        exprs[target] = (
            text(target).cast(pl.Int64, strict=False) * factor if target in cols else pl.lit(0)
        )
    work = frame.with_columns(*(e.alias(f"_{k}") for k, e in exprs.items()))
    service = text("service").str.to_lowercase() if "service" in cols else pl.lit(cmap.service)
    direction = (
        text("direction").str.to_lowercase() if "direction" in cols else pl.lit(cmap.direction)
    )
    if "record_id" in cols:
        record_id = text("record_id")
    else:
        joined = work.select(
            pl.concat_str(sorted(set(cols.values())), separator="\x1f", ignore_nulls=True)
        ).to_series()
        ids = [
            "h:" + hashlib.blake2b(v.encode(), digest_size=16).hexdigest()
            for v in joined.fill_null("").to_list()
        ]
        work = work.with_columns(pl.Series("_record_id", ids, dtype=pl.String))
        record_id = pl.col("_record_id")
    line_msisdn = (
        pl.col("_line_msisdn")
        if "line_msisdn" in cols
        else (pl.when(direction == "mt").then(pl.col("_b_number")).otherwise(pl.col("_a_number")))
    )
    bad_number = (
        pl.any_horizontal(
            (text(t).fill_null("") != "") & pl.col(f"_{t}").is_null() for t in NUMBERS if t in cols
        )
        if any(t in cols for t in NUMBERS)
        else pl.lit(False)
    )
    bad_duration = pl.col("_duration_s").is_null() | ~pl.col("_duration_s").is_between(
        0, MAX_SECONDS
    )
    bad_volume = pl.any_horizontal(
        pl.col(f"_{t}").is_null() | (pl.col(f"_{t}") < 0) for t in ("volume_up", "volume_down")
    )
    services = [s.value for s in UsageService]
    reason = (
        pl.when(pl.col("_start").is_null())
        .then(pl.lit(RejectReason.BAD_TIMESTAMP.value))
        .when(bad_duration)
        .then(pl.lit(RejectReason.BAD_DURATION.value))
        .when(bad_volume)
        .then(pl.lit(RejectReason.BAD_VOLUME.value))
        .when(bad_number)
        .then(pl.lit(RejectReason.BAD_NUMBER.value))
        .when(
            ~service.is_in(services)
            | ~direction.is_in(["mo", "mt"])
            | record_id.is_null()
            | (record_id == "")
        )
        .then(pl.lit(RejectReason.MALFORMED.value))
    )
    records = work.select(
        record_id.alias("record_id"),
        service.alias("service"),
        direction.alias("direction"),
        line_msisdn.alias("line_msisdn"),
        text("imsi").alias("imsi"),
        pl.col("_a_number").alias("a_number"),
        pl.col("_b_number").alias("b_number"),
        pl.col("_start").alias("start"),
        pl.col("_duration_s").cast(pl.Int32, strict=False).alias("duration_s"),
        pl.col("_volume_up").alias("volume_up"),
        pl.col("_volume_down").alias("volume_down"),
        text("cell_id").alias("cell_id"),
        text("roaming_country").alias("roaming_country"),
        "line",
        reason.alias("reason"),
        *(f"_{k}" for k in exprs),
        *(pl.col(c).alias(f"src:{c}") for c in sorted(set(cols.values()))),
    )

    def src(target: str) -> pl.Expr:
        return pl.col(f"src:{cols[target]}") if target in cols else pl.lit("")

    rule = pl.lit(rule_text(plan))
    detail: Any = (
        pl.when(pl.col("_start").is_null())
        .then(
            pl.format(
                "start {}: expected {} in {}",
                src("start"),
                pl.lit(cmap.timestamp_format),
                pl.lit(tz),
            )
        )
        .when(pl.col("_duration_s").is_null() | ~pl.col("_duration_s").is_between(0, MAX_SECONDS))
        .then(
            pl.format(
                "duration_s {}: expected a non-negative integer ({})",
                src("duration_s"),
                pl.lit(cmap.duration_unit),
            )
        )
        .when(pl.col("_volume_up").is_null() | (pl.col("_volume_up") < 0))
        .then(pl.format("volume_up {}: expected a non-negative integer", src("volume_up")))
        .when(pl.col("_volume_down").is_null() | (pl.col("_volume_down") < 0))
        .then(pl.format("volume_down {}: expected a non-negative integer", src("volume_down")))
    )
    for target in NUMBERS:
        if target in cols:
            detail = detail.when((src(target) != "") & pl.col(f"_{target}").is_null()).then(
                pl.format(f"{target} {{}}: {{}}", src(target), rule)
            )
    detail = detail.otherwise(
        pl.lit("service must be voice/sms/data/other, direction mo/mt, record_id non-empty")
    )
    return records, detail
