"""``linka outbox list`` and ``linka outbox deliver``, run in-process against real peers."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from linka.cli import runtime
from linka.customers.consents import record_consent
from linka.customers.model import Actor, ConsentChannel, ConsentPurpose
from linka.engagement.model import MessageChannel, MessageKind
from linka.engagement.services import enqueue_message
from linka.kernel.clock import FakeClock
from linka.store.database import Database
from tests.conftest import Cli
from tests.engagement.conftest import SendsmsReceiver, SmtpServer, add_customer


@pytest.fixture
def linka(cli: Cli, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setattr(runtime, "clock", lambda: clock)
    for console in (runtime.console, runtime.err_console):
        monkeypatch.setattr(console, "width", 250)
    return cli


@pytest.fixture
def queued(db: Database, clock: FakeClock) -> None:
    """Two e-mails and an SMS for one customer, and an e-mail to one who refused e-mail."""
    with db.session() as session:
        jan = add_customer(session)
        eva = add_customer(session, "10000002", email="eva@example.cz", phone=None)
        record_consent(
            session,
            eva,
            ConsentChannel.EMAIL,
            ConsentPurpose.SERVICE,
            False,
            source="letter",
            clock=clock,
            actor=Actor("agent", "test"),
        )
        for customer, key in ((jan, "invoice:1"), (jan, "invoice:2"), (eva, "invoice:3")):
            enqueue_message(
                session,
                kind=MessageKind.INVOICE_ISSUED,
                channel=MessageChannel.EMAIL,
                dedupe_key=key,
                subject=f"Faktura {key}",
                body="Dobrý den, posíláme fakturu.",
                clock=clock,
                customer_id=customer,
            )
        enqueue_message(
            session,
            kind=MessageKind.LINE_SUSPENDED,
            channel=MessageChannel.SMS,
            dedupe_key="line:+420601123456:suspended",
            body="Vaše linka byla pozastavena.",
            clock=clock,
            customer_id=jan,
        )


@pytest.mark.usefixtures("queued")
def test_deliver_needs_a_configured_channel(linka: Cli) -> None:
    out = linka("outbox", "deliver", expect=1)
    assert "no channel is configured: set LINKA_SMTP_HOST (e-mail) and/or LINKA_KANNEL_URL" in out


@pytest.mark.usefixtures("queued")
def test_deliver_then_list(
    linka: Cli,
    smtp_server: SmtpServer,
    sendsms: SendsmsReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LINKA_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("LINKA_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("LINKA_SMTP_STARTTLS", "false")
    monkeypatch.setenv("LINKA_SMTP_FROM", "Linka <fakturace@linka.example>")
    monkeypatch.setenv("LINKA_KANNEL_URL", sendsms.url)
    monkeypatch.setenv("LINKA_KANNEL_USERNAME", "linka")
    monkeypatch.setenv("LINKA_KANNEL_PASSWORD", "tajne")

    out = linka("outbox", "list")
    assert out.count(" pending ") == 3
    assert "consent to service messages by e-mail withdrawn on 2026-04-01 (source: letter)" in out

    out = linka("outbox", "deliver", "--limit", "2")
    assert "email, sms: 2 sent, 0 to retry, 0 failed" in out
    out = linka("outbox", "deliver")
    assert "email, sms: 1 sent, 0 to retry, 0 failed" in out
    assert sorted(m.rcpt_tos[0] for m in smtp_server.mailbox.messages) == [
        "jan.novak@example.cz",
        "jan.novak@example.cz",
    ]
    assert [r["text"] for r in sendsms.requests] == [["Vaše linka byla pozastavena."]]

    out = linka("outbox", "list", "--status", "sent")
    assert out.count(" sent ") == 3
    assert "0: Accepted for delivery" in out
    assert "250 2.0.0 Ok: queued as Q1" in out
    out = linka("outbox", "list", "--status", "suppressed", "--limit", "5")
    assert "eva@example.cz" in out
    assert "jan.novak" not in out


@pytest.mark.usefixtures("queued")
def test_the_loop_stops_on_sigterm_after_its_batch(
    linka: Cli, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKA_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("LINKA_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("LINKA_SMTP_STARTTLS", "false")
    before = signal.getsignal(signal.SIGTERM)

    def terminate_when_delivered() -> None:
        deadline = time.monotonic() + 20
        while len(smtp_server.mailbox.messages) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        if signal.getsignal(signal.SIGTERM) is not before:  # only the worker's handler
            os.kill(os.getpid(), signal.SIGTERM)

    terminator = threading.Thread(target=terminate_when_delivered)
    terminator.start()
    out = linka("outbox", "deliver", "--loop", "--interval", "0.2")
    terminator.join()
    assert out.strip() == "email: 2 sent, 0 to retry, 0 failed"  # idle rounds print nothing
    assert signal.getsignal(signal.SIGTERM) is before


def test_config_hides_the_passwords(linka: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKA_SMTP_PASSWORD", "smtp-tajne")
    monkeypatch.setenv("LINKA_KANNEL_PASSWORD", "kannel-tajne")
    out = linka("config")
    assert "LINKA_SMTP_PASSWORD" in out
    assert "LINKA_KANNEL_URL" in out
    assert "tajne" not in out
    assert "**********" in out
