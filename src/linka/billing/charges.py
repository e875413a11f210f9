"""What an account owes up to its last bill date: pure functions over plain values.

* **Recurring fees** per line, offering and fee period: due in advance once the period
  has started, in arrears once it has ended; prorated by day for the days the line had
  that offering in a chargeable status (active or barred; suspended only when the fee
  says so). A mid-period offering change therefore leaves a smaller amount due for the
  old offering (the bill run credits the difference) and a new one for the new offering.
* **Activation fees** on the day a line was activated, **one-time charges** (SIM swap,
  late fees) and **adjustments** once they have happened.
* **Usage** per line, bill period, service and zone from the rating run, once the
  period has ended.
* **Discounts** per bill period: a percentage of the recurring fees they cover, or a
  fixed amount prorated by the days they are valid.

Every amount is rounded once, half up to 0.01, where it is computed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from linka.billing.cycles import add_months, days, overlap, period_of, periods
from linka.billing.model import (
    CHARGEABLE,
    AccountFacts,
    Adjustment,
    Charge,
    ChargeKind,
    Discount,
    LineFacts,
    OneTimeCharge,
    Segment,
    UsageTotal,
)
from linka.catalog.model import Offering, RecurringFee
from linka.catalog.version import CatalogVersion
from linka.kernel.errors import LinkaError

CENT = Decimal("0.01")
FAR_FUTURE = date(9999, 12, 1)


class AccountProblemError(LinkaError):
    """An account cannot be billed as it is (no valid offering, no tax rate, currency…)."""


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Pricebook:
    """The catalog versions, oldest first: the one valid on a day prices that day."""

    versions: tuple[CatalogVersion, ...]

    def version_on(self, day: date) -> CatalogVersion:
        valid = [v for v in self.versions if v.effective_from <= day]
        if not valid:
            raise AccountProblemError(f"no catalog version is valid on {day}")
        return valid[-1]

    def offering_on(self, offering_id: str, day: date) -> Offering:
        version = self.version_on(day)
        try:
            return version.offering(offering_id)
        except KeyError:
            raise AccountProblemError(
                f"offering {offering_id!r} is not in catalog {version.manifest.version} "
                f"valid on {day}"
            ) from None


def _fee_periods(
    fee: RecurringFee, first: date, until: date, cycle_day: int
) -> list[tuple[date, date]]:
    return periods(first, until, cycle_day, months=fee.period.months)


def _covered_days(
    segments: Sequence[Segment], offering_id: str, fee: RecurringFee, span: tuple[date, date]
) -> int:
    total = 0
    for segment in segments:
        if segment.offering_id != offering_id:
            continue
        chargeable = segment.status in CHARGEABLE or (
            segment.status == "suspended" and fee.charge_while_suspended
        )
        if chargeable:
            total += overlap((segment.start, segment.end or FAR_FUTURE), span)
    return total


def recurring_charges(
    account: AccountFacts, line: LineFacts, book: Pricebook, bill_date: date, since: date
) -> list[Charge]:
    """Recurring fees of one line due by ``bill_date`` (periods starting on or after ``since``)."""
    charges = []
    first_days: dict[str, date] = {}
    for segment in line.segments:
        first_days.setdefault(segment.offering_id, segment.start)
    horizon = bill_date + timedelta(days=1)
    for offering_id, first_day in first_days.items():
        anchor = max(first_day, since)
        for fee in _fees_between(book, offering_id, anchor, horizon):
            for span in _fee_periods(fee, anchor, horizon, account.cycle_day):
                due = span[0] <= bill_date if fee.timing == "advance" else span[1] <= bill_date
                if not due or span[0] < since:
                    continue
                offering = book.offering_on(offering_id, span[0])
                current = next((f for f in offering.recurring_fees if f.id == fee.id), None)
                if current is None:
                    continue
                covered = _covered_days(line.segments, offering_id, current, span)
                if covered == 0:
                    continue
                length = days(*span)
                amount = cents(current.amount * covered / length)
                when_cs = when_en = ""  # the period is the line's own; a part is noted
                if covered != length:
                    when_cs, when_en = (
                        f" ({covered} z {length} dní)",
                        f" ({covered} of {length} days)",
                    )
                charges.append(
                    Charge(
                        key=f"rc:{line.line_id}:{offering_id}:{fee.id}:{span[0]}",
                        kind=ChargeKind.RECURRING,
                        amount=amount,
                        vat_code=offering.vat_rate,
                        description_cs=f"{current.name.cs}{when_cs}",
                        description_en=f"{current.name.en}{when_en}",
                        unit="month",
                        unit_price=amount,
                        line_id=line.line_id,
                        line_msisdn=line.msisdn,
                        period_start=span[0],
                        period_end=span[1],
                        source=f"offering {offering_id}, fee {fee.id} "
                        f"{current.amount.normalize():f}/{fee.period.value}, "
                        f"{covered}/{length} days",
                    )
                )
    return charges


def _fees_between(
    book: Pricebook, offering_id: str, first: date, until: date
) -> list[RecurringFee]:
    """The recurring fees the offering has in any version valid between the two days."""
    fees: dict[str, RecurringFee] = {}
    for version in book.versions:
        if version.effective_from >= until:
            continue
        try:
            offering = version.offering(offering_id)
        except KeyError:
            continue
        for fee in offering.recurring_fees:
            fees.setdefault(fee.id, fee)
    if not fees:
        book.offering_on(offering_id, first)  # raises the clear error when it is unknown
    return list(fees.values())


def activation_charges(
    line: LineFacts, book: Pricebook, run_date: date, since: date
) -> list[Charge]:
    """The offering's activation fee on the day the line was activated."""
    day = line.activated_on
    if day is None or day < since or day > run_date:
        return []
    segment = next((s for s in line.segments if s.start <= day < (s.end or FAR_FUTURE)), None)
    if segment is None:
        return []
    offering = book.offering_on(segment.offering_id, day)
    fee = next((f for f in offering.one_time_fees if f.id == "activation"), None)
    if fee is None or fee.amount == 0:
        return []
    return [
        Charge(
            key=f"act:{line.line_id}",
            kind=ChargeKind.ONE_TIME,
            amount=cents(fee.amount),
            vat_code=offering.vat_rate,
            description_cs=f"{fee.name.cs} {day:%-d. %-m. %Y}",
            description_en=f"{fee.name.en} {day:%-d %b %Y}",
            unit="piece",
            line_id=line.line_id,
            line_msisdn=line.msisdn,
            source=f"offering {offering.id}, one-time fee activation",
        )
    ]


_SERVICE_TEXT = {
    "voice": ("Hovory", "Calls"),
    "sms": ("SMS", "SMS"),
    "data": ("Data", "Data"),
}


def czech_plural(count: int, one: str, few: str, many: str) -> str:
    """Czech plural: 1 hovor, 2–4 hovory, 5 hovorů (also 0 and 11–14)."""
    if count == 1:
        return f"{count} {one}"
    return f"{count} {few if 2 <= count <= 4 else many}"


def english_plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _quantity_text(total: UsageTotal) -> tuple[str, str]:
    if total.service == "voice":
        minutes = Decimal(total.billable) / 60
        included = Decimal(total.included) / 60
        cs = f"{czech_plural(total.records, 'hovor', 'hovory', 'hovorů')}, {minutes:.1f} min"
        en = f"{english_plural(total.records, 'call')}, {minutes:.1f} min"
        if total.included:
            cs += f", z toho {included:.1f} min v ceně"
            en += f", {included:.1f} min included"
    elif total.service == "sms":
        cs = czech_plural(total.records, "zpráva", "zprávy", "zpráv")
        en = english_plural(total.records, "message")
        if total.included:
            cs += f", z toho {total.included} v ceně"
            en += f", {total.included} included"
    else:
        megabytes = Decimal(total.billable) / 1_000_000
        included = Decimal(total.included) / 1_000_000
        cs, en = f"{megabytes:.1f} MB", f"{megabytes:.1f} MB"
        if total.included:
            cs += f", z toho {included:.1f} MB v ceně"
            en += f", {included:.1f} MB included"
    return cs, en


def usage_charges(
    line: LineFacts, totals: Sequence[UsageTotal], book: Pricebook, bill_date: date, since: date
) -> list[Charge]:
    """One charge per bill period, service and zone whose period has ended."""
    charges = []
    for total in totals:
        if total.period_end > bill_date or total.period_start < since or total.micro == 0:
            continue
        segment = next(
            (s for s in reversed(line.segments) if s.start < total.period_end),
            line.segments[-1],
        )
        offering = book.offering_on(segment.offering_id, total.period_start)
        amount = cents(Decimal(total.micro).scaleb(-6))
        if amount == 0:
            continue
        name_cs, name_en = _SERVICE_TEXT.get(total.service, (total.service, total.service))
        qty_cs, qty_en = _quantity_text(total)
        charges.append(
            Charge(
                key=f"us:{line.line_id}:{total.period_start}:{total.service}:{total.zone_id}",
                kind=ChargeKind.USAGE,
                amount=amount,
                vat_code=offering.vat_rate,
                description_cs=f"{name_cs} – {total.zone_name_cs} ({qty_cs})",
                description_en=f"{name_en} – {total.zone_name_en} ({qty_en})",
                unit="piece",
                line_id=line.line_id,
                line_msisdn=line.msisdn,
                period_start=total.period_start,
                period_end=total.period_end,
                source=f"rating run {total.run_id}, {total.service} zone {total.zone_id}",
            )
        )
    return charges


def discount_charges(
    account: AccountFacts,
    discounts: Sequence[Discount],
    recurring: Sequence[Charge],
    book: Pricebook,
    bill_date: date,
    since: date,
) -> list[Charge]:
    """Discounts for every bill period they touch that is due (in advance, like fees)."""
    charges = []
    for discount in discounts:
        validity = (discount.valid_from, discount.valid_to or FAR_FUTURE)
        start = max(discount.valid_from, since)
        for span in periods(start, bill_date + timedelta(days=1), account.cycle_day):
            shared = overlap(span, validity)
            if shared == 0 or span[0] > bill_date or span[0] < since:
                continue
            covered = [
                c
                for c in recurring
                if c.period_start == span[0]
                and (discount.line_id is None or c.line_id == discount.line_id)
                and (discount.offering_id is None or f":{discount.offering_id}:" in c.key)
            ]
            by_code: dict[str, Decimal] = defaultdict(Decimal)
            for charge in covered:
                by_code[charge.vat_code] += charge.amount
            if discount.percent is not None:  # prorated by the days the discount is valid
                share = Decimal(shared) / days(*span)
                amounts = {
                    code: -cents(base * discount.percent / 100 * share)
                    for code, base in by_code.items()
                }
            else:
                assert discount.amount is not None
                code = covered[0].vat_code if covered else "standard"
                amounts = {code: -cents(discount.amount * shared / days(*span))}
            for code, amount in sorted(amounts.items()):
                if amount == 0:
                    continue
                charges.append(
                    Charge(
                        key=f"dc:{discount.id}:{span[0]}:{code}",
                        kind=ChargeKind.DISCOUNT,
                        amount=amount,
                        vat_code=code,
                        description_cs=f"Sleva: {discount.description}",
                        description_en=f"Discount: {discount.description}",
                        line_id=discount.line_id,
                        line_msisdn=covered[0].line_msisdn
                        if discount.line_id and covered
                        else None,
                        period_start=span[0],
                        period_end=span[1],
                        source=f"discount {discount.id}",
                    )
                )
    return charges


def adjustment_charges(adjustments: Sequence[Adjustment], run_date: date) -> list[Charge]:
    return [
        Charge(
            key=f"adj:{a.id}",
            kind=ChargeKind.ADJUSTMENT,
            amount=cents(a.amount),
            vat_code=a.vat_code,
            description_cs=a.description,
            description_en=a.description,
            line_id=a.line_id,
            source=f"adjustment {a.id}",
        )
        for a in adjustments
        if a.effective_on <= run_date
    ]


def one_time_charges(charges: Sequence[OneTimeCharge], run_date: date) -> list[Charge]:
    return [
        Charge(
            key=f"ot:{c.id}",
            kind=ChargeKind.ONE_TIME,
            amount=cents(c.amount),
            vat_code=c.vat_code,
            description_cs=f"{c.description_cs} {c.occurred_on:%-d. %-m. %Y}",
            description_en=f"{c.description_en} {c.occurred_on:%-d %b %Y}",
            line_id=c.line_id,
            source=f"charge {c.id} ({c.fee_id})",
        )
        for c in charges
        if c.occurred_on <= run_date
    ]


def account_period(account: AccountFacts, bill_date: date) -> tuple[date, date]:
    """The bill period that ended on ``bill_date`` (the one the invoice is for)."""
    return period_of(add_months(bill_date, -1), account.cycle_day)
