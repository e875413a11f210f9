"""Why a prepaid operation was refused: each message says what to do instead."""

from __future__ import annotations

from linka.kernel.errors import LinkaError


class PrepaidError(LinkaError):
    """Base of the prepaid context's refusals."""


class NotPrepaidError(PrepaidError):
    def __init__(self, msisdn: str, account: str) -> None:
        super().__init__(
            f"line {msisdn} is on postpaid account {account}: only lines of prepaid accounts "
            "have prepaid credit"
        )


class ReferenceReusedError(PrepaidError):
    def __init__(self, source: str, booked: str) -> None:
        super().__init__(
            f"{source} is already booked as {booked}: a reference names one top-up only"
        )


class VoucherRefusedError(PrepaidError):
    """A voucher code that cannot be redeemed; ``reason`` is one of :data:`REASONS`."""

    REASONS = ("mistyped", "unknown", "redeemed", "expired")

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
