"""Bulk onboarding: grouping rows into customers and accounts, duplicates, determinism."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from linka.customers import services as customers
from linka.customers.errors import InvalidInputError
from linka.customers.fields import ACCOUNT_FIELDS, PARTY_FIELDS
from linka.customers.tables import CustomerRow
from linka.store.database import Database
from linka.store.registry import metadata
from linka.subscriptions import services as lines
from linka.subscriptions.bulk import LINE_FIELDS
from linka.subscriptions.onboarding import (
    REFERENCE_FIELDS,
    ROW_FIELDS,
    OnboardingRow,
    onboard_customers,
    plan_onboarding,
)
from tests.customers.builders import ACTOR, clock, count, iccid, imsi, row


def family_and_firm() -> list[OnboardingRow]:
    """Two customers: a family with two lines, a firm with two accounts and three lines."""
    firm = {
        "customer_ref": "F",
        "organisation_name": "Acme s.r.o.",
        "ico": "25123891",
        "street": "Dlouhá 5",
        "city": "Praha",
        "postal_code": "11000",
        "country": "CZ",
        "email": "info@acme.cz",
        "offering": "mobile-business",
        "first_name": None,
        "last_name": None,
    }
    return [
        row(customer_ref="N", msisdn="601000001"),
        row(**(firm | {"msisdn": "601000002", "account_ref": "sales"})),
        row(customer_ref="N", msisdn="601000003", first_name=None, last_name=None, email=None),
        OnboardingRow(customer_ref="F", account_ref="sales", msisdn="601000004",
                      offering="mobile-business"),
        OnboardingRow(customer_ref="F", account_ref="office", tax_profile="domestic",
                      payment_method="direct_debit", iban="CZ6508000000192000145399",
                      msisdn="+420212345678", offering="voip-fixed"),
    ]  # fmt: skip


def test_the_row_carries_exactly_the_fields_each_context_reads() -> None:
    fields = (*REFERENCE_FIELDS, *PARTY_FIELDS, *ACCOUNT_FIELDS, *LINE_FIELDS)
    assert sorted(fields) == sorted(ROW_FIELDS)
    assert len(fields) == len(ROW_FIELDS)


def test_rows_group_into_customers_accounts_and_lines(db: Database, loaded_catalog: Path) -> None:
    with db.session() as session:
        result = onboard_customers(
            session, family_and_firm(), clock=clock(), actor=ACTOR, source="test"
        )
    assert (result.customers, result.accounts, result.lines) == (2, 3, 5)
    assert result.customer_numbers == ["10000001", "10000002"]
    with db.session() as session:
        family = customers.get_customer(session, "10000001")
        firm = customers.get_customer(session, "10000002")
        assert (family.name, family.external_ref, firm.name, firm.external_ref) == (
            "Jan Novák",
            "N",
            "Acme s.r.o.",
            "F",
        )
        family_accounts = customers.accounts_of(session, family.id)
        firm_accounts = customers.accounts_of(session, firm.id)
        assert [a.number for a in family_accounts] == ["20000001"]
        assert [(a.number, a.payment_method) for a in firm_accounts] == [
            ("20000002", "bank_transfer"),
            ("20000003", "direct_debit"),
        ]
        owned = {
            a.number: [line.msisdn for line in lines.lines_of_accounts(session, [a.id])]
            for a in family_accounts + firm_accounts
        }
        assert owned == {
            "20000001": ["+420601000001", "+420601000003"],
            "20000002": ["+420601000002", "+420601000004"],
            "20000003": ["+420212345678"],
        }


def test_later_rows_may_repeat_but_not_contradict_their_customer(
    db: Database, loaded_catalog: Path
) -> None:
    rows = [
        row(customer_ref="N", msisdn="601000001"),
        row(customer_ref="N", msisdn="601000002", last_name="Nováková", bill_cycle_day="15"),
    ]
    with db.session() as session:
        plan = plan_onboarding(session, rows, clock=clock())
    assert [(i.row, i.field, i.message) for i in plan.issues] == [
        (
            1,
            "last_name",
            "'Nováková' differs from row 1, which defines this customer: leave it empty or "
            "repeat it exactly",
        ),
        (
            1,
            "bill_cycle_day",
            "'15' differs from row 1, which defines this account: leave it empty or repeat it "
            "exactly",
        ),
    ]
    assert plan.customers == []
    assert plan.rejected == {
        0: "not imported: its customer has problems on row 2",
        1: "last_name: 'Nováková' differs from row 1, which defines this customer: leave it "
        "empty or repeat it exactly; bill_cycle_day: '15' differs from row 1, which defines this "
        "account: leave it empty or repeat it exactly",
    }


def test_duplicates_within_the_input_are_errors_on_the_later_row(
    db: Database, loaded_catalog: Path
) -> None:
    firm = {
        "organisation_name": "A",
        "street": "A 1",
        "city": "Praha",
        "postal_code": "11000",
        "country": "CZ",
        "offering": "mobile-business",
        "first_name": None,
        "last_name": None,
    }
    rows = [
        row(customer_ref="1", email="a@example.cz", msisdn="601000001", variable_symbol="55"),
        row(customer_ref="2", email="A@example.cz", msisdn="601000002"),
        row(customer_ref="3", email="c@example.cz", msisdn="601 000 001", variable_symbol="055"),
        row(customer_ref="4", email="d@example.cz", ico="25123891", msisdn="601000004", **firm),
        row(customer_ref="5", email="e@example.cz", ico="25123891", msisdn="601000005", **firm),
    ]
    with db.session() as session:
        plan = plan_onboarding(session, rows, clock=clock())
    assert [str(i) for i in plan.issues] == [
        "email: duplicate e-mail a@example.cz: also on row 1",
        "variable_symbol: duplicate variable symbol 55: also on row 1",
        "msisdn: duplicate MSISDN +420601000001: also on row 1",
        "ico: duplicate IČO 25123891: also on row 4",
    ]
    assert [p.ref for p in plan.customers] == ["1", "4"]
    assert sorted(plan.rejected) == [1, 2, 4]


def test_duplicates_against_the_database(db: Database, loaded_catalog: Path) -> None:
    with db.session() as session:
        onboard_customers(session, family_and_firm(), clock=clock(), actor=ACTOR, source="test")
    again = [
        row(customer_ref="x", email="INFO@acme.cz", msisdn="601000009"),
        row(customer_ref="y", email="y@example.cz", msisdn="+420601000004"),
        row(customer_ref="z", customer_type="organisation", organisation_name="Acme a.s.",
            first_name=None, last_name=None, ico="25123891", street="A 1", city="Brno",
            postal_code="60200", country="CZ", email="z@acme.cz", msisdn="601000010",
            offering="mobile-business"),
    ]  # fmt: skip
    with db.session() as session, pytest.raises(InvalidInputError) as error:
        onboard_customers(session, again, clock=clock(), actor=ACTOR, source="test")
    assert [(i.row, str(i)) for i in error.value.issues] == [
        (0, "email: e-mail info@acme.cz belongs to customer 10000002"),
        (1, "msisdn: MSISDN +420601000004 is in use by a line of account 20000002"),
        (2, "ico: IČO 25123891 belongs to customer 10000002"),
    ]
    assert count(db, CustomerRow) == 2


def test_all_or_nothing_writes_nothing_when_one_row_is_bad(
    db: Database, loaded_catalog: Path
) -> None:
    rows = [*family_and_firm(), row(customer_ref="Q", email="q@example.cz", msisdn="12")]
    with db.session() as session, pytest.raises(InvalidInputError, match="row 6: msisdn"):
        onboard_customers(session, rows, clock=clock(), actor=ACTOR, source="test")
    assert count(db, CustomerRow) == 0


def dump(database: Database) -> dict[str, list[tuple[object, ...]]]:
    with database.engine.connect() as connection:
        return {
            table.name: [
                tuple(r) for r in connection.execute(sa.select(table).order_by(*table.primary_key))
            ]
            for table in metadata.sorted_tables
        }


def test_the_same_rows_give_the_same_database_content(
    sqlite_template: Path, catalog_dir: Path, tmp_path: Path
) -> None:
    from linka.catalog.compile import compile_catalog
    from linka.catalog.services import load_catalog

    contents = []
    for run in ("first", "second"):
        path = tmp_path / f"{run}.db"
        shutil.copy(sqlite_template, path)
        database = Database(f"sqlite:///{path}")
        with database.session() as session:
            load_catalog(session, compile_catalog(catalog_dir), source="t", clock=clock())
            onboard_customers(session, family_and_firm(), clock=clock(), actor=ACTOR, source="test")
        contents.append(dump(database))
        database.dispose()
    assert contents[0] == contents[1]
    assert len(contents[0]["service_lines"]) == 5


def many(count_: int, start: int = 0) -> list[OnboardingRow]:
    return [
        row(
            customer_ref=str(i),
            email=f"c{i}@example.cz",
            msisdn=f"+420601{i:06d}",
            iccid=iccid(i),
            imsi=imsi(i),
        )
        for i in range(start, start + count_)
    ]


def test_bulk_work_is_set_based(db: Database, loaded_catalog: Path) -> None:
    # given two batches of very different sizes
    statements: list[str] = []

    def record(_c: object, _cur: object, statement: str, *_rest: object) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    counts = []
    for size, start in ((20, 0), (800, 1000)):
        statements.clear()
        with db.session() as session:
            result = onboard_customers(
                session, many(size, start), clock=clock(), actor=ACTOR, source="test"
            )
        assert (result.customers, result.lines) == (size, size)
        counts.append(len(statements))
    sa.event.remove(db.engine, "before_cursor_execute", record)
    # then the number of SQL statements does not grow with the number of rows
    assert counts[0] == counts[1], counts
    assert counts[1] < 40
