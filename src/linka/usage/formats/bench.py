"""How fast Asterisk ``Master.csv`` files are parsed and normalised (prints, never asserts).

    python -m linka.usage.formats.bench 2000000          # 18 columns, with uniqueid
    python -m linka.usage.formats.bench 2000000 --width 16

The generated file looks like real ``cdr_csv`` output (quoted strings, unquoted integers,
an empty unquoted answer for unanswered calls, a comma inside ``lastdata``), with a
realistic mix of Czech national and international numbers. Generating is not timed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from linka.usage.formats.asterisk import COLUMNS, parse


@dataclass(frozen=True)
class AsteriskFigures:
    rows: int
    width: int
    file_mb: float
    seconds: float
    accepted: int
    rejected: int

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds


def write_master_csv(path: Path, rows: int, width: int = 18, seed: int = 1) -> None:
    """Write ``rows`` synthetic Asterisk CDRs with ``width`` (16, 18 or 21) columns."""
    index = pl.int_range(0, rows, eager=True).alias("i")
    frame = pl.DataFrame(index).lazy()
    i = pl.col("i")
    line = (600_000_000 + (i * 7919 + seed) % 10_000_000).cast(pl.String)
    kind = i % 4
    dst = (
        pl.when(kind == 0)
        .then(pl.format("+4917{}", (i * 31 % 10_000_000).cast(pl.String).str.zfill(7)))
        .when(kind == 1)
        .then(pl.format("00421{}", (900_000_000 + i % 1_000_000).cast(pl.String)))
        .otherwise((700_000_000 + i * 13 % 100_000_000).cast(pl.String))
    )
    begin = pl.datetime(2026, 3, 1) + pl.duration(seconds=(i * 17) % (31 * 86400 - 7200))
    answered = (i % 5) != 0
    billsec = pl.when(answered).then(i % 600).otherwise(0)
    fmt = "%Y-%m-%d %H:%M:%S"
    cols: dict[str, pl.Expr] = {
        "accountcode": line,
        "src": line,
        "dst": dst,
        "dcontext": pl.lit("from-internal"),
        "clid": pl.format('"Customer" <{}>', line),
        "channel": pl.format("SIP/{}-0000", line),
        "dstchannel": pl.lit("SIP/trunk-00000001"),
        "lastapp": pl.lit("Dial"),
        "lastdata": pl.format("SIP/trunk/{},60", dst),
        "start": begin.dt.strftime(fmt),
        "answer": pl.when(answered).then((begin + pl.duration(seconds=7)).dt.strftime(fmt)),
        "end": (begin + pl.duration(seconds=7) + pl.duration(seconds=billsec)).dt.strftime(fmt),
        "duration": billsec + 7,
        "billsec": billsec,
        "disposition": pl.when(answered).then(pl.lit("ANSWERED")).otherwise(pl.lit("NO ANSWER")),
        "amaflags": pl.lit("DOCUMENTATION"),
        "uniqueid": pl.format("1772400000.{}", i),
        "userfield": pl.lit(""),
        "peeraccount": pl.lit(""),
        "linkedid": pl.format("1772400000.{}", i),
        "sequence": i,
    }
    names = COLUMNS[:width]
    frame.select([cols[name].alias(name) for name in names]).sink_csv(
        path, include_header=False, quote_style="non_numeric"
    )


def run_asterisk_benchmark(
    rows: int, width: int = 18, folder: Path | None = None
) -> AsteriskFigures:
    """Generate ``rows`` CDRs, then time one :func:`~linka.usage.formats.asterisk.parse`."""
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        path = Path(tmp) / "Master.csv"
        write_master_csv(path, rows, width)
        size = path.stat().st_size / 1e6
        started = time.perf_counter()
        parsed = parse(path)
        seconds = time.perf_counter() - started
    return AsteriskFigures(rows, width, size, seconds, parsed.table.num_rows, len(parsed.rejects))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int, nargs="?", default=2_000_000)
    parser.add_argument("--width", type=int, choices=(16, 18, 21), default=18)
    args = parser.parse_args()
    figures = run_asterisk_benchmark(args.rows, args.width)
    print(
        f"{figures.rows:,} rows ({figures.width} columns, {figures.file_mb:.0f} MB): "
        f"{figures.seconds:.2f} s, {figures.rows_per_second / 1e6:.2f}M rows/s "
        f"({figures.accepted:,} accepted, {figures.rejected:,} rejected)"
    )


if __name__ == "__main__":
    main()
