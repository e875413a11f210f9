"""From what is due and what was invoiced to an invoice draft: reconciliation and VAT.

Reconciliation works per charge key: the line invoiced now is *due − already invoiced*,
so a key whose amount did not change adds nothing, a re-rated usage total adds the
difference, and a key no longer due (a fee of an offering the line left mid-period) is
credited back. VAT follows the Czech VAT act's rule: per rate, on the total of the lines
at that rate, rounded half up to haléře; each line shows its share, the rounding
remainder going to the largest line so that the lines add up to the summary. The total
may then be rounded to whole crowns with an explicit rounding line (not subject to VAT).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from linka.billing.charges import CENT, AccountProblemError
from linka.billing.model import (
    Charge,
    ChargeKind,
    InvoicedKey,
    InvoiceDraft,
    InvoiceKind,
    InvoiceLineDraft,
    TaxMode,
    VatSummary,
)

ZERO = Decimal(0)
KIND_ORDER = {
    ChargeKind.RECURRING: 0,
    ChargeKind.ONE_TIME: 1,
    ChargeKind.USAGE: 2,
    ChargeKind.DISCOUNT: 3,
    ChargeKind.ADJUSTMENT: 4,
}


def reconcile(
    due: Iterable[Charge], invoiced: Mapping[str, InvoicedKey]
) -> list[tuple[Charge, Decimal]]:
    """(charge, amount to invoice now) for every key whose due amount differs."""
    owed = {charge.key: charge for charge in due}
    result = []
    for key in owed.keys() | invoiced.keys():
        had = invoiced[key].amount if key in invoiced else ZERO
        charge = owed.get(key) or invoiced[key].template
        difference = (owed[key].amount if key in owed else ZERO) - had
        if difference != 0:
            result.append((charge, difference))
    result.sort(
        key=lambda item: (
            item[0].line_msisdn or "",
            KIND_ORDER[item[0].kind],
            item[0].period_start or date.min,
            item[0].key,
        )
    )
    return result


def vat_lines(
    lines: list[tuple[Charge, Decimal]], mode: TaxMode, rates: Mapping[str, Decimal]
) -> tuple[list[InvoiceLineDraft], list[VatSummary]]:
    """Each line's VAT share and the summary per rate (zero rate outside domestic VAT)."""
    by_code: dict[str, list[int]] = defaultdict(list)
    for index, (charge, _) in enumerate(lines):
        by_code[charge.vat_code].append(index)
    drafts: list[InvoiceLineDraft | None] = [None] * len(lines)
    summaries = []
    for code in sorted(by_code):
        members = by_code[code]
        if mode is TaxMode.DOMESTIC:
            if code not in rates:
                raise AccountProblemError(f"no VAT rate {code!r} on the tax point date")
            rate = rates[code]
        else:
            rate = ZERO
        base = sum((lines[i][1] for i in members), ZERO)
        vat = (base * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        shares = [
            (lines[i][1] * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP) for i in members
        ]
        remainder = vat - sum(shares, ZERO)
        if remainder:
            largest = max(range(len(members)), key=lambda j: (abs(lines[members[j]][1]), -j))
            shares[largest] += remainder
        for i, share in zip(members, shares, strict=True):
            drafts[i] = InvoiceLineDraft(lines[i][0], lines[i][1], rate, share)
        summaries.append(VatSummary(code, rate, base, vat))
    return [d for d in drafts if d is not None], summaries


def invoice_draft(
    account_id: int,
    lines: list[tuple[Charge, Decimal]],
    *,
    mode: TaxMode,
    rates: Mapping[str, Decimal],
    tax_point: date,
    period: tuple[date, date],
    currency: str,
    round_to_whole: bool,
    notes: tuple[str, ...] = (),
) -> InvoiceDraft:
    """An invoice of the reconciled lines with VAT, totals and the optional rounding."""
    drafts, summaries = vat_lines(lines, mode, rates)
    net = sum((s.base for s in summaries), ZERO)
    vat = sum((s.vat for s in summaries), ZERO)
    gross = net + vat
    rounding = ZERO
    if round_to_whole:
        rounding = gross.quantize(Decimal(1), rounding=ROUND_HALF_UP) - gross
    return InvoiceDraft(
        account_id=account_id,
        kind=InvoiceKind.INVOICE,
        tax_mode=mode,
        tax_point_date=tax_point,
        period_start=period[0],
        period_end=period[1],
        currency=currency,
        lines=tuple(drafts),
        vat=tuple(summaries),
        total_net=net,
        total_vat=vat,
        total_gross=gross,
        rounding=rounding,
        amount_due=gross + rounding,
        notes=notes,
    )
