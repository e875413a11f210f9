"""Dunning against a real database: the ladder from reminder to restore, with a fake clock."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from linka.billing.tables import InvoiceRow
from linka.cli import runtime
from linka.customers import services as customers
from linka.customers.tables import InteractionRow
from linka.engagement.tables import OutboxMessageRow
from linka.kernel.clock import FakeClock
from linka.payments.dunning.errors import DunningError
from linka.payments.dunning.holds import add_exemption, add_promise, end_exemptions, list_holds
from linka.payments.dunning.run import DunningReport, run_dunning
from linka.payments.dunning.tables import DunningLineRow, DunningStepRow
from linka.payments.imports import import_payments
from linka.payments.ledger import book_invoices, open_items
from linka.payments.model import EntryKind, IncomingPayment
from linka.payments.statement_import import import_statement_file
from linka.payments.statements import StatementFormat, write_camt053
from linka.payments.tables import LedgerEntryRow
from linka.settings import Settings
from linka.store.database import Database
from linka.subscriptions import services as lines
from linka.subscriptions.bulk import LineInput
from linka.subscriptions.model import LineStatus
from linka.subscriptions.tables import LineRow, LineStatusChangeRow
from tests.conftest import Cli
from tests.customers.builders import ACTOR, START, account, person
from tests.payments.builders import paid, statement

D = Decimal
DUE = date(2026, 4, 15)
MOBILE = "+420601000001"
SECOND = "+420601000002"


def day(n: int) -> date:
    return DUE + timedelta(days=n)


@dataclass
class World:
    db: Database
    clock: FakeClock
    account_id: int
    account: str
    symbol: str
    customer_id: int

    def at(self, on: date) -> None:
        """Morning of ``on`` in Prague."""
        self.clock.set(datetime.combine(on, time(6, 0), tzinfo=UTC))

    def run(self, on: date, *, dry_run: bool = False, look_ahead: bool = False) -> DunningReport:
        if not look_ahead:
            self.at(on)
        with self.db.session() as session:
            return run_dunning(session, on, self.clock, ACTOR, dry_run=dry_run)

    def line(self, msisdn: str = MOBILE) -> tuple[str, date]:
        with self.db.session() as session:
            line = lines.find_line(session, msisdn)
            return line.status, lines.status_history(session, line.id)[-1].effective_on

    def pay(self, on: date, amount: str, reference: str) -> list[tuple[str, str, date]]:
        """A bank statement paying ``amount`` on ``on``, imported as `linka payments import`
        does: the import itself restores what dunning stopped."""
        self.at(on)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{reference}.xml"
            entry = paid(reference, amount, self.symbol, day=on)
            path.write_bytes(write_camt053(statement(f"S-{reference}", entry)))
            with self.db.session() as session:
                result = import_statement_file(
                    session, path, StatementFormat.CAMT053, clock=self.clock,
                    settings=Settings.model_construct(),
                )  # fmt: skip
        return [(r.msisdn, r.to_status, r.effective_on) for r in result.restored]

    def count(self, table: type) -> int:
        with self.db.session() as session:
            return session.scalar(sa.select(sa.func.count()).select_from(table)) or 0

    def messages(self) -> list[tuple[str, str, str]]:
        with self.db.session() as session:
            rows = session.scalars(sa.select(OutboxMessageRow).order_by(OutboxMessageRow.id))
            return [(r.kind, r.channel, r.dedupe_key) for r in rows if "dunning" in r.dedupe_key]


def issue(world: World, amount: str, due: date, number: int) -> int:
    """An issued invoice, booked in the ledger as billing books it."""
    with world.db.session() as session:
        invoice = InvoiceRow(
            bill_run_id=None, account_id=world.account_id, kind="invoice", status="issued",
            series="FA", year=2026, number=number, number_text=f"FA2026{number:06d}",
            issue_date=due - timedelta(days=14), tax_point_date=due - timedelta(days=14),
            due_date=due, period_start=date(2026, 3, 1), period_end=date(2026, 4, 1),
            currency="CZK", language="cs", tax_mode="domestic", notes=[],
            variable_symbol=world.symbol, total_net=D(amount), total_vat=D(0),
            total_gross=D(amount), rounding=D(0), amount_due=D(amount),
            original_invoice_id=None, correction_reason=None, parties=None,
            created_at=world.clock.now(), approved_at=world.clock.now(),
            issued_at=world.clock.now(),
        )  # fmt: skip
        session.add(invoice)
        session.flush()
        book_invoices(session, [invoice.id], world.clock)
        return invoice.id


@pytest.fixture
def world(db: Database, loaded_catalog: Path) -> World:
    """A consumer with a postpaid account, two active lines and a 646 CZK invoice due DUE."""
    clock = FakeClock(START)
    with db.session() as session:
        created = customers.create_customer(session, person(), account(), clock=clock, actor=ACTOR)
        row = created.accounts[0]
        for msisdn in (MOBILE, SECOND):
            lines.add_line(
                session, row.number, LineInput(msisdn=msisdn, offering="mobile-basic"),
                clock=clock, actor=ACTOR,
            )  # fmt: skip
        found = World(db, clock, row.id, row.number, row.variable_symbol, created.customer.id)
    found.at(date(2026, 4, 1))
    issue(found, "646.00", DUE, 1)
    return found


def test_invoice_unpaid_reminder_fee_suspension_payment_and_restore_the_same_day(
    world: World,
) -> None:
    assert world.run(day(2)).actions == []

    reminder = world.run(day(3))
    assert [(a.step, a.action, a.overdue, a.messages) for a in reminder.actions] == [
        ("reminder", "reminder", D("646.00"), 2)
    ]
    key = f"dunning:{world.account_id}:{DUE}"
    assert world.messages() == [
        ("reminder_due", "email", f"{key}:reminder:email"),
        ("reminder_due", "sms", f"{key}:reminder:sms"),
    ]
    with world.db.session() as session:
        body = session.scalars(
            sa.select(OutboxMessageRow.body).where(OutboxMessageRow.channel == "sms")
        ).one()
    assert "646,00 CZK" in body
    assert world.symbol in body
    assert "2000145399/0800" in body  # the operator's account

    for n in range(4, 14):
        assert world.run(day(n)).actions == []
    fee = world.run(day(14))
    assert [(a.step, a.action, a.fee) for a in fee.actions] == [
        ("second-reminder", "fee", D("50.00"))
    ]
    assert fee.fees == {"CZK": D("50.00")}
    with world.db.session() as session:
        second = session.scalars(
            sa.select(OutboxMessageRow.body).where(
                OutboxMessageRow.dedupe_key == f"{key}:second-reminder:sms"
            )
        ).one()
    assert "poplatek za upomínku 50,00 CZK" in second
    assert "Prosíme o úhradu 696,00 CZK" in second  # what is overdue and the fee
    with world.db.session() as session:
        entry = session.scalars(
            sa.select(LedgerEntryRow).where(LedgerEntryRow.kind == EntryKind.FEE.value)
        ).one()
        assert (entry.amount, entry.booked_on, entry.account_id) == (
            D("50.00"),
            day(14),
            world.account_id,
        )
        assert entry.source == f"dunning-fee:{world.account_id}:{DUE}:second-reminder"
        step = session.scalars(
            sa.select(DunningStepRow).where(DunningStepRow.step == "second-reminder")
        ).one()
        assert step.fee_entry_id == entry.id
        owed = sum(i.open for i in open_items(session, [world.account_id])[world.account_id])
        assert owed == D("696.00")

    suspension = world.run(day(21))
    assert [(a.step, a.action, a.lines, a.overdue) for a in suspension.actions] == [
        ("suspension", "suspend", (MOBILE, SECOND), D("696.00"))
    ]
    assert world.line() == ("suspended", day(21))
    assert world.line(SECOND) == ("suspended", day(21))
    assert ("line_suspended", "sms", f"{key}:suspension:sms") in world.messages()

    # the next run the same day, and a run the next day, take nothing new
    steps, messages = world.count(DunningStepRow), len(world.messages())
    assert world.run(day(21)).actions == []
    assert world.run(day(22)).actions == []
    assert (world.count(DunningStepRow), len(world.messages())) == (steps, messages)

    # the customer pays the invoice and the fee: both lines are back the same day
    paid_on = day(24)
    assert world.pay(paid_on, "696.00", "bank-1") == [
        (MOBILE, "active", paid_on),
        (SECOND, "active", paid_on),
    ]
    assert world.line() == ("active", paid_on)
    with world.db.session() as session:
        reasons = [
            (h.from_status, h.to_status, h.effective_on, h.reason)
            for h in lines.status_history(session, lines.find_line(session, MOBILE).id)
        ]
        assert reasons[-2:] == [
            ("active", "suspended", day(21), f"dunning step suspension: 646.00 CZK overdue since "
             f"{DUE}".replace("646.00", "696.00")),
            ("suspended", "active", paid_on, "debt paid"),
        ]  # fmt: skip
        moved = session.scalars(sa.select(DunningLineRow)).all()
        assert {m.restored_on for m in moved} == {paid_on}
        suspended = session.scalars(
            sa.select(DunningStepRow).where(DunningStepRow.step == "suspension")
        ).one()
        assert suspended.restored_on == paid_on
        kinds = session.scalars(
            sa.select(InteractionRow.kind)
            .where(InteractionRow.customer_id == world.customer_id)
            .order_by(InteractionRow.id)
        ).all()
    assert [k for k in kinds if k.startswith("dunning.")] == [
        "dunning.reminder",
        "dunning.fee",
        "dunning.suspend",
        "dunning.cleared",
    ]
    assert ("line_restored", "sms", f"{key}:restored:sms") in world.messages()

    # paid: later runs and a second restore do nothing
    assert world.pay(paid_on, "696.00", "bank-1") == []
    later = world.run(day(30))
    assert (later.actions, later.restored, later.cleared) == ([], [], [])


def test_dry_run_reports_and_writes_nothing(world: World) -> None:
    world.run(day(3))
    world.run(day(14))
    before = (
        world.count(DunningStepRow),
        world.count(OutboxMessageRow),
        world.count(InteractionRow),
    )
    dry = world.run(day(21), dry_run=True)
    assert [(a.step, a.lines, a.messages) for a in dry.actions] == [
        ("suspension", (MOBILE, SECOND), 2)
    ]
    assert dry.dry_run
    after = (
        world.count(DunningStepRow),
        world.count(OutboxMessageRow),
        world.count(InteractionRow),
    )
    assert after == before
    assert world.line() == ("active", date(2026, 3, 2))
    # a dry run may look ahead; a real run may not
    assert world.run(day(30), dry_run=True, look_ahead=True).actions
    with world.db.session() as session, pytest.raises(DunningError, match="is after today"):
        run_dunning(session, day(22), world.clock, ACTOR)


def test_a_promise_holds_the_ladder_until_its_date(world: World) -> None:
    world.run(day(3))
    world.at(day(10))
    with world.db.session() as session:
        add_promise(session, world.account, day(20), clock=world.clock, actor=ACTOR, amount=D(646))
        assert [h.kind for h in list_holds(session, day(10))] == ["promise"]
    held = world.run(day(14))
    assert held.actions == []
    assert held.held == [(world.account, f"promised: promise to pay by {day(20)}")]
    assert world.run(day(20)).actions == []
    resumed = world.run(day(21))
    assert [a.step for a in resumed.actions] == ["second-reminder"]
    # the suspension keeps its gap of 7 days after the second reminder
    assert world.run(day(27)).actions == []
    assert [a.step for a in world.run(day(28)).actions] == ["suspension"]


def test_an_exempt_account_is_left_alone_until_the_exemption_ends(world: World) -> None:
    world.at(day(1))
    with world.db.session() as session:
        add_exemption(
            session, world.account, "insolvency proceedings", clock=world.clock, actor=ACTOR
        )
    for n in (3, 14, 21):
        report = world.run(day(n))
        assert report.actions == []
        assert report.held == [(world.account, "exempt: insolvency proceedings")]
    assert world.count(DunningStepRow) == 0
    assert world.line() == ("active", date(2026, 3, 2))
    world.at(day(22))
    with world.db.session() as session:
        assert end_exemptions(session, world.account, clock=world.clock, actor=ACTOR) == 1
    assert [a.step for a in world.run(day(22)).actions] == ["reminder"]


def test_barring_and_termination_then_nothing_comes_back(world: World) -> None:
    for n in (3, 14, 21, 45):
        world.run(day(n))
    assert world.line() == ("barred", day(45))
    collections = world.run(day(60))
    assert [(a.action, a.lines) for a in collections.actions] == [("terminate", (MOBILE, SECOND))]
    assert world.line() == ("terminated", day(60))
    assert world.run(day(70)).done == [world.account]
    assert world.pay(day(75), "696.00", "bank-9") == []
    assert world.line() == ("terminated", day(60))
    with world.db.session() as session:
        assert session.scalars(
            sa.select(DunningStepRow.step).where(DunningStepRow.taken_on == day(75))
        ).all() == ["cleared"]


def test_a_line_the_customer_suspended_goes_back_to_suspended(world: World) -> None:
    world.at(day(1))
    with world.db.session() as session:
        lines.change_line_status(
            session, SECOND, LineStatus.SUSPENDED, reason="lost phone",
            clock=world.clock, actor=ACTOR,
        )  # fmt: skip
    for n in (3, 14, 21, 45):
        world.run(day(n))
    assert world.line(SECOND) == ("barred", day(45))
    assert world.pay(day(50), "696.00", "bank-2") == [
        (MOBILE, "active", day(50)),
        (SECOND, "suspended", day(50)),
    ]


def test_a_partial_payment_keeps_the_episode_and_a_later_debt_starts_a_new_one(
    world: World,
) -> None:
    world.run(day(3))
    world.run(day(14))
    world.run(day(21))
    assert world.pay(day(22), "600.00", "bank-3") == []  # 96 CZK still overdue
    assert world.line() == ("suspended", day(21))
    assert world.pay(day(23), "96.00", "bank-4") == [
        (MOBILE, "active", day(23)),
        (SECOND, "active", day(23)),
    ]
    # a new invoice, unpaid: a new episode, from its own due date, starting with a reminder
    issue(world, "399.00", day(40), 2)
    report = world.run(day(43))
    assert [(a.step, a.episode_start, a.overdue) for a in report.actions] == [
        ("reminder", day(40), D("399.00"))
    ]


def test_the_safety_net_restores_when_the_run_finds_the_debt_paid(world: World) -> None:
    for n in (3, 14, 21):
        world.run(day(n))
    world.at(day(25))
    with world.db.session() as session:  # a payment booked without calling restore
        import_payments(
            session,
            [
                IncomingPayment(
                    reference="bank-5", booked_on=day(25), amount=D("696.00"), currency="CZK",
                    variable_symbol=world.symbol, counterparty_account=None,
                    counterparty_name=None, message=None, statement="test",
                )
            ],
            world.clock,
        )  # fmt: skip
    dry = world.run(day(26), dry_run=True)
    assert [(r.msisdn, r.to_status) for r in dry.restored] == [
        (MOBILE, "active"),
        (SECOND, "active"),
    ]
    assert world.line() == ("suspended", day(21))
    report = world.run(day(26))
    assert report.cleared == [world.account]
    assert [(r.msisdn, r.effective_on) for r in report.restored] == [
        (MOBILE, day(26)),
        (SECOND, day(26)),
    ]
    assert world.line() == ("active", day(26))
    with world.db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(LineStatusChangeRow)) == 6
        assert {line.status for line in session.scalars(sa.select(LineRow))} == {"active"}


def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Consoles are made at import, whatever COLUMNS says: long paths must not wrap."""
    for console in (runtime.console, runtime.err_console):
        monkeypatch.setattr(console, "width", 400)


def test_the_dunning_commands(world: World, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "clock", lambda: world.clock)
    wide(monkeypatch)
    out = cli("dunning", "ladder")
    assert "consumer (dunned from 50.00 CZK, 2.00 EUR overdue)" in out
    assert "second-reminder" in out
    assert "the packaged default" in out

    world.at(day(3))
    dry = cli("dunning", "run", "--date", str(day(3)), "--dry-run")
    assert "dry run, nothing changed" in dry
    assert "would take 1 step (646.00 CZK overdue" in dry
    assert world.count(DunningStepRow) == 0
    out = cli("dunning", "run", "--date", str(day(3)))
    assert "20000001" in out
    assert "took 1 step (" in out
    assert "took 0 steps" in cli("dunning", "run", "--date", str(day(3)))
    refused = cli("dunning", "run", "--date", str(day(4)), expect=1)
    assert "is after today" in refused

    world.at(day(5))
    out = cli(
        "dunning", "promise", world.account, "--until", str(day(16)), "--amount", "646",
        "--note", "salary on the 1st",
    )  # fmt: skip
    assert f"pays by {day(16)}" in out
    world.at(day(14))
    out = cli("dunning", "run", "--date", str(day(14)))
    assert f"held {world.account}: promised: promise to pay by {day(16)}" in out
    assert "took 0 steps" in out

    status = cli("dunning", "status")
    assert "Open dunning episodes" in status
    assert f"{world.account}" in status
    assert "reminder" in status
    assert "promise 20000001 646.00" in status
    history = cli("dunning", "status", world.account)
    assert "646.00 CZK" in history

    assert "exempted from dunning" in cli("dunning", "exempt", world.account, "--reason", "court")
    assert "--reason is required" in cli("dunning", "exempt", world.account, expect=1)
    assert "1 exemption(s) ended" in cli("dunning", "exempt", world.account, "--end")
    assert "no billing account" in cli(
        "dunning", "promise", "99999999", "--until", str(day(20)), expect=1
    )


def test_a_broken_ladder_file_stops_the_command(
    world: World, cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    wide(monkeypatch)
    ladder = tmp_path / "my-ladder.yaml"
    ladder.write_text("segments:\n  consumer: {}\n", encoding="utf-8")
    monkeypatch.setenv("LINKA_DUNNING_LADDER", str(ladder))
    out = cli("dunning", "run", "--date", "2026-04-01", expect=1)
    assert "dunning ladder is invalid" in out
    assert f"{ladder}:2: segments.consumer.min_amount: required field is missing" in out
