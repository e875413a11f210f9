"""A month of realistic usage for the demo lines, written as the network would deliver it.

Mobile lines' calls, SMS and data sessions come from the host network as daily CSV
files (source ``host-mno``, read by the generic reader with the column map in the
demo catalog's ``sources.yaml``); the VoIP lines' calls come from the Asterisk switch as
``Master.csv`` (source ``pbx``). Activity per line is skewed (a few heavy users), calls
follow the day's rhythm, destinations are mostly national with a long international
tail drawn from the carrier deck, some lines travel (EU roam-like-at-home or the rest of
the world). Like real feeds the files carry some duplicates (a record delivered again in
the next day's file) and some broken records (bad times, numbers, durations, short lines).

Everything is drawn from one seeded generator with NumPy, so a million records take a
second or two and the same seed gives the same files byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import polars as pl

PRAGUE = ZoneInfo("Europe/Prague")
HOURLY = np.array(
    [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1.2, 3, 5, 6, 6, 6, 6, 6, 6, 6, 6, 6, 5.5, 5, 4.5, 4, 3, 2]
)
ROAM_EU = ("DE", "AT", "SK", "PL", "IT", "HR", "ES", "FR", "GR")
ROAM_WORLD = ("US", "GB", "CH", "TR", "EG", "TH", "JP")
CZ_MOBILE = ("601", "602", "603", "604", "605", "606", "607", "608", "702", "703", "704",
             "720", "721", "722", "723", "724", "725", "730", "731", "732", "733", "734",
             "736", "737", "738", "739", "770", "773", "774", "775", "776", "777", "790",
             "791", "792", "793", "797", "799")  # fmt: skip
CZ_FIXED = ("2", "31", "32", "35", "37", "38", "46", "48", "49", "51", "53", "55", "58", "59")
GENERIC_COLUMNS = (
    "record_id", "msisdn", "imsi", "service", "direction", "other_party", "start_utc",
    "duration_s", "bytes_up", "bytes_down", "country",
)  # fmt: skip


@dataclass(frozen=True)
class UsageFiles:
    host_mno: list[Path]  # daily generic CSV files
    pbx: list[Path]  # Asterisk Master.csv
    records: int  # records written (duplicates and broken ones included)
    duplicates: int
    broken: int


def generate_usage(
    lines: pl.DataFrame,
    international: list[str],
    month: date,
    records: int,
    seed: int,
    out_dir: Path,
) -> UsageFiles:
    """Write ``records`` records of ``month`` for ``lines`` into ``out_dir``.

    ``lines``: msisdn (E.164 text), imsi, kind (mobile | fixed_voice), activated_on.
    ``international``: carrier-deck prefixes for the international tail.
    """
    rng = np.random.default_rng(seed)
    end = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    usable = lines.filter(pl.col("activated_on") < end).sort("msisdn")
    mobile = usable.filter(pl.col("kind") == "mobile")
    voip = usable.filter(pl.col("kind") == "fixed_voice")
    voip_share = voip.height / max(usable.height, 1) * 0.4
    voip_records = int(records * voip_share)
    mobile_frame = _mobile_usage(rng, mobile, international, month, end, records - voip_records)
    voip_frame = _voip_calls(rng, voip, international, month, end, voip_records)

    mobile_frame, dup_mobile = _with_duplicates(rng, mobile_frame)
    broken = rng.random(mobile_frame.height) < 0.0005
    host_files = _write_daily(
        mobile_frame.with_columns(_broken=pl.Series(broken)), out_dir / "host-mno"
    )
    pbx_dir = out_dir / "pbx"
    pbx_dir.mkdir(parents=True, exist_ok=True)
    pbx_file = pbx_dir / f"Master-{month:%Y-%m}.csv"
    broken_voip = _write_asterisk(rng, voip_frame, pbx_file)
    return UsageFiles(
        host_mno=host_files,
        pbx=[pbx_file],
        records=mobile_frame.height + voip_frame.height,
        duplicates=dup_mobile,
        broken=int(broken.sum()) + broken_voip,
    )


def usage_records(
    lines: pl.DataFrame, international: list[str], month: date, records: int, seed: int
) -> pl.DataFrame:
    """The same usage as :func:`generate_usage`, clean, straight in the store's record
    schema (for benchmarks that start from Parquet rather than from network files)."""
    rng = np.random.default_rng(seed)
    end = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    usable = lines.filter((pl.col("activated_on") < end) & (pl.col("kind") == "mobile"))
    frame = _mobile_usage(rng, usable.sort("msisdn"), international, month, end, records)
    digits = pl.col("msisdn").str.strip_prefix("+").cast(pl.Int64)
    other = pl.col("other_party").replace("", None).str.strip_prefix("+").cast(pl.Int64)
    mo = pl.col("direction") == "mo"
    return frame.select(
        "record_id",
        pl.lit("host-mno").alias("source"),
        "service",
        "direction",
        digits.alias("line_msisdn"),
        pl.col("imsi").replace("", None),
        pl.when(mo).then(digits).otherwise(other).alias("a_number"),
        pl.when(mo).then(other).otherwise(digits).alias("b_number"),
        pl.col("start_utc")
        .str.to_datetime("%Y-%m-%dT%H:%M:%S", time_unit="us", time_zone="UTC")
        .alias("start"),
        pl.col("duration_s").cast(pl.Int32),
        pl.col("bytes_up").cast(pl.Int64).alias("volume_up"),
        pl.col("bytes_down").cast(pl.Int64).alias("volume_down"),
        pl.lit(None, dtype=pl.String).alias("cell_id"),
        pl.col("country").replace("", None).alias("roaming_country"),
        pl.lit(f"generated {month:%Y-%m}").alias("raw_file"),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("raw_line"),
    )


def _starts(rng: np.random.Generator, count: int, month: date, end: date) -> npt.NDArray[np.int64]:
    """UTC epoch seconds in the month following the day's rhythm in Prague."""
    days = (end - month).days
    day = rng.integers(0, days, count)
    hour = rng.choice(24, count, p=HOURLY / HOURLY.sum())
    second = rng.integers(0, 3600, count)
    local_midnight = np.array(
        [
            int(datetime(month.year, month.month, d + 1, tzinfo=PRAGUE).timestamp())
            for d in range(days)
        ]
    )
    # hours counted from local midnight; across a DST change the wall clock shifts by an
    # hour for part of that day, which real traffic does too
    return np.asarray(local_midnight[day] + hour * 3600 + second, dtype=np.int64)


def _numbers(
    rng: np.random.Generator, count: int, international: list[str], abroad: float
) -> npt.NDArray[np.object_]:
    """Called numbers in E.164: Czech mobile and fixed, and an international tail."""
    weights = 1.0 / np.arange(1, len(international) + 1) ** 1.1  # a few countries dominate
    draws = pl.DataFrame(
        {
            "kind": rng.random(count),
            "mobile": rng.choice(CZ_MOBILE, count),
            "mobile_rest": rng.integers(0, 1_000_000, count),
            "area": rng.choice(CZ_FIXED, count),
            "fixed_rest": rng.integers(0, 10**8, count),
            "prefix": rng.choice(international, count, p=weights / weights.sum()),
            "tail": rng.integers(10**9, 10**10, count),
        }
    )
    kind = pl.col("kind")
    numbers = draws.select(
        pl.when(kind < abroad)
        .then(pl.concat_str(pl.lit("+"), pl.concat_str("prefix", "tail").str.slice(0, 12)))
        .when(kind < abroad + 0.25)
        .then(
            pl.concat_str(
                pl.lit("+420"),
                pl.concat_str("area", pl.col("fixed_rest").cast(pl.String).str.zfill(8)).str.slice(
                    0, 9
                ),
            )
        )
        .otherwise(
            pl.concat_str(
                pl.lit("+420"), "mobile", pl.col("mobile_rest").cast(pl.String).str.zfill(6)
            )
        )
    )
    return numbers.to_series().to_numpy()


def _mobile_usage(
    rng: np.random.Generator,
    lines: pl.DataFrame,
    international: list[str],
    month: date,
    end: date,
    count: int,
) -> pl.DataFrame:
    if lines.height == 0 or count <= 0:
        return pl.DataFrame(schema=dict.fromkeys(GENERIC_COLUMNS, pl.String) | {"_day": pl.Date})
    activity = rng.lognormal(0.0, 0.9, lines.height)  # a few heavy users
    owner = rng.choice(lines.height, count, p=activity / activity.sum())
    msisdn = lines["msisdn"].to_numpy()[owner]
    imsi = lines["imsi"].fill_null("").to_numpy()[owner]
    service = rng.choice(["voice", "sms", "data"], count, p=[0.35, 0.15, 0.5])
    direction = np.where(
        (service == "voice") & (rng.random(count) < 0.4),
        "mt",
        np.where((service == "sms") & (rng.random(count) < 0.3), "mt", "mo"),
    )
    start = _after_activation(_starts(rng, count, month, end), lines, owner, end)
    answered = rng.random(count) > 0.12
    duration = np.where(
        (service == "voice") & answered,
        np.minimum(rng.lognormal(4.0, 1.1, count).astype(np.int64) + 1, 7200),
        0,
    )
    data = service == "data"
    down = np.where(data, rng.lognormal(14.5, 1.6, count).astype(np.int64), 0)
    up = np.where(data, (down * rng.uniform(0.05, 0.3, count)).astype(np.int64), 0)
    other = np.where(data, "", _numbers(rng, count, international, 0.06))
    country = _roaming(rng, lines.height, owner, start, month, end)
    serial = np.arange(count)
    frame = pl.DataFrame(
        {
            "record_id": np.char.add("h", serial.astype(str)),
            "msisdn": msisdn,
            "imsi": imsi,
            "service": service,
            "direction": direction,
            "other_party": other,
            "start_utc": start,
            "duration_s": duration,
            "bytes_up": up,
            "bytes_down": down,
            "country": country,
        }
    ).sort("start_utc", "record_id")
    return frame.with_columns(
        pl.format("hm-{}-{}", pl.lit(f"{month:%Y%m}"), pl.int_range(pl.len())).alias("record_id"),
        pl.from_epoch("start_utc").dt.strftime("%Y-%m-%dT%H:%M:%S").alias("start_utc"),
        pl.from_epoch("start_utc").dt.date().alias("_day"),
    )


def _after_activation(
    start: npt.NDArray[np.int64], lines: pl.DataFrame, owner: npt.NDArray[np.int64], end: date
) -> npt.NDArray[np.int64]:
    """Move usage drawn before a line's activation into its active days."""
    active = lines.select(
        pl.col("activated_on").cast(pl.Datetime("us")).dt.replace_time_zone("Europe/Prague")
    ).to_series()
    first = (active.dt.epoch("s").to_numpy())[owner]
    stop = int(datetime(end.year, end.month, end.day, tzinfo=PRAGUE).timestamp())
    span = np.maximum(stop - first, 1)
    return np.where(start < first, first + (start - first) % span, start)


def _roaming(
    rng: np.random.Generator,
    lines: int,
    owner: npt.NDArray[np.int64],
    start: npt.NDArray[np.int64],
    month: date,
    end: date,
) -> npt.NDArray[np.str_]:
    """5 % of lines travel once: 2–9 days abroad, mostly in the EU."""
    travels = rng.random(lines) < 0.05
    first = int(datetime(month.year, month.month, 1, tzinfo=UTC).timestamp())
    span = (end - month).days * 86400
    leave = first + rng.integers(0, span, lines)
    back = leave + rng.integers(2, 10, lines) * 86400
    where = np.where(
        rng.random(lines) < 0.8, rng.choice(ROAM_EU, lines), rng.choice(ROAM_WORLD, lines)
    )
    away = travels[owner] & (start >= leave[owner]) & (start < back[owner])
    return np.where(away, where[owner], "")


def _with_duplicates(rng: np.random.Generator, frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """0.2 % of records are delivered again in the next day's file."""
    again = frame.filter(pl.Series(rng.random(frame.height) < 0.002))
    again = again.with_columns(pl.col("_day") + timedelta(days=1))
    return pl.concat([frame, again]), again.height


def _write_daily(frame: pl.DataFrame, folder: Path) -> list[Path]:
    """One file per delivery day; records marked ``_broken`` are corrupted on the way."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    written = frame.with_columns(_corrupt()).drop("_broken")
    for (day,), part in written.group_by("_day", maintain_order=True):
        path = folder / f"cdr-{day}.csv"
        part.drop("_day").select(GENERIC_COLUMNS).write_csv(path)
        paths.append(path)
    return sorted(paths)


def _corrupt() -> list[pl.Expr]:
    """Broken records: a bad timestamp, a number that is no number, a negative duration."""
    kind = pl.int_range(pl.len()) % 3
    broken = pl.col("_broken")
    return [
        pl.when(broken & (kind == 0))
        .then(pl.lit("2026-02-30T25:61:00"))
        .otherwise(pl.col("start_utc"))
        .alias("start_utc"),
        pl.when(broken & (kind == 1))
        .then(pl.lit("12ab"))
        .otherwise(pl.col("other_party"))
        .alias("other_party"),
        pl.when(broken & (kind == 2))
        .then(pl.lit(-5))
        .otherwise(pl.col("duration_s"))
        .alias("duration_s"),
    ]


def _voip_calls(
    rng: np.random.Generator,
    lines: pl.DataFrame,
    international: list[str],
    month: date,
    end: date,
    count: int,
) -> pl.DataFrame:
    if lines.height == 0 or count <= 0:
        return pl.DataFrame()
    activity = rng.lognormal(0.0, 0.7, lines.height)
    owner = rng.choice(lines.height, count, p=activity / activity.sum())
    start = _after_activation(_starts(rng, count, month, end), lines, owner, end)
    answered = rng.random(count) > 0.15
    ring = rng.integers(2, 25, count)
    billsec = np.where(
        answered, np.minimum(rng.lognormal(4.2, 1.2, count).astype(int) + 1, 7200), 0
    )
    return pl.DataFrame(
        {
            "src": lines["msisdn"].str.slice(4).to_numpy()[owner],
            "dst": _numbers(rng, count, international, 0.08),
            "start": start,
            "ring": ring,
            "billsec": billsec,
            "answered": answered,
        }
    ).sort("start", maintain_order=True)


def _write_asterisk(rng: np.random.Generator, calls: pl.DataFrame, path: Path) -> int:
    """Master.csv with 18 columns (uniqueid, userfield), local times, as cdr_csv writes it."""
    if calls.height == 0:
        path.write_text("")
        return 0
    local = pl.from_epoch("start").dt.replace_time_zone("UTC").dt.convert_time_zone("Europe/Prague")
    national = pl.col("dst").str.starts_with("+420")
    frame = calls.with_row_index("n").select(
        pl.col("src"),
        pl.when(national)
        .then(pl.col("dst").str.slice(4))
        .otherwise(pl.concat_str(pl.lit("00"), pl.col("dst").str.slice(1)))
        .alias("dst"),
        local.dt.strftime("%Y-%m-%d %H:%M:%S").alias("start"),
        pl.when(pl.col("answered"))
        .then((local + pl.duration(seconds=pl.col("ring"))).dt.strftime("%Y-%m-%d %H:%M:%S"))
        .otherwise(pl.lit(""))
        .alias("answer"),
        (local + pl.duration(seconds=pl.col("ring") + pl.col("billsec")))
        .dt.strftime("%Y-%m-%d %H:%M:%S")
        .alias("end"),
        (pl.col("ring") + pl.col("billsec")).alias("duration"),
        pl.col("billsec"),
        pl.when(pl.col("answered"))
        .then(pl.lit("ANSWERED"))
        .otherwise(pl.lit("NO ANSWER"))
        .alias("disposition"),
        pl.format("{}.{}", pl.col("start"), pl.col("n")).alias("uniqueid"),
    )
    quoted = [
        pl.format('"{}"', pl.col("src")),
        pl.format('"{}"', pl.col("src")),
        pl.format('"{}"', pl.col("dst")),
        pl.lit('"from-internal"'),
        pl.format('"\\"Customer\\" <{}>"', pl.col("src")),
        pl.format('"SIP/{}-{}"', pl.col("src"), pl.col("uniqueid")),
        pl.format('"SIP/trunk-{}"', pl.col("uniqueid")),
        pl.lit('"Dial"'),
        pl.format('"SIP/trunk/{},60"', pl.col("dst")),
        pl.format('"{}"', pl.col("start")),
        pl.when(pl.col("answer") == "")
        .then(pl.lit(""))
        .otherwise(pl.format('"{}"', pl.col("answer"))),
        pl.format('"{}"', pl.col("end")),
        pl.col("duration").cast(pl.String),
        pl.col("billsec").cast(pl.String),
        pl.format('"{}"', pl.col("disposition")),
        pl.lit('"DOCUMENTATION"'),
        pl.format('"{}"', pl.col("uniqueid")),
        pl.lit('""'),
    ]
    broken = pl.Series(rng.random(frame.height) < 0.0005)
    short = pl.concat_str(quoted[:12], separator=",")  # as when the switch died mid-write
    lines = frame.select(
        pl.when(broken).then(short).otherwise(pl.concat_str(quoted, separator=",")).alias("line")
    )
    lines.write_csv(path, include_header=False, quote_style="never")
    return int(broken.sum())


def write_switch_file(
    lines: pl.DataFrame,
    international: list[str],
    month: date,
    records: int,
    seed: int,
    path: Path,
) -> int:
    """An Asterisk ``Master.csv`` of ``records`` calls made by ``lines`` (benchmarks)."""
    rng = np.random.default_rng(seed)
    end = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    calls = _voip_calls(rng, lines.sort("msisdn"), international, month, end, records)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_asterisk(rng, calls, path)
    return calls.height
