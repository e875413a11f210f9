"""E-mail through a real SMTP server (aiosmtpd on loopback): what arrives, byte for byte."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import aiosmtpd.smtp as aiosmtp
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from linka.engagement.email import SmtpTransport
from linka.engagement.model import Attachment, MessageChannel, MessageKind, OutgoingMessage
from linka.engagement.services import deliver_pending, enqueue_message
from linka.engagement.tables import OutboxMessageRow
from linka.kernel.clock import FakeClock
from linka.store.database import Database
from tests.engagement.conftest import START, Mailbox, SmtpServer, add_customer, free_port

SENDER = "Linka Mobil s.r.o. <fakturace@linka.example>"
SUBJECT = "Vyúčtování služeb za březen 2026 – faktura FA2026000123"
BODY = (
    "Dobrý den, pane Nováku,\n\n"
    "v příloze posíláme fakturu FA2026000123 na 499,00 Kč se splatností 15. 4. 2026.\n"
    "Příliš žluťoučký kůň úpěl ďábelské ódy.\n\n"
    "S pozdravem\nLinka Mobil\n"
)


def enqueue_invoice(db: Database, clock: FakeClock, key: str = "invoice:FA2026000123") -> int:
    with db.session() as session:
        customer = add_customer(session)
        return enqueue_message(
            session,
            kind=MessageKind.INVOICE_ISSUED,
            channel=MessageChannel.EMAIL,
            dedupe_key=key,
            subject=SUBJECT,
            body=BODY,
            attachments=[
                Attachment(
                    "Faktura FA2026000123 – březen.pdf",
                    "documents/2026/FA2026000123.pdf",
                    "application/pdf",
                )
            ],
            clock=clock,
            customer_id=customer,
        ).id


def transport(
    server: SmtpServer, files: Path, clock: FakeClock, **options: object
) -> SmtpTransport:
    settings: dict[str, object] = {"starttls": False, "local_hostname": "worker.linka.test"}
    return SmtpTransport(
        server.host,
        server.port,
        sender=SENDER,
        files=files,
        clock=clock,
        **(settings | options),  # type: ignore[arg-type]
    )


def write_bill(files: Path, pdf: bytes) -> None:
    (files / "documents/2026").mkdir(parents=True)
    (files / "documents/2026/FA2026000123.pdf").write_bytes(pdf)


def stored(db: Database, message_id: int) -> OutboxMessageRow:
    with db.session() as session:
        row = session.get(OutboxMessageRow, message_id)
        assert row is not None
        return row


def parsed(content: bytes) -> EmailMessage:
    message = message_from_bytes(content, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def test_an_invoice_arrives_with_its_headers_czech_text_and_the_pdf(
    sqlite_db: Database, clock: FakeClock, smtp_server: SmtpServer, tmp_path: Path, pdf: bytes
) -> None:
    # given an invoice e-mail with the bill's PDF in the data directory
    write_bill(tmp_path, pdf)
    message_id = enqueue_invoice(sqlite_db, clock)
    clock.advance(timedelta(seconds=5))
    # when the worker runs
    report = deliver_pending(
        sqlite_db, {MessageChannel.EMAIL: transport(smtp_server, tmp_path, clock)}, clock
    )
    # then the server got exactly one message for the customer
    assert report.sent == 1
    (received,) = smtp_server.mailbox.messages
    assert (received.mail_from, received.rcpt_tos) == (
        "fakturace@linka.example",
        ["jan.novak@example.cz"],
    )
    assert received.content.isascii()  # 7-bit on the wire: any server takes it
    email = parsed(received.content)
    assert email["From"] == '"Linka Mobil s.r.o." <fakturace@linka.example>'  # dots quoted
    assert email["To"] == "jan.novak@example.cz"
    assert email["Subject"] == SUBJECT
    assert email["Date"] == "Wed, 01 Apr 2026 06:00:05 +0000"
    assert email["Message-ID"] == f"<outbox.{message_id}.20260401060000@linka.example>"
    assert email["X-Linka-Message"] == f"invoice_issued {message_id}"
    assert email.get_content_type() == "multipart/mixed"
    text = email.get_body(preferencelist=("plain",))
    assert text is not None
    assert (text.get_content_charset(), text["Content-Transfer-Encoding"]) == (
        "utf-8",
        "quoted-printable",
    )
    assert text.get_content() == BODY.replace("\n", "\r\n")  # lines end in CRLF on the wire
    (attachment,) = email.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "Faktura FA2026000123 – březen.pdf"
    assert attachment.get_content() == pdf
    # and the outbox keeps the Message-ID and the server's queue reply
    row = stored(sqlite_db, message_id)
    assert (row.status, row.sent_at) == ("sent", START + timedelta(seconds=5))
    assert row.provider_reference == (
        f"<outbox.{message_id}.20260401060000@linka.example> 250 2.0.0 Ok: queued as Q1"
    )


def test_one_connection_serves_a_batch(
    sqlite_db: Database, clock: FakeClock, smtp_server: SmtpServer, tmp_path: Path, pdf: bytes
) -> None:
    write_bill(tmp_path, pdf)
    for n in range(3):
        with sqlite_db.session() as session:
            enqueue_message(
                session,
                kind=MessageKind.PAYMENT_RECEIVED,
                channel=MessageChannel.EMAIL,
                dedupe_key=f"payment:{n}",
                subject="Děkujeme za platbu",
                body="Platba 499,00 Kč přijata.",
                recipient=f"zakaznik{n}@example.cz",
                clock=clock,
            )
    smtp = transport(smtp_server, tmp_path, clock)
    assert deliver_pending(sqlite_db, {MessageChannel.EMAIL: smtp}, clock, limit=2).sent == 2
    assert deliver_pending(sqlite_db, {MessageChannel.EMAIL: smtp}, clock, limit=2).sent == 1
    peers = [received.peer for received in smtp_server.mailbox.messages]
    assert peers[0] == peers[1] != peers[2]  # a batch shares a connection; the next opens anew


def test_a_kept_connection_the_server_dropped_is_opened_again(
    sqlite_db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    # given a server that closes connections idle for 0.2 s
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), timeout=0.2)
    controller.start()
    try:
        for n in range(2):
            with sqlite_db.session() as session:
                enqueue_message(
                    session,
                    kind=MessageKind.PAYMENT_RECEIVED,
                    channel=MessageChannel.EMAIL,
                    dedupe_key=f"payment:{n}",
                    subject="Děkujeme za platbu",
                    body="Platba přijata.",
                    recipient=f"zakaznik{n}@example.cz",
                    clock=clock,
                )
        smtp = transport(SmtpServer("127.0.0.1", controller.port, mailbox), tmp_path, clock)

        class Slow:
            """Waits before the second message, longer than the server keeps idle links."""

            calls = 0

            def send(self, message: OutgoingMessage) -> str:
                self.calls += 1
                if self.calls > 1:
                    time.sleep(0.5)
                return smtp.send(message)

            def close(self) -> None:
                smtp.close()

        report = deliver_pending(sqlite_db, {MessageChannel.EMAIL: Slow()}, clock)
    finally:
        controller.stop()
    assert (report.sent, len(mailbox.messages)) == (2, 2)
    assert mailbox.messages[0].peer != mailbox.messages[1].peer


def test_a_refused_recipient_fails_without_retrying(
    sqlite_db: Database, clock: FakeClock, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    smtp_server.mailbox.refuse["jan.novak@example.cz"] = (
        "550 5.1.1 <jan.novak@example.cz>: no such user"
    )
    with sqlite_db.session() as session:
        customer = add_customer(session)
        message_id = enqueue_message(
            session,
            kind=MessageKind.REMINDER_DUE,
            channel=MessageChannel.EMAIL,
            dedupe_key="reminder:FA2026000123:1",
            subject="Upomínka",
            body="Faktura je po splatnosti.",
            clock=clock,
            customer_id=customer,
        ).id
    report = deliver_pending(
        sqlite_db, {MessageChannel.EMAIL: transport(smtp_server, tmp_path, clock)}, clock
    )
    assert report.failed == 1
    row = stored(sqlite_db, message_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error == (
        "recipient jan.novak@example.cz refused: 550 5.1.1 <jan.novak@example.cz>: no such user"
    )
    assert smtp_server.mailbox.messages == []


def test_a_missing_file_and_an_unreachable_server_are_retried(
    sqlite_db: Database, clock: FakeClock, smtp_server: SmtpServer, tmp_path: Path, pdf: bytes
) -> None:
    message_id = enqueue_invoice(sqlite_db, clock)
    smtp = transport(smtp_server, tmp_path, clock)
    # the bill's PDF is not written yet
    (outcome,) = deliver_pending(sqlite_db, {MessageChannel.EMAIL: smtp}, clock).outcomes
    assert outcome.status == "pending"
    assert outcome.error == (
        "attachment Faktura FA2026000123 – březen.pdf: cannot read "
        f"{tmp_path}/documents/2026/FA2026000123.pdf: No such file or directory"
    )
    # the PDF is there, but the server is down
    write_bill(tmp_path, pdf)
    clock.advance(timedelta(minutes=1))
    down = transport(SmtpServer("127.0.0.1", free_port(), smtp_server.mailbox), tmp_path, clock)
    (outcome,) = deliver_pending(sqlite_db, {MessageChannel.EMAIL: down}, clock).outcomes
    assert outcome.status == "pending"
    assert outcome.error is not None
    assert outcome.error.startswith(f"cannot connect to SMTP 127.0.0.1:{down.port}: ")
    # both are fine: the third attempt delivers
    clock.advance(timedelta(minutes=2))
    assert deliver_pending(sqlite_db, {MessageChannel.EMAIL: smtp}, clock).sent == 1
    assert stored(sqlite_db, message_id).attempts == 3
    assert len(smtp_server.mailbox.messages) == 1


# -- STARTTLS and login -------------------------------------------------------------------------


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """A submission server that requires STARTTLS, then a login (tester / tajné-heslo)."""
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticate(
        server: aiosmtp.SMTP,
        session: aiosmtp.Session,
        envelope: aiosmtp.Envelope,
        mechanism: str,
        data: object,
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"tester",
            "tajné-heslo".encode(),
        )
        # unhandled: the server itself answers 535 to a wrong password
        return AuthResult(success=ok, handled=False, auth_data=data)

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
    )
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, mailbox)
    finally:
        controller.stop()


def test_starttls_and_login(
    sqlite_db: Database,
    clock: FakeClock,
    tls_server: SmtpServer,
    certificate: tuple[Path, Path],
    tmp_path: Path,
    pdf: bytes,
) -> None:
    write_bill(tmp_path, pdf)
    message_id = enqueue_invoice(sqlite_db, clock)
    trusting = ssl.create_default_context(cafile=str(certificate[0]))
    wrong = transport(
        tls_server,
        tmp_path,
        clock,
        starttls=True,
        ssl_context=trusting,
        username="tester",
        password="špatné",
    )
    (outcome,) = deliver_pending(sqlite_db, {MessageChannel.EMAIL: wrong}, clock).outcomes
    assert outcome.status == "pending"  # a wrong password is fixed in the settings, then retried
    assert outcome.error is not None
    assert "535" in outcome.error
    clock.advance(timedelta(minutes=1))
    right = transport(
        tls_server,
        tmp_path,
        clock,
        starttls=True,
        ssl_context=trusting,
        username="tester",
        password="tajné-heslo",
    )
    assert deliver_pending(sqlite_db, {MessageChannel.EMAIL: right}, clock).sent == 1
    (received,) = tls_server.mailbox.messages
    assert received.login == b"tester"
    assert parsed(received.content)["Subject"] == SUBJECT
    assert stored(sqlite_db, message_id).status == "sent"


def test_a_server_without_starttls_is_not_sent_plain_text(
    sqlite_db: Database, clock: FakeClock, smtp_server: SmtpServer, tmp_path: Path, pdf: bytes
) -> None:
    write_bill(tmp_path, pdf)
    enqueue_invoice(sqlite_db, clock)
    smtp = transport(smtp_server, tmp_path, clock, starttls=True)
    (outcome,) = deliver_pending(sqlite_db, {MessageChannel.EMAIL: smtp}, clock).outcomes
    assert outcome.status == "pending"
    assert (
        outcome.error
        == f"SMTP 127.0.0.1:{smtp_server.port}: STARTTLS extension not supported by server."
    )
    assert smtp_server.mailbox.messages == []
