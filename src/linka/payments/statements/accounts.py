"""Bank account numbers as statements write them: IBAN or Czech ``prefix-number/bank``.

Banks write the same Czech account many ways (``000019-2000145399/0800``,
``0000192000145399`` with the bank code elsewhere, ``CZ65 0800 0000 1920 0014 5399``);
everything here turns them into one spelling so that a payer is recognised whichever
file or bank the payment came through. Checksums are not verified: the bank already
moved the money, and a statement is refused only for what makes it unreadable.
"""

from __future__ import annotations

import re

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

CZECH = re.compile(r"(?:(\d{1,6})-)?(\d{1,10})(?:/(\d{4}))?")
IBAN_SHAPE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}")


def czech_account(prefix: str, number: str, bank: str | None = None) -> str | None:
    """``prefix-number/bank`` without leading zeros; ``None`` for an empty (all-zero) number."""
    number = number.lstrip("0")
    if not number:
        return None
    prefix = prefix.lstrip("0")
    bank = bank if bank and bank.strip("0") else None
    text = f"{prefix}-{number}" if prefix else number
    return f"{text}/{bank}" if bank else text


def normalise_account(text: str | None, bank: str | None = None) -> str | None:
    """An account as written in a file → IBAN or Czech form; other forms kept as written.

    ``bank`` is a Czech bank code given apart from the number (a camt agent's id, MT940
    ``?30``, the GPC constant-symbol field); it applies when the number carries none.
    """
    if text is None:
        return None
    if IBAN_SHAPE.fullmatch(text):
        return text
    compact = "".join(text.split())
    if not compact:
        return None
    if IBAN_SHAPE.fullmatch(compact.upper()):
        return compact.upper()
    match = CZECH.fullmatch(compact)
    if match is None:
        return compact
    own_bank = match.group(3)
    if own_bank is None and bank is not None and len(bank) == 4 and bank.isdigit():
        own_bank = bank
    return czech_account(match.group(1) or "", match.group(2), own_bank)


def czech_from_iban(iban: str) -> str | None:
    """The Czech form of a ``CZ`` IBAN (``CZkk BBBB PPPPPP NNNNNNNNNN``), else ``None``."""
    if len(iban) != 24 or not iban.startswith("CZ") or not iban[2:].isdigit():
        return None
    return czech_account(iban[8:14], iban[14:24], iban[4:8])


def iban_from_czech(account: str) -> str | None:
    """The IBAN of a Czech account with a bank code, else ``None``."""
    match = CZECH.fullmatch(account)
    if match is None or match.group(3) is None:
        return None
    try:
        iban = IBAN.generate(
            "CZ",
            bank_code=match.group(3),
            account_code=match.group(2).zfill(10),
            branch_code=(match.group(1) or "").zfill(6),
        )
    except SchwiftyException:
        return None
    return str(iban.compact)


def account_digits(account: str | None) -> tuple[str, str]:
    """(prefix, number) of a Czech account, zero-padded to 6 and 10 digits, for GPC."""
    if account is None:
        return "000000", "0000000000"
    match = CZECH.fullmatch(account)
    if match is None:
        raise ValueError(f"GPC needs a Czech account prefix-number/bank, not {account!r}")
    return (match.group(1) or "").zfill(6), match.group(2).zfill(10)


def bank_of(account: str | None) -> str:
    """The bank code of a Czech account, ``0000`` when it has none."""
    match = CZECH.fullmatch(account or "")
    return match.group(3) if match is not None and match.group(3) else "0000"
