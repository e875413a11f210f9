"""Allocating money and matching payments: the pure rules, exact and by property."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from linka.payments.allocation import after, allocate
from linka.payments.matching import Directory, match_payment, payer_key, symbol_digits
from linka.payments.model import IncomingPayment, MatchRule, OpenItem

D = Decimal


def item(invoice_id: int, due: int, open_amount: str, account_id: int = 1) -> OpenItem:
    return OpenItem(
        invoice_id, account_id, f"FA2026{invoice_id:06d}", date(2026, 4, due), D(open_amount)
    )


def payment(
    amount: str, symbol: str | None = None, payer: str | None = None, currency: str = "CZK"
) -> IncomingPayment:
    return IncomingPayment(
        reference="ref-1", booked_on=date(2026, 4, 20), amount=D(amount), currency=currency,
        variable_symbol=symbol, counterparty_account=payer, counterparty_name="Jan Novák",
        message=None, statement="test",
    )  # fmt: skip


def test_a_payment_pays_the_invoice_it_names_then_the_oldest() -> None:
    items = [item(1, 15, "500.00"), item(2, 1, "300.00"), item(3, 10, "200.00")]
    allocations, left = allocate(D("650.00"), items, named=3)
    assert [(a.invoice_id, a.amount) for a in allocations] == [
        (3, D("200.00")),
        (2, D("300.00")),
        (1, D("150.00")),
    ]
    assert left == 0
    assert [(i.invoice_id, i.open) for i in after(items, allocations)] == [(1, D("350.00"))]


def test_an_overpayment_leaves_credit_and_a_partial_payment_leaves_the_invoice_open() -> None:
    allocations, left = allocate(D("1000.00"), [item(1, 15, "646.00")])
    assert [(a.invoice_id, a.amount) for a in allocations] == [(1, D("646.00"))]
    assert left == D("354.00")
    allocations, left = allocate(D("100.00"), [item(1, 15, "646.00")])
    assert after([item(1, 15, "646.00")], allocations)[0].open == D("546.00")
    assert left == 0


cents = st.integers(min_value=0, max_value=10_000_000).map(lambda c: D(c) / 100)


@given(
    cents,
    st.lists(st.tuples(st.integers(1, 28), cents.filter(lambda a: a > 0)), max_size=12),
    st.booleans(),
)
def test_allocation_never_pays_more_than_is_open_or_received(
    amount: Decimal, opens: list[tuple[int, Decimal]], name_first: bool
) -> None:
    items = [
        OpenItem(i, 1, f"FA{i}", date(2026, 4, due), open_) for i, (due, open_) in enumerate(opens)
    ]
    named = 0 if name_first and items else None
    allocations, left = allocate(amount, items, named)
    assert sum((a.amount for a in allocations), D(0)) + left == amount
    assert all(a.amount > 0 for a in allocations)
    by_id = {i.invoice_id: i.open for i in items}
    assert all(a.amount <= by_id[a.invoice_id] for a in allocations)
    # money is left over only when every invoice is paid in full
    assert left == 0 or after(items, allocations) == []
    if named is not None and allocations:
        assert allocations[0].invoice_id == named


DIRECTORY = Directory(
    invoices={"2026000004": (4, 1)},
    accounts={"20000001": 1, "20000002": 2},
    payers={payer_key("CZ65 0800 0000 1920 0014 5399") or "": 2},
    currencies={1: "CZK", 2: "CZK"},
)


def test_matching_by_invoice_number_account_symbol_then_payer_and_amount() -> None:
    opens = {2: [item(7, 15, "299.00", 2), item(8, 20, "150.00", 2)]}
    by_invoice = match_payment(payment("646.00", "2026000004"), DIRECTORY, opens)
    assert (by_invoice.account_id, by_invoice.invoice_id, by_invoice.rule) == (
        1,
        4,
        MatchRule.INVOICE_SYMBOL,
    )
    by_account = match_payment(payment("646.00", "0020000001"), DIRECTORY, opens)
    assert (by_account.account_id, by_account.invoice_id, by_account.rule) == (
        1,
        None,
        MatchRule.ACCOUNT_SYMBOL,
    )
    by_payer = match_payment(payment("150.00", None, "cz6508000000192000145399"), DIRECTORY, opens)
    assert (by_payer.account_id, by_payer.invoice_id, by_payer.rule) == (
        2,
        8,
        MatchRule.AMOUNT_AND_PAYER,
    )


def test_what_names_nothing_or_another_currency_waits_for_a_person() -> None:
    opens = {2: [item(7, 15, "299.00", 2)]}
    unknown = match_payment(payment("299.00", "123"), DIRECTORY, opens)
    assert (unknown.account_id, unknown.rule) == (None, MatchRule.NONE)
    assert unknown.reason == "unknown variable symbol; payer and amount name no invoice"
    wrong_amount = match_payment(
        payment("300.00", None, "CZ6508000000192000145399"), DIRECTORY, opens
    )
    assert wrong_amount.account_id is None
    euro = match_payment(payment("646.00", "2026000004", currency="EUR"), DIRECTORY, opens)
    assert (euro.account_id, euro.reason) == (None, "paid in EUR, account is billed in CZK")


def test_symbols_are_compared_as_banks_do() -> None:
    assert symbol_digits("VS: 0020000001") == "20000001"
    assert symbol_digits("FA2026000004") == "2026000004"
    assert symbol_digits("000") is None
    assert symbol_digits(None) is None
