"""The parties on an invoice, as they were when it was issued.

An issued invoice must keep showing the customer's name and address of that day even if
the customer moves later, so they are copied into the invoice (``invoices.parties``) in
the transaction that issues it. The supplier comes from the operator's settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from linka.customers.tables import BillingAccountRow, CustomerRow
from linka.settings import Settings


def supplier(settings: Settings) -> dict[str, Any]:
    return {
        "name": settings.operator_name,
        "ico": settings.operator_ico,
        "dic": settings.operator_dic,
        "street": settings.operator_street,
        "city": settings.operator_city,
        "postal_code": settings.operator_postal_code,
        "country": settings.operator_country,
        "email": settings.operator_email,
        "phone": settings.operator_phone,
        "registration": settings.operator_registration,
        "bank_account": settings.operator_bank_account,
        "iban": settings.operator_iban,
        "bic": settings.operator_bic,
        "bank_name": settings.operator_bank_name,
    }


# Billing address of the account where it has one, else the customer's own.
ADDRESS = ("street", "city", "postal_code", "country")
SNAPSHOT = ("name", "customer_number", "account_number", "ico", "dic", "email", "phone",
            "payment_method", "iban", *ADDRESS)  # fmt: skip


def customers(session: Session, account_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Per account: the customer's details for the invoice header (billing address first)."""
    account, customer = BillingAccountRow, CustomerRow
    rows = session.execute(
        select(
            account.id.label("account_id"),
            customer.name,
            customer.number.label("customer_number"),
            account.number.label("account_number"),
            customer.ico,
            customer.dic,
            func.coalesce(account.billing_email, customer.email).label("email"),
            customer.phone,
            account.payment_method,
            account.iban,
            account.billing_street.is_not(None).label("billing_address"),
            *(getattr(account, f"billing_{part}").label(f"billing_{part}") for part in ADDRESS),
            *(getattr(customer, part).label(part) for part in ADDRESS),
        )
        .join(customer, customer.id == account.customer_id)
        .where(account.id.in_(list(account_ids)))
    ).mappings()
    result = {}
    for row in rows:
        values = {key: row[key] for key in SNAPSHOT}
        if row["billing_address"]:
            values |= {part: row[f"billing_{part}"] for part in ADDRESS}
        values["country"] = values["country"] or "CZ"
        result[row["account_id"]] = values
    return result
