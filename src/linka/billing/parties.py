"""The parties on an invoice, as they were when it was issued.

An issued invoice must keep showing the customer's name and address of that day even if
the customer moves later, so they are copied into the invoice (``invoices.parties``) in
the transaction that issues it. The supplier comes from the operator's settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
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


def customers(session: Session, account_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Per account: the customer's details for the invoice header (billing address first)."""
    rows = session.execute(
        select(BillingAccountRow, CustomerRow)
        .join(CustomerRow, CustomerRow.id == BillingAccountRow.customer_id)
        .where(BillingAccountRow.id.in_(list(account_ids)))
    ).all()
    result = {}
    for account, customer in rows:
        billing_address = account.billing_street is not None
        result[account.id] = {
            "name": customer.name,
            "customer_number": customer.number,
            "account_number": account.number,
            "ico": customer.ico,
            "dic": customer.dic,
            "email": account.billing_email or customer.email,
            "phone": customer.phone,
            "street": account.billing_street if billing_address else customer.street,
            "city": account.billing_city if billing_address else customer.city,
            "postal_code": (
                account.billing_postal_code if billing_address else customer.postal_code
            ),
            "country": (account.billing_country if billing_address else customer.country) or "CZ",
            "payment_method": account.payment_method,
            "iban": account.iban,
        }
    return result
