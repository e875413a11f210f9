"""QR Platba: the SPAYD 1.0 payment string of an invoice, its validator and the QR code.

Czech banking apps read ``SPD*1.0*ACC:…*AM:…*CC:…*…`` from the QR code on a bill and
prefill the payment, so a wrong character means a payment that does not match by variable
symbol. The generator therefore validates every string it makes with :func:`validate_spayd`
(our own rules, written from the qr-platba.cz specification and the banks' examples) and
refuses to print a code that fails.

Field order: ``ACC, AM, CC, DT, MSG, RN, X-VS`` — keys in alphabetical order, which is the
specification's canonical order for the optional CRC32 checksum and the order of the
Komerční banka example (``…*CC:CZK*DT:20221001*X-VS:…``). Readers accept any order.

Escaping: a value may not contain ``*`` (the field separator); the specification encodes it
as ``%2A``. We also encode ``%`` itself as ``%25`` so that escaping is reversible: a message
that contains the text ``%2A`` survives the round trip instead of turning into ``*``.
Messages and the recipient name are reduced to ISO-8859-1 without diacritics (the standard's
charset; Czech letters such as ``č`` are outside it) and cut to the field's length.
"""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache

import segno
from babel.numbers import list_currencies
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from linka.documents.errors import SpaydError
from linka.documents.model import InvoiceDocument

HEADER = "SPD"
VERSION = "1.0"
MAX_AMOUNT = Decimal("9999999.99")
MAX_LENGTH = 2953  # bytes a version-40 QR code holds in byte mode at level L; M holds less
MSG_LENGTH = 60
RN_LENGTH = 35

_KEY = re.compile(r"^[A-Z-]+$")
_AMOUNT = re.compile(r"^\d{1,7}(\.\d{1,2})?$")
_DIGITS = re.compile(r"^\d+$")
_DATE = re.compile(r"^\d{8}$")
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_BIC = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_HEX8 = re.compile(r"^[0-9A-F]{8}$")

# Maximum value lengths from the specification (after escaping, as they stand in the text).
_LENGTHS = {
    "ACC": 46,
    "ALT-ACC": 93,
    "AM": 10,
    "CC": 3,
    "RF": 16,
    "RN": RN_LENGTH,
    "PT": 3,
    "MSG": MSG_LENGTH,
    "NTA": 320,
    "X-VS": 10,
    "X-SS": 10,
    "X-KS": 10,
    "X-PER": 2,
    "X-ID": 20,
    "X-URL": 140,
}


def escape_value(text: str) -> str:
    """Make text safe as a SPAYD value: ``%`` → ``%25`` first, then ``*`` → ``%2A``."""
    return text.replace("%", "%25").replace("*", "%2A")


def unescape_value(text: str) -> str:
    """Inverse of :func:`escape_value` (``%2A`` → ``*``, ``%25`` → ``%``), left to right."""
    return re.sub(r"%(2[Aa]|25)", lambda m: "*" if m.group(1) in {"2A", "2a"} else "%", text)


def clean_text(text: str, limit: int) -> str:
    """Free text reduced to what every reader shows: ISO-8859-1 printable, no diacritics.

    Czech letters decompose (``č`` → ``c``); characters with no Latin-1 form are dropped;
    whitespace runs become one space; the result is cut so that its *escaped* form fits
    ``limit`` characters (an escaped ``*`` takes three).
    """
    decomposed = unicodedata.normalize("NFKD", text)
    kept = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue
        if char.isspace():
            kept.append(" ")
        elif char.isprintable() and ord(char) < 256 and not 0x7F <= ord(char) < 0xA0:
            kept.append(char)
    single = re.sub(r" {2,}", " ", "".join(kept)).strip()
    out: list[str] = []
    used = 0
    for char in single:
        width = len(escape_value(char))
        if used + width > limit:
            break
        out.append(char)
        used += width
    return "".join(out).rstrip()


def spayd_fields(document: InvoiceDocument, message: str | None = None) -> dict[str, str]:
    """The unescaped SPAYD fields of a document, keyed in canonical (alphabetical) order."""
    if document.amount_due <= 0:
        raise SpaydError(
            f"document {document.number}: QR Platba is only for an amount to pay; "
            f"amount due is {document.amount_due}"
        )
    if document.amount_due > MAX_AMOUNT:
        raise SpaydError(
            f"document {document.number}: amount due {document.amount_due} exceeds the "
            f"QR Platba maximum {MAX_AMOUNT}"
        )
    symbol = document.variable_symbol
    if not (_DIGITS.match(symbol) and len(symbol) <= 10):
        raise SpaydError(
            f"document {document.number}: variable symbol {symbol!r} must be 1–10 digits"
        )
    bank = document.supplier_bank
    iban = bank.iban.replace(" ", "").upper()
    account = f"{iban}+{bank.bic.upper()}" if bank.bic else iban
    if message is None:
        word = "Faktura" if document.language == "cs" else "Invoice"
        message = f"{word} {document.number}"
    fields = {
        "ACC": account,
        "AM": f"{document.amount_due.quantize(Decimal('0.01'))}",
        "CC": document.currency.upper(),
        "DT": document.due_date.strftime("%Y%m%d"),
        "MSG": clean_text(message, MSG_LENGTH),
        "RN": clean_text(document.supplier.name, RN_LENGTH),
        "X-VS": symbol,
    }
    return {key: value for key, value in fields.items() if value}


def format_spayd(fields: dict[str, str]) -> str:
    """Join fields (unescaped values) into a SPAYD string in the order given."""
    parts = [HEADER, VERSION, *(f"{key}:{escape_value(value)}" for key, value in fields.items())]
    return "*".join(parts)


def build_spayd(document: InvoiceDocument, message: str | None = None) -> str:
    """The QR Platba string for paying ``document`` by bank transfer.

    Raises :class:`SpaydError` when there is nothing to pay, the amount or the variable
    symbol does not fit the format, or the result fails :func:`validate_spayd` (for
    example an invalid IBAN in the operator's settings).
    """
    text = format_spayd(spayd_fields(document, message))
    problems = validate_spayd(text)
    if problems:
        raise SpaydError(f"document {document.number}: QR Platba invalid: {'; '.join(problems)}")
    return text


def parse_spayd(text: str) -> dict[str, str]:
    """Fields of a SPAYD string with unescaped values (no validation; see validate_spayd)."""
    parts = text.split("*")
    fields: dict[str, str] = {}
    for part in parts[2:]:
        if not part:
            continue
        key, _, value = part.partition(":")
        fields[key] = unescape_value(value)
    return fields


@cache
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def _account_problems(key: str, value: str) -> list[str]:
    iban_text, plus, bic_text = value.partition("+")
    problems = []
    try:
        IBAN(iban_text)
    except SchwiftyException as error:
        problems.append(f"{key}: {iban_text!r} is not a valid IBAN ({error})")
    if plus:
        if not _BIC.match(bic_text):
            problems.append(f"{key}: {bic_text!r} is not a BIC (8 or 11 letters and digits)")
        else:
            try:
                BIC(bic_text)
            except SchwiftyException as error:
                problems.append(f"{key}: {bic_text!r} is not a valid BIC ({error})")
    return problems


def _value_problems(key: str, value: str) -> list[str]:
    problems: list[str] = []
    limit = _LENGTHS.get(key)
    if limit is not None and len(value) > limit:
        problems.append(f"{key}: {len(value)} characters, at most {limit} allowed")
    if key == "ACC":
        problems += _account_problems(key, value)
    elif key == "ALT-ACC":
        accounts = value.split(",")
        if len(accounts) > 2:
            problems.append("ALT-ACC: at most 2 alternative accounts")
        for account in accounts:
            problems += _account_problems(key, account)
    elif key == "AM":
        if not _AMOUNT.match(value):
            problems.append(f"AM: {value!r} is not an amount like 1234.50")
        else:
            try:
                if Decimal(value) > MAX_AMOUNT:
                    problems.append(f"AM: {value} exceeds {MAX_AMOUNT}")
            except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
                problems.append(f"AM: {value!r} is not a number")
    elif key == "CC":
        if value not in _currencies():
            problems.append(f"CC: {value!r} is not an ISO 4217 currency code")
    elif key in {"X-VS", "X-SS", "X-KS", "RF", "X-PER"}:
        if not _DIGITS.match(value):
            problems.append(f"{key}: {value!r} must be digits only")
    elif key == "DT":
        problems += _date_problems(value)
    elif key == "NT":
        if value not in {"P", "E"}:
            problems.append(f"NT: {value!r} must be P (phone) or E (e-mail)")
    elif key == "CRC32" and not _HEX8.match(value):
        problems.append(f"CRC32: {value!r} must be 8 hexadecimal digits")
    return problems


def _date_problems(value: str) -> list[str]:
    if not _DATE.match(value):
        return [f"DT: {value!r} is not a date YYYYMMDD"]
    try:
        date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return [f"DT: {value!r} is not a calendar date"]
    return []


def validate_spayd(text: str) -> list[str]:
    """Problems of a SPAYD string against the QR Platba 1.0 rules; empty when valid.

    Checks the header and version, the total length, the character set (ISO-8859-1, no
    control characters), each ``KEY:value`` pair (key syntax ``[A-Z-]``, no duplicates,
    ``*`` only as a separator, ``%`` only in escapes), the mandatory ``ACC`` with a valid
    IBAN (and BIC), and the format and length of every known key's value.
    """
    problems: list[str] = []
    if len(text) > MAX_LENGTH:
        problems.append(f"{len(text)} characters; a QR code holds at most {MAX_LENGTH}")
    bad = sorted({c for c in text if ord(c) > 255 or not c.isprintable()})
    if bad:
        shown = ", ".join(f"U+{ord(c):04X}" for c in bad[:5])
        problems.append(f"characters outside printable ISO-8859-1: {shown}")
    parts = text.split("*")
    if len(parts) < 2 or parts[0] != HEADER:
        return [*problems, "must start with 'SPD*'"]
    if parts[1] != VERSION:
        problems.append(f"version {parts[1]!r}; only {VERSION!r} is known")
    pairs = parts[2:]
    if pairs and pairs[-1] == "":
        pairs = pairs[:-1]  # a trailing '*' after the last value is allowed
    seen: set[str] = set()
    for pair in pairs:
        key, colon, value = pair.partition(":")
        if not colon:
            problems.append(f"{pair!r} is not KEY:value (a '*' in a value must be %2A)")
            continue
        if not (_KEY.match(key) or key == "CRC32"):  # the one key with digits
            problems.append(f"key {key!r} must be upper-case letters A-Z and '-'")
            continue
        if key in seen:
            problems.append(f"key {key} appears twice")
        seen.add(key)
        if _PERCENT.search(value):
            problems.append(f"{key}: '%' must start an escape such as %2A or %25")
        if value == "":
            problems.append(f"{key}: empty value")
            continue
        problems += _value_problems(key, value)
    if "ACC" not in seen:
        problems.append("ACC (the payee's IBAN) is mandatory")
    return problems


def qr_code(text: str) -> segno.QRCode:
    """The QR code of a SPAYD string at error-correction level M, as the standard asks."""
    return segno.make(text, error="m", boost_error=False, micro=False)


def qr_svg(text: str, scale: int = 4) -> str:
    """The QR code as standalone SVG text (black modules, quiet zone of 4 modules)."""
    buffer = io.BytesIO()
    qr_code(text).save(buffer, kind="svg", scale=scale, border=4, xmldecl=False, svgns=True)
    return buffer.getvalue().decode("utf-8")


def qr_png(text: str, scale: int = 8) -> bytes:
    """The QR code as a PNG image."""
    buffer = io.BytesIO()
    qr_code(text).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
