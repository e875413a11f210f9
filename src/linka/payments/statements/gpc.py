"""The Czech ABO/GPC statement ("formát KM", ``.gpc``): fixed-width windows-1250 lines.

Every line is a record named by its first three characters; ``074`` and ``075`` are
128 characters long (a line of another length is refused: the columns would shift):

* ``074`` header, one per statement: account (prefix 6 + number 10), client short
  name (20), old-balance date DDMMYY, old balance (14, haléře) and sign, new balance and
  sign, debit and credit turnover with signs (``0``/``+``, or ``-`` when reversals
  prevail), statement number (3), statement date DDMMYY, 14 spaces;
* ``075`` transaction: account, counter-account (16), document number (13), amount in
  haléře (12), accounting code (``1`` debit, ``2`` credit, ``4`` reversal of a debit,
  ``5`` reversal of a credit), VS (10), constant-symbol field (10: ``00``, the
  counter-account's bank code, KS 4), SS (10), value date, counterparty name or
  transaction text (20), change code (1), data type (4: ``0`` and the ISO 4217 numeric
  currency code, e.g. ``0203`` CZK, as Fio writes it; other values mean CZK), booking
  date DDMMYY;
* ``076`` (transaction id 26, date 6, text), ``078`` and ``079`` (message for the
  recipient, two 35-character fields each) extend the transaction before them; the
  076 transaction id, where given, is the entry's bank id instead of the document
  number. When VS, SS and KS are all empty, symbols written in the message count
  (``VS 123``), as a payer who missed the fields often types them there.

The header names no bank, so the statement's account is ``prefix-number`` without
``/bank`` and no IBAN can be derived. Account numbers are read in the standard order;
the "internal" digit order some banks can be set to export is not recognised.
Two-digit years are 20YY.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pycountry

from linka.payments.statements.accounts import account_digits, bank_of, czech_account
from linka.payments.statements.checks import Amounts, check_balance
from linka.payments.statements.errors import StatementError
from linka.payments.statements.model import Statement, StatementEntry, StatementFormat
from linka.payments.statements.symbols import NONE, Symbols, symbol, tagged_symbols

WIDTH = 128
ENCODING = "cp1250"
DEFAULT_CURRENCY = "CZK"
SIGNS = {"+": 1, "0": 1, "-": -1}
CODES = {"1": (-1, False), "2": (1, False), "4": (1, True), "5": (-1, True)}
HUNDREDTH = Decimal("0.01")


def currency_from_code(code: str) -> str | None:
    """ISO 4217 numeric (``203``) → alphabetic (``CZK``); ``None`` when unassigned."""
    found = pycountry.currencies.get(numeric=code)
    return None if found is None else str(found.alpha_3)


def currency_code(currency: str) -> str:
    found = pycountry.currencies.get(alpha_3=currency)
    if found is None:
        raise ValueError(f"{currency} has no ISO 4217 numeric code")
    return str(found.numeric)


class GpcReader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.amounts = Amounts(file)
        self.amounts.currency(DEFAULT_CURRENCY, "line 1", "currency")
        self.dates: dict[str, date | None] = {}
        self.currencies: dict[str, str] = {}
        self.statements: list[Statement] = []

    def fail(self, line: int, field: str, expected: str) -> StatementError:
        return StatementError(self.file, f"line {line}", field, expected)

    def day(self, text: str, line: int, field: str) -> date | None:
        """DDMMYY → date; ``000000`` (or blank) → ``None``."""
        found = self.dates.get(text, False)
        if found is not False:
            return found  # type: ignore[return-value]
        if text.strip("0 ") == "":
            value = None
        else:
            try:
                value = date(2000 + int(text[4:6]), int(text[2:4]), int(text[0:2]))
            except ValueError:
                raise self.fail(line, field, f"{text!r}; expected a date DDMMYY") from None
        self.dates[text] = value
        return value

    def digits(self, text: str, line: int, field: str) -> int:
        if not text.isdigit():
            raise self.fail(line, field, f"{text!r}; expected {len(text)} digits")
        return int(text)

    def money(self, text: str, sign: str, line: int, field: str) -> Decimal:
        """A 14-digit amount in haléře and its sign character."""
        if sign not in SIGNS:
            raise self.fail(line, f"{field} sign", f"{sign!r}; expected + or -")
        return Decimal(SIGNS[sign] * self.digits(text, line, field)) * HUNDREDTH

    def currency(self, kind: str, line: int) -> str:
        """The data-type field: ``0`` + ISO numeric currency code, anything else CZK."""
        found = self.currencies.get(kind)
        if found is not None:
            return found
        if kind[:1] == "0" and kind[1:].isdigit():
            found = currency_from_code(kind[1:])
            if found is None:
                raise self.fail(
                    line, "currency",
                    f"unknown currency code {kind!r}; expected 0 and an ISO 4217 numeric code "
                    "such as 0203 (CZK) or 0978 (EUR)",
                )  # fmt: skip
            self.amounts.currency(found, f"line {line}", "currency")
        else:
            found = DEFAULT_CURRENCY
        self.currencies[kind] = found
        return found

    def read(self, data: bytes) -> list[Statement]:
        text = data.decode(ENCODING, errors="replace")
        header: tuple[int, str] | None = None
        rows: list[tuple[int, str, list[str]]] = []  # (line, 075 record, its 076/078/079 lines)
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            kind = line[:3]
            if kind in ("074", "075") and len(line) != WIDTH:
                raise self.fail(
                    number, f"record {kind}",
                    f"{len(line)} characters; expected {WIDTH} (a shorter or longer line "
                    "shifts every column after it)",
                )  # fmt: skip
            if kind == "074":
                if header is not None:
                    self.close(header, rows)
                header, rows = (number, line), []
            elif kind == "075":
                if header is None:
                    raise self.fail(number, "record 075", "a transaction before any 074 header")
                rows.append((number, line, []))
            elif kind in ("076", "078", "079"):
                if not rows:
                    raise self.fail(number, f"record {kind}", "expected it after a 075 transaction")
                if len(line) > WIDTH:
                    raise self.fail(
                        number,
                        f"record {kind}",
                        f"{len(line)} characters; expected at most {WIDTH}",
                    )
                rows[-1][2].append(line)
            else:
                raise self.fail(
                    number, "record type", f"{kind!r}; expected 074, 075, 076, 078 or 079"
                )
        if header is None:
            raise self.fail(1, "record 074", "no statement header; expected a GPC file")
        self.close(header, rows)
        return self.statements

    def close(self, header: tuple[int, str], rows: list[tuple[int, str, list[str]]]) -> None:
        line, record = header
        account = czech_account(record[3:9], record[9:19])
        if account is None or not record[3:19].isdigit():
            raise self.fail(line, "account", f"{record[3:19]!r}; expected 16 digits")
        opened = self.day(record[39:45], line, "old balance date")
        opening = self.money(record[45:59], record[59], line, "old balance")
        closing = self.money(record[60:74], record[74], line, "new balance")
        number = str(self.digits(record[105:108], line, "statement number")).lstrip("0") or None
        statement_date = self.day(record[108:114], line, "statement date")
        if statement_date is None:
            raise self.fail(line, "statement date", "missing; expected a date DDMMYY")
        statement_id = f"{account}/{statement_date.isoformat()}" + (f"/{number}" if number else "")
        entries = [self.entry(row, account, statement_id, i) for i, row in enumerate(rows, 1)]
        currency = entries[0].currency if entries else DEFAULT_CURRENCY
        for (number_at, _, _), entry in zip(rows, entries, strict=True):
            if entry.currency != currency:
                raise self.fail(
                    number_at, "currency",
                    f"{entry.currency}; expected the statement's currency {currency}",
                )  # fmt: skip
        where = f"line {line}"
        statement = Statement(
            statement_id, number, None, account, currency,
            self.amounts.amount(opening, currency, where, "old balance"),
            self.amounts.amount(closing, currency, where, "new balance"),
            opened, statement_date, tuple(entries), StatementFormat.GPC,
        )  # fmt: skip
        check_balance(statement, self.file, where)
        self.statements.append(statement)

    def entry(
        self, row: tuple[int, str, list[str]], account: str, statement_id: str, position: int
    ) -> StatementEntry:
        line, record, extra = row
        code = CODES.get(record[60])
        if code is None:
            raise self.fail(line, "accounting code", f"{record[60]!r}; expected 1, 2, 4 or 5")
        sign, reversal = code
        currency = self.currency(record[118:122], line)
        cents = self.digits(record[48:60], line, "amount")
        amount = self.amounts.amount(
            Decimal(sign * cents) * HUNDREDTH, currency, f"line {line}", "amount"
        )
        booked = self.day(record[122:128], line, "booking date")
        valued = self.day(record[91:97], line, "value date")
        if booked is None:
            booked = valued
        if booked is None:
            raise self.fail(line, "booking date", "missing; expected a date DDMMYY")
        counter = record[19:35]
        if not counter.isdigit():
            raise self.fail(line, "counter-account", f"{counter!r}; expected 16 digits")
        document = record[35:48].strip()
        message = ""
        for more in extra:
            if more.startswith("076") and len(more) >= 35:
                document = more[3:29].strip() or document
            elif more[:3] in ("078", "079"):
                message += more[3:73].ljust(70)
        own = document if document.strip("0") else f"{statement_id}/{position}"
        text = " ".join(message.split()) or None
        symbols = Symbols(symbol(record[61:71]), symbol(record[81:91]), symbol(record[77:81]))
        if symbols == NONE:  # the payer left the fields empty: perhaps the message names them
            symbols = tagged_symbols(text)
        return StatementEntry(
            f"{account}/{own}",
            booked,
            valued,
            amount,
            currency,
            *symbols,
            czech_account(counter[:6], counter[6:], record[73:77]),
            record[97:117].strip() or None,
            text,
            reversal=reversal,
        )


def parse_gpc(data: bytes, file: str) -> list[Statement]:
    """Every statement in a GPC file; raises :class:`StatementError` for the whole file."""
    return GpcReader(file).read(data)


def gpc_date(day: date | None) -> str:
    return "000000" if day is None else day.strftime("%d%m%y")


def gpc_money(amount: Decimal, width: int) -> str:
    cents = int((abs(amount) * 100).to_integral_exact())
    text = str(cents).zfill(width)
    if len(text) > width:
        raise ValueError(f"{amount} does not fit {width} digits of haléře")
    return text


def gpc_text(value: str | None, width: int) -> str:
    text = (value or "")[:width].ljust(width)
    text.encode(ENCODING)  # refuses what windows-1250 cannot write
    return text


def write_gpc(statement: Statement) -> bytes:
    """``statement`` as GPC (windows-1250, CRLF), readable by :func:`parse_gpc`.

    Needs the Czech account and both balances; the message goes to 078/079 lines (up
    to 140 characters), the counterparty's name to the 20-character text field.
    """
    if statement.opening_balance is None or statement.closing_balance is None:
        raise ValueError("GPC needs an opening and a closing balance")
    prefix, number = account_digits(statement.account)
    own = prefix + number
    kind = "0" + currency_code(statement.currency).zfill(3)
    debit = credit = Decimal(0)
    lines: list[str] = []
    for entry in statement.entries:
        if entry.reversal:
            code = "4" if entry.amount > 0 else "5"
        else:
            code = "2" if entry.amount > 0 else "1"
        if code in ("1", "4"):
            debit += -entry.amount
        else:
            credit += entry.amount
        counter_prefix, counter_number = account_digits(entry.counterparty_account)
        document = entry.reference.removeprefix(f"{statement.account}/")
        document = "" if "/" in document else document  # a stand-in, not the bank's id
        transaction_id = ""
        if len(document) > 13:  # longer ids travel in a 076 record, as ČSOB's do
            if len(document) > 26:
                raise ValueError(f"GPC carries an entry id of 26 characters, not {document!r}")
            document, transaction_id = "", document
        constant = (entry.constant_symbol or "").zfill(4)
        if len(constant) > 4:
            raise ValueError(f"GPC carries a constant symbol of 4 digits, not {constant}")
        lines.append(
            f"075{own}{counter_prefix}{counter_number}{gpc_text(document, 13)}"
            f"{gpc_money(entry.amount, 12)}{code}{(entry.variable_symbol or '').zfill(10)}"
            f"00{bank_of(entry.counterparty_account)}{constant}"
            f"{(entry.specific_symbol or '').zfill(10)}{gpc_date(entry.value_date)}"
            f"{gpc_text(entry.counterparty_name, 20)}0{kind}{gpc_date(entry.booking_date)}"
        )
        if transaction_id:
            lines.append(f"076{transaction_id:<26}{gpc_date(entry.booking_date)}".ljust(WIDTH))
        message = entry.message or ""
        for record, start in (("078", 0), ("079", 70)):
            if len(message) > start:
                lines.append(f"{record}{gpc_text(message[start : start + 70], 70)}".ljust(WIDTH))
    sign = {True: "-", False: "+"}
    header = (
        f"074{own}{gpc_text('', 20)}{gpc_date(statement.from_date)}"
        f"{gpc_money(statement.opening_balance, 14)}{sign[statement.opening_balance < 0]}"
        f"{gpc_money(statement.closing_balance, 14)}{sign[statement.closing_balance < 0]}"
        f"{gpc_money(debit, 14)}{'-' if debit < 0 else '0'}"
        f"{gpc_money(credit, 14)}{'-' if credit < 0 else '0'}"
        f"{(statement.number or '0').zfill(3)}{gpc_date(statement.to_date)}{' ' * 14}"
    )
    return "\r\n".join([header, *lines, ""]).encode(ENCODING)
