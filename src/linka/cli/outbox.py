"""``linka outbox``: see the messages waiting, sent and failed; run the delivery worker."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from signal import SIGINT, SIGTERM
from types import FrameType

import typer
from rich.table import Table

from linka.cli import runtime
from linka.cli.runtime import console, fail, open_database, user_errors
from linka.engagement.configuration import configured_backoff, configured_transports
from linka.engagement.model import DeliveryReport, MessageStatus
from linka.engagement.services import deliver_pending, list_messages

app = typer.Typer(help="Outgoing e-mail and SMS: the outbox and its worker.", no_args_is_help=True)


@app.command("list")
@user_errors
def list_command(
    status: MessageStatus = typer.Option(None, help="Only messages with this status."),
    limit: int = typer.Option(50, min=1, help="How many, newest first."),
) -> None:
    """Show the newest outbox messages with their delivery state."""
    table = Table(title="Outbox (times in UTC)")
    for column in ("id", "created", "kind", "channel", "recipient", "status", "tries", "when"):
        table.add_column(column, justify="right" if column in ("id", "tries") else "left")
    table.add_column("note", overflow="fold")
    with open_database() as database, database.session() as session:
        for row in list_messages(session, status=status, limit=limit):
            when = row.sent_at or row.next_attempt_at
            if row.status == MessageStatus.SENT:
                note = row.provider_reference or ""
            else:
                note = row.suppressed_reason or row.last_error or ""
            table.add_row(
                str(row.id),
                f"{row.created_at:%Y-%m-%d %H:%M}",
                row.kind,
                row.channel,
                row.recipient,
                row.status,
                str(row.attempts),
                f"{when:%Y-%m-%d %H:%M:%S}" if when else "",
                note,
            )
    console.print(table)


@app.command("deliver")
@user_errors
def deliver(
    limit: int = typer.Option(None, min=1, help="Messages per batch [LINKA_OUTBOX_BATCH]."),
    loop: bool = typer.Option(False, "--loop", help="Keep delivering until stopped."),
    interval: float = typer.Option(
        30.0, min=0.1, help="With --loop: seconds to wait when nothing more is due."
    ),
) -> None:
    """Send due messages: one batch, or batch after batch with --loop.

    With --loop the worker stops on Ctrl-C or SIGTERM once the batch in hand is done.
    """
    config = runtime.settings()
    transports = configured_transports(config)
    if not transports:
        raise fail(
            "no channel is configured: set LINKA_SMTP_HOST (e-mail) and/or LINKA_KANNEL_URL "
            "(SMS); see docs/messaging.md"
        )
    batch = limit or config.outbox_batch
    channels = ", ".join(sorted(transports))
    stop = threading.Event()
    with open_database() as database, _stopped_by_signals(stop, enabled=loop):
        while not stop.is_set():
            report = deliver_pending(
                database,
                transports,
                runtime.clock(),
                limit=batch,
                max_attempts=config.outbox_max_attempts,
                backoff=configured_backoff(config),
            )
            _print(report, channels, quiet=loop)
            if not loop:
                break
            if report.claimed < batch:
                stop.wait(interval)


def _print(report: DeliveryReport, channels: str, *, quiet: bool) -> None:
    if quiet and not report.claimed:
        return
    console.print(
        f"{channels}: {report.sent} sent, {report.retrying} to retry, {report.failed} failed"
    )
    for outcome in report.outcomes:
        if outcome.error:
            later = f" (next try {outcome.next_attempt_at:%Y-%m-%d %H:%M:%S})"
            when = later if outcome.next_attempt_at else ""
            console.print(
                f"  message {outcome.message_id}, attempt {outcome.attempt}: {outcome.status}"
                f"{when}: {outcome.error}",
                highlight=False,
            )


@contextmanager
def _stopped_by_signals(stop: threading.Event, *, enabled: bool) -> Iterator[None]:
    """While the block runs, SIGTERM and Ctrl-C set ``stop`` instead of killing the worker
    mid-send; the previous handlers come back afterwards."""
    if not enabled:
        yield
        return

    def handle(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {number: signal.signal(number, handle) for number in (SIGTERM, SIGINT)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
