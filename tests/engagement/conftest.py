"""Peers for messaging tests: a real SMTP server (aiosmtpd) and a Kannel-shaped HTTP
receiver on loopback, customers with consents, a small PDF, a fake clock."""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiosmtpd.smtp as aiosmtp
import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfWriter
from sqlalchemy.orm import Session as DbSession

from linka.customers.tables import CustomerRow
from linka.kernel.clock import FakeClock

START = datetime(2026, 4, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def add_customer(
    session: DbSession,
    number: str = "10000001",
    *,
    email: str | None = "jan.novak@example.cz",
    phone: str | None = "+420601123456",
) -> int:
    """A customer row as the customers context stores it (only what messaging reads)."""
    row = CustomerRow(
        number=number,
        segment="consumer",
        party_kind="person",
        name="Jan Novák",
        first_name="Jan",
        last_name="Novák",
        email=email,
        phone=phone,
        created_at=START,
    )
    session.add(row)
    session.flush()
    return row.id


@pytest.fixture
def pdf() -> bytes:
    """A real one-page PDF, as a bill would be."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "Faktura FA2026000123"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# -- SMTP ---------------------------------------------------------------------------------------


@dataclass
class Received:
    peer: Any
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    login: bytes | None


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps every message and refuses the addresses it is told."""

    refuse: dict[str, str] = field(default_factory=dict)
    messages: list[Received] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: aiosmtp.SMTP,
        session: aiosmtp.Session,
        envelope: aiosmtp.Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: aiosmtp.SMTP, session: aiosmtp.Session, envelope: aiosmtp.Envelope
    ) -> str:
        content = envelope.content
        assert isinstance(content, bytes)
        auth = session.auth_data
        login = auth.login if isinstance(auth, aiosmtp.LoginPassword) else None
        self.messages.append(
            Received(session.peer, str(envelope.mail_from), list(envelope.rcpt_tos), content, login)
        )
        return f"250 2.0.0 Ok: queued as Q{len(self.messages)}"


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, mailbox)
    finally:
        controller.stop()


# -- Kannel-shaped HTTP receiver ----------------------------------------------------------------


@dataclass
class SendsmsReceiver:
    """Records ``/cgi-bin/sendsms`` requests and answers like Kannel's smsbox."""

    url: str
    requests: list[dict[str, list[str]]] = field(default_factory=list)
    replies: list[tuple[int, str]] = field(default_factory=list)  # scripted, then accept

    def next_reply(self) -> tuple[int, str]:
        return self.replies.pop(0) if self.replies else (202, "0: Accepted for delivery")


@pytest.fixture
def sendsms() -> Iterator[SendsmsReceiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    receiver = SendsmsReceiver(f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/sendsms")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != "/cgi-bin/sendsms":
                status, text = 404, "Unknown service"
            else:
                receiver.requests.append(parse_qs(parts.query, keep_blank_values=True))
                status, text = receiver.next_reply()
            body = text.encode()
            self.send_response(status)
            self.send_header("Server", "Kannel/1.4.5")
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
