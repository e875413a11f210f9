"""Invoice documents built by hand, as billing would hand them to the renderers.

A Czech MVNO ("Linka Mobil s.r.o.") bills a business customer for March 2026: three mobile
lines, each with a monthly fee and usage, one with a loyalty discount, 21 % VAT, rounded to
whole crowns. Variants: English, a credit note, an EU reverse-charge customer, a customer
outside the EU, and a heavy user with many usage rows. The figures are computed here the
way billing computes them (line nets rounded to haléře, VAT on the per-rate total).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from linka.documents.model import (
    Address,
    BankDetails,
    DocumentKind,
    DocumentLine,
    DocumentParty,
    InvoiceDocument,
    LineKind,
    UsageItem,
    VatLine,
)

CENT = Decimal("0.01")
RATE = Decimal(21)

SUPPLIER = DocumentParty(
    name="Linka Mobil s.r.o.",
    address=Address("Vinohradská 2828/151", "Praha 3", "130 00", "CZ"),
    ico="28745132",
    dic="CZ28745132",
    email="fakturace@linkamobil.cz",
    phone="+420 800 100 200",
)
BANK = BankDetails(
    account_number="2000145399/0800",
    bank_code="0800",
    iban="CZ7908000000002000145399",
    bic="GIBACZPX",
    bank_name="Česká spořitelna, a.s.",
)
REGISTRATION = (
    "Společnost zapsaná v obchodním rejstříku vedeném Městským soudem v Praze, "
    "oddíl C, vložka 151234"
)
CUSTOMER = DocumentParty(
    name="Stavby Novák s.r.o.",
    address=Address("Palackého 1243/12", "Brno", "602 00", "CZ"),
    ico="08612048",
    dic="CZ08612048",
    email="ucetni@stavbynovak.cz",
)
EU_CUSTOMER = DocumentParty(
    name="Nordlicht Logistik GmbH",
    address=Address("Friedrichstraße 123", "Berlin", "10117", "DE"),
    dic="DE811569869",
)
NON_EU_CUSTOMER = DocumentParty(
    name="Harbor Freight Lines Inc.",
    address=Address("250 Vesey Street", "New York, NY", "10281", "US"),
)

# (msisdn, kind, Czech text, English text, quantity, Czech unit, English unit, unit price)
LINES: tuple[tuple[str, LineKind, str, str, str, str, str, str], ...] = (
    (
        "+420601123456",
        LineKind.RECURRING,
        "Tarif Profi 10 GB",
        "Profi 10 GB plan",
        "1",
        "měs.",
        "month",
        "412.40",
    ),
    (
        "+420601123456",
        LineKind.USAGE,
        "Volání mimo tarif",
        "Calls outside the plan",
        "37",
        "min",
        "min",
        "1.6529",
    ),
    (
        "+420602234567",
        LineKind.RECURRING,
        "Tarif Profi 5 GB",
        "Profi 5 GB plan",
        "1",
        "měs.",
        "month",
        "329.75",
    ),
    (
        "+420602234567",
        LineKind.USAGE,
        "Data nad rámec tarifu",
        "Data beyond the plan",
        "1.5",
        "GB",
        "GB",
        "82.6446",
    ),
    (
        "+420602234567",
        LineKind.DISCOUNT,
        "Věrnostní sleva 20 %",
        "Loyalty discount 20 %",
        "1",
        "ks",
        "pcs",
        "-65.95",
    ),
    (
        "+420603345678",
        LineKind.RECURRING,
        "Tarif Základ",
        "Basic plan",
        "1",
        "měs.",
        "month",
        "164.46",
    ),
    (
        "+420603345678",
        LineKind.USAGE,
        "SMS mimo tarif",
        "SMS outside the plan",
        "42",
        "SMS",
        "SMS",
        "1.2397",
    ),
)

PERIOD_START = date(2026, 3, 1)
INVOICE_UUID = "3e0c5a2b-7d41-5c9e-8f3a-1b2c3d4e5f60"
CREDIT_UUID = "6f1d2c3a-8b4e-5f60-9a7b-0c1d2e3f4a5b"
PERIOD_END = date(2026, 3, 31)


def _lines(language: str, rate: Decimal, sign: Decimal) -> tuple[DocumentLine, ...]:
    built = []
    for position, (msisdn, kind, cs, en, qty, unit_cs, unit_en, price) in enumerate(LINES, 1):
        quantity = Decimal(qty)
        unit_price = Decimal(price) * sign
        net = (quantity * unit_price).quantize(CENT, ROUND_HALF_UP)
        vat = (net * rate / 100).quantize(CENT, ROUND_HALF_UP)
        built.append(
            DocumentLine(
                position=position,
                kind=kind,
                description=cs if language == "cs" else en,
                quantity=quantity,
                unit=unit_cs if language == "cs" else unit_en,
                unit_price=unit_price,
                net=net,
                vat_rate=rate,
                vat=vat,
                gross=net + vat,
                line_msisdn=msisdn,
                period_start=PERIOD_START,
                period_end=PERIOD_END,
            )
        )
    return tuple(built)


def usage_items(count: int) -> tuple[UsageItem, ...]:
    """Deterministic itemised usage spread over the three lines (calls, SMS and data)."""
    items = []
    msisdns = ("+420601123456", "+420602234567", "+420603345678")
    start = datetime(2026, 3, 1, 7, 12)  # noqa: DTZ001 - local time of the account, as billed
    for i in range(count):
        when = start + timedelta(hours=5 * i, minutes=(i * 37) % 60)
        kind = ("voice", "voice", "sms", "data")[i % 4]
        included = i % 3 != 0
        if kind == "voice":
            quantity, number = f"{i % 9}:{(i * 13) % 60:02d}", f"+4206{(i * 7919) % 10**8:08d}"
        elif kind == "sms":
            quantity, number = "1 SMS", f"+4207{(i * 104729) % 10**8:08d}"
        else:
            quantity, number = f"{(i * 3.7) % 250:.1f} MB", ""
        price = Decimal(0) if included else Decimal("1.6529") * (1 + i % 4)
        items.append(
            UsageItem(
                line_msisdn=msisdns[i % 3],
                start=when,
                service=kind,
                direction="mo" if i % 5 else "mt",
                number=number,
                quantity=quantity,
                zone="CZ" if i % 7 else "EU",
                band="peak" if 7 <= when.hour < 19 else "offpeak",
                included=included,
                price=price.quantize(Decimal("0.0001")),
            )
        )
    return tuple(sorted(items, key=lambda item: (item.line_msisdn, item.start)))


def invoice(
    language: str = "cs",
    *,
    kind: DocumentKind = DocumentKind.INVOICE,
    customer: DocumentParty = CUSTOMER,
    reverse_charge: bool = False,
    outside_scope: bool = False,
    usage: int = 0,
    currency: str = "CZK",
    round_to_crowns: bool = True,
    **overrides: Any,
) -> InvoiceDocument:
    """A complete March 2026 invoice; keywords pick a variant, overrides replace fields."""
    rate = Decimal(0) if reverse_charge or outside_scope else RATE
    sign = Decimal(-1) if kind is DocumentKind.CREDIT_NOTE else Decimal(1)
    lines = _lines(language, rate, sign)
    total_net = sum((line.net for line in lines), Decimal(0))
    total_vat = (total_net * rate / 100).quantize(CENT, ROUND_HALF_UP)
    total_gross = total_net + total_vat
    rounding = Decimal("0.00")
    if round_to_crowns:
        rounding = total_gross.quantize(Decimal(1), ROUND_HALF_UP) - total_gross
    tax_note = None
    if reverse_charge:
        tax_note = (
            "Daň odvede zákazník (čl. 196 směrnice 2006/112/ES)"
            if language == "cs"
            else "Reverse charge: VAT to be accounted for by the customer "
            "(Art. 196 of Directive 2006/112/EC)"
        )
    elif outside_scope:
        tax_note = (
            "Plnění nepodléhá české DPH, místo plnění mimo EU (§ 9 odst. 1 zákona o DPH)"
            if language == "cs"
            else "Not subject to Czech VAT: place of supply outside the EU "
            "(Section 9(1) of the VAT Act)"
        )
    credit = kind is DocumentKind.CREDIT_NOTE
    document = InvoiceDocument(
        kind=kind,
        number="DB2026000007" if credit else "2026040123",
        uuid=CREDIT_UUID if credit else INVOICE_UUID,
        issue_date=date(2026, 4, 20) if credit else date(2026, 4, 1),
        tax_point_date=date(2026, 4, 20) if credit else PERIOD_END,
        due_date=date(2026, 5, 4) if credit else date(2026, 4, 15),
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        currency=currency,
        language=language,
        supplier=SUPPLIER,
        supplier_bank=BANK,
        supplier_registration=REGISTRATION,
        customer=customer,
        customer_number="100234",
        account_number="5000871",
        variable_symbol="2026000007" if credit else "2026040123",
        payment_method="bank_transfer",
        lines=lines,
        vat=(VatLine(rate=rate, base=total_net, vat=total_vat),),
        total_net=total_net,
        total_vat=total_vat,
        total_gross=total_gross,
        rounding=rounding,
        amount_due=total_gross + rounding,
        reverse_charge=reverse_charge,
        tax_note=tax_note,
        original_number="2026040123" if credit else None,
        original_issue_date=date(2026, 4, 1) if credit else None,
        correction_reason=(
            (
                "Reklamace: chybně účtované služby za březen 2026"
                if language == "cs"
                else "Complaint: services for March 2026 billed in error"
            )
            if credit
            else None
        ),
        usage=usage_items(usage),
    )
    return dataclasses.replace(document, **overrides)


def credit_note(language: str = "cs", **overrides: Any) -> InvoiceDocument:
    return invoice(language, kind=DocumentKind.CREDIT_NOTE, **overrides)


def reverse_charge_invoice(language: str = "en", **overrides: Any) -> InvoiceDocument:
    return invoice(
        language,
        customer=EU_CUSTOMER,
        reverse_charge=True,
        round_to_crowns=False,
        **overrides,
    )


def outside_scope_invoice(language: str = "en", **overrides: Any) -> InvoiceDocument:
    return invoice(
        language,
        customer=NON_EU_CUSTOMER,
        outside_scope=True,
        round_to_crowns=False,
        **overrides,
    )
