"""Properties of the invoice arithmetic, for any charges: VAT, rounding, reconciliation."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from linka.billing.assemble import invoice_draft, reconcile, vat_lines
from linka.billing.model import Charge, ChargeKind, InvoicedKey, TaxMode

RATES = {"standard": Decimal(21), "reduced": Decimal(12)}
CENT = Decimal("0.01")

amounts = st.integers(min_value=-500_000, max_value=5_000_000).map(lambda c: Decimal(c) * CENT)
charges = st.builds(
    lambda key, amount, code: Charge(
        key=f"k{key}",
        kind=ChargeKind.RECURRING,
        amount=amount,
        vat_code=code,
        description_cs="x",
        description_en="x",
    ),
    st.integers(min_value=0, max_value=30),
    amounts,
    st.sampled_from(sorted(RATES)),
)
line_lists = st.lists(st.tuples(charges, amounts), min_size=1, max_size=25)


@given(line_lists)
def test_vat_per_rate_is_the_rounded_rate_of_the_total_and_the_lines_add_up(
    lines: list[tuple[Charge, Decimal]],
) -> None:
    drafts, summaries = vat_lines(lines, TaxMode.DOMESTIC, RATES)
    assert [d.net for d in drafts] == [net for _, net in lines]  # nothing lost or reordered
    for summary in summaries:
        members = [d for d in drafts if d.charge.vat_code == summary.code]
        assert summary.base == sum((d.net for d in members), Decimal(0))
        exact = summary.base * summary.rate / 100
        assert summary.vat == exact.quantize(CENT, rounding=ROUND_HALF_UP)
        assert sum((d.vat for d in members), Decimal(0)) == summary.vat
        # every share is its line's own VAT but for a remainder below a haléř per line
        for draft in members:
            own = (draft.net * summary.rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
            assert abs(draft.vat - own) <= CENT * len(members)


@given(line_lists, st.booleans())
def test_totals_and_rounding_to_whole_crowns(
    lines: list[tuple[Charge, Decimal]], whole: bool
) -> None:
    draft = invoice_draft(
        1, lines, mode=TaxMode.DOMESTIC, rates=RATES, tax_point=date(2026, 3, 31),
        period=(date(2026, 3, 1), date(2026, 4, 1)), currency="CZK", round_to_whole=whole,
    )  # fmt: skip
    assert draft.total_gross == draft.total_net + draft.total_vat
    assert draft.amount_due == draft.total_gross + draft.rounding
    if whole:
        assert draft.amount_due == draft.amount_due.to_integral_value()
        assert abs(draft.rounding) <= Decimal("0.50")
    else:
        assert draft.rounding == 0


@given(st.lists(charges, max_size=20), st.lists(charges, max_size=20))
def test_reconciling_invoices_exactly_the_difference_and_then_nothing(
    earlier: list[Charge], due: list[Charge]
) -> None:
    due_by_key = {c.key: c for c in due}  # a key is due once
    invoiced: dict[str, InvoicedKey] = {}
    for charge in earlier:
        had = invoiced.get(charge.key)
        invoiced[charge.key] = InvoicedKey((had.amount if had else 0) + charge.amount, charge)
    now = reconcile(due_by_key.values(), invoiced)
    after = dict(invoiced)
    for charge, amount in now:
        had = after.get(charge.key)
        after[charge.key] = InvoicedKey((had.amount if had else 0) + amount, charge)
    for key in due_by_key.keys() | invoiced.keys():
        expected = due_by_key[key].amount if key in due_by_key else 0
        assert (after[key].amount if key in after else 0) == expected
    assert reconcile(due_by_key.values(), after) == []  # running again adds nothing
