"""One account walked through several months: exact amounts computed by hand.

Demo catalog, amounts net of VAT: Mobil Základ 247.11/month in advance; Mobil Neomezeně
577.69; Business Mobil 449.00 in advance plus fleet management 30.00 in arrears, not
charged while suspended; VoIP line 123.14 with a 495.00 installation fee. VAT 21 %.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from linka.billing.charges import AccountProblemError, Pricebook
from linka.billing.model import AccountFacts, Discount, InvoicedKey, LineFacts, Segment, TaxMode
from linka.billing.statement import AccountInputs, bill_account
from linka.catalog.compile import compile_catalog

SINCE = date(2026, 3, 1)
D = Decimal


@pytest.fixture
def book(catalog_dir: Path) -> Pricebook:
    return Pricebook((compile_catalog(catalog_dir),))


def line(*segments: tuple[date, date | None, str, str], line_id: int = 1) -> LineFacts:
    return LineFacts(
        line_id=line_id,
        msisdn=f"+42060100000{line_id}",
        segments=tuple(Segment(*s) for s in segments),
        activated_on=segments[0][0],
    )


def account(
    *lines: LineFacts, tax_profile: str = "domestic", segment: str = "consumer"
) -> AccountFacts:
    return AccountFacts(
        account_id=1, number="20000001", customer_id=1, segment=segment,
        payment_type="postpaid", currency="CZK", cycle_day=1, timezone="Europe/Prague",
        tax_profile_id=tax_profile, language="cs", variable_symbol="20000001", lines=lines,
    )  # fmt: skip


class Ledger:
    """Runs bills month after month, remembering what each invoice held per key."""

    def __init__(self, book: Pricebook) -> None:
        self.book = book
        self.invoiced: dict[str, InvoicedKey] = {}

    def bill(self, inputs: AccountInputs, on: date) -> list[tuple[str, Decimal]] | None:
        inputs = AccountInputs(**{**inputs.__dict__, "invoiced": dict(self.invoiced)})
        draft = bill_account(inputs, self.book, on, SINCE, round_to_whole=True)
        if draft is None:
            return None
        for item in draft.lines:
            had = self.invoiced.get(item.charge.key)
            total = (had.amount if had else D(0)) + item.net
            self.invoiced[item.charge.key] = InvoicedKey(total, item.charge)
        self.last = draft
        return [(item.charge.key.split(":", 2)[-1], item.net) for item in draft.lines]


def test_activation_mid_month_then_whole_months(book: Pricebook):
    ledger = Ledger(book)
    inputs = AccountInputs(account(line((date(2026, 3, 10), None, "mobile-basic", "active"))))

    assert ledger.bill(inputs, date(2026, 4, 1)) == [
        ("mobile-basic:monthly:2026-03-01", D("175.37")),  # 247.11 × 22/31 = 175.368…
        ("mobile-basic:monthly:2026-04-01", D("247.11")),
    ]
    draft = ledger.last
    assert (draft.total_net, draft.total_vat, draft.total_gross) == (
        D("422.48"),
        D("88.72"),
        D("511.20"),
    )
    assert (draft.rounding, draft.amount_due) == (D("-0.20"), D("511.00"))
    assert (draft.tax_point_date, draft.period_start, draft.period_end) == (
        date(2026, 3, 31), date(2026, 3, 1), date(2026, 4, 1),
    )  # fmt: skip
    assert ledger.bill(inputs, date(2026, 4, 1)) is None  # running again adds nothing
    assert ledger.bill(inputs, date(2026, 4, 20)) is None  # nothing new before the next bill date
    assert ledger.bill(inputs, date(2026, 5, 1)) == [
        ("mobile-basic:monthly:2026-05-01", D("247.11"))
    ]


def test_offering_change_credits_the_old_and_charges_the_new(book: Pricebook):
    ledger = Ledger(book)
    before = AccountInputs(account(line((date(2026, 3, 1), None, "mobile-basic", "active"))))
    ledger.bill(before, date(2026, 4, 1))
    after = AccountInputs(
        account(
            line(
                (date(2026, 3, 1), date(2026, 4, 16), "mobile-basic", "active"),
                (date(2026, 4, 16), None, "mobile-unlimited", "active"),
            )
        )
    )
    assert ledger.bill(after, date(2026, 5, 1)) == [
        ("mobile-basic:monthly:2026-04-01", D("-123.55")),  # due 247.11 × 15/30 = 123.56
        ("mobile-unlimited:monthly:2026-04-01", D("288.85")),  # 577.69 × 15/30 = 288.845
        ("mobile-unlimited:monthly:2026-05-01", D("577.69")),
    ]
    assert ledger.last.total_net == D("742.99")


def test_suspension_stops_only_the_fees_that_say_so(book: Pricebook):
    ledger = Ledger(book)
    business = line(
        (date(2026, 3, 1), date(2026, 3, 11), "mobile-business", "active"),
        (date(2026, 3, 11), date(2026, 3, 21), "mobile-business", "suspended"),
        (date(2026, 3, 21), None, "mobile-business", "active"),
    )
    assert ledger.bill(AccountInputs(account(business, segment="business")), date(2026, 4, 1)) == [
        ("mobile-business:fleet-management:2026-03-01", D("20.32")),  # 30 × 21/31, in arrears
        ("mobile-business:monthly:2026-03-01", D("449.00")),
        ("mobile-business:monthly:2026-04-01", D("449.00")),
    ]


def test_termination_credits_the_unused_days(book: Pricebook):
    ledger = Ledger(book)
    active = line((date(2026, 3, 1), None, "mobile-basic", "active"))
    ledger.bill(AccountInputs(account(active)), date(2026, 4, 1))
    ended = line(
        (date(2026, 3, 1), date(2026, 4, 10), "mobile-basic", "active"),
        (date(2026, 4, 10), None, "mobile-basic", "terminated"),
    )
    assert ledger.bill(AccountInputs(account(ended)), date(2026, 5, 1)) == [
        ("mobile-basic:monthly:2026-04-01", D("-172.98")),  # due 247.11 × 9/30 = 74.13
    ]
    assert ledger.last.amount_due == D("-209.00")  # −172.98 − 36.33 VAT = −209.31 → −209


def test_a_discount_that_expires_mid_month(book: Pricebook):
    ledger = Ledger(book)
    discount = Discount(
        id=7, account_id=1, line_id=1, offering_id=None, percent=D(10), amount=None,
        valid_from=date(2026, 3, 1), valid_to=date(2026, 4, 16), description="věrnostní 10 %",
    )  # fmt: skip
    inputs = AccountInputs(
        account(line((date(2026, 3, 1), None, "mobile-basic", "active"))), discounts=[discount]
    )
    assert ledger.bill(inputs, date(2026, 4, 1)) == [
        ("mobile-basic:monthly:2026-03-01", D("247.11")),
        ("mobile-basic:monthly:2026-04-01", D("247.11")),
        ("2026-03-01:standard", D("-24.71")),  # 10 % of 247.11
        ("2026-04-01:standard", D("-12.36")),  # 10 % × 15/30 days valid = 12.3555
    ]
    assert ledger.bill(inputs, date(2026, 5, 1)) == [
        ("mobile-basic:monthly:2026-05-01", D("247.11"))
    ]


def test_reverse_charge_has_no_vat_and_the_legal_note(book: Pricebook):
    ledger = Ledger(book)
    firm = account(
        line((date(2026, 3, 1), None, "mobile-business", "active")),
        tax_profile="eu-reverse-charge",
        segment="business",
    )
    ledger.bill(AccountInputs(firm), date(2026, 4, 1))
    draft = ledger.last
    assert draft.tax_mode is TaxMode.REVERSE_CHARGE
    assert (draft.total_net, draft.total_vat, draft.amount_due) == (D("928.00"), D(0), D("928.00"))
    assert draft.notes == ("Daň odvede zákazník (čl. 196 směrnice 2006/112/ES).",)
    assert {v.rate for v in draft.vat} == {D(0)}


def test_vat_is_computed_per_rate_on_the_total(book: Pricebook):
    # three voip lines at 123.14: VAT on the total 369.42 × 21 % = 77.5782 → 77.58,
    # where three separate roundings of 25.8594 would give 77.57
    # (activated before billing started here: no installation fee on this bill)
    lines = [line((date(2026, 2, 1), None, "voip-fixed", "active"), line_id=i) for i in (1, 2, 3)]
    draft = bill_account(
        AccountInputs(account(*lines)), Pricebook(book.versions), date(2026, 3, 1), SINCE,
        round_to_whole=False,
    )  # fmt: skip
    assert draft is not None
    recurring = [item for item in draft.lines if item.charge.key.startswith("rc:")]
    assert [item.net for item in recurring] == [D("123.14")] * 3
    assert draft.total_vat == D("77.58")
    assert sum(item.vat for item in draft.lines) == draft.total_vat


def test_an_offering_missing_from_the_catalog_is_a_clear_problem(book: Pricebook):
    broken = account(line((date(2026, 3, 1), None, "mobile-2030", "active")))
    with pytest.raises(AccountProblemError, match="offering 'mobile-2030' is not in catalog"):
        bill_account(AccountInputs(broken), book, date(2026, 4, 1), SINCE, round_to_whole=True)


def test_a_tax_point_without_a_vat_rate_is_a_clear_problem(catalog_dir: Path):
    # given the standard rate ends on 15 March 2026 in the catalog (an edit gone wrong)
    taxes = catalog_dir / "taxes.yaml"
    text = taxes.read_text(encoding="utf-8")
    taxes.write_text(
        text.replace("    valid_from: 2013-01-01\n  - code: reduced", "    valid_from: 2013-01-01\n"
                     "    valid_to: 2026-03-15\n  - code: reduced", 1),
        encoding="utf-8",
    )  # fmt: skip
    book = Pricebook((compile_catalog(catalog_dir),))
    customer = account(line((date(2026, 3, 1), None, "mobile-basic", "active")))
    # then March (tax point 31 March) cannot be billed, and the reason names the rate
    with pytest.raises(AccountProblemError, match=r"20000001: .*standard"):
        bill_account(AccountInputs(customer), book, date(2026, 4, 1), SINCE, round_to_whole=True)
    # while February's bill (tax point 28 February) still can
    assert (
        bill_account(
            AccountInputs(customer), book, date(2026, 3, 1), date(2026, 2, 1), round_to_whole=True
        )
        is not None
    )
