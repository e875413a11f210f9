"""Messaging errors: a message that cannot be stored, and a send that did not work."""

from __future__ import annotations

from linka.kernel.errors import LinkaError


class InvalidMessageError(LinkaError):
    """``enqueue_message`` was given something it cannot send (no subject on an e-mail,
    an address that is no address); nothing is stored."""

    def __init__(self, dedupe_key: str, problem: str) -> None:
        super().__init__(f"message {dedupe_key!r}: {problem}")
        self.problem = problem


class DeliveryError(LinkaError):
    """A transport could not hand the message over.

    ``permanent`` says retrying cannot help (the server refused this recipient or this
    message); anything else — a connection, a timeout, a server busy, a configuration
    being fixed — is retried with backoff until the attempts run out.
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
