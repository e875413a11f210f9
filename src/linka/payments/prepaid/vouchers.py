"""Top-up vouchers: issued in batches with random codes, each redeemable once.

The code is shown once, when the batch is created (to print on scratch cards or hand to
a reseller); afterwards only its hash exists. Redemption is refused, naming why, for a
mistyped code (the check digit does not match), an unknown one, one already redeemed
and one past its last valid day. A conditional update (``redeemed_at IS NULL``) marks
the voucher, so two redemptions racing each other cannot both succeed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import polars as pl
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from linka.customers.model import Actor
from linka.kernel.clock import Clock, local_today
from linka.payments.prepaid.balances import VOUCHER, Booking, book_credit, check_credit_amount
from linka.payments.prepaid.codes import check_digit_ok, hash_code, new_code, normalize_code
from linka.payments.prepaid.errors import PrepaidError, VoucherRefusedError
from linka.payments.prepaid.lines import PrepaidTerms, prepaid_line
from linka.payments.prepaid.tables import VoucherRow
from linka.store.bulk import bulk_insert

SERIAL_PREFIX = "V"
SERIAL_DIGITS = 10


@dataclass(frozen=True)
class IssuedVoucher:
    """A new voucher with its secret code: the only time the code is known."""

    serial: str
    code: str
    amount: Decimal
    currency: str
    valid_until: date


def create_vouchers(
    session: Session,
    count: int,
    amount: Decimal,
    valid_until: date,
    *,
    currency: str,
    clock: Clock,
    key: bytes | None,
) -> list[IssuedVoucher]:
    """Issue ``count`` vouchers of ``amount`` with consecutive serials (``V0000000001`` …)."""
    if count < 1:
        raise PrepaidError(f"count {count}: issue at least one voucher")
    check_credit_amount(amount, currency)
    last = session.scalar(
        select(func.max(VoucherRow.serial)).where(VoucherRow.serial.like(f"{SERIAL_PREFIX}%"))
    )
    first = int(last.removeprefix(SERIAL_PREFIX)) + 1 if last else 1
    issued = [
        IssuedVoucher(
            f"{SERIAL_PREFIX}{first + i:0{SERIAL_DIGITS}d}",
            new_code(),
            amount,
            currency,
            valid_until,
        )
        for i in range(count)
    ]
    bulk_insert(
        session,
        VoucherRow,
        pl.DataFrame(
            {
                "serial": [v.serial for v in issued],
                "code_hash": [hash_code(v.code, key) for v in issued],
                "amount": [amount] * count,
                "currency": [currency] * count,
                "valid_until": [valid_until] * count,
                "created_at": [clock.now()] * count,
            }
        ),
    )
    return issued


def redeem_voucher(
    session: Session,
    msisdn: str,
    code: str,
    *,
    clock: Clock,
    actor: Actor,
    terms: PrepaidTerms,
    key: bytes | None,
) -> Booking:
    """Top up the line holding ``msisdn`` with the voucher whose code is ``code``."""
    digits = normalize_code(code)
    if digits is None or not check_digit_ok(digits):
        raise VoucherRefusedError(
            "mistyped",
            f"voucher code {code!r} is mistyped: expected 16 digits with a matching check "
            "digit; check the code and type it again",
        )
    line = prepaid_line(session, msisdn)
    voucher = session.scalars(
        select(VoucherRow).where(VoucherRow.code_hash == hash_code(digits, key))
    ).first()
    if voucher is None:
        raise VoucherRefusedError("unknown", "unknown voucher code: no voucher has this code")
    if voucher.redeemed_at is not None:
        raise VoucherRefusedError(
            "redeemed",
            f"voucher {voucher.serial} was already redeemed on {voucher.redeemed_at:%Y-%m-%d}",
        )
    today = local_today(clock, line.timezone)
    if voucher.valid_until < today:
        raise VoucherRefusedError(
            "expired", f"voucher {voucher.serial} expired on {voucher.valid_until.isoformat()}"
        )
    if voucher.currency != line.currency:
        raise PrepaidError(
            f"voucher {voucher.serial} is in {voucher.currency}, line {line.msisdn} in "
            f"{line.currency}"
        )
    marked = session.execute(
        update(VoucherRow)
        .where(VoucherRow.id == voucher.id, VoucherRow.redeemed_at.is_(None))
        .values(redeemed_at=clock.now(), redeemed_line_id=line.line_id)
        .execution_options(synchronize_session=False)
    )
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        raise VoucherRefusedError("redeemed", f"voucher {voucher.serial} was just redeemed")
    return book_credit(
        session,
        line,
        kind=VOUCHER,
        amount=voucher.amount,
        source=f"voucher:{voucher.serial}",
        description=f"Voucher {voucher.serial}",
        clock=clock,
        actor=actor,
        terms=terms,
    )
