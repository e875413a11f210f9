"""How fast statement files are read (prints, never asserts).

    python -m linka.payments.statements.bench 100000
    python -m linka.payments.statements.bench 100000 --formats camt053 gpc --repeat 5

Each format gets one statement of that many entries, written by the format's writer
(generating and writing are not timed), then read with :func:`read_statement` as an
import would; the best of ``--repeat`` runs counts. The entries look like an operator's
month: customers paying invoices (VS = invoice number, a Czech or IBAN payer account,
name, message), the odd card fee, refund and returned payment.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from linka.payments.statements.accounts import iban_from_czech
from linka.payments.statements.camt_writer import write_camt053
from linka.payments.statements.gpc import write_gpc
from linka.payments.statements.model import Statement, StatementEntry, StatementFormat
from linka.payments.statements.mt940 import write_mt940
from linka.payments.statements.reader import read_statement

WRITERS = {
    StatementFormat.CAMT053: (write_camt053, "xml"),
    StatementFormat.MT940: (write_mt940, "sta"),
    StatementFormat.GPC: (write_gpc, "gpc"),
}
NAMES = ("Jan Novák", "Petra Svobodová", "Tomáš Dvořák", "Eva Černá", "Lukáš Procházka")
BANKS = ("0100", "0300", "0800", "2010", "0600", "5500", "3030")
CODES = {  # (camt bank transaction code, MT940 type) by kind of entry
    "payment": ("PMNT/RCDT/DMCT", "NTRF"),
    "fee": ("PMNT/CCRD/CHRG", "NCHG"),
    "refund": ("PMNT/ICDT/DMCT", "NTRF"),
    "return": ("PMNT/IDDT/UPDD", "NDDT"),
}


def sample_statement(count: int, fmt: StatementFormat, seed: int = 1) -> Statement:
    """A statement of ``count`` entries that ``fmt``'s writer can carry, the same per seed."""
    rng = random.Random(seed)
    iban, account = (None, "19-2000145399") if fmt is StatementFormat.GPC else (
        "CZ6508000000192000145399", "19-2000145399/0800"
    )  # fmt: skip
    key = iban or account
    start = date(2026, 4, 1)
    entries: list[StatementEntry] = []
    total = Decimal(0)
    for index in range(count):
        roll = rng.random()
        kind = (
            "payment"
            if roll < 0.94
            else "fee"
            if roll < 0.97
            else "refund"
            if roll < 0.99
            else "return"
        )
        booked = start + timedelta(days=index * 30 // max(count, 1))
        cents = rng.randrange(19_900, 249_900) if kind != "fee" else rng.randrange(500, 5_000)
        amount = Decimal(cents).scaleb(-2) * (1 if kind == "payment" else -1)
        invoice = str(2026_000_000 + rng.randrange(1, 999_999))
        bank = rng.choice(BANKS)
        number = str(rng.randrange(10**8, 10**10))
        if fmt is not StatementFormat.GPC and rng.random() < 0.3:
            counterparty = iban_from_czech(f"{number}/{bank}")
        else:
            counterparty = f"{number}/{bank}"
        camt_code, swift_code = CODES[kind]
        paying = kind in ("payment", "return")
        entries.append(
            StatementEntry(
                f"{key}/{26_000_000_000 + index}",
                booked,
                booked,
                amount,
                "CZK",
                variable_symbol=invoice if paying else None,
                constant_symbol="308" if kind == "payment" else None,
                counterparty_account=counterparty if kind != "fee" else None,
                counterparty_name=rng.choice(NAMES) if kind != "fee" else None,
                message=f"Platba faktury {invoice}" if kind == "payment" else "Poplatek",
                bank_code=swift_code if fmt is StatementFormat.MT940 else camt_code,
                return_reason="AM04"
                if kind == "return" and fmt is StatementFormat.CAMT053
                else None,
            )
        )
        total += amount
    opening = Decimal("125000.00")
    return Statement(
        f"{key}-2026-04", "4", iban, account, "CZK", opening, opening + total, start,
        date(2026, 4, 30), tuple(entries), fmt,
    )  # fmt: skip


@dataclass(frozen=True)
class StatementFigures:
    format: str
    entries: int
    file_mb: float
    seconds: float

    @property
    def entries_per_second(self) -> float:
        return self.entries / self.seconds


def measure(count: int, fmt: StatementFormat, folder: Path, repeat: int) -> StatementFigures:
    writer, suffix = WRITERS[fmt]
    path = folder / f"statement.{suffix}"
    path.write_bytes(writer(sample_statement(count, fmt)))
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        statements = read_statement(path, fmt)
        best = min(best, time.perf_counter() - started)
        if len(statements[0].entries) != count:
            raise RuntimeError(f"read {len(statements[0].entries)} entries of {count}")
    return StatementFigures(fmt.value, count, path.stat().st_size / 1e6, best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("entries", type=int, nargs="?", default=100_000)
    parser.add_argument("--formats", nargs="+", default=[f.value for f in WRITERS])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for name in args.formats:
            figures = measure(args.entries, StatementFormat(name), Path(folder), args.repeat)
            print(
                f"{figures.format:8} {figures.entries:>9,} entries  {figures.file_mb:7.1f} MB  "
                f"{figures.seconds:6.2f} s  {figures.entries_per_second:>10,.0f} entries/s"
            )


if __name__ == "__main__":
    main()
