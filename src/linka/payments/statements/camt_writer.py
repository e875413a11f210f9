"""A statement as camt.053.001.02 XML, for tests, the demo and the benchmark.

The output is valid against the ISO 20022 schema and reads back with
:func:`~linka.payments.statements.camt053.parse_camt` to the same statement: symbols
go to ``RmtInf/Strd/CdtrRefInf/Ref`` as ``/VS…/SS…/KS…`` (so that ``EndToEndId`` keeps
the entry's own end-to-end id), a Czech counterparty account to ``Othr/Id`` with its
bank code on the agent, the entry's own id (its reference without the account) to
``AcctSvcrRef``. Text is built directly, not through a tree: a 100,000-entry file
takes about a second instead of several.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from linka.payments.statements.accounts import CZECH
from linka.payments.statements.model import Statement, StatementEntry

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
DOMAIN_CODE = re.compile(r"[A-Z0-9]{1,4}/[A-Z0-9]{1,4}/[A-Z0-9]{1,4}")
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    if NOT_XML.search(value):
        raise ValueError(f"{value!r} has characters XML cannot carry")
    return escape(value)


def amount_xml(amount: Decimal, currency: str) -> str:
    direction = "DBIT" if amount < 0 else "CRDT"
    return f'<Amt Ccy="{currency}">{abs(amount):f}</Amt><CdtDbtInd>{direction}</CdtDbtInd>'


def balance_xml(code: str, amount: Decimal, currency: str, day: date) -> str:
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>{amount_xml(amount, currency)}"
        f"<Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>"
    )


def account_xml(account: str) -> tuple[str, str | None]:
    """(``Id`` content, bank code for the agent) of a counterparty account."""
    match = CZECH.fullmatch(account)
    if match is not None:
        number = account.split("/", 1)[0]
        return f"<Othr><Id>{number}</Id></Othr>", match.group(3)
    if account[:2].isalpha():
        return f"<IBAN>{account}</IBAN>", None
    return f"<Othr><Id>{xml_text(account)}</Id></Othr>", None


def code_xml(code: str | None) -> str:
    if code is None:
        return "<BkTxCd/>"
    if DOMAIN_CODE.fullmatch(code):
        domain, family, sub = code.split("/")
        return (
            f"<BkTxCd><Domn><Cd>{domain}</Cd><Fmly><Cd>{family}</Cd>"
            f"<SubFmlyCd>{sub}</SubFmlyCd></Fmly></Domn></BkTxCd>"
        )
    return f"<BkTxCd><Prtry><Cd>{xml_text(code)}</Cd></Prtry></BkTxCd>"


def details_xml(entry: StatementEntry) -> str:
    """``NtryDtls/TxDtls`` of one entry; empty when the entry has no details."""
    parts: list[str] = []
    if entry.end_to_end_id is not None:
        parts.append(f"<Refs><EndToEndId>{xml_text(entry.end_to_end_id)}</EndToEndId></Refs>")
    if entry.counterparty_account is not None or entry.counterparty_name is not None:
        side = "Dbtr" if (entry.amount > 0) != entry.reversal else "Cdtr"
        bank = None
        parties = ""
        if entry.counterparty_name is not None:
            parties += f"<{side}><Nm>{xml_text(entry.counterparty_name)}</Nm></{side}>"
        if entry.counterparty_account is not None:
            identifier, bank = account_xml(entry.counterparty_account)
            parties += f"<{side}Acct><Id>{identifier}</Id></{side}Acct>"
        parts.append(f"<RltdPties>{parties}</RltdPties>")
        if bank is not None:
            parts.append(
                f"<RltdAgts><{side}Agt><FinInstnId><Othr><Id>{bank}</Id></Othr>"
                f"</FinInstnId></{side}Agt></RltdAgts>"
            )
    tags = "".join(
        f"/{tag}{value}"
        for tag, value in (
            ("VS", entry.variable_symbol),
            ("SS", entry.specific_symbol),
            ("KS", entry.constant_symbol),
        )
        if value is not None
    )
    if entry.message is not None or tags:
        remittance = "" if entry.message is None else f"<Ustrd>{xml_text(entry.message)}</Ustrd>"
        if tags:
            remittance += f"<Strd><CdtrRefInf><Ref>{tags}</Ref></CdtrRefInf></Strd>"
        parts.append(f"<RmtInf>{remittance}</RmtInf>")
    if entry.return_reason is not None:
        reason = xml_text(entry.return_reason)
        kind = "Cd" if len(reason) <= 4 else "Prtry"
        parts.append(f"<RtrInf><Rsn><{kind}>{reason}</{kind}></Rsn></RtrInf>")
    return f"<NtryDtls><TxDtls>{''.join(parts)}</TxDtls></NtryDtls>" if parts else ""


def entry_xml(entry: StatementEntry, key: str) -> str:
    own = entry.reference.removeprefix(f"{key}/")
    value = "" if entry.value_date is None else f"<ValDt><Dt>{entry.value_date}</Dt></ValDt>"
    reversal = "<RvslInd>true</RvslInd>" if entry.reversal else ""
    return (
        f"<Ntry>{amount_xml(entry.amount, entry.currency)}{reversal}<Sts>BOOK</Sts>"
        f"<BookgDt><Dt>{entry.booking_date}</Dt></BookgDt>{value}"
        f"<AcctSvcrRef>{xml_text(own)}</AcctSvcrRef>{code_xml(entry.bank_code)}"
        f"{details_xml(entry)}</Ntry>\n"
    )


def write_camt053(statement: Statement) -> bytes:
    """``statement`` as a camt.053.001.02 document (UTF-8).

    Needs both balances and dates (the schema requires a date on each balance); raises
    ``ValueError`` for text XML cannot carry.
    """
    if statement.opening_balance is None or statement.closing_balance is None:
        raise ValueError("camt.053 needs an opening and a closing balance")
    start = statement.from_date or statement.to_date
    end = statement.to_date or statement.from_date
    if start is None or end is None:
        raise ValueError("camt.053 needs the statement's dates")
    currency = statement.currency
    identifier = xml_text(statement.statement_id)
    if statement.iban is not None:
        account = f"<IBAN>{statement.iban}</IBAN>"
    else:
        account = f"<Othr><Id>{xml_text(statement.account or '')}</Id></Othr>"
    number = statement.number
    sequence = f"<ElctrncSeqNb>{number}</ElctrncSeqNb>" if number and number.isdigit() else ""
    period = ""
    if statement.from_date is not None and statement.to_date is not None:
        period = (
            f"<FrToDt><FrDtTm>{statement.from_date}T00:00:00</FrDtTm>"
            f"<ToDtTm>{statement.to_date}T23:59:59</ToDtTm></FrToDt>"
        )
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="{NAMESPACE}"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>{identifier}</MsgId><CreDtTm>{end}T23:59:59</CreDtTm></GrpHdr>\n"
        f"<Stmt><Id>{identifier}</Id>{sequence}<CreDtTm>{end}T23:59:59</CreDtTm>{period}"
        f"<Acct><Id>{account}</Id><Ccy>{currency}</Ccy></Acct>\n"
        f"{balance_xml('OPBD', statement.opening_balance, currency, start)}\n"
        f"{balance_xml('CLBD', statement.closing_balance, currency, end)}\n"
    )
    key = statement.account_key
    body = "".join(entry_xml(entry, key) for entry in statement.entries)
    return (head + body + "</Stmt></BkToCstmrStmt></Document>\n").encode()
