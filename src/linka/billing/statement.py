"""One account's bill as of a run date: every charge due, reconciled, taxed.

This is the heart of the bill run and it is pure: the bill run feeds it facts loaded
set-based from the database and stores what it returns. An account that cannot be billed
(no catalog offering for its line, no VAT rate on the tax point, a currency other than
its tariffs') raises :class:`~linka.billing.charges.AccountProblemError` with the reason;
the run reports it and goes on with the other accounts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from linka.billing.assemble import invoice_draft, reconcile
from linka.billing.charges import (
    AccountProblemError,
    Pricebook,
    account_period,
    activation_charges,
    adjustment_charges,
    discount_charges,
    one_time_charges,
    recurring_charges,
    usage_charges,
)
from linka.billing.cycles import last_bill_date
from linka.billing.model import (
    AccountFacts,
    Adjustment,
    Charge,
    Discount,
    InvoicedKey,
    InvoiceDraft,
    OneTimeCharge,
    TaxMode,
    UsageTotal,
)
from linka.customers.model import PaymentType


@dataclass(frozen=True)
class AccountInputs:
    """Everything the bill of one account depends on besides the catalog."""

    account: AccountFacts
    usage: Mapping[int, Sequence[UsageTotal]] = field(default_factory=dict)  # by line id
    discounts: Sequence[Discount] = ()
    adjustments: Sequence[Adjustment] = ()
    charges: Sequence[OneTimeCharge] = ()
    invoiced: Mapping[str, InvoicedKey] = field(default_factory=dict)


def due_charges(
    inputs: AccountInputs, book: Pricebook, run_date: date, since: date
) -> list[Charge]:
    """Every charge due by the account's last bill date on or before ``run_date``.

    A prepaid account's usage is not invoiced: it is paid from the line's prepaid credit
    (``linka prepaid deduct``); its fees and one-time charges are.
    """
    account = inputs.account
    invoice_usage = account.payment_type != PaymentType.PREPAID.value
    bill_date = last_bill_date(run_date, account.cycle_day)
    currency = book.version_on(bill_date).manifest.currency
    if account.currency != currency:
        raise AccountProblemError(
            f"account {account.number} is billed in {account.currency}, its tariffs in {currency}"
        )
    recurring: list[Charge] = []
    other: list[Charge] = []
    for line in account.lines:
        recurring += recurring_charges(account, line, book, bill_date, since)
        other += activation_charges(line, book, run_date, since)
        if invoice_usage:
            usage = inputs.usage.get(line.line_id, ())
            other += usage_charges(line, usage, book, bill_date, since)
    other += discount_charges(account, inputs.discounts, recurring, book, bill_date, since)
    other += adjustment_charges(inputs.adjustments, run_date)
    other += one_time_charges(inputs.charges, run_date)
    return recurring + other


def bill_account(
    inputs: AccountInputs,
    book: Pricebook,
    run_date: date,
    since: date,
    *,
    round_to_whole: bool,
) -> InvoiceDraft | None:
    """The invoice the account gets now, or None when nothing changed since the last one."""
    account = inputs.account
    lines = reconcile(due_charges(inputs, book, run_date, since), inputs.invoiced)
    if not lines:
        return None
    bill_date = last_bill_date(run_date, account.cycle_day)
    tax_point = bill_date - timedelta(days=1)
    version = book.version_on(tax_point)
    try:
        profile = version.tax_profile(account.tax_profile_id)
    except KeyError:
        raise AccountProblemError(
            f"account {account.number}: tax profile {account.tax_profile_id!r} is not in "
            f"catalog {version.manifest.version}"
        ) from None
    mode = TaxMode(profile.mode.value)
    rates = {}
    for code in {charge.vat_code for charge, _ in lines}:
        try:
            rates[code] = version.vat_rate(code, tax_point)
        except KeyError as exc:
            if mode is TaxMode.DOMESTIC:
                raise AccountProblemError(f"account {account.number}: {exc.args[0]}") from None
    notes = (profile.note.get(account.language),) if profile.note else ()
    return invoice_draft(
        account.account_id,
        lines,
        mode=mode,
        rates=rates,
        tax_point=tax_point,
        period=account_period(account, bill_date),
        currency=account.currency,
        round_to_whole=round_to_whole and account.currency == "CZK",
        notes=notes,
    )
