"""Czech payment symbols (VS, SS, KS) found where banks and payers put them.

The variable symbol names what is paid (for linka: the invoice number's digits or the
billing account's symbol), the specific symbol the payer, the constant symbol the kind
of payment (0308 services). Domestic formats have fields for them (GPC); ISO 20022 and
SWIFT do not, so Czech banks write them as tagged text, which is read here:

* ``/VS123/SS456/KS0308`` (the ČBA convention for ``EndToEndId``), ``/VS/123``;
* ``VS123``, ``VS:123``, ``VS 123``, ``vs.123`` in a reference or message text.

A symbol is up to 10 digits; it is kept as digits without leading zeros, and one of
zeros only counts as absent.
"""

from __future__ import annotations

import re
from typing import NamedTuple

TAGGED = re.compile(r"(?<![A-Za-z])(VS|SS|KS)\s*[:/.=]?\s*(\d{1,10})(?!\d)", re.IGNORECASE)


def symbol(text: str | None) -> str | None:
    """Digits only, without leading zeros; ``None`` when nothing (or only zeros) is left."""
    if text is None:
        return None
    digits = text if text.isdigit() else "".join(ch for ch in text if ch.isdigit())
    return digits.lstrip("0") or None


class Symbols(NamedTuple):
    """Variable, specific and constant symbol (a tuple: parsers make one per entry)."""

    variable: str | None = None
    specific: str | None = None
    constant: str | None = None

    def or_else(self, other: Symbols) -> Symbols:
        """Each symbol from here, the missing ones from ``other``."""
        if other == NONE:
            return self
        return Symbols(
            self.variable or other.variable,
            self.specific or other.specific,
            self.constant or other.constant,
        )


NONE = Symbols()


def tagged_symbols(text: str | None) -> Symbols:
    """Symbols written as ``VS…``/``SS…``/``KS…`` in ``text``; the first of each kind wins."""
    if not text:
        return NONE
    found = TAGGED.findall(text)
    if not found:
        return NONE
    kinds: dict[str, str | None] = {}
    for kind, digits in found:
        kinds.setdefault(kind.upper(), symbol(digits))
    return Symbols(kinds.get("VS"), kinds.get("SS"), kinds.get("KS"))


def symbols_from(*texts: str | None) -> Symbols:
    """Symbols from several places in order of trust: each kind from the first that has it."""
    result = NONE
    for text in texts:
        result = result.or_else(tagged_symbols(text))
    return result
