"""The vectorised rating kernel: a frame of usage records in, a price per record out.

Input columns (see :data:`USAGE_COLUMNS`) come from the usage store joined with the
line's offering, the catalog version valid at the record's start and the bill period.
Rows must be in consumption order (start time, then record id): allowances and volume
tiers are consumed in that order per line and period. Each step is one pass of array
operations over all records — joins on small frames, a trie lookup for prefixes, a
table lookup for time bands, grouped cumulative sums for allowances and tiers — and
prices are integers in micro-units rounded with the tariff's rule.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from linka.rating.model import RATED_SCHEMA, RatedStatus
from linka.rating.plan import HOME, MINUTES_PER_WEEK, RatingPlan
from linka.rating.ratetables import NO_TIER, SERVICE_CODES

USAGE_COLUMNS: dict[str, pl.DataType] = {
    "line_id": pl.Int64(),
    "period": pl.Int64(),  # bill period key (e.g. days since epoch of its first day)
    "version_id": pl.Int64(),
    "offering_id": pl.String(),
    "service": pl.String(),
    "direction": pl.String(),
    "b_number": pl.Int64(),
    "start": pl.Datetime("us", "UTC"),
    "duration_s": pl.Int32(),
    "volume": pl.Int64(),  # bytes up + down
    "roaming_country": pl.String(),
}
I64 = npt.NDArray[np.int64]


def rate_usage(usage: pl.DataFrame, plan: RatingPlan) -> pl.DataFrame:
    """Rate every record of ``usage``; returns :data:`RATED_SCHEMA` columns, same row order."""
    frame = _resolve(usage.select(list(USAGE_COLUMNS)), plan)
    n = frame.height
    tariff = frame["tariff_idx"].fill_null(-1).to_numpy().astype(np.int64)
    table = frame["table_idx"].fill_null(-1).to_numpy().astype(np.int64)
    rates = plan.rates
    sets = np.where(table >= 0, rates.table_set[np.maximum(table, 0)], -1)
    numbers = frame["b_number"].fill_null(0).to_numpy()
    ordinal = rates.prefixes.lookup(sets, numbers)
    entry = np.where(ordinal >= 0, rates.table_base[np.maximum(table, 0)] + ordinal, -1)
    minute = _minute_of_week(frame, plan)
    band = plan.band_table[np.maximum(tariff, 0) * MINUTES_PER_WEEK + minute]
    key = np.where(entry >= 0, rates.key_of[np.maximum(entry, 0), band], -1).astype(np.int64)
    has_key = key >= 0
    safe_key = np.maximum(key, 0)
    keys = rates.keys
    first = keys["first_increment"].to_numpy()[safe_key].astype(np.int64)
    step = keys["next_increment"].to_numpy()[safe_key].astype(np.int64)

    service = frame["service"].replace_strict(SERVICE_CODES, default=3).to_numpy()
    duration = frame["duration_s"].fill_null(0).to_numpy().astype(np.int64)
    volume = frame["volume"].fill_null(0).to_numpy()
    increment = np.array([t.tariff.data_increment_bytes for t in plan.tariffs] or [1])
    data_step = increment[np.maximum(tariff, 0)].astype(np.int64)
    billable = np.select(
        [service == 0, service == 1, service == 2],
        [
            np.where(
                duration <= 0,
                0,
                np.where(duration <= first, first, first + -(-(duration - first) // step) * step),
            ),
            np.ones(n, dtype=np.int64),
            -(-volume // data_step) * data_step,
        ],
        0,
    ).astype(np.int64)
    status = _status(frame, has_key, billable)
    priced = status == "p"
    billable = np.where(priced, billable, 0)

    location = frame["location"].fill_null(HOME)
    loc_idx = location.replace_strict(
        {place: i for i, place in enumerate(plan.location_ids)}, default=0
    ).to_numpy()
    zone = keys["zone_idx"].to_numpy()[safe_key]
    offering = frame["offering_idx"].fill_null(-1).to_numpy().astype(np.int64)
    line = frame["line_id"].to_numpy()
    period = frame["period"].to_numpy()
    included, first_allowance = _consume_allowances(
        plan, priced, billable, service, zone, loc_idx, offering, line, period
    )
    charged = billable - included
    price = _price(plan, key, safe_key, charged, tariff, service, line, period)
    price = np.where(priced & (charged > 0), price, 0)

    final = np.where(
        status != "p",
        status,
        np.where(charged > 0, RatedStatus.CHARGED.value, RatedStatus.INCLUDED.value),
    )
    explained = _gather(keys.select("rule_id", "prefix", "zone_id", "band_id"), key, priced)
    tariffs = pl.DataFrame(
        {
            "tariff_id": [t.tariff.id for t in plan.tariffs],
            "currency": [t.tariff.currency for t in plan.tariffs],
        },
        schema={"tariff_id": pl.String, "currency": pl.String},
    )
    named_tariff = _gather(tariffs, tariff, tariff >= 0)
    allowance_ids = pl.DataFrame(
        {"allowance_id": plan.allowances.ids}, schema={"allowance_id": pl.String}
    )
    named_allowance = _gather(allowance_ids, first_allowance, first_allowance >= 0)
    return pl.DataFrame(
        {
            "status": final,
            "tariff_id": named_tariff["tariff_id"],
            "zone_id": explained["zone_id"],
            "band_id": explained["band_id"],
            "rule_id": explained["rule_id"],
            "prefix": explained["prefix"],
            "location": location,
            "billable": billable,
            "included": included,
            "allowance_id": named_allowance["allowance_id"],
            "price_micro": price,
            "currency": named_tariff["currency"],
        },
        schema=RATED_SCHEMA,
    )


def _gather(table: pl.DataFrame, index: I64, present: npt.NDArray[np.bool_]) -> pl.DataFrame:
    """Rows of ``table`` at ``index`` where ``present``, nulls elsewhere."""
    positions = pl.Series("i", np.where(present, index, 0), dtype=pl.Int64)
    if table.height == 0:
        return pl.DataFrame({c: [None] * len(index) for c in table.columns}, schema=table.schema)
    picked = table[positions]
    mask = pl.Series("m", present)
    return picked.select(pl.when(mask).then(pl.col(c)).alias(c) for c in table.columns)


def _resolve(usage: pl.DataFrame, plan: RatingPlan) -> pl.DataFrame:
    """Offering → tariff, country → place and roaming rates, then the prefix table."""
    frame = usage.join(plan.offerings, on=["version_id", "offering_id"], how="left")
    country = pl.col("roaming_country").fill_null("")
    places = plan.places
    home = places.filter(pl.col("location") == HOME).select(
        "version_id", pl.lit("").alias("country"), "location", "rates_roaming"
    )
    exact = places.rename({"roaming_country": "country"})
    rest = places.filter(pl.col("roaming_country") == "*").select(
        "version_id",
        pl.col("location").alias("rest_location"),
        pl.col("rates_roaming").alias("rest_rates"),
    )
    frame = (
        frame.with_columns(country=country)
        .join(pl.concat([home, exact]), on=["version_id", "country"], how="left")
        .join(rest, on="version_id", how="left")
        .with_columns(
            location=pl.coalesce("location", "rest_location"),
            rates_roaming=pl.when(pl.col("location").is_null())
            .then(pl.col("rest_rates"))
            .otherwise(pl.col("rates_roaming"))
            .fill_null(""),
        )
        .drop("rest_location", "rest_rates", "country")
    )
    return frame.join(
        plan.rates.tables, on=["tariff_idx", "service", "direction", "rates_roaming"], how="left"
    )


def _minute_of_week(frame: pl.DataFrame, plan: RatingPlan) -> I64:
    """Minute of the week (Monday 00:00 = 0) of each start in its tariff's time zone."""
    minutes = np.zeros(frame.height, dtype=np.int64)
    zones = sorted({t.timezone for t in plan.tariffs})
    tariff = frame["tariff_idx"].fill_null(-1).to_numpy()
    for zone in zones:
        members = [t.index for t in plan.tariffs if t.timezone == zone]
        mask = np.isin(tariff, members)
        if not mask.any():
            continue
        local = frame.select(pl.col("start").dt.convert_time_zone(zone).alias("t")).select(
            (pl.col("t").dt.weekday().cast(pl.Int64) - 1) * 1440
            + pl.col("t").dt.hour().cast(pl.Int64) * 60
            + pl.col("t").dt.minute().cast(pl.Int64)
        )
        minutes = np.where(mask, local.to_series().to_numpy(), minutes)
    return minutes


def _status(frame: pl.DataFrame, has_key: npt.NDArray[np.bool_], billable: I64) -> np.ndarray:
    """'p' for records to price, else the final status (nothing billable wins over no rate)."""
    no_offering = frame["offering_idx"].is_null().to_numpy()
    no_table = frame["table_idx"].is_null().to_numpy()
    incoming = (frame["direction"] == "mt").to_numpy()
    return np.select(
        [
            no_offering,
            billable <= 0,
            no_table & incoming,
            ~has_key,
        ],
        [
            RatedStatus.NO_OFFERING.value,
            RatedStatus.NOT_CHARGED.value,
            RatedStatus.NOT_CHARGED.value,
            RatedStatus.NO_DESTINATION.value,
        ],
        "p",
    )


def _running_total(groups: list[I64], units: I64) -> I64:
    """Units used before each row within its group, in row order."""
    frame = pl.DataFrame({f"g{i}": g for i, g in enumerate(groups)} | {"u": units})
    before = frame.select(
        (pl.col("u").cum_sum() - pl.col("u")).over([f"g{i}" for i in range(len(groups))])
    )
    return before.to_series().to_numpy()


def _consume_allowances(
    plan: RatingPlan,
    priced: npt.NDArray[np.bool_],
    billable: I64,
    service: np.ndarray,
    zone: np.ndarray,
    location: np.ndarray,
    offering: I64,
    line: I64,
    period: I64,
) -> tuple[I64, I64]:
    """Units covered by allowances, consumed per line and period in row order."""
    included = np.zeros(len(billable), dtype=np.int64)
    first = np.full(len(billable), -1, dtype=np.int64)
    remaining = billable.copy()
    tables = plan.allowances
    for slot in range(tables.slots.shape[1]):
        allowance = np.where(offering >= 0, tables.slots[np.maximum(offering, 0), slot], -1)
        safe = np.maximum(allowance, 0)
        applies = (
            priced
            & (allowance >= 0)
            & (remaining > 0)
            & (tables.service[safe] == service)
            & tables.zone_ok[safe, zone]
            & tables.place_ok[safe, location]
        )
        rows = np.nonzero(applies)[0]
        if len(rows) == 0:
            continue
        units = remaining[rows]
        before = _running_total([line[rows], period[rows], allowance[rows]], units)
        take = np.clip(tables.quantity[allowance[rows]] - before, 0, units)
        included[rows] += take
        remaining[rows] -= take
        first[rows] = np.where((first[rows] < 0) & (take > 0), allowance[rows], first[rows])
    return included, first


def _price(
    plan: RatingPlan,
    key: I64,
    safe_key: I64,
    charged: I64,
    tariff: I64,
    service: np.ndarray,
    line: I64,
    period: I64,
) -> I64:
    """fee + round(Σ tier units × tier price / divisor) with the tariff's rule; ≥ minimum."""
    tier_from = plan.rates.tier_from[safe_key]
    tier_price = plan.rates.tier_price[safe_key]
    has_tiers = (tier_from[:, 1:] < NO_TIER).any(axis=1)
    tiered = np.nonzero((key >= 0) & (charged > 0) & has_tiers)[0]
    units = np.zeros(tier_from.shape, dtype=np.int64)
    units[:, 0] = charged
    if len(tiered):
        group = plan.rates.keys["tier_group"].to_numpy()[safe_key[tiered]]
        before = _running_total([line[tiered], period[tiered], group], charged[tiered])
        after = before + charged[tiered]
        lower = tier_from[tiered]
        upper = np.concatenate([lower[:, 1:], np.full((len(tiered), 1), NO_TIER)], axis=1)
        units[tiered] = np.clip(after[:, None], lower, upper) - np.clip(
            before[:, None], lower, upper
        )
    unit_bytes = np.array([t.tariff.data_unit_bytes for t in plan.tariffs] or [1])
    divisor = np.select([service == 0, service == 2], [60, unit_bytes[np.maximum(tariff, 0)]], 1)
    unit = np.array([t.unit_micro for t in plan.tariffs] or [1])[np.maximum(tariff, 0)]
    mode = np.array([t.mode.value for t in plan.tariffs] or ["half_up"])[np.maximum(tariff, 0)]
    width = int(plan.rates.tier_from.shape[-1])
    columns = {f"u{t}": units[:, t] for t in range(width)}
    columns |= {f"p{t}": tier_price[:, t] for t in range(width)}
    frame = pl.DataFrame(columns | {"den": divisor * unit, "mode": mode})
    numerator = pl.sum_horizontal(
        pl.col(f"u{t}").cast(pl.Int128) * pl.col(f"p{t}") for t in range(width)
    )
    den = pl.col("den").cast(pl.Int128)
    quotient, rest = numerator // den, numerator % den
    rounded = (
        frame.select(
            pl.when(pl.col("mode") == "half_up")
            .then((2 * numerator + den) // (2 * den))
            .when(pl.col("mode") == "down")
            .then(quotient)
            .when(pl.col("mode") == "up")
            .then((numerator + den - 1) // den)
            .otherwise(quotient + ((2 * rest > den) | ((2 * rest == den) & (quotient % 2 == 1))))
            .cast(pl.Int64)
        )
        .to_series()
        .to_numpy()
    )
    fee = plan.rates.keys["fee_micro"].to_numpy()[safe_key]
    minimum = plan.rates.keys["minimum_micro"].to_numpy()[safe_key]
    result: I64 = np.maximum(fee + rounded * unit, minimum)
    return result
