"""The texts of dunning messages, in Czech and English by the account's language.

Every text names the overdue amount, where to pay (the operator's account and IBAN) and
the account's variable symbol; the same body goes by e-mail (with a subject) and by SMS.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from linka.engagement.model import MessageKind
from linka.payments.dunning.ladder import StepAction
from linka.settings import Settings

RESTORED = "restored"

KINDS: dict[str, str] = {
    StepAction.REMINDER: MessageKind.REMINDER_DUE,
    StepAction.FEE: MessageKind.REMINDER_DUE,
    StepAction.SUSPEND: MessageKind.LINE_SUSPENDED,
    StepAction.BAR: "line_barred",
    StepAction.TERMINATE: "collections_handover",
    RESTORED: MessageKind.LINE_RESTORED,
}
"""The outbox message kind of each step action (and of a restore)."""

_PAY = {
    "cs": "Prosíme o úhradu {amount} na účet {bank} (IBAN {iban}), variabilní symbol {symbol}.",
    "en": "Please pay {amount} to account {bank} (IBAN {iban}), variable symbol {symbol}.",
}
_SIGN = {"cs": "\n\n{operator}, {phone}", "en": "\n\n{operator}, {phone}"}

_TEXT: dict[tuple[str, str], tuple[str, str]] = {
    ("cs", StepAction.REMINDER): (
        "Upomínka: neuhrazená platba na účtu {account}",
        "Dobrý den, na vašem účtu {account} evidujeme po splatnosti {amount}. {pay} "
        "Pokud jste již zaplatili, děkujeme a zprávu prosím považujte za bezpředmětnou.",
    ),
    ("en", StepAction.REMINDER): (
        "Reminder: payment overdue on account {account}",
        "Hello, your account {account} has {amount} overdue. {pay} "
        "If you have paid already, thank you, and please disregard this message.",
    ),
    ("cs", StepAction.FEE): (
        "Druhá upomínka: neuhrazená platba na účtu {account}",
        "Dobrý den, na vašem účtu {account} je stále po splatnosti {amount}. Účtujeme "
        "poplatek za upomínku {fee}. {pay} Bez úhrady omezíme odchozí služby.",
    ),
    ("en", StepAction.FEE): (
        "Second reminder: payment overdue on account {account}",
        "Hello, your account {account} still has {amount} overdue. We charge a reminder "
        "fee of {fee}. {pay} Without payment we will suspend outgoing services.",
    ),
    ("cs", StepAction.SUSPEND): (
        "Omezení služeb pro neuhrazený dluh na účtu {account}",
        "Dobrý den, pro neuhrazený dluh {amount} jsme omezili odchozí služby na "
        "{lines}. {pay} Po úhradě služby obnovíme automaticky ještě týž den.",
    ),
    ("en", StepAction.SUSPEND): (
        "Outgoing services suspended for debt on account {account}",
        "Hello, for an unpaid debt of {amount} we have suspended outgoing services on "
        "{lines}. {pay} Once paid, services are restored automatically the same day.",
    ),
    ("cs", StepAction.BAR): (
        "Zablokování služeb pro neuhrazený dluh na účtu {account}",
        "Dobrý den, pro neuhrazený dluh {amount} jsme zablokovali všechny služby na "
        "{lines}. {pay} Po úhradě služby obnovíme automaticky ještě týž den.",
    ),
    ("en", StepAction.BAR): (
        "All services barred for debt on account {account}",
        "Hello, for an unpaid debt of {amount} we have barred all services on {lines}. "
        "{pay} Once paid, services are restored automatically the same day.",
    ),
    ("cs", StepAction.TERMINATE): (
        "Ukončení služeb a předání pohledávky na účtu {account}",
        "Dobrý den, pro neuhrazený dluh {amount} jsme ukončili služby na {lines} "
        "a pohledávku předáváme k vymáhání. {pay}",
    ),
    ("en", StepAction.TERMINATE): (
        "Services terminated and debt handed over on account {account}",
        "Hello, for an unpaid debt of {amount} we have terminated services on {lines} "
        "and handed the debt over to collections. {pay}",
    ),
    ("cs", RESTORED): (
        "Služby na účtu {account} jsou obnoveny",
        "Dobrý den, děkujeme za úhradu. Služby na {lines} jsou opět v provozu.",
    ),
    ("en", RESTORED): (
        "Services restored on account {account}",
        "Hello, thank you for your payment. Services on {lines} are running again.",
    ),
}


@dataclass(frozen=True)
class MessageFacts:
    """What a dunning message says about the account."""

    language: str  # cs | en
    account: str  # account number
    variable_symbol: str
    currency: str
    overdue: Decimal
    fee: Decimal | None = None
    lines: tuple[str, ...] = ()


def money(amount: Decimal, currency: str, language: str) -> str:
    """``1 234,50 CZK`` (Czech) or ``1,234.50 CZK`` (English)."""
    text = f"{amount:,.2f}"
    if language == "cs":
        text = text.replace(",", " ").replace(".", ",")
    return f"{text} {currency}"


def _lines(msisdns: tuple[str, ...], language: str) -> str:
    if language == "cs":
        return f"linkách {', '.join(msisdns)}" if msisdns else "vašich linkách"
    return ", ".join(msisdns) or "your lines"


def compose(action: str, facts: MessageFacts, settings: Settings) -> tuple[str, str]:
    """(subject, body) of the message for ``action`` (a step action or ``restored``)."""
    language = facts.language if facts.language in ("cs", "en") else "cs"
    subject, body = _TEXT[(language, action)]
    amount = money(facts.overdue, facts.currency, language)
    values = {
        "account": facts.account,
        "amount": amount,
        "fee": money(facts.fee, facts.currency, language) if facts.fee is not None else "",
        "lines": _lines(facts.lines, language),
        "pay": _PAY[language].format(
            amount=money(facts.overdue + (facts.fee or 0), facts.currency, language),
            bank=settings.operator_bank_account,
            iban=settings.operator_iban,
            symbol=facts.variable_symbol,
        ),
    }
    sign = _SIGN[language].format(operator=settings.operator_name, phone=settings.operator_phone)
    return subject.format(**values), body.format(**values) + sign
