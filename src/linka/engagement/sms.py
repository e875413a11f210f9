"""SMS through Kannel's HTTP ``sendsms`` interface (smsbox).

One GET per message: ``/cgi-bin/sendsms?username&password&from&to&text&charset=UTF-8``.
Text that fits the GSM 03.38 alphabet goes as 7-bit (160 characters a part); anything
else — Czech ``č ř š ž ů`` are not in it — adds ``coding=2`` and Kannel sends UCS-2 (70
a part). Kannel answers ``202 0: Accepted for delivery`` (or ``3: Queued for later
delivery`` when no SMSC is connected: it keeps the message and sends it later, so that
is success too); ``400`` means this message is wrong (permanent), anything else —
``403`` authorisation, ``503``, no answer — is retried. The password travels in the
query string (Kannel's API), so error texts name the host only, never the URL. Long
texts are split by Kannel when the sendsms-user allows it (``max-messages``).
"""

from __future__ import annotations

import string
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

from linka.engagement.errors import DeliveryError
from linka.engagement.model import OutgoingMessage
from linka.settings import Settings

GSM_ALPHABET = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    + string.ascii_uppercase
    + "ÄÖÑܧ¿"
    + string.ascii_lowercase
    + "äöñüà"
    + "\f^{}\\[~]|€"  # the extension table (two septets each)
)
"""Characters a 7-bit GSM SMS can carry: the basic table without ESC, and its extension."""

ACCEPTED = ("0:", "3:")
"""Kannel replies that mean it took the message: accepted, or queued for later."""


def needs_ucs2(text: str) -> bool:
    """Whether ``text`` has a character outside the GSM 7-bit alphabet."""
    return not set(text) <= GSM_ALPHABET


def sendsms_query(
    message: OutgoingMessage,
    *,
    username: str,
    password: str,
    sender: str | None = None,
    smsc: str | None = None,
) -> list[tuple[str, str]]:
    """The ``sendsms`` parameters for ``message``, in Kannel's names."""
    query = [("username", username), ("password", password)]
    if sender:
        query.append(("from", sender))
    query += [("to", message.recipient), ("text", message.body), ("charset", "UTF-8")]
    if needs_ucs2(message.body):
        query.append(("coding", "2"))
    if smsc:
        query.append(("smsc", smsc))
    return query


class KannelTransport:
    """Sends SMS through a Kannel smsbox; stateless, one HTTP request per message."""

    def __init__(
        self,
        url: str,
        *,
        username: str,
        password: str,
        sender: str | None = None,
        smsc: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError(
                f"Kannel URL {url!r}: expected http://host:port/cgi-bin/sendsms without a query"
            )
        self.url = url
        self.server = f"Kannel {parts.netloc}"
        self.username = username
        self.password = password
        self.sender = sender
        self.smsc = smsc
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> KannelTransport | None:
        """The configured transport, or None when ``LINKA_KANNEL_URL`` is not set."""
        if not settings.kannel_url:
            return None
        password = settings.kannel_password
        return cls(
            settings.kannel_url,
            username=settings.kannel_username or "",
            password=password.get_secret_value() if password is not None else "",
            sender=settings.kannel_sender,
            smsc=settings.kannel_smsc,
            timeout=settings.kannel_timeout,
        )

    def send(self, message: OutgoingMessage) -> str:
        query = sendsms_query(
            message,
            username=self.username,
            password=self.password,
            sender=self.sender,
            smsc=self.smsc,
        )
        request = Request(f"{self.url}?{urlencode(query)}", method="GET")
        try:
            with urlopen(request, timeout=self.timeout) as response:
                reply = _text(response.read())
        except HTTPError as exc:
            reply = _text(exc.read())
            exc.close()
            raise DeliveryError(
                f"{self.server} refused the SMS: {exc.code} {reply}", permanent=exc.code == 400
            ) from None
        except (URLError, OSError) as exc:
            reason = exc.reason if isinstance(exc, URLError) else exc
            raise DeliveryError(f"cannot reach {self.server}: {reason}") from None
        if not reply.startswith(ACCEPTED):
            raise DeliveryError(f"{self.server} gave an unexpected reply: {reply}")
        return reply

    def close(self) -> None:
        """Nothing to close: every message is its own request."""


def _text(body: bytes) -> str:
    return " ".join(body.decode("utf-8", "replace").split())[:300]
