"""SMS through Kannel's sendsms: against a Kannel-shaped HTTP receiver, and against a real
Kannel with its fake SMSC when it is installed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from linka.customers.tables import CustomerRow
from linka.engagement.model import MessageChannel, MessageKind, OutgoingMessage
from linka.engagement.services import deliver_pending, enqueue_message
from linka.engagement.sms import KannelTransport, needs_ucs2, sendsms_query
from linka.engagement.tables import OutboxMessageRow
from linka.kernel.clock import FakeClock
from linka.store.database import Database
from tests.engagement.conftest import START, SendsmsReceiver, add_customer, free_port
from tests.engagement.kannel import PASSWORD, USERNAME, kannel_programs, running_kannel

SMS = MessageChannel.SMS
PLAIN = "Faktura FA2026000123 na 499,00 Kc je splatna 15.4.2026. Dekujeme, Linka."
CZECH = "Příliš žluťoučký kůň: faktura FA2026000123 na 499,00 Kč, splatnost 15. 4. 2026."


def enqueue_sms(db: Database, clock: FakeClock, key: str, body: str) -> int:
    with db.session() as session:
        known = session.scalar(select(CustomerRow.id).where(CustomerRow.number == "10000001"))
        customer = known or add_customer(session)
        return enqueue_message(
            session,
            kind=MessageKind.INVOICE_ISSUED,
            channel=SMS,
            dedupe_key=key,
            body=body,
            clock=clock,
            customer_id=customer,
        ).id


def kannel(url: str) -> KannelTransport:
    return KannelTransport(url, username="linka", password="tajné heslo", sender="Linka")


def stored(db: Database, message_id: int) -> OutboxMessageRow:
    with db.session() as session:
        row = session.get(OutboxMessageRow, message_id)
        assert row is not None
        return row


def test_the_gsm_alphabet_decides_the_coding() -> None:
    assert not needs_ucs2(PLAIN)
    assert not needs_ucs2("Café à Zürich, 5 € {ok} [x] ~ | ^ \\")
    assert needs_ucs2(CZECH)
    assert needs_ucs2("ř")
    message = OutgoingMessage(1, "x", SMS, "+420601123456", None, "ahoj", (), START, 1)
    assert sendsms_query(message, username="u", password="p", sender="Linka", smsc="O2") == [
        ("username", "u"),
        ("password", "p"),
        ("from", "Linka"),
        ("to", "+420601123456"),
        ("text", "ahoj"),
        ("charset", "UTF-8"),
        ("smsc", "O2"),
    ]


def test_an_sms_is_one_kannel_shaped_request(
    sqlite_db: Database, clock: FakeClock, sendsms: SendsmsReceiver
) -> None:
    plain = enqueue_sms(sqlite_db, clock, "invoice:1:sms", PLAIN)
    czech = enqueue_sms(sqlite_db, clock, "invoice:2:sms", CZECH)
    report = deliver_pending(sqlite_db, {SMS: kannel(sendsms.url)}, clock)
    assert report.sent == 2
    assert sendsms.requests == [
        {
            "username": ["linka"],
            "password": ["tajné heslo"],
            "from": ["Linka"],
            "to": ["+420601123456"],
            "text": [PLAIN],
            "charset": ["UTF-8"],
        },
        {
            "username": ["linka"],
            "password": ["tajné heslo"],
            "from": ["Linka"],
            "to": ["+420601123456"],
            "text": [CZECH],
            "charset": ["UTF-8"],
            "coding": ["2"],
        },
    ]
    for message_id in (plain, czech):
        row = stored(sqlite_db, message_id)
        assert (row.status, row.provider_reference) == ("sent", "0: Accepted for delivery")


def test_kannel_replies_decide_retry_or_failure(
    sqlite_db: Database, clock: FakeClock, sendsms: SendsmsReceiver
) -> None:
    sendsms.replies += [
        (403, "Authorization failed for sendsms"),
        (503, "Temporal failure, try again later."),
        (202, "3: Queued for later delivery"),
        (400, "Missing receiver number, rejected"),
    ]
    kannel_at = f"Kannel {urlsplit(sendsms.url).netloc}"
    first = enqueue_sms(sqlite_db, clock, "a", PLAIN)
    second = enqueue_sms(sqlite_db, clock, "b", PLAIN)
    transport = {SMS: kannel(sendsms.url)}
    report = deliver_pending(sqlite_db, transport, clock)
    assert [(o.status, o.error) for o in report.outcomes] == [
        ("pending", f"{kannel_at} refused the SMS: 403 Authorization failed for sendsms"),
        ("pending", f"{kannel_at} refused the SMS: 503 Temporal failure, try again later."),
    ]
    clock.advance(timedelta(minutes=1))
    report = deliver_pending(sqlite_db, transport, clock)
    assert [o.status for o in report.outcomes] == ["sent", "failed"]
    assert stored(sqlite_db, first).provider_reference == "3: Queued for later delivery"
    assert stored(sqlite_db, second).last_error == (
        f"{kannel_at} refused the SMS: 400 Missing receiver number, rejected"
    )


def test_an_unreachable_kannel_is_retried(sqlite_db: Database, clock: FakeClock) -> None:
    message_id = enqueue_sms(sqlite_db, clock, "a", PLAIN)
    port = free_port()
    report = deliver_pending(
        sqlite_db, {SMS: kannel(f"http://127.0.0.1:{port}/cgi-bin/sendsms")}, clock
    )
    (outcome,) = report.outcomes
    assert outcome.status == "pending"
    assert outcome.error == f"cannot reach Kannel 127.0.0.1:{port}: [Errno 111] Connection refused"
    assert "tajné" not in (stored(sqlite_db, message_id).last_error or "")


def test_a_kannel_url_with_a_query_is_refused() -> None:
    with pytest.raises(ValueError, match="without a query"):
        kannel("http://127.0.0.1:13013/cgi-bin/sendsms?username=x")


@pytest.mark.skipif(
    kannel_programs() is None, reason="Kannel (kannel, kannel-extras) not installed"
)
def test_a_real_kannel_delivers_to_its_fake_smsc(
    sqlite_db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    # given bearerbox, smsbox and fakesmsc running on loopback
    with running_kannel(tmp_path) as peer:
        plain = enqueue_sms(sqlite_db, clock, "invoice:1:sms", PLAIN)
        czech = enqueue_sms(sqlite_db, clock, "invoice:2:sms", CZECH)
        transport = KannelTransport(
            peer.sendsms_url, username=USERNAME, password=PASSWORD, sender="Linka"
        )
        # when the worker runs
        report = deliver_pending(sqlite_db, {SMS: transport}, clock)
        # then Kannel accepted both and the SMSC got them: the Czech one as UCS-2, in two
        # parts (81 characters; a UCS-2 part holds 70, less the concatenation header)
        assert report.sent == 2
        delivered = peer.delivered(3)
    assert [(m.sender, m.receiver, m.coding) for m in delivered] == [
        ("Linka", "+420601123456", "text"),
        ("Linka", "+420601123456", "ucs-2"),
        ("Linka", "+420601123456", "ucs-2"),
    ]
    assert [delivered[0].text, delivered[1].text + delivered[2].text] == [PLAIN, CZECH]
    for message_id in (plain, czech):
        assert stored(sqlite_db, message_id).provider_reference == "0: Accepted for delivery"
