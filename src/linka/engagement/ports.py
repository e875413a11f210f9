"""What the outbox needs from a channel: something that sends one message."""

from __future__ import annotations

from typing import Protocol

from linka.engagement.model import OutgoingMessage


class Transport(Protocol):
    """Hands messages of one channel to a server (SMTP, Kannel, a test fake).

    ``send`` returns the server's reference for the message (an SMTP Message-ID and
    queue reply, a Kannel reply line) and raises
    :class:`~linka.engagement.errors.DeliveryError` when the server did not accept it.
    A transport may keep a connection open between sends; ``close`` ends it, and the
    outbox calls it after every batch so no connection idles between batches.
    """

    def send(self, message: OutgoingMessage) -> str: ...

    def close(self) -> None: ...
