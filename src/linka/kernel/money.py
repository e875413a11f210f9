"""Exact money: ``Decimal`` amounts tagged with an ISO 4217 currency.

Invariants: an amount is never a float; arithmetic between two currencies raises;
rounding happens only through :func:`round_amount`, whose rule (mode and number of
decimal places) is data supplied by the caller (tariff, tax profile) or, by default,
the currency's minor unit (2 for CZK and EUR, 0 for JPY).
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Self

from babel.numbers import format_currency, get_currency_precision, list_currencies

from linka.kernel.errors import LinkaError


class CurrencyMismatchError(LinkaError, ValueError):
    """Two amounts in different currencies were combined."""


class Rounding(StrEnum):
    """Rounding modes a tariff or tax profile may name."""

    HALF_UP = "half_up"
    HALF_EVEN = "half_even"
    UP = "up"
    DOWN = "down"

    @property
    def decimal_mode(self) -> str:
        return _DECIMAL_MODES[self]


_DECIMAL_MODES = {
    Rounding.HALF_UP: decimal.ROUND_HALF_UP,
    Rounding.HALF_EVEN: decimal.ROUND_HALF_EVEN,
    Rounding.UP: decimal.ROUND_UP,
    Rounding.DOWN: decimal.ROUND_DOWN,
}


@lru_cache(maxsize=1)
def _known_currencies() -> frozenset[str]:
    return frozenset(code for code in list_currencies() if len(code) == 3 and code.isupper())


def check_currency(code: str) -> str:
    """Return ``code`` if it is an ISO 4217 currency code, else raise ``ValueError``."""
    if code not in _known_currencies():
        raise ValueError(f"unknown currency {code!r}: expected an ISO 4217 code such as CZK or EUR")
    return code


def minor_units(currency: str) -> int:
    """Decimal places of the currency's minor unit (CZK 2, JPY 0)."""
    return int(get_currency_precision(check_currency(currency)))


def round_amount(amount: Decimal, places: int, mode: Rounding = Rounding.HALF_UP) -> Decimal:
    """The one rounding function: ``amount`` to ``places`` decimals by ``mode``."""
    if places < 0:
        raise ValueError("places must be >= 0")
    return amount.quantize(Decimal(1).scaleb(-places), rounding=mode.decimal_mode)


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Exact conversion; floats are refused because they cannot hold money exactly."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"money needs Decimal, int or str, not {type(value).__name__}")
    try:
        result = Decimal(value)
    except decimal.InvalidOperation as exc:
        raise ValueError(f"not a decimal number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return result


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency. Arithmetic keeps full precision until rounded."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount))
        check_currency(self.currency)

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Self:
        return cls(to_decimal(amount), currency)

    @classmethod
    def zero(cls, currency: str) -> Self:
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(
                f"cannot combine {self.currency} with {other.currency}: convert first"
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, Decimal | int):
            raise TypeError("money can be multiplied by Decimal or int only")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def is_zero(self) -> bool:
        return self.amount == 0

    def rounded(self, places: int | None = None, mode: Rounding = Rounding.HALF_UP) -> Money:
        """Round to ``places`` decimals (default: the currency's minor unit)."""
        digits = minor_units(self.currency) if places is None else places
        return Money(round_amount(self.amount, digits, mode), self.currency)

    def allocate(self, weights: list[int]) -> list[Money]:
        """Split into parts proportional to ``weights`` in minor units, losing nothing.

        The remainder left by rounding down goes one minor unit at a time to the parts
        with the largest fractional remainders, so the parts always sum to the whole.
        """
        if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
            raise ValueError("weights must be non-negative with a positive sum")
        places = minor_units(self.currency)
        unit = Decimal(1).scaleb(-places)
        total_units = int(round_amount(self.amount, places) / unit)
        total_weight = sum(weights)
        shares = [total_units * w / Decimal(total_weight) for w in weights]
        floors = [int(s.to_integral_value(rounding=decimal.ROUND_FLOOR)) for s in shares]
        remainder = total_units - sum(floors)
        order = sorted(range(len(weights)), key=lambda i: (floors[i] - shares[i], i))
        for i in order[:remainder]:
            floors[i] += 1
        return [Money(Decimal(units) * unit, self.currency) for units in floors]

    def format(self, locale: str = "cs_CZ") -> str:
        """Human form for documents and the terminal, e.g. ``1 234,50 Kč``."""
        return str(format_currency(self.amount, self.currency, locale=locale))

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
