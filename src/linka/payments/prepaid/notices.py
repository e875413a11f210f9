"""SMS to the line about its credit, in the account's language, through the outbox.

Messages are enqueued in the transaction that books the entry, so they are sent only if
the booking commits; their dedupe keys name the entry, so a repeated run sends nothing
twice.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from linka.engagement.model import MessageChannel
from linka.engagement.services import enqueue_message
from linka.kernel.clock import Clock
from linka.kernel.money import Money, minor_units, round_amount
from linka.payments.prepaid.lines import PrepaidLine

LOW_BALANCE = "prepaid_low_balance"
TOPPED_UP = "prepaid_top_up"

_LOCALES = {"cs": "cs_CZ", "en": "en_GB"}
_TEXTS = {
    LOW_BALANCE: {
        "cs": "Kredit na čísle {msisdn} klesl na {balance}. Dobijte si, ať můžete dál volat.",
        "en": "The credit of {msisdn} is down to {balance}. Top up to keep using your line.",
    },
    TOPPED_UP: {
        "cs": "Na číslo {msisdn} jsme připsali {amount}. Kredit je nyní {balance}.",
        "en": "{amount} has been added to {msisdn}. Your credit is now {balance}.",
    },
}


def money_text(amount: Decimal, line: PrepaidLine) -> str:
    """``4,50 Kč`` / ``CZK 4.50``: rounded to the currency's minor unit for people, with
    plain spaces (a no-break space is not in the SMS alphabet)."""
    rounded = round_amount(amount, minor_units(line.currency))
    text = Money(rounded, line.currency).format(_LOCALES.get(line.language, "cs_CZ"))
    return text.replace("\xa0", " ").replace("\u202f", " ")


def _send(
    session: Session, line: PrepaidLine, kind: str, key: str, clock: Clock, **values: Decimal
) -> None:
    texts = _TEXTS[kind]
    body = texts.get(line.language, texts["cs"]).format(
        msisdn=line.msisdn, **{name: money_text(value, line) for name, value in values.items()}
    )
    enqueue_message(
        session,
        kind=kind,
        channel=MessageChannel.SMS,
        dedupe_key=key,
        body=body,
        clock=clock,
        customer_id=line.customer_id,
        recipient=line.msisdn,
    )


def send_low_balance(
    session: Session, line: PrepaidLine, entry_id: int, balance: Decimal, clock: Clock
) -> None:
    """The balance fell under the threshold with entry ``entry_id`` (one SMS per crossing)."""
    _send(
        session, line, LOW_BALANCE, f"low-balance:{line.line_id}:{entry_id}", clock, balance=balance
    )


def send_topped_up(
    session: Session,
    line: PrepaidLine,
    entry_id: int,
    amount: Decimal,
    balance: Decimal,
    clock: Clock,
) -> None:
    _send(
        session,
        line,
        TOPPED_UP,
        f"top-up:{line.line_id}:{entry_id}",
        clock,
        amount=amount,
        balance=balance,
    )
