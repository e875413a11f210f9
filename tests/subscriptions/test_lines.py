"""Lines: creation checks, the lifecycle table, dated history rows and the timeline."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from linka.customers import services as customers
from linka.customers import timeline
from linka.customers.errors import InvalidInputError
from linka.kernel.clock import FakeClock
from linka.store.database import Database
from linka.subscriptions import services
from linka.subscriptions.bulk import LineInput
from linka.subscriptions.errors import LineNotFoundError, TransitionRefusedError
from linka.subscriptions.model import TRANSITIONS, LineStatus, check_transition
from linka.subscriptions.tables import LineRow, LineStatusChangeRow
from tests.customers.builders import ACTOR, START, account, clock, company, count, person

S = LineStatus
ALLOWED = {
    (S.PENDING, S.ACTIVE), (S.PENDING, S.TERMINATED),
    (S.ACTIVE, S.SUSPENDED), (S.ACTIVE, S.BARRED), (S.ACTIVE, S.TERMINATED),
    (S.SUSPENDED, S.ACTIVE), (S.SUSPENDED, S.BARRED), (S.SUSPENDED, S.TERMINATED),
    (S.BARRED, S.ACTIVE), (S.BARRED, S.SUSPENDED), (S.BARRED, S.TERMINATED),
}  # fmt: skip
MOBILE = "+420601000001"


@pytest.mark.parametrize("current", list(LineStatus))
@pytest.mark.parametrize("target", list(LineStatus))
def test_the_lifecycle_table(current: LineStatus, target: LineStatus) -> None:
    assert (target in TRANSITIONS[current]) == ((current, target) in ALLOWED)
    if (current, target) in ALLOWED:
        check_transition(current, target)
    else:
        with pytest.raises(
            TransitionRefusedError,
            match=f"a line cannot go from {current} to {target}; from {current} it may go to: ",
        ):
            check_transition(current, target)


@pytest.fixture
def accounts(db: Database, loaded_catalog: Path) -> Database:
    """A consumer on postpaid 20000001, a business on 20000002, a consumer on prepaid 20000003."""
    with db.session() as session:
        customers.create_customer(session, person(), account(), clock=clock(), actor=ACTOR)
        customers.create_customer(session, company(), account(), clock=clock(), actor=ACTOR)
        customers.create_customer(
            session,
            person(email="eva@example.cz"),
            account(payment_type="prepaid", payment_method="card"),
            clock=clock(),
            actor=ACTOR,
        )
    return db


def add(db: Database, account_number: str = "20000001", **fields: Any) -> LineRow:
    values: dict[str, Any] = {"msisdn": MOBILE, "offering": "mobile-basic"}
    with db.session() as session:
        return services.add_line(
            session, account_number, LineInput(**(values | fields)), clock=clock(), actor=ACTOR
        ).line


def history(db: Database, msisdn: str = MOBILE) -> list[tuple[str | None, str, date, str]]:
    with db.session() as session:
        line = services.find_line(session, msisdn)
        return [
            (h.from_status, h.to_status, h.effective_on, h.reason)
            for h in services.status_history(session, line.id)
        ]


def move(
    db: Database,
    target: LineStatus,
    reason: str = "asked",
    on: date | None = None,
    at: FakeClock | None = None,
    msisdn: str = MOBILE,
) -> None:
    with db.session() as session:
        services.change_line_status(
            session,
            msisdn,
            target,
            reason=reason,
            clock=at or clock(),
            actor=ACTOR,
            effective_on=on,
        )


def test_a_line_created_active_has_its_first_history_row_and_timeline_entry(
    accounts: Database,
) -> None:
    line = add(
        accounts, iccid="8942090000000000055", imsi="230990000000001", activation_date="2026-02-15"
    )
    assert (line.msisdn, line.status, line.activated_on, line.iccid, line.imsi) == (
        MOBILE,
        "active",
        date(2026, 2, 15),
        "8942090000000000055",
        "230990000000001",
    )
    assert history(accounts) == [(None, "active", date(2026, 2, 15), "created")]
    with accounts.session() as session:
        entry = timeline.timeline(session, 1, limit=1)[0]
    assert (entry.kind, entry.subject, entry.summary) == (
        "line.created",
        f"line:{MOBILE}",
        f"Line {MOBILE} created on account 20000001 (mobile-basic, active from 2026-02-15)",
    )


def test_walking_a_line_through_its_lifecycle(accounts: Database) -> None:
    add(accounts, line_status="pending")
    moving = clock()
    move(accounts, S.ACTIVE, "SIM delivered", at=moving)
    moving.advance(timedelta(days=10))
    move(accounts, S.SUSPENDED, "lost phone", at=moving)
    moving.advance(timedelta(days=3))
    move(accounts, S.BARRED, "unpaid invoice", at=moving)
    move(accounts, S.ACTIVE, "paid", at=moving)
    later = FakeClock(START + timedelta(days=20))
    move(accounts, S.TERMINATED, "moved abroad", on=date(2026, 3, 20), at=later)
    assert history(accounts) == [
        (None, "pending", date(2026, 3, 2), "created"),
        ("pending", "active", date(2026, 3, 2), "SIM delivered"),
        ("active", "suspended", date(2026, 3, 12), "lost phone"),
        ("suspended", "barred", date(2026, 3, 15), "unpaid invoice"),
        ("barred", "active", date(2026, 3, 15), "paid"),
        ("active", "terminated", date(2026, 3, 20), "moved abroad"),
    ]
    with accounts.session() as session:
        line = services.find_line(session, MOBILE)
        assert (line.status, line.activated_on, line.terminated_on) == (
            "terminated",
            date(2026, 3, 2),
            date(2026, 3, 20),
        )
        changes = timeline.timeline(session, 1, kind="line.status_changed")
        assert len(changes) == 5
        assert (
            changes[0].summary == f"Line {MOBILE} active → terminated from 2026-03-20: moved abroad"
        )
        assert changes[0].details["from"] == "active"


def test_refused_transitions_write_nothing(accounts: Database) -> None:
    add(accounts, line_status="pending")
    with pytest.raises(TransitionRefusedError, match="a line cannot go from pending to suspended"):
        move(accounts, S.SUSPENDED)
    move(accounts, S.TERMINATED, "never delivered")
    with pytest.raises(
        TransitionRefusedError,
        match="a line cannot go from terminated to active; from terminated it may go to: none",
    ):
        move(accounts, S.ACTIVE)
    assert count(accounts, LineStatusChangeRow) == 2


def test_effective_dates_are_never_in_the_future_nor_before_the_last_change(
    accounts: Database,
) -> None:
    add(accounts, activation_date="2026-02-15")
    with pytest.raises(TransitionRefusedError, match="effective date 2026-03-03 is after today"):
        move(accounts, S.SUSPENDED, on=date(2026, 3, 3))
    with pytest.raises(
        TransitionRefusedError, match="before the line's last status change \\(active on 2026-02-15"
    ):
        move(accounts, S.SUSPENDED, on=date(2026, 2, 14))
    with pytest.raises(InvalidInputError, match="reason: is required"):
        move(accounts, S.SUSPENDED, reason=" ")
    move(accounts, S.SUSPENDED, "back-dated paperwork", on=date(2026, 2, 20))
    assert history(accounts)[-1] == (
        "active",
        "suspended",
        date(2026, 2, 20),
        "back-dated paperwork",
    )


def test_activating_a_pending_line_checks_the_catalog_on_that_date(accounts: Database) -> None:
    add(accounts, line_status="pending")
    # the catalog starts on 2026-01-01; a pending line created 2026-03-02 cannot be
    # back-dated to before it exists, but the date order check comes first
    with pytest.raises(TransitionRefusedError, match="before the line's last status change"):
        move(accounts, S.ACTIVE, on=date(2025, 12, 31))
    with accounts.session() as session:
        line = services.find_line(session, MOBILE)
        session.execute(
            sa.update(LineStatusChangeRow)
            .where(LineStatusChangeRow.line_id == line.id)
            .values(effective_on=date(2025, 12, 1))
        )
    with pytest.raises(InvalidInputError, match="no catalog version is valid on 2025-12-31"):
        move(accounts, S.ACTIVE, on=date(2025, 12, 31))
    move(accounts, S.ACTIVE, on=date(2026, 1, 1))
    assert history(accounts)[-1][1:3] == ("active", date(2026, 1, 1))


def test_an_msisdn_is_unique_among_live_lines_only(accounts: Database) -> None:
    add(accounts)
    with pytest.raises(InvalidInputError) as error:
        add(accounts, "20000002", offering="mobile-business")
    assert [str(i) for i in error.value.issues] == [
        f"msisdn: MSISDN {MOBILE} is in use by a line of account 20000001"
    ]
    move(accounts, S.TERMINATED, "ported out")
    reused = add(accounts, "20000002", msisdn="601 000 001", offering="mobile-business")
    assert (reused.msisdn, reused.account_id) == (MOBILE, 2)
    with accounts.session() as session:
        # the live line is the one found by its number
        assert services.find_line(session, MOBILE).id == reused.id
        with pytest.raises(LineNotFoundError):
            services.find_line(session, "+420602999999")


def test_the_database_refuses_two_live_lines_with_one_msisdn(accounts: Database) -> None:
    first = add(accounts)
    values = {c.key: getattr(first, c.key) for c in LineRow.__table__.columns if c.key != "id"}
    with pytest.raises(IntegrityError), accounts.session() as session:
        session.execute(sa.insert(LineRow), [values | {"account_id": 2}])
    with accounts.session() as session:  # a terminated one may share it
        session.execute(sa.insert(LineRow), [values | {"status": "terminated"}])
    assert count(accounts, LineRow) == 2


@pytest.mark.parametrize(
    ("account_number", "fields", "problem"),
    [
        ("20000001", {"offering": "mobile-prepaid"},
         "offering: offering mobile-prepaid needs a prepaid account, but account 20000001 is "
         "postpaid (see its payment_type)"),
        ("20000003", {"offering": "mobile-basic"},
         "offering: offering mobile-basic needs a postpaid account, but account 20000003 is "
         "prepaid (see its payment_type)"),
        ("20000001", {"offering": "mobile-business"},
         "offering: offering mobile-business is sold to business customers, not consumer"),
        ("20000001", {"offering": "fibre-1g"},
         "offering: unknown offering 'fibre-1g': the catalog valid on 2026-03-02 offers "
         "mobile-basic, mobile-business, mobile-prepaid, mobile-unlimited, voip-fixed"),
        ("20000001", {"msisdn": "+420212345678"},
         "msisdn: +420212345678 is not a mobile number, but mobile-basic is a mobile offering"),
        ("20000001", {"activation_date": "2026-03-03"},
         "activation_date: 2026-03-03 is after today (2026-03-02): create the line pending and "
         "activate it on that day"),
        ("20000001", {"line_status": "pending", "activation_date": "2026-03-01"},
         "activation_date: is set when a pending line is activated "
         "(`linka lines status MSISDN --to active`)"),
        ("20000001", {"line_status": "barred"},
         "line_status: a new line is pending or active; change its status later"),
        ("20000001", {"iccid": "8942090000000000056"},
         "iccid: ICCID '8942090000000000056' fails the Luhn check: a digit is mistyped"),
        ("20000001", {"installation_street": "Nová 1"},
         "installation_city: is required"),
    ],
)  # fmt: skip
def test_a_line_must_fit_its_account_and_the_catalog(
    accounts: Database, account_number: str, fields: dict[str, str], problem: str
) -> None:
    with pytest.raises(InvalidInputError) as error:
        add(accounts, account_number, **fields)
    assert str(error.value.issues[0]) == problem
    assert count(accounts, LineRow) == 0


def test_prepaid_and_fixed_lines_on_matching_accounts(accounts: Database) -> None:
    prepaid = add(accounts, "20000003", offering="mobile-prepaid")
    fixed = add(
        accounts,
        "20000001",
        msisdn="212 345 678",
        offering="voip-fixed",
        installation_street="Dlouhá 5",
        installation_city="Praha",
        installation_postal_code="11000",
        installation_country="CZ",
    )
    assert (prepaid.offering_id, prepaid.status) == ("mobile-prepaid", "active")
    assert (fixed.msisdn, fixed.installation_postal_code) == ("+420212345678", "110 00")


def test_an_offering_change_is_dated_and_rating_sees_both_offerings(accounts: Database) -> None:
    from linka.usage.lines import line_directory

    add(accounts, activation_date="2026-02-01")
    with accounts.session() as session:
        change = services.change_line_offering(
            session,
            MOBILE,
            "mobile-unlimited",
            reason="upgrade",
            clock=clock(),
            actor=ACTOR,
            effective_on=date(2026, 2, 20),
        )
    assert change.events[0].from_offering == "mobile-basic"
    with accounts.session() as session:
        line = services.find_line(session, MOBILE)
        periods = [
            (o.offering_id, o.valid_from, o.valid_to)
            for o in services.offering_history(session, line.id)
        ]
        directory = line_directory(session)
    assert line.offering_id == "mobile-unlimited"
    assert periods == [
        ("mobile-basic", date(2026, 2, 1), date(2026, 2, 20)),
        ("mobile-unlimited", date(2026, 2, 20), None),
    ]
    assert directory.select("offering_id", "active_from", "active_until").rows() == [
        ("mobile-basic", date(2026, 2, 1), date(2026, 2, 19)),
        ("mobile-unlimited", date(2026, 2, 20), None),
    ]


def test_an_offering_change_is_refused_when_it_does_not_fit(accounts: Database) -> None:
    add(accounts, activation_date="2026-02-01")
    with (
        pytest.raises(TransitionRefusedError, match="already has mobile-basic"),
        accounts.session() as s,
    ):
        services.change_line_offering(
            s, MOBILE, "mobile-basic", reason="x", clock=clock(), actor=ACTOR
        )
    with pytest.raises(InvalidInputError, match="mobile-business"), accounts.session() as s:
        # a consumer account cannot take the business-only offering
        services.change_line_offering(
            s, MOBILE, "mobile-business", reason="x", clock=clock(), actor=ACTOR
        )
    with pytest.raises(TransitionRefusedError, match="must be after"), accounts.session() as s:
        services.change_line_offering(
            s, MOBILE, "mobile-unlimited", reason="x", clock=clock(), actor=ACTOR,
            effective_on=date(2026, 1, 15),
        )  # fmt: skip
