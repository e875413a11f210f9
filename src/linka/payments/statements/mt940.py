"""SWIFT MT940 customer statements as Czech banks send them.

Fields: ``:20:`` statement reference (starts a statement), ``:25:`` account (IBAN,
``prefix-number/bank``, ``bank/number`` or ``BIC/IBAN``), ``:28C:`` number,
``:60F:``/``:60M:`` opening balance, ``:61:`` entry followed by its ``:86:``,
``:62F:``/``:62M:`` closing balance; ``:21:``, ``:64:``, ``:65:`` and the MT942 fields are
ignored, any other field refuses the file. SWIFT block wrappers (``{1:…}{4:`` … ``-}``)
are skipped. Text is UTF-8, or windows-1250 when it is not valid UTF-8.

``:61:`` gives the value date, the booking date (MMDD, its year from the value date,
across a year end too), ``C``/``D`` (``RC``/``RD`` reversals), the amount, the type
(``NTRF`` … kept as ``bank_code``), the reference for the account holder (kept as the
end-to-end id unless ``NONREF``) and, after ``//``, the bank's own reference.

``:86:`` comes in three shapes, all read:

* sub-fields ``?00`` booking text, ``?20``–``?29`` and ``?60``–``?63`` purpose (pieces
  of 27 characters are continued without a space), ``?30`` bank code, ``?31`` account,
  ``?32``–``?33`` name, ``?38`` IBAN; a purpose piece holding only symbols
  (``VS 123``, ``KS:0308``) gives the symbols and stays out of the message;
* SWIFT tags ``/EREF/``, ``/REMI/``, ``/NAME/``, ``/IBAN/``;
* free text, searched for ``VS…``/``SS…``/``KS…``.

Not the ``mt940`` package (Tryton, 0.8.1): it drops ``:60M:``/``:62M:`` balances and
unknown fields silently, dates a booking in the value date's year (wrong across New
Year), fails on a malformed ``:61:`` with an ``AttributeError`` and no line number, and
knows no Czech ``:86:`` conventions; what it does is a few regular expressions, here with
line numbers in every error and without another dependency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from linka.payments.statements.accounts import CZECH, IBAN_SHAPE, normalise_account
from linka.payments.statements.checks import Amounts, check_balance
from linka.payments.statements.errors import StatementError
from linka.payments.statements.model import (
    Statement,
    StatementEntry,
    StatementFormat,
    account_pair,
)
from linka.payments.statements.symbols import NONE, TAGGED, Symbols, symbols_from, tagged_symbols

FIELD = re.compile(r":(\d{2}[A-Z]?):")
BALANCE = re.compile(r"([CD])(\d{6})([A-Z]{3})(\d[\d,]*)")
LINE = re.compile(
    r"(?P<value>\d{6})(?P<entry>\d{4})?(?P<mark>RC|RD|C|D)(?P<funds>[A-Z])?"
    r"(?P<amount>\d[\d,]{0,14})(?P<type>[NSF][A-Z0-9]{3})(?P<ref>.*)"
)
SUBFIELD = re.compile(r"\?(\d\d)")
SWIFT_TAG = re.compile(r"/(EREF|REMI|NAME|IBAN|BIC|ORDP|BENM|TRTP|CSID|MARF|PURP|RTRN|ADDR)/")
SYMBOLS_ONLY = re.compile(
    rf"(?:[\s/]*{TAGGED.pattern}[\s/]*)+|(?:[\s/]*(?:VS|SS|KS)[\s/:]*)+", re.I
)
BANK_FIRST = re.compile(r"(\d{4})/(\d{1,16})")
IGNORED = frozenset({"21", "64", "65", "13D", "34F", "90D", "90C", "NS"})
PIECE = 27  # a purpose sub-field's length; a full one continues in the next
PURPOSE = (*range(20, 30), *range(60, 64))
STRUCTURED = re.compile(r"(\d{3})?\?\d\d")


@dataclass
class Block:
    """One statement's fields, in file order: (tag, value, line)."""

    fields: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Information:
    message: str | None = None
    name: str | None = None
    account: str | None = None
    end_to_end_id: str | None = None
    symbols: Symbols = NONE


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1250", errors="replace")


def symbols_only(piece: str) -> bool:
    """Whether a purpose piece holds symbols and nothing else (``VS 123``, ``/VS123/KS0308``)."""
    return piece.lstrip(" /")[:2].upper() in ("VS", "SS", "KS") and bool(
        SYMBOLS_ONLY.fullmatch(piece)
    )


def join_pieces(pieces: list[str]) -> str:
    """Purpose pieces as one text: a full piece (27 characters) runs on without a space."""
    text = ""
    previous = ""
    for piece in pieces:
        text += piece if not text or len(previous) == PIECE else " " + piece
        previous = piece
    return " ".join(text.split())


def subfields(flat: str) -> Information:
    """``?xx`` sub-fields (the German/Czech structured ``:86:``)."""
    parts = SUBFIELD.split(flat)
    found: dict[int, str] = {}
    for code, value in zip(parts[1::2], parts[2::2], strict=True):
        found.setdefault(int(code), value)
    purpose = [found[code] for code in PURPOSE if code in found]
    message = [piece for piece in purpose if not symbols_only(piece)]
    symbols = tagged_symbols(join_pieces(purpose))
    account = normalise_account(found.get(38)) or normalise_account(
        found.get(31), (found.get(30) or "").strip()
    )
    name = (found.get(32, "") + found.get(33, "")).strip() or None
    return Information(join_pieces(message) or None, name, account, None, symbols)


def swift_tags(flat: str) -> Information:
    """``/EREF/…/REMI/…`` (SEPA-style ``:86:``)."""
    marks = list(SWIFT_TAG.finditer(flat))
    values: dict[str, str] = {}
    for mark, after in zip(marks, [*marks[1:], None], strict=True):
        end = after.start() if after is not None else len(flat)
        values.setdefault(mark.group(1), flat[mark.end() : end].strip())
    message = values.get("REMI") or None
    end_to_end = values.get("EREF") or None
    if end_to_end is not None and end_to_end.upper() == "NOTPROVIDED":
        end_to_end = None
    return Information(
        message, values.get("NAME") or None, normalise_account(values.get("IBAN")),
        end_to_end, symbols_from(end_to_end, message),
    )  # fmt: skip


def information(value: str) -> Information:
    flat = value.replace("\r", "").replace("\n", "")
    if STRUCTURED.match(flat):
        return subfields(flat)
    if SWIFT_TAG.search(flat):
        return swift_tags(flat)
    text = " ".join(value.split()) or None
    return Information(text, symbols=tagged_symbols(text))


def mt940_account(value: str) -> str | None:
    """``:25:`` → IBAN or Czech form (``BIC/IBAN`` and ``bank/number`` included)."""
    compact = "".join(value.split())
    if "/" in compact and IBAN_SHAPE.fullmatch(compact.split("/", 1)[1]):
        compact = compact.split("/", 1)[1]  # BIC/IBAN
    bank_first = BANK_FIRST.fullmatch(compact)
    if bank_first is not None and not CZECH.fullmatch(compact):
        digits = bank_first.group(2).zfill(16)
        compact = f"{digits[:6]}-{digits[6:]}/{bank_first.group(1)}"
    return normalise_account(compact)


class Mt940Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.amounts = Amounts(file)
        self.dates: dict[str, date] = {}
        self.statements: list[Statement] = []

    def fail(self, line: int, field: str, expected: str) -> StatementError:
        return StatementError(self.file, f"line {line}", field, expected)

    def day(self, text: str, line: int, field: str) -> date:
        found = self.dates.get(text)
        if found is None:
            try:
                found = date(2000 + int(text[0:2]), int(text[2:4]), int(text[4:6]))
            except ValueError:
                raise self.fail(line, field, f"{text!r}; expected a date YYMMDD") from None
            self.dates[text] = found
        return found

    def read(self, data: bytes) -> list[Statement]:
        blocks: list[Block] = []
        continues = False  # whether a line without a tag continues the field before it
        for number, raw in enumerate(decode(data).splitlines(), 1):
            line = raw.rstrip()
            if line.startswith("{"):  # SWIFT blocks 1-3 and 5; block 4 is the text
                continues = False
                line = line.rpartition("{4:")[2] if "{4:" in line else ""
            if line.startswith("-"):  # end of a message
                continues = False
                continue
            if not line:
                continue
            start = FIELD.match(line)
            if start is not None:
                tag = start.group(1)
                if tag == "20":
                    blocks.append(Block())
                elif not blocks:
                    raise self.fail(number, f"tag {tag}", "expected a statement to start with :20:")
                blocks[-1].fields.append((tag, line[start.end() :], number))
                continues = True
            elif continues:
                fields = blocks[-1].fields
                tag, value, at = fields[-1]
                fields[-1] = (tag, f"{value}\n{line}", at)
            else:
                raise self.fail(number, "line", f"{line[:20]!r}; expected a field like :61:")
        if not blocks:
            raise self.fail(1, "tag 20", "no statement; expected an MT940 file")
        for block in blocks:
            self.statement(block)
        return self.statements

    def balance(
        self, value: str, line: int, tag: str, currency: str | None
    ) -> tuple[Decimal, date, str]:
        match = BALANCE.fullmatch(value.strip())
        if match is None:
            raise self.fail(
                line, f"tag {tag}", f"{value!r}; expected C or D, YYMMDD, currency, amount"
            )
        sign, day, code, amount = match.groups()
        record = f"line {line}"
        code = self.amounts.currency(code, record, f"tag {tag} currency")
        if currency is not None and code != currency:
            raise self.fail(line, f"tag {tag} currency", f"{code}; expected {currency} as in :60F:")
        value_ = self.amounts.parse(amount, code, record, f"tag {tag} amount")
        return (-value_ if sign == "D" else value_), self.day(day, line, f"tag {tag} date"), code

    def statement(self, block: Block) -> None:
        reference, first = block.fields[0][1].strip(), block.fields[0][2]
        account = number = None
        opening: tuple[Decimal, date, str] | None = None
        closing: tuple[Decimal, date, str] | None = None
        lines: list[tuple[str, int, str | None]] = []  # (:61: value, line, its :86:)
        for tag, value, line in block.fields[1:]:
            if tag == "25":
                account = mt940_account(value)
            elif tag in ("28C", "28"):
                number = value.strip() or None
            elif tag in ("60F", "60M"):
                opening = self.balance(value, line, tag, None)
            elif tag == "61":
                if opening is None:
                    raise self.fail(line, "tag 61", "an entry before the opening balance :60F:")
                lines.append((value, line, None))
            elif tag == "86":
                if lines and lines[-1][2] is None and closing is None:
                    lines[-1] = (lines[-1][0], lines[-1][1], value)
            elif tag in ("62F", "62M"):
                closing = self.balance(value, line, tag, opening[2] if opening else None)
            elif tag not in IGNORED:
                raise self.fail(
                    line, f"tag {tag}",
                    "unknown field; expected :25:, :28C:, :60F:, :61:, :86: or :62F:",
                )  # fmt: skip
        record = f"statement {reference} (line {first})"
        if account is None:
            raise StatementError(self.file, record, "tag 25", "missing; expected the account")
        if opening is None:
            raise StatementError(
                self.file, record, "tag 60F", "missing; expected the opening balance"
            )
        if closing is None:
            raise StatementError(
                self.file, record, "tag 62F", "missing; expected the closing balance"
            )
        iban, czech = account_pair(*((account, None) if account[:2].isalpha() else (None, account)))
        key = iban or czech or reference
        currency = opening[2]
        entries = [
            self.entry(value, line, info, currency, f"{key}/", f"{reference}/{number}/{position}")
            for position, (value, line, info) in enumerate(lines, 1)
        ]
        statement = Statement(
            reference or f"line {first}", number, iban, czech, currency, opening[0], closing[0],
            opening[1], closing[1], tuple(entries), StatementFormat.MT940,
        )  # fmt: skip
        check_balance(statement, self.file, record)
        self.statements.append(statement)

    def entry(
        self, value: str, line: int, info: str | None, currency: str, key: str, fallback: str
    ) -> StatementEntry:
        head = value.split("\n", 1)[0]
        match = LINE.match(head)
        if match is None:
            raise self.fail(
                line, "tag 61",
                f"{head!r}; expected YYMMDD[MMDD], C/D/RC/RD, amount, type (NTRF), reference",
            )  # fmt: skip
        valued = self.day(match["value"], line, "tag 61 value date")
        booked = valued
        if match["entry"]:
            month, day_ = int(match["entry"][:2]), int(match["entry"][2:])
            year = valued.year + (
                1 if month - valued.month < -6 else -1 if month - valued.month > 6 else 0
            )
            try:
                booked = date(year, month, day_)
            except ValueError:
                raise self.fail(
                    line, "tag 61 booking date", f"{match['entry']!r}; expected MMDD"
                ) from None
        amount = self.amounts.parse(match["amount"], currency, f"line {line}", "tag 61 amount")
        mark = match["mark"]
        if mark in ("D", "RC"):
            amount = -amount
        own, _, bank_ref = match["ref"].partition("//")
        own = own.strip()
        details = information(info) if info is not None else Information()
        end_to_end = details.end_to_end_id or (own if own and own.upper() != "NONREF" else None)
        symbols = tagged_symbols(end_to_end).or_else(details.symbols)
        return StatementEntry(
            key + (bank_ref.strip() or fallback), booked, valued, amount, currency,
            symbols.variable, symbols.specific, symbols.constant,
            details.account, details.name, details.message, end_to_end,
            match["type"], mark.startswith("R"),
        )  # fmt: skip


def parse_mt940(data: bytes, file: str) -> list[Statement]:
    """Every statement in an MT940 file; raises :class:`StatementError` for the whole file."""
    return Mt940Reader(file).read(data)


def mt940_amount(amount: Decimal) -> str:
    whole, _, fraction = f"{abs(amount):f}".partition(".")
    return f"{whole},{fraction}"


def pieces(text: str) -> list[str]:
    return [text[i : i + PIECE] for i in range(0, len(text), PIECE)]


def write_mt940(statement: Statement) -> bytes:
    """``statement`` as MT940 text (UTF-8, CRLF), readable by :func:`parse_mt940`.

    Written the Czech way: ``:86:`` sub-fields with the message in ``?20``… pieces, the
    symbols in pieces of their own (``VS 123``), the counterparty in ``?30``/``?31`` (Czech
    account) or ``?38`` (IBAN) and ``?32``/``?33``. Limits of the format raise
    ``ValueError``: the bank reference and the end-to-end id have 16 characters, the
    message 189, the name 54; the type is a SWIFT code like ``NTRF``; a return reason is
    not carried.
    """
    if statement.opening_balance is None or statement.closing_balance is None:
        raise ValueError("MT940 needs an opening and a closing balance")
    if statement.from_date is None or statement.to_date is None:
        raise ValueError("MT940 needs the dates of both balances")
    currency = statement.currency
    key = f"{statement.account_key}/"

    def balance(tag: str, amount: Decimal, day: date) -> str:
        sign = "D" if amount < 0 else "C"
        return f":{tag}:{sign}{day:%y%m%d}{currency}{mt940_amount(amount)}"

    lines = [
        f":20:{statement.statement_id}",
        f":25:{statement.iban or statement.account}",
        f":28C:{statement.number or '1'}",
        balance("60F", statement.opening_balance, statement.from_date),
    ]
    for position, entry in enumerate(statement.entries, 1):
        own = entry.reference.removeprefix(key)
        if own == f"{statement.statement_id}/{statement.number}/{position}":
            own = ""  # the reader's stand-in for an entry without a bank reference
        end_to_end = entry.end_to_end_id or "NONREF"
        code = entry.bank_code or ""
        if len(own) > 16 or len(end_to_end) > 16 or not re.fullmatch(r"[NSF][A-Z0-9]{3}", code):
            raise ValueError(f"entry {entry.reference}: MT940 cannot carry it as it is")
        if entry.reversal:
            mark = "RC" if entry.amount < 0 else "RD"
        else:
            mark = "D" if entry.amount < 0 else "C"
        value = entry.value_date or entry.booking_date
        lines.append(
            f":61:{value:%y%m%d}{entry.booking_date:%m%d}{mark}{mt940_amount(entry.amount)}"
            f"{code}{end_to_end}" + (f"//{own}" if own else "")
        )
        message = entry.message or ""
        name = entry.counterparty_name or ""
        if len(message) > PIECE * 7 or len(name) > 2 * PIECE or "?" in message + name:
            raise ValueError(f"entry {entry.reference}: message or name MT940 cannot carry")
        purpose = pieces(message) + [
            f"{tag} {value}"
            for tag, value in (
                ("VS", entry.variable_symbol),
                ("SS", entry.specific_symbol),
                ("KS", entry.constant_symbol),
            )
            if value is not None
        ]
        info = "".join(f"?{20 + i}{piece}" for i, piece in enumerate(purpose))
        account = entry.counterparty_account
        if account is not None and account[:2].isalpha():
            info += f"?38{account}"
        elif account is not None:
            number, _, bank = account.partition("/")
            info += (f"?30{bank}" if bank else "") + f"?31{number}"
        info += "".join(f"?{32 + i}{piece}" for i, piece in enumerate(pieces(name)))
        if info:
            lines.append(f":86:{info}")
    lines += [balance("62F", statement.closing_balance, statement.to_date), "-", ""]
    return "\r\n".join(lines).encode()
