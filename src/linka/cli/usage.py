"""``linka usage``: import usage files, look at rejects and waiting records, explain prices."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from linka.cli import runtime
from linka.cli.runtime import console, fail, frame_table, open_database, user_errors
from linka.kernel.clock import local_today
from linka.rating.explain import explain_line
from linka.usage import services
from linka.usage.formats import FORMATS
from linka.usage.sources import source_settings
from linka.usage.store import UsageStore

app = typer.Typer(help="Usage mediation: import CDR and accounting files, rejects, suspense.")


def store() -> UsageStore:
    return UsageStore.in_data_dir(runtime.settings().data_dir)


def _option_value(text: str) -> Any:
    if text.lower() in {"true", "false"}:
        return text.lower() == "true"
    if text.lstrip("-").isdigit():
        return int(text)
    return text


def _options(pairs: list[str], timezone: str | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            raise fail(f"--option {pair!r}: expected NAME=VALUE, e.g. usegmtime=true")
        options[key.strip()] = _option_value(value.strip())
    if timezone:
        options["timezone"] = timezone
    return options


@app.command("import")
@user_errors
def import_files(
    paths: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="Files to import."),
    format_name: str | None = typer.Option(
        None,
        "--format",
        "-f",
        help=f"Input format: {', '.join(sorted(FORMATS))}. Default: the source's format.",
    ),
    source: str | None = typer.Option(
        None,
        help="Source id: one declared in the catalog's sources.yaml (its format and options "
        "apply), or any id for --format (default: the format name). Record ids are unique "
        "per source.",
    ),
    timezone: str | None = typer.Option(None, help="Time zone of local times in the files."),
    option: list[str] = typer.Option(
        [], "--option", "-o", help="Format option NAME=VALUE (repeatable), e.g. usegmtime=true."
    ),
    allow_rejects: bool = typer.Option(
        False, "--allow-rejects", help="Exit 0 even when records were rejected."
    ),
) -> None:
    """Import files once each: records are de-duplicated, rejects kept with their reason."""
    options = _options(option, timezone)
    tz = runtime.settings().timezone
    if format_name is None and source is None:
        raise fail("give --format, or --source naming a source declared in sources.yaml")
    results = []
    with (
        open_database() as database,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress,
    ):
        if format_name is None:
            assert source is not None
            with database.session() as session:
                declared = source_settings(session, source, local_today(runtime.clock(), tz))
            format_name = declared.format_name
            options = declared.options | options
        task = progress.add_task("importing", total=len(paths))
        for path in paths:
            progress.update(task, description=f"importing {path.name}")
            with database.session() as session:
                results.append(
                    services.import_usage(
                        session,
                        store(),
                        path,
                        format_name,
                        clock=runtime.clock(),
                        source=source,
                        options=options,
                    )
                )
            progress.advance(task)
    table = Table(title="Usage import")
    for column in ("file", "batch", "read", "accepted", "waiting", "rejected", "duplicates",
                   "ignored", "status"):  # fmt: skip
        table.add_column(column, justify="left" if column in {"file", "status"} else "right")
    for r in results:
        table.add_row(
            r.file,
            str(r.batch_id),
            f"{r.read:,}",
            f"{r.accepted:,}",
            f"{r.waiting:,}",
            f"{r.rejected:,}",
            f"{r.duplicates:,}",
            f"{r.ignored:,}",
            "already imported" if r.already_imported else "imported",
        )
    console.print(table)
    rejected = sum(r.rejected for r in results if not r.already_imported)
    if rejected and not allow_rejects:
        raise fail(
            f"{rejected:,} records were rejected: see `linka usage rejects` "
            "(use --allow-rejects to accept this)"
        )


@app.command("batches")
@user_errors
def batches(limit: int = typer.Option(30, help="How many of the newest batches.")) -> None:
    """The batch register: every imported file and what came of its records."""
    with open_database() as database, database.session() as session:
        rows = services.list_batches(session, limit)
        table = Table(title="Usage batches (newest first)")
        for column in ("batch", "source", "file", "imported", "read", "accepted", "waiting",
                       "rejected", "duplicates"):  # fmt: skip
            table.add_column(column)
        for row in rows:
            table.add_row(
                str(row.id), row.source, row.file_name,
                row.imported_at.strftime("%Y-%m-%d %H:%M"), f"{row.read:,}", f"{row.accepted:,}",
                f"{row.waiting:,}", f"{row.rejected:,}", f"{row.duplicates:,}",
            )  # fmt: skip
    console.print(table)


@app.command("rejects")
@user_errors
def rejects(
    batch: int | None = typer.Option(None, help="Only this batch."),
    reason: str | None = typer.Option(None, help="Only this reason code, e.g. bad_number."),
    limit: int = typer.Option(50, help="How many to show."),
    csv_out: Path | None = typer.Option(None, "--csv", help="Write the matching rejects to CSV."),
) -> None:
    """Records that were not accepted, with the reason, the field and the raw record."""
    with open_database() as database, database.session() as session:
        rows, total = services.list_rejects(
            session, batch_id=batch, reason=reason, limit=total_limit(csv_out, limit)
        )
        if csv_out is not None:
            with csv_out.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["batch", "source", "where", "reason", "detail", "raw"])
                for r in rows:
                    writer.writerow([r.batch_id, r.source, r.raw_ref, r.reason, r.detail, r.raw])
            console.print(f"{len(rows):,} rejects written to {csv_out}")
            return
        table = Table(title=f"Rejects ({total:,} in all, newest batches first)")
        for column in ("batch", "where", "reason", "detail", "raw"):
            table.add_column(column, overflow="fold")
        for r in rows:
            table.add_row(str(r.batch_id), r.raw_ref, r.reason, r.detail, r.raw[:120])
    console.print(table)


def total_limit(csv_out: Path | None, limit: int) -> int:
    return 10_000_000 if csv_out is not None else limit


@app.command("reprocess")
@user_errors
def reprocess() -> None:
    """Release records that waited for their line, now that the line exists."""
    with open_database() as database, database.session() as session:
        released, left, _ = services.reprocess_suspense(session, store(), clock=runtime.clock())
    console.print(f"released {released:,} waiting records; {left:,} still wait for their line")


@app.command("gc")
@user_errors
def garbage(
    dry_run: bool = typer.Option(False, "--dry-run", help="List, delete nothing."),
) -> None:
    """Delete store files no committed batch or run names (left behind by a crash)."""
    with open_database() as database, database.session() as session:
        registered = services.registered_paths(session)
        from linka.rating.services import registered_rated_paths

        registered |= registered_rated_paths(session)
    orphans = store().unregistered(registered)
    if not dry_run:
        store().remove(orphans)
    verb = "would delete" if dry_run else "deleted"
    console.print(f"{verb} {len(orphans)} unregistered files")


@app.command("show")
@user_errors
def show(
    line: str = typer.Option(..., help="MSISDN of the line, e.g. +420601234567."),
    period: str = typer.Option(..., help="Bill period YYYY-MM (periods starting that month)."),
    limit: int = typer.Option(200, help="How many records to list."),
) -> None:
    """Rated records of a line with the explanation of every price."""
    with open_database() as database, database.session() as session:
        explained = explain_line(session, store(), line, period)
    records = explained.records.head(limit)
    console.print(frame_table(records, title=f"Rated usage of {line}, period {period}"))
    console.print(frame_table(explained.totals, title="Totals"))
    if explained.records.height > limit:
        console.print(f"… {explained.records.height - limit:,} more records (use --limit)")
