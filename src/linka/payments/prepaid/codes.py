"""Voucher codes: 16 random digits, the last a Damm check digit, kept only as a hash.

The Damm check digit catches every single mistyped digit and every swap of two
neighbouring digits, so most typos are refused before the database is asked — a customer
learns "check the code" instead of "unknown voucher". The code is a secret: the database
keeps an HMAC-SHA256 of it under the installation's ``LINKA_PREPAID_VOUCHER_KEY`` (plain
SHA-256 without a key), so a copy of the database does not give away usable codes. With
15 random digits (about 50 bits) a keyless hash can be brute-forced by whoever holds the
database; set the key in production.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

CODE_DIGITS = 16

_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def _damm(digits: str) -> int:
    interim = 0
    for digit in digits:
        interim = _DAMM[interim][int(digit)]
    return interim


def new_code() -> str:
    """A fresh random code (digits only, check digit last)."""
    body = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS - 1))
    return body + str(_damm(body))


def normalize_code(text: str) -> str | None:
    """The code's digits (spaces and dashes dropped), or None when it cannot be a code."""
    digits = "".join(ch for ch in text if ch not in " -")
    if len(digits) != CODE_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def check_digit_ok(code: str) -> bool:
    """True for a normalised code whose check digit matches (Damm: the whole code gives 0)."""
    return _damm(code) == 0


def display_code(code: str) -> str:
    """``1234-5678-9012-3456``: groups of four are easier to read out and type."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def hash_code(code: str, key: bytes | None) -> str:
    """Hex digest stored instead of the code: HMAC-SHA256 with ``key``, else SHA-256."""
    if key:
        return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()
    return hashlib.sha256(code.encode()).hexdigest()
