"""ISO 20022 camt.053 statements and camt.054 notifications, versions .001.02 to .001.08.

Elements are matched by local name, so every version (and a bank's own namespace, or
none) reads alike; the differences between versions that matter are handled: ``Sts``
as text (.02–.05) or ``Sts/Cd`` (.06+), a party's name in ``Dbtr/Nm`` or ``Dbtr/Pty/Nm``
(.08), a transaction's own amount in ``TxDtls/Amt`` or ``TxDtls/AmtDtls/TxAmt/Amt``.
The file is read once with ``iterparse``; each ``Ntry`` is flattened into a dict of
paths (``RltdPties/Dbtr/Nm`` → text) and dropped when it ends, so memory stays flat
and every element is visited once. The root's default namespace declaration is
dropped before parsing: tags are then plain local names, which makes reading a large
file a quarter faster (namespaces carry nothing the import needs).

Where things come from:

* amount ``Ntry/Amt`` signed by ``CdtDbtInd``; ``RvslInd`` marks a reversal; entries
  whose status is not ``BOOK`` (pending, information only) are not bookings and are left
  out; the bank's entry id is ``Ntry/AcctSvcrRef`` (else ``Refs/AcctSvcrRef``, ``TxId``);
* the counterparty is the debtor of money received and the creditor of money paid
  (the other way round for a reversal); a Czech account in ``Othr/Id`` takes its bank
  code from the agent (``DbtrAgt/FinInstnId/Othr/Id`` or ``ClrSysMmbId/MmbId``);
* symbols from ``Refs/EndToEndId`` (``/VS123/SS456/KS0308``) and
  ``RmtInf/Strd/CdtrRefInf/Ref`` (tagged, or plain digits as the variable symbol), each
  symbol from the first that has it; only when neither has any, from the ``RmtInf/Ustrd``
  text (``VS:123``);
* the message is ``RmtInf/Ustrd`` (lines joined); an entry without transaction details
  (a fee) has the bank's ``AddtlNtryInf`` instead;
* one entry with several ``TxDtls`` that each carry an amount (a batch) becomes one
  entry per transaction, whose amounts must add up to the entry's; a batch without
  per-transaction amounts stays one entry without transaction details.

Balances: opening ``OPBD`` (else ``PRCD``, else the first ``ITBD``), closing ``CLBD``
(else the last other ``ITBD``). A camt.054 notification has none.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from io import BytesIO
from typing import Any, BinaryIO, NamedTuple

from lxml import etree

from linka.payments.statements.accounts import normalise_account
from linka.payments.statements.checks import Amounts, check_balance
from linka.payments.statements.errors import StatementError
from linka.payments.statements.model import (
    Statement,
    StatementEntry,
    StatementFormat,
    account_pair,
)
from linka.payments.statements.symbols import NONE, Symbols, symbol, tagged_symbols

Element = Any  # lxml elements: the lxml package ships no type information
Fields = dict[str, str]  # path below an element (RltdPties/Dbtr/Nm) → its text

CONTAINERS = {
    StatementFormat.CAMT053: ("BkToCstmrStmt", "Stmt", "camt.053 statement"),
    StatementFormat.CAMT054: ("BkToCstmrDbtCdtNtfctn", "Ntfctn", "camt.054 notification"),
}
ROOT_START = re.compile(rb"<(?![?!])[^>]*>")
HEAD = 65536  # the root element starts within the first 64 KiB
DEFAULT_NAMESPACE = re.compile(rb"""\sxmlns\s*=\s*(?:"[^"]*"|'[^']*')""")
SIDES = {
    side: (
        f"RltdPties/{side}/Nm",
        f"RltdPties/{side}/Pty/Nm",
        f"RltdPties/{side}Acct/Id/IBAN",
        f"RltdPties/{side}Acct/Id/Othr/Id",
        f"RltdAgts/{side}Agt/FinInstnId/Othr/Id",
        f"RltdAgts/{side}Agt/FinInstnId/ClrSysMmbId/MmbId",
    )
    for side in ("Dbtr", "Cdtr")
}
_LOCAL: dict[str, str] = {}


def local(tag: str) -> str:
    """``{namespace}Name`` → ``Name``, remembered because the same few tags repeat."""
    name = _LOCAL.get(tag)
    if name is None:
        name = _LOCAL[tag] = tag.rpartition("}")[2]
    return name


def flatten(element: Element) -> tuple[Fields, list[Fields]]:
    """Texts below ``element`` by path (``BookgDt/Dt``), stripped; the first of each counts.

    Each ``TxDtls`` gets a dict of its own, paths from there on (its line under
    ``@line``); ``Ustrd`` lines join with a space; an amount's currency is kept under
    ``…Amt@Ccy``; empty elements are left out. This is the hot loop of reading camt: one
    pass over the descendants in document order, each element's path from its
    parent's, no recursion.
    """
    out: Fields = {}
    transactions: list[Fields] = []
    paths: dict[Element, tuple[str, Fields]] = {element: ("", out)}
    for child in element.iterdescendants():
        prefix, target = paths[child.getparent()]
        tag = child.tag
        if tag[0] == "{":
            tag = _LOCAL.get(tag) or local(tag)
        value = child.text
        if value is not None:
            value = value.strip()
        if not value:
            if tag == "TxDtls":
                own: Fields = {"@line": str(child.sourceline)}
                transactions.append(own)
                paths[child] = ("", own)
            else:
                paths[child] = (prefix + tag + "/", target)
            continue
        key = prefix + tag
        if key not in target:
            target[key] = value
            if tag == "Amt":
                target[key + "@Ccy"] = child.get("Ccy") or ""
        elif tag == "Ustrd":
            target[key] += " " + value
    return out, transactions


class WithoutDefaultNamespace:
    """A file-like view of a document whose root ``xmlns="…"`` is left out.

    Tags then parse as plain local names. Prefixed namespaces stay (their prefixes must
    stay bound); their tags are read by local name like the rest. Reads the source in
    chunks: a large file is neither loaded whole nor copied.
    """

    def __init__(self, source: BinaryIO) -> None:
        self.source = source
        head = source.read(HEAD)
        root = ROOT_START.search(head)
        if root is not None:
            start, end = root.span()
            head = head[:start] + DEFAULT_NAMESPACE.sub(b"", head[start:end], count=1) + head[end:]
        self.head: bytes | None = head

    def read(self, size: int = -1) -> bytes:
        if self.head is not None:
            head, self.head = self.head, None
            return head
        return self.source.read(size)


def counterparty(tx: Fields, side: str) -> tuple[str | None, str | None]:
    """(account, name) of the ``Dbtr`` or ``Cdtr`` of a transaction."""
    name_path, party_name_path, iban_path, other_path, agent_path, member_path = SIDES[side]
    name = tx.get(name_path) or tx.get(party_name_path)
    iban = tx.get(iban_path)
    if iban is not None:
        return normalise_account(iban), name
    other = tx.get(other_path)
    if other is None:
        return None, name
    return normalise_account(other, tx.get(agent_path) or tx.get(member_path)), name


def transaction_symbols(tx: Fields, end_to_end: str | None, message: str | None) -> Symbols:
    """From ``EndToEndId`` and ``CdtrRefInf/Ref`` (plain digits: the VS), else the message.

    The structured places complete each other symbol by symbol; the payer's free text
    is read only when they hold none (so a stray ``SS`` in a message cannot join a VS
    the bank put in its field).
    """
    reference = tx.get("RmtInf/Strd/CdtrRefInf/Ref")
    if reference is not None and reference.isdigit() and len(reference) <= 10:
        from_reference = Symbols(symbol(reference), None, None)
    else:
        from_reference = tagged_symbols(reference)
    found = tagged_symbols(end_to_end).or_else(from_reference)
    return found if found != NONE else tagged_symbols(message)


def bank_code(fields: Fields) -> str | None:
    """``Domn/Cd``/``Fmly/Cd``/``SubFmlyCd`` as ``PMNT/RCDT/DMCT``, else ``Prtry/Cd``."""
    domain = fields.get("BkTxCd/Domn/Cd")
    family = fields.get("BkTxCd/Domn/Fmly/Cd")
    sub = fields.get("BkTxCd/Domn/Fmly/SubFmlyCd")
    if domain and family and sub:
        return f"{domain}/{family}/{sub}"
    return fields.get("BkTxCd/Prtry/Cd")


class Header(NamedTuple):
    key: str  # what entry references start with: the IBAN, else the account, else the id
    statement_id: str
    number: str | None
    iban: str | None
    account: str | None
    currency: str
    record: str
    element: Element
    fields: Fields
    balances: list[tuple[int, Fields]]  # (line, the Bal's fields)


class CamtReader:
    """Reads one camt file; every problem becomes a :class:`StatementError` naming its place."""

    def __init__(self, file: str, fmt: StatementFormat) -> None:
        self.file = file
        self.format = fmt
        self.message, self.container, self.kind = CONTAINERS[fmt]
        self.amounts = Amounts(file)
        self.dates: dict[str, date] = {}
        self.statements: list[Statement] = []
        self.header: Header | None = None
        self.entries: list[StatementEntry] = []

    def fail(self, record: str, field: str, expected: str) -> StatementError:
        return StatementError(self.file, record, field, expected)

    def read(self, data: bytes | BinaryIO) -> list[Statement]:
        events = etree.iterparse(
            WithoutDefaultNamespace(BytesIO(data) if isinstance(data, bytes) else data),
            events=("end",),
            tag=("{*}Ntry", "{*}Stmt", "{*}Ntfctn"),  # {*}: any namespace or none
            resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=True,
            remove_comments=True, remove_pis=True,
        )  # fmt: skip
        try:
            for _, element in events:
                name = local(element.tag)
                if name == "Ntry":
                    self.entry(element)
                elif name == self.container:
                    self.close(element)
        except etree.XMLSyntaxError as exc:
            line = exc.lineno if exc.lineno else 1
            raise self.fail(f"line {line}", "XML", f"not well-formed: {exc.msg}") from None
        if not self.statements:
            root = events.root
            found = local(root[0].tag) if root is not None and len(root) else "nothing"
            raise self.fail(
                "line 1", self.message,
                f"no {self.container}; expected a {self.kind} ({self.message}), found {found}",
            )  # fmt: skip
        return self.statements

    def open(self, element: Element) -> Header:
        """The statement's own fields, read when its first entry (or its end) arrives."""
        parent = element.getparent()
        name = local(element.tag)
        line = element.sourceline
        if name != self.container or parent is None or local(parent.tag) != self.message:
            where = f"{local(parent.tag)}/{name}" if parent is not None else name
            raise self.fail(
                f"line {line}", name,
                f"expected a {self.kind} ({self.message}/{self.container}), found {where}",
            )  # fmt: skip
        fields: Fields = {}
        balances: list[tuple[int, Fields]] = []
        for child in element:
            tag = child.tag
            if tag.__class__ is not str:
                continue
            kind = local(tag)
            if kind == "Bal":
                balances.append((child.sourceline, flatten(child)[0]))
            elif kind != "Ntry" and len(child):
                fields.update((f"{kind}/{path}", text) for path, text in flatten(child)[0].items())
            elif kind != "Ntry" and child.text is not None and child.text.strip():
                fields.setdefault(kind, child.text.strip())
        statement_id = fields.get("Id")
        if statement_id is None:
            raise self.fail(
                f"line {line}", f"{self.container}/Id", "missing; expected the statement id"
            )
        record = f"statement {statement_id} (line {line})"
        iban = normalise_account(fields.get("Acct/Id/IBAN"))
        other = normalise_account(fields.get("Acct/Id/Othr/Id"))
        if iban is None and other is None:
            raise self.fail(record, "Acct/Id", "missing; expected the account's IBAN or Othr/Id")
        currency = fields.get("Acct/Ccy")
        if currency is None and balances:
            currency = balances[0][1].get("Amt@Ccy")
        if currency is None:
            first = next(iter(element.iterchildren("{*}Ntry", "Ntry")), None)
            amount = (
                None if first is None else next(iter(first.iterchildren("{*}Amt", "Amt")), None)
            )
            currency = None if amount is None else amount.get("Ccy")
        currency = self.amounts.currency(currency, record, "Acct/Ccy")
        iban, czech = account_pair(iban, other)
        number = fields.get("ElctrncSeqNb") or fields.get("LglSeqNb")
        key = iban or czech or statement_id
        return Header(
            key, statement_id, number, iban, czech, currency, record, element, fields, balances
        )

    def day(self, value: str | None, record: str, field: str) -> date | None:
        """A ``Dt`` or ``DtTm`` as a date (the bank's own calendar day)."""
        if value is None:
            return None
        found = self.dates.get(value)
        if found is None:
            try:
                found = date.fromisoformat(value.strip()[:10])
            except ValueError:
                raise self.fail(
                    record, field, f"{value!r}; expected a date like 2026-04-30"
                ) from None
            self.dates[value] = found
        return found

    def entry(self, ntry: Element) -> None:
        if self.header is None or self.header.element is not ntry.getparent():
            self.header = self.open(ntry.getparent())
            self.entries = []
        header = self.header
        position = len(self.entries) + 1
        record = f"entry {position} (line {ntry.sourceline})"
        fields, transactions = flatten(ntry)
        ntry.clear()
        ntry.getparent().remove(ntry)  # read: memory stays flat
        status = fields.get("Sts") or fields.get("Sts/Cd")
        if status is not None and status != "BOOK":
            return
        currency = fields.get("Amt@Ccy")
        if currency != header.currency:
            currency = self.amounts.currency(currency, record, "Amt/@Ccy")
            raise self.fail(
                record, "Amt/@Ccy", f"{currency}; expected the account currency {header.currency}"
            )
        amount = self.amounts.parse(fields.get("Amt"), currency, record, "Amt")
        direction = fields.get("CdtDbtInd")
        if direction == "DBIT":
            amount = -amount
        elif direction != "CRDT":
            raise self.fail(record, "CdtDbtInd", f"{direction!r}; expected CRDT or DBIT")
        booked = self.day(fields.get("BookgDt/Dt") or fields.get("BookgDt/DtTm"), record, "BookgDt")
        if booked is None:
            raise self.fail(record, "BookgDt", "missing; expected the booking date")
        valued = self.day(fields.get("ValDt/Dt") or fields.get("ValDt/DtTm"), record, "ValDt")
        reversal = fields.get("RvslInd") in ("true", "1")
        code = bank_code(fields)
        bank_ref = fields.get("AcctSvcrRef")
        if len(transactions) > 1 and all(
            "Amt" in tx or "AmtDtls/TxAmt/Amt" in tx for tx in transactions
        ):
            parts = self.split(transactions, amount, currency, direction, record)
            for index, (tx, part) in enumerate(parts, 1):
                own = tx.get("Refs/AcctSvcrRef") or tx.get("Refs/TxId")
                if own is None or own == bank_ref:
                    own = f"{bank_ref or f'{header.statement_id}/{position}'}/{index}"
                reference = f"{header.key}/{own}"
                self.entries.append(
                    self.make(reference, booked, valued, part, currency, tx, code, reversal)
                )
            return
        single = transactions[0] if len(transactions) == 1 else None
        own = bank_ref
        if own is None and single is not None:
            own = single.get("Refs/AcctSvcrRef") or single.get("Refs/TxId")
        reference = f"{header.key}/{own or f'{header.statement_id}/{position}'}"
        note = fields.get("AddtlNtryInf")
        self.entries.append(
            self.make(reference, booked, valued, amount, currency, single, code, reversal, note)
        )

    def split(
        self, transactions: list[Fields], amount: Decimal, currency: str, direction: str,
        record: str,
    ) -> list[tuple[Fields, Decimal]]:  # fmt: skip
        """A batch entry → its transactions with their own amounts, which must add up."""
        parts: list[tuple[Fields, Decimal]] = []
        for tx in transactions:
            where = f"{record} transaction (line {tx['@line']})"
            path = "Amt" if "Amt" in tx else "AmtDtls/TxAmt/Amt"
            if tx.get(path + "@Ccy", currency) != currency:
                raise self.fail(
                    where, f"{path}/@Ccy",
                    f"{tx[path + '@Ccy']}; expected the entry currency {currency}",
                )  # fmt: skip
            value = self.amounts.parse(tx[path], currency, where, path)
            if (tx.get("CdtDbtInd") or direction) == "DBIT":
                value = -value
            parts.append((tx, value))
        total = sum((value for _, value in parts), Decimal(0))
        if total != amount:
            raise self.fail(
                record, "NtryDtls/TxDtls/Amt",
                f"the transactions add up to {total}; expected the entry amount {amount}",
            )  # fmt: skip
        return parts

    def make(
        self, reference: str, booked: date, valued: date | None, amount: Decimal, currency: str,
        tx: Fields | None, code: str | None, reversal: bool, note: str | None = None,
    ) -> StatementEntry:  # fmt: skip
        if tx is None:  # no transaction details: the bank's note on the entry is all there is
            return StatementEntry(
                reference, booked, valued, amount, currency, message=note, bank_code=code,
                reversal=reversal,
            )  # fmt: skip
        end_to_end = tx.get("Refs/EndToEndId")
        if end_to_end is not None and end_to_end.upper() == "NOTPROVIDED":
            end_to_end = None
        message = tx.get("RmtInf/Ustrd")
        if message is not None:
            message = " ".join(message.split()) or None
        symbols = transaction_symbols(tx, end_to_end, message)
        # the payer of money received; the payee of money paid; the other way for a reversal
        account, name = counterparty(tx, "Dbtr" if (amount > 0) != reversal else "Cdtr")
        reason = tx.get("RtrInf/Rsn/Cd") or tx.get("RtrInf/Rsn/Prtry")
        return StatementEntry(
            reference, booked, valued, amount, currency,
            symbols.variable, symbols.specific, symbols.constant,
            account, name, message, end_to_end, code, reversal, reason,
        )  # fmt: skip

    def close(self, element: Element) -> None:
        if self.header is None or self.header.element is not element:
            self.header = self.open(element)
            self.entries = []
        header = self.header
        record = header.record
        opening = closing = None
        opened = closed = None
        if self.format is StatementFormat.CAMT053:
            opening, opened, closing, closed = self.ends(self.balances(header), record)
        fields = header.fields
        start = self.day(fields.get("FrToDt/FrDtTm"), record, "FrToDt/FrDtTm")
        end = self.day(fields.get("FrToDt/ToDtTm"), record, "FrToDt/ToDtTm")
        statement = Statement(
            header.statement_id, header.number, header.iban, header.account, header.currency,
            opening, closing, start or opened, end or closed, tuple(self.entries), self.format,
        )  # fmt: skip
        check_balance(statement, self.file, record)
        self.statements.append(statement)
        self.header = None
        self.entries = []
        element.clear()
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)

    def ends(
        self, balances: list[tuple[str, Decimal, date | None]], record: str
    ) -> tuple[Decimal, date | None, Decimal, date | None]:
        """(opening, its date, closing, its date) from the statement's ``Bal`` elements."""
        first = {code: (amount, day) for code, amount, day in reversed(balances)}
        interim = [(amount, day) for code, amount, day in balances if code == "ITBD"]
        opening = first.get("OPBD") or first.get("PRCD") or (interim.pop(0) if interim else None)
        closing = first.get("CLBD") or (interim[-1] if interim else None)
        if opening is None:
            raise self.fail(
                record, "Bal OPBD", "missing; expected an opening balance (Tp/CdOrPrtry/Cd OPBD)"
            )
        if closing is None:
            raise self.fail(
                record, "Bal CLBD", "missing; expected a closing balance (Tp/CdOrPrtry/Cd CLBD)"
            )
        return opening[0], opening[1], closing[0], closing[1]

    def balances(self, header: Header) -> list[tuple[str, Decimal, date | None]]:
        found: list[tuple[str, Decimal, date | None]] = []
        for line, fields in header.balances:
            code = fields.get("Tp/CdOrPrtry/Cd") or fields.get("Tp/CdOrPrtry/Prtry")
            record = f"{header.record} balance {code} (line {line})"
            currency = self.amounts.currency(fields.get("Amt@Ccy"), record, "Amt/@Ccy")
            if currency != header.currency:
                expected = f"{currency}; expected the account currency {header.currency}"
                raise self.fail(record, "Amt/@Ccy", expected)
            amount = self.amounts.parse(fields.get("Amt"), currency, record, "Amt")
            direction = fields.get("CdtDbtInd")
            if direction == "DBIT":
                amount = -amount
            elif direction != "CRDT":
                raise self.fail(record, "CdtDbtInd", f"{direction!r}; expected CRDT or DBIT")
            day = self.day(fields.get("Dt/Dt") or fields.get("Dt/DtTm"), record, "Dt")
            found.append((code or "", amount, day))
        return found


def parse_camt(
    data: bytes | BinaryIO, file: str, fmt: StatementFormat = StatementFormat.CAMT053
) -> list[Statement]:
    """Every statement (camt.053) or notification (camt.054) in ``data`` (bytes or a stream).

    ``file`` names the file in errors. Raises :class:`StatementError` for the whole file.
    """
    return CamtReader(file, fmt).read(data)
