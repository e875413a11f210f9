"""The outbox on SQLite and PostgreSQL: consent, dedupe, rollback, retries, two workers."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from linka.customers.consents import record_consent
from linka.customers.errors import CustomerNotFoundError
from linka.customers.model import Actor, ConsentChannel, ConsentPurpose
from linka.customers.tables import InteractionRow
from linka.engagement.errors import DeliveryError, InvalidMessageError
from linka.engagement.model import (
    Attachment,
    Backoff,
    EnqueuedMessage,
    MessageChannel,
    MessageKind,
    MessageStatus,
    OutgoingMessage,
)
from linka.engagement.ports import Transport
from linka.engagement.services import deliver_pending, enqueue_message, list_messages
from linka.engagement.tables import OutboxMessageRow
from linka.kernel.clock import FakeClock
from linka.store.database import Database
from tests.engagement.conftest import START, add_customer

EMAIL, SMS = MessageChannel.EMAIL, MessageChannel.SMS
AGENT = Actor("agent", "test")


class Recorder:
    """A transport that accepts everything, or fails as scripted; thread-safe."""

    def __init__(
        self, failures: list[BaseException | None] | None = None, pause: float = 0
    ) -> None:
        self.sent: list[OutgoingMessage] = []
        self.failures = list(failures or [])
        self.pause = pause
        self.closed = 0
        self._lock = threading.Lock()

    def send(self, message: OutgoingMessage) -> str:
        if self.pause:
            time.sleep(self.pause)
        with self._lock:
            failure = self.failures.pop(0) if self.failures else None
            if failure is not None:
                raise failure
            self.sent.append(message)
            return f"ok {message.id}"

    def close(self) -> None:
        self.closed += 1


def invoice_email(
    session: sa.orm.Session, clock: FakeClock, customer_id: int | None, key: str, **extra: object
) -> EnqueuedMessage:
    fields: dict[str, object] = {
        "kind": MessageKind.INVOICE_ISSUED,
        "channel": EMAIL,
        "dedupe_key": key,
        "subject": "Faktura FA2026000123",
        "body": "Dobrý den, posíláme fakturu.",
        "clock": clock,
        "customer_id": customer_id,
    }
    return enqueue_message(session, **(fields | extra))  # type: ignore[arg-type]


def rows(db: Database) -> list[OutboxMessageRow]:
    with db.session() as session:
        return list(session.scalars(sa.select(OutboxMessageRow).order_by(OutboxMessageRow.id)))


def timeline(db: Database) -> list[tuple[str, str]]:
    with db.session() as session:
        return [
            (row.kind, row.summary)
            for row in session.scalars(sa.select(InteractionRow).order_by(InteractionRow.id))
        ]


# -- enqueueing ---------------------------------------------------------------------------------


def test_a_message_is_stored_pending_and_due_now(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        customer = add_customer(session)
        queued = invoice_email(session, clock, customer, "invoice:FA2026000123")
    assert (queued.status, queued.created, queued.reason) == (MessageStatus.PENDING, True, None)
    (row,) = rows(db)
    assert (row.recipient, row.kind, row.channel, row.purpose) == (
        "jan.novak@example.cz",
        "invoice_issued",
        "email",
        "service",
    )
    assert (row.attempts, row.next_attempt_at, row.created_at) == (0, START, START)


def test_the_same_dedupe_key_is_enqueued_once(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        customer = add_customer(session)
        first = invoice_email(session, clock, customer, "reminder:FA2026000123:1")
        again = invoice_email(session, clock, customer, "reminder:FA2026000123:1")
    with db.session() as session:
        later = invoice_email(
            session, clock, customer, "reminder:FA2026000123:1", body="a different text"
        )
    assert (first.created, again.created, later.created) == (True, False, False)
    assert first.id == again.id == later.id
    assert [row.body for row in rows(db)] == ["Dobrý den, posíláme fakturu."]


def test_two_transactions_racing_for_one_key_store_it_once(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        customer = add_customer(session)
    results: list[EnqueuedMessage] = []

    def second_worker() -> None:
        with db.session() as session:
            results.append(invoice_email(session, clock, customer, "payment:PAY-1"))

    # given one transaction has enqueued the key but not yet committed
    with db.session() as session:
        first = invoice_email(session, clock, customer, "payment:PAY-1")
        racer = threading.Thread(target=second_worker)
        racer.start()
        time.sleep(0.5)  # the other transaction now waits for our lock or our unique key
    racer.join(timeout=30)
    # then the second one finds the committed message instead of storing another
    assert not racer.is_alive()
    assert [(r.id, r.created) for r in results] == [(first.id, False)]
    assert len(rows(db)) == 1


def test_a_withdrawn_consent_suppresses_the_message_with_the_reason(
    db: Database, clock: FakeClock
) -> None:
    # given a customer who withdrew e-mail for service messages (but not SMS)
    with db.session() as session:
        customer = add_customer(session)
        record_consent(
            session,
            customer,
            ConsentChannel.EMAIL,
            ConsentPurpose.SERVICE,
            False,
            source="call 2026-03-02",
            clock=clock,
            actor=AGENT,
        )
        email = invoice_email(session, clock, customer, "invoice:1")
        sms = enqueue_message(
            session,
            kind=MessageKind.INVOICE_ISSUED,
            channel=SMS,
            dedupe_key="invoice:1:sms",
            body="Faktura FA2026000123 je vystavena.",
            clock=clock,
            customer_id=customer,
        )
    assert email.status == MessageStatus.SUPPRESSED
    assert email.reason == (
        "consent to service messages by e-mail withdrawn on 2026-04-01 (source: call 2026-03-02)"
    )
    assert sms.status == MessageStatus.PENDING
    # when the worker runs, only the SMS goes
    transport = Recorder()
    report = deliver_pending(db, {EMAIL: transport, SMS: transport}, clock)
    assert [m.id for m in transport.sent] == [sms.id]
    assert report.sent == 1
    suppressed = rows(db)[0]
    assert (suppressed.status, suppressed.attempts, suppressed.next_attempt_at) == (
        "suppressed",
        0,
        None,
    )
    assert ("message.suppressed", f"not sent: {email.reason}") in timeline(db)


def test_the_latest_consent_answer_counts(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        customer = add_customer(session)
        for granted in (False, True):
            record_consent(
                session,
                customer,
                ConsentChannel.SMS,
                ConsentPurpose.SERVICE,
                granted,
                source="web form",
                clock=clock,
                actor=AGENT,
            )
            clock.advance(timedelta(minutes=1))
        queued = enqueue_message(
            session,
            kind=MessageKind.LINE_RESTORED,
            channel=SMS,
            dedupe_key="line:+420601123456:restored:2026-04-01",
            body="Vaše linka je opět v provozu.",
            clock=clock,
            customer_id=customer,
        )
    assert queued.status == MessageStatus.PENDING


def test_marketing_needs_a_grant_service_does_not(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        customer = add_customer(session)
        offer = invoice_email(
            session, clock, customer, "offer:spring", purpose=ConsentPurpose.MARKETING
        )
        record_consent(
            session,
            customer,
            ConsentChannel.EMAIL,
            ConsentPurpose.MARKETING,
            True,
            source="web form",
            clock=clock,
            actor=AGENT,
        )
        granted = invoice_email(
            session, clock, customer, "offer:summer", purpose=ConsentPurpose.MARKETING
        )
    assert offer.status == MessageStatus.SUPPRESSED
    assert offer.reason == "no consent to marketing messages by e-mail recorded"
    assert granted.status == MessageStatus.PENDING


def test_a_customer_without_an_address_gets_a_suppressed_message(
    db: Database, clock: FakeClock
) -> None:
    with db.session() as session:
        customer = add_customer(session, email=None)
        queued = invoice_email(session, clock, customer, "invoice:2")
    assert (queued.status, queued.reason) == (
        MessageStatus.SUPPRESSED,
        "customer 10000001 has no e-mail address",
    )


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"subject": None}, "an e-mail needs a subject"),
        ({"body": "  "}, "the body is empty"),
        ({"recipient": "not an address"}, "recipient: expected an e-mail address"),
        ({"kind": "Invoice Issued"}, "must be a lower-case snake_case name"),
        ({"kind": "faktura_vystavená"}, "must be a lower-case snake_case name"),
        ({"subject": "Faktura\nBcc: x@y.cz"}, "the subject must be one line"),
        ({"dedupe_key": " "}, "a dedupe key of 1 to 200 characters is required"),
        ({"attachments": [Attachment("a.pdf", "", "application/pdf")]}, "every attachment"),
        ({"channel": SMS, "recipient": "+420601123456"}, "an SMS has neither a subject"),
    ],
)
def test_a_message_that_could_never_be_sent_is_refused(
    sqlite_db: Database, clock: FakeClock, changes: dict[str, object], problem: str
) -> None:
    with pytest.raises(InvalidMessageError, match=problem), sqlite_db.session() as session:
        invoice_email(session, clock, None, "k", **({"recipient": "a@b.cz"} | changes))
    assert rows(sqlite_db) == []


def test_an_unknown_customer_is_an_error(sqlite_db: Database, clock: FakeClock) -> None:
    with pytest.raises(CustomerNotFoundError), sqlite_db.session() as session:
        invoice_email(session, clock, 999, "k")


def test_a_phone_number_is_stored_in_e164(sqlite_db: Database, clock: FakeClock) -> None:
    with sqlite_db.session() as session:
        enqueue_message(
            session,
            kind="balance_low",
            channel=SMS,
            dedupe_key="balance:1",
            body="Kredit dochází.",
            clock=clock,
            recipient="601 123 456",
        )
    assert [row.recipient for row in rows(sqlite_db)] == ["+420601123456"]


# -- after commit only --------------------------------------------------------------------------


def test_a_message_enqueued_in_a_rolled_back_transaction_is_never_sent(
    db: Database, clock: FakeClock
) -> None:
    with db.session() as session:
        customer = add_customer(session)

    def issue_invoice() -> None:
        with db.session() as session:
            invoice_email(session, clock, customer, "invoice:FA2026000123")
            raise RuntimeError("issuing failed")

    # when issuing the invoice fails after its message was enqueued
    with pytest.raises(RuntimeError, match="issuing failed"):
        issue_invoice()
    transport = Recorder()
    report = deliver_pending(db, {EMAIL: transport}, clock)
    assert (report.claimed, transport.sent, rows(db)) == (0, [], [])


def test_a_deferred_message_waits_for_its_time(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        invoice_email(
            session, clock, None, "k", recipient="a@b.cz", not_before=START.replace(hour=8)
        )
    transport = Recorder()
    assert deliver_pending(db, {EMAIL: transport}, clock).claimed == 0
    clock.set(START.replace(hour=8))
    assert deliver_pending(db, {EMAIL: transport}, clock).sent == 1


def test_messages_of_a_channel_without_transport_wait(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        customer = add_customer(session)
        invoice_email(session, clock, customer, "invoice:1")
    assert deliver_pending(db, {SMS: Recorder()}, clock).claimed == 0
    assert [row.status for row in rows(db)] == ["pending"]


# -- retries ------------------------------------------------------------------------------------


def test_backoff_doubles_up_to_its_cap() -> None:
    backoff = Backoff(timedelta(minutes=1), 2, timedelta(minutes=10))
    assert [backoff.delay(n) for n in range(1, 7)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 10, 10)
    ]
    with pytest.raises(ValueError, match="attempts are counted from 1"):
        backoff.delay(0)


def test_a_failing_transport_is_retried_with_backoff_then_failed(
    db: Database, clock: FakeClock
) -> None:
    with db.session() as session:
        customer = add_customer(session)
        queued = invoice_email(session, clock, customer, "invoice:1")
    transport = Recorder([DeliveryError("421 busy")] * 3)
    deliver = {"transports": {EMAIL: transport}, "clock": clock, "max_attempts": 3}

    # attempt 1 fails: retry in 1 minute
    report = deliver_pending(db, **deliver)  # type: ignore[arg-type]
    (outcome,) = report.outcomes
    assert (outcome.status, outcome.attempt, outcome.error) == ("pending", 1, "421 busy")
    assert outcome.next_attempt_at == START + timedelta(minutes=1)
    assert deliver_pending(db, **deliver).claimed == 0  # type: ignore[arg-type]
    # attempt 2, a minute later, fails: retry in 2 minutes
    clock.advance(timedelta(minutes=1))
    (outcome,) = deliver_pending(db, **deliver).outcomes  # type: ignore[arg-type]
    assert outcome.next_attempt_at == START + timedelta(minutes=3)
    clock.advance(timedelta(minutes=1, seconds=59))
    assert deliver_pending(db, **deliver).claimed == 0  # type: ignore[arg-type]
    # attempt 3 is the last
    clock.advance(timedelta(seconds=1))
    (outcome,) = deliver_pending(db, **deliver).outcomes  # type: ignore[arg-type]
    assert (outcome.status, outcome.attempt, outcome.next_attempt_at) == ("failed", 3, None)

    (row,) = rows(db)
    assert (row.status, row.attempts, row.last_error, row.sent_at) == (
        "failed",
        3,
        "421 busy",
        None,
    )
    assert transport.sent == []
    assert transport.closed == 5  # after every batch, even an empty one
    assert timeline(db)[-1] == (
        "message.failed",
        "e-mail invoice_issued not delivered (3 attempts): 421 busy",
    )
    assert queued.id == row.id


def test_a_message_sent_on_a_later_attempt_keeps_the_last_error(
    db: Database, clock: FakeClock
) -> None:
    with db.session() as session:
        customer = add_customer(session)
        invoice_email(session, clock, customer, "invoice:1")
    transport = Recorder([ConnectionResetError("reset by peer")])
    assert deliver_pending(db, {EMAIL: transport}, clock).retrying == 1
    clock.advance(timedelta(minutes=1))
    assert deliver_pending(db, {EMAIL: transport}, clock).sent == 1
    (row,) = rows(db)
    assert (row.status, row.attempts, row.sent_at, row.provider_reference) == (
        "sent",
        2,
        START + timedelta(minutes=1),
        f"ok {row.id}",
    )
    assert row.last_error == "ConnectionResetError: reset by peer"
    assert timeline(db)[-1] == (
        "message.sent",
        "e-mail invoice_issued „Faktura FA2026000123“ to jan.novak@example.cz",
    )


def test_a_permanent_refusal_fails_at_once(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        invoice_email(session, clock, None, "k", recipient="nobody@example.cz")
    transport = Recorder([DeliveryError("550 no such user", permanent=True)])
    report = deliver_pending(db, {EMAIL: transport}, clock)
    assert (report.failed, rows(db)[0].attempts) == (1, 1)


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing after it runs."""


def test_a_worker_killed_mid_send_leaves_the_message_to_the_next_after_the_lease(
    db: Database, clock: FakeClock
) -> None:
    with db.session() as session:
        invoice_email(session, clock, None, "k", recipient="a@b.cz")
    with pytest.raises(WorkerKilled):
        deliver_pending(db, {EMAIL: Recorder([WorkerKilled()])}, clock, lease=timedelta(minutes=5))
    (row,) = rows(db)
    assert (row.status, row.attempts, row.next_attempt_at) == (
        "pending",
        1,
        START + timedelta(minutes=5),
    )
    transport = Recorder()
    assert deliver_pending(db, {EMAIL: transport}, clock).claimed == 0  # still leased
    clock.advance(timedelta(minutes=5))
    assert deliver_pending(db, {EMAIL: transport}, clock).sent == 1
    assert [m.attempt for m in transport.sent] == [2]


# -- concurrency --------------------------------------------------------------------------------


def test_two_deliverers_never_send_a_message_twice(db: Database, clock: FakeClock) -> None:
    with db.session() as session:
        for n in range(60):
            invoice_email(session, clock, None, f"invoice:{n}", recipient=f"c{n}@example.cz")
    workers = [Recorder(pause=0.003), Recorder(pause=0.003)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(transport: Recorder) -> None:
        try:
            start.wait()
            while deliver_pending(db, {EMAIL: transport}, clock, limit=5).claimed:
                pass
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    sent = Counter(m.id for worker in workers for m in worker.sent)
    assert sorted(sent) == [row.id for row in rows(db)]
    assert set(sent.values()) == {1}
    assert all(worker.sent for worker in workers)  # both took part
    assert {row.status for row in rows(db)} == {"sent"}


def test_a_claimed_message_is_skipped_not_waited_for(db: Database, clock: FakeClock) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time: there is nothing to skip")
    with db.session() as session:
        for n in range(3):
            invoice_email(session, clock, None, f"invoice:{n}", recipient=f"c{n}@example.cz")
    first, *others = (row.id for row in rows(db))
    transport = Recorder()
    done = threading.Event()
    # given another worker holds the first message locked in its claim transaction
    with db.session() as session:
        session.execute(
            sa.select(OutboxMessageRow.id).where(OutboxMessageRow.id == first).with_for_update()
        )

        def deliver() -> None:
            deliver_pending(db, {EMAIL: transport}, clock)
            done.set()

        thread = threading.Thread(target=deliver)
        thread.start()
        # then this worker does not wait for it and sends the others
        assert done.wait(timeout=20)
        thread.join()
    assert sorted(m.id for m in transport.sent) == others
    assert deliver_pending(db, {EMAIL: transport}, clock).sent == 1
    assert sorted(m.id for m in transport.sent) == sorted([first, *others])


def test_list_messages_newest_first_by_status(sqlite_db: Database, clock: FakeClock) -> None:
    with sqlite_db.session() as session:
        for n in range(3):
            invoice_email(session, clock, None, f"k{n}", recipient="a@b.cz")
    deliver_pending(sqlite_db, {EMAIL: Recorder()}, clock, limit=1)
    with sqlite_db.session() as session:
        assert [r.dedupe_key for r in list_messages(session)] == ["k2", "k1", "k0"]
        assert [r.dedupe_key for r in list_messages(session, status=MessageStatus.SENT)] == ["k0"]
        assert [r.dedupe_key for r in list_messages(session, limit=1)] == ["k2"]


def _is_transport(recorder: Recorder) -> Transport:
    return recorder  # the fake satisfies the port (checked by mypy)
