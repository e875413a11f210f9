"""E-mail over SMTP: composing the MIME message and handing it to a real mail server.

The standard library does both: :class:`email.message.EmailMessage` writes UTF-8 text
(quoted-printable, so any server takes it, 8BITMIME or not), encoded Czech subjects and
file names, and attachments by content type; :mod:`smtplib` speaks SMTP with STARTTLS
and login. The transport talks to the server step by step (MAIL, RCPT, DATA) rather than
through ``sendmail`` so that it can tell a refused recipient (5xx: permanent, the
message fails) from a busy or unreachable server (retried), and keep the server's
queue reply ("250 2.0.0 Ok: queued as 4Z…") as the message's reference.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from pathlib import Path

from linka.engagement.errors import DeliveryError
from linka.engagement.model import OutgoingMessage
from linka.kernel.clock import Clock, SystemClock
from linka.settings import Settings


def message_id(message: OutgoingMessage, sender: str) -> str:
    """A Message-ID fixed per outbox message, so a message sent twice (a worker killed
    after the server accepted it) carries the same id and mail clients fold the copies."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "linka.invalid"
    return f"<outbox.{message.id}.{message.created_at:%Y%m%d%H%M%S}@{domain}>"


def compose_email(
    message: OutgoingMessage, *, sender: str, files: Path, sent_at: datetime
) -> EmailMessage:
    """The MIME message for ``message``; attachment paths are relative to ``files``.

    A missing attachment raises a retryable :class:`DeliveryError`: the document may
    still be being written by the step that enqueued the message.
    """
    email = EmailMessage(policy=SMTP)
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject or ""
    email["Date"] = format_datetime(sent_at)
    email["Message-ID"] = message_id(message, sender)
    email["X-Linka-Message"] = f"{message.kind} {message.id}"
    email.set_content(message.body, charset="utf-8", cte="quoted-printable")
    for attachment in message.attachments:
        path = files / attachment.path
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DeliveryError(
                f"attachment {attachment.name}: cannot read {path}: {exc.strerror}"
            ) from None
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(data, maintype=maintype, subtype=subtype, filename=attachment.name)
    return email


class SmtpTransport:
    """Sends e-mail through one SMTP server; the connection is reused within a batch."""

    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        timeout: float = 30.0,
        files: Path = Path("."),
        ssl_context: ssl.SSLContext | None = None,
        clock: Clock | None = None,
        local_hostname: str | None = None,
    ) -> None:
        if not parseaddr(sender)[1]:
            raise ValueError(f"sender {sender!r} is not an e-mail address")
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout
        self.files = files
        self.ssl_context = ssl_context
        self.clock: Clock = clock or SystemClock()
        self.local_hostname = local_hostname
        self._connection: smtplib.SMTP | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpTransport | None:
        """The configured transport, or None when ``LINKA_SMTP_HOST`` is not set."""
        if not settings.smtp_host:
            return None
        password = settings.smtp_password
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            sender=settings.smtp_from or f"{settings.operator_name} <{settings.operator_email}>",
            username=settings.smtp_username,
            password=password.get_secret_value() if password is not None else None,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout,
            files=settings.data_dir,
        )

    @property
    def server(self) -> str:
        return f"SMTP {self.host}:{self.port}"

    def send(self, message: OutgoingMessage) -> str:
        email = compose_email(
            message, sender=self.sender, files=self.files, sent_at=self.clock.now()
        )
        data = email.as_bytes()  # CRLF lines, 7-bit: what DATA expects
        reused = self._connection is not None
        try:
            return self._transfer(message.recipient, data, str(email["Message-ID"]))
        except smtplib.SMTPServerDisconnected:
            self.close()
            if not reused:
                raise DeliveryError(f"{self.server} closed the connection") from None
        # the kept connection had timed out on the server's side: one fresh try
        try:
            return self._transfer(message.recipient, data, str(email["Message-ID"]))
        except smtplib.SMTPServerDisconnected:
            self.close()
            raise DeliveryError(f"{self.server} closed the connection") from None

    def _transfer(self, recipient: str, data: bytes, reference: str) -> str:
        connection = self._connect()
        try:
            code, reply = connection.mail(parseaddr(self.sender)[1])
            if code != 250:
                self._reset()
                raise _refused("sender", code, reply, permanent=False)
            code, reply = connection.rcpt(recipient)
            if code not in (250, 251):
                self._reset()
                raise _refused(f"recipient {recipient}", code, reply, permanent=code >= 500)
            code, reply = connection.data(data)
            if code != 250:
                raise _refused("message", code, reply, permanent=code >= 500)
        except smtplib.SMTPServerDisconnected:
            raise
        except smtplib.SMTPResponseException as exc:  # DATA refused before the body
            self.close()
            code = exc.smtp_code
            raise _refused("message", code, exc.smtp_error, permanent=code >= 500) from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise DeliveryError(f"{self.server}: {exc}") from None
        return f"{reference} {code} {reply.decode('utf-8', 'replace')}"

    def _connect(self) -> smtplib.SMTP:
        if self._connection is not None:
            return self._connection
        try:
            connection = smtplib.SMTP(
                self.host, self.port, timeout=self.timeout, local_hostname=self.local_hostname
            )
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"cannot connect to {self.server}: {exc}") from None
        try:
            connection.ehlo()
            if self.starttls:
                connection.starttls(context=self.ssl_context or ssl.create_default_context())
                connection.ehlo()
            if self.username:
                _login(connection, self.username, self.password or "")
        except (OSError, smtplib.SMTPException) as exc:
            connection.close()
            raise DeliveryError(f"{self.server}: {exc}") from None
        self._connection = connection
        return connection

    def _reset(self) -> None:
        """Forget a refused transaction and keep the connection, or drop a broken one."""
        if self._connection is None:
            return
        try:
            self._connection.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()


def _login(connection: smtplib.SMTP, username: str, password: str) -> None:
    """Log in; smtplib encodes credentials as ASCII, so UTF-8 ones (RFC 4616 allows them)
    go as AUTH PLAIN written here."""
    if (username + password).isascii():
        connection.login(username, password)
        return
    credentials = b"\0" + username.encode() + b"\0" + password.encode()
    code, reply = connection.docmd("AUTH", "PLAIN " + base64.b64encode(credentials).decode())
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _refused(what: str, code: int, reply: bytes | str, *, permanent: bool) -> DeliveryError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return DeliveryError(f"{what} refused: {code} {text}", permanent=permanent)
