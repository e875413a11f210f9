"""CSV import of customers, billing accounts and lines (``linka customers import``).

The columns are the fields of :class:`~linka.subscriptions.onboarding.OnboardingRow`
(``docs/customers.md`` lists them with an example); the header names them, in any order,
and a column may be left out. UTF-8 (with or without BOM); comma or semicolon separated
(spreadsheets set to Czech write semicolons). Every problem is reported as
``file:line: field: message``, with the line where the record starts in the file.

By default the file is one unit: if any row has a problem nothing is written. With
``skip_invalid`` the customers without problems are written and the rejected rows go to
a rejects file — the original columns plus ``source_line`` and ``errors`` — which can be
corrected and imported as it is (those two columns are ignored on import).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from linka.customers.bulk import Progress
from linka.customers.errors import FieldIssue
from linka.customers.model import AccountDefaults, Actor
from linka.kernel.clock import Clock
from linka.kernel.errors import LinkaError
from linka.subscriptions.onboarding import (
    ROW_FIELDS,
    OnboardingResult,
    OnboardingRow,
    apply_onboarding,
    plan_onboarding,
)

REJECT_COLUMNS = ("source_line", "errors")


class ImportFileError(LinkaError):
    """The file cannot be read as an import file at all (encoding, header)."""


@dataclass(frozen=True)
class CsvInput:
    """The rows of a file, with the line each starts on and the cells as written."""

    path: Path
    header: list[str]
    rows: list[OnboardingRow]
    lines: list[int]
    cells: list[list[str]]
    delimiter: str

    def label(self, row: int | None) -> str:
        return f"{self.path.name}:{self.lines[row]}" if row is not None else self.path.name


@dataclass
class ImportReport:
    """What an import did (or, refused or dry, would do)."""

    file: Path
    rows: int
    customers: int = 0
    accounts: int = 0
    lines: int = 0
    rejected_rows: int = 0
    imported: bool = False
    dry_run: bool = False
    problems: list[str] = field(default_factory=list)
    rejects_file: Path | None = None
    result: OnboardingResult | None = None


def read_import_csv(path: Path) -> CsvInput:
    """Read the whole file; a header problem or undecodable text is an :class:`ImportFileError`.

    A row with more cells than the header is kept with a problem of its own so that the
    rest of the file can still be checked.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{path.name}: not UTF-8 text (byte {exc.start}): save the file as UTF-8 CSV"
        ) from None
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read the file: {exc.strerror}") from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    records = _records(text, delimiter)
    try:
        _, header = next(records)
    except StopIteration:
        raise ImportFileError(f"{path.name}: the file is empty; expected a header line") from None
    header = [name.strip().lower() for name in header]
    _check_header(path, header)
    rows: list[OnboardingRow] = []
    lines: list[int] = []
    cells: list[list[str]] = []
    for line, record in records:
        if not any(cell.strip() for cell in record):
            continue
        values = {
            name: value.strip() or None
            for name, value in zip(header, record, strict=False)
            if name not in REJECT_COLUMNS
        }
        rows.append(OnboardingRow(**values))
        lines.append(line)
        cells.append(record)
    return CsvInput(path, header, rows, lines, cells, delimiter)


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, cells) for every record, quoted newlines included."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    for record in reader:
        yield start, record
        start = reader.line_num + 1


def _check_header(path: Path, header: list[str]) -> None:
    known = set(ROW_FIELDS) | set(REJECT_COLUMNS)
    unknown = [name for name in header if name not in known]
    if unknown:
        raise ImportFileError(
            f"{path.name}:1: unknown column(s) {', '.join(map(repr, unknown))}; "
            f"expected column names from: {', '.join(ROW_FIELDS)}"
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ImportFileError(f"{path.name}:1: column(s) {', '.join(repeated)} appear twice")


def import_customers(
    session: Session,
    path: Path,
    *,
    clock: Clock,
    actor: Actor,
    defaults: AccountDefaults = AccountDefaults(),
    skip_invalid: bool = False,
    dry_run: bool = False,
    rejects_path: Path | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the file into the caller's unit of work (see the module docstring).

    Nothing is written when ``dry_run`` is set, or when a row has problems and
    ``skip_invalid`` is not. The rejects file is written when rows are rejected and
    ``skip_invalid`` is set (by default next to the input as ``<file>.rejects.csv``) or
    ``rejects_path`` is given, unless this is a dry run.
    """
    data = read_import_csv(path)
    plan = plan_onboarding(
        session,
        data.rows,
        clock=clock,
        defaults=defaults,
        label=data.label,
        progress=progress,
        known_issues=_width_problems(data),
    )
    rejected = plan.rejected
    report = ImportReport(
        file=path,
        rows=len(data.rows),
        customers=len(plan.customers),
        accounts=plan.accounts,
        lines=plan.lines,
        rejected_rows=len(rejected),
        dry_run=dry_run,
        problems=[f"{data.label(i.row)}: {i}" for i in plan.issues],
    )
    if rejected and not skip_invalid:
        if rejects_path is not None and not dry_run:
            report.rejects_file = write_rejects(rejects_path, data, rejected)
        return report
    if rejected and not dry_run:
        target = rejects_path or path.with_name(path.name + ".rejects.csv")
        report.rejects_file = write_rejects(target, data, rejected)
    if dry_run:
        return report
    report.result = apply_onboarding(
        session, plan, clock=clock, actor=actor, source=f"import:{path.name}", progress=progress
    )
    report.imported = True
    return report


def _width_problems(data: CsvInput) -> list[FieldIssue]:
    width = len(data.header)
    return [
        FieldIssue(index, "row", f"has {len(cells)} cells, but the header names {width} columns")
        for index, cells in enumerate(data.cells)
        if len(cells) > width
    ]


def write_rejects(target: Path, data: CsvInput, rejected: dict[int, str]) -> Path:
    """The rejected rows as written, with their source line and reasons; returns ``target``."""
    columns = [name for name in data.header if name not in REJECT_COLUMNS]
    keep = [position for position, name in enumerate(data.header) if name not in REJECT_COLUMNS]
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=data.delimiter)
        writer.writerow([*columns, *REJECT_COLUMNS])
        for index in sorted(rejected):
            cells = data.cells[index]
            values = [cells[p] if p < len(cells) else "" for p in keep]
            writer.writerow([*values, data.lines[index], rejected[index]])
    return target
