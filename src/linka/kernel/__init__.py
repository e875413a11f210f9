"""Shared kernel: money, clocks, identifiers and the base error type.

Every context may import the kernel; the kernel imports no context. Its values are
small, immutable and exact: money is ``Decimal`` with a currency, instants are aware UTC.
"""

from linka.kernel.clock import Clock, FakeClock, SystemClock
from linka.kernel.errors import LinkaError
from linka.kernel.money import Money, Rounding, round_amount

__all__ = ["Clock", "FakeClock", "LinkaError", "Money", "Rounding", "SystemClock", "round_amount"]
