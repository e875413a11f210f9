"""Line errors: which line, what was asked, what is allowed."""

from __future__ import annotations

from linka.kernel.errors import LinkaError


class LineNotFoundError(LinkaError):
    def __init__(self, msisdn: str) -> None:
        super().__init__(f"no line with MSISDN {msisdn}: `linka customers show` lists lines")


class TransitionRefusedError(LinkaError):
    """The status change is not in the lifecycle table, or its date is out of order."""
