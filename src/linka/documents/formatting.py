"""Numbers, amounts and dates as a Czech or an English reader expects them on a bill.

Czech: ``1 234,50 Kč`` (non-breaking space between thousands, decimal comma, symbol after)
and ``31. 3. 2026``; English: ``CZK 1,234.50`` (ISO code first, as banks print it) and
``31 Mar 2026``. Formatting is done here by hand rather than through a locale library:
a bill prints a few hundred figures, the rules are these few, and the output must not
change with a library's locale data release.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

NBSP = "\u00a0"
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SYMBOLS_CS = {"CZK": "Kč", "EUR": "€", "USD": "US$", "GBP": "£"}


def number(value: Decimal, language: str, places: int = 2) -> str:
    """Grouped fixed-point number: ``1 234,50`` (cs) or ``1,234.50`` (en)."""
    quantum = Decimal(1).scaleb(-places)
    text = f"{abs(value).quantize(quantum):,f}"
    if language == "cs":
        text = text.replace(",", NBSP).replace(".", ",")
    negative = value.quantize(quantum) < 0
    return f"-{text}" if negative else text


def price(value: Decimal, language: str) -> str:
    """A unit price with 2 to 4 decimals (usage is priced to 1/100 haléř)."""
    exponent = value.normalize().as_tuple().exponent
    places = min(max(-exponent if isinstance(exponent, int) else 2, 2), 4)
    return number(value, language, places)


def money(value: Decimal, currency: str, language: str) -> str:
    """An amount with its currency: ``1 234,50 Kč`` / ``CZK 1,234.50``."""
    if language == "cs":
        return f"{number(value, language)}{NBSP}{_SYMBOLS_CS.get(currency, currency)}"
    text = number(value, language)
    if text.startswith("-"):
        return f"-{currency}{NBSP}{text[1:]}"
    return f"{currency}{NBSP}{text}"


def quantity(value: Decimal, language: str) -> str:
    """A quantity without trailing zeros (``1``, ``1,5`` / ``1.5``)."""
    text = f"{value.normalize():f}"
    return text.replace(".", ",") if language == "cs" else text


def percent(value: Decimal, language: str) -> str:
    """A VAT rate: ``21 %`` (cs, with a space) or ``21%`` (en)."""
    text = quantity(value, language)
    return f"{text}{NBSP}%" if language == "cs" else f"{text}%"


def day(value: date, language: str) -> str:
    """A date: ``31. 3. 2026`` (cs) or ``31 Mar 2026`` (en)."""
    if language == "cs":
        return f"{value.day}.{NBSP}{value.month}.{NBSP}{value.year}"
    return f"{value.day}{NBSP}{_MONTHS_EN[value.month - 1]}{NBSP}{value.year}"


def short_day(value: date, language: str) -> str:
    """A date without the year for dense tables: ``31. 3.`` / ``31 Mar``."""
    if language == "cs":
        return f"{value.day}.{NBSP}{value.month}."
    return f"{value.day}{NBSP}{_MONTHS_EN[value.month - 1]}"


def moment(value: datetime, language: str) -> str:
    """Date and time of a usage record: ``31. 3. 14:05`` / ``31 Mar 14:05``."""
    return f"{short_day(value.date(), language)} {value:%H:%M}"


def period(start: date, end: date, language: str) -> str:
    """An inclusive period: ``1. 3. 2026 – 31. 3. 2026``."""
    return f"{day(start, language)} – {day(end, language)}"


def msisdn(value: str) -> str:
    """A Czech E.164 number grouped for reading: ``+420 601 123 456``."""
    if value.startswith("+420") and len(value) == 13:
        rest = value[4:]
        return f"+420 {rest[:3]} {rest[3:6]} {rest[6:]}"
    return value
