"""ISO 20022 payment initiation files (pain.008 direct debits, pain.001 transfers) via sepaxml.

sepaxml builds and validates the XML against the schema it ships; this module gives it
the creditor from the settings, turns ``Decimal`` amounts into the integer cents it
wants (exactly, never through ``float``), and writes the files where the bank upload
picks them up: ``<data dir>/sepa/``, written to a temporary name and renamed, so a
half-written file is never seen.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from schwifty import BIC, IBAN
from sepaxml import SepaDD, SepaTransfer  # type: ignore[import-untyped]
from sepaxml.validation import ValidationError  # type: ignore[import-untyped]
from stdnum.eu import at_02

from linka.payments.sepa.errors import SepaError
from linka.settings import Settings

DIRECT_DEBIT_SCHEMA = "pain.008.001.02"
TRANSFER_SCHEMA = "pain.001.001.03"


@dataclass(frozen=True)
class Creditor:
    """The operator as it appears in the files: collecting money and paying refunds."""

    name: str
    iban: str
    bic: str
    creditor_id: str  # SEPA creditor identifier, e.g. CZ30ZZZ27074358

    @classmethod
    def from_settings(cls, settings: Settings) -> Creditor:
        identifier = "".join(settings.operator_sepa_creditor_id.split()).upper()
        if not at_02.is_valid(identifier):
            raise SepaError(
                f"LINKA_OPERATOR_SEPA_CREDITOR_ID {settings.operator_sepa_creditor_id!r} is not "
                "a valid SEPA creditor identifier (e.g. CZ30ZZZ27074358)"
            )
        return cls(
            name=settings.operator_name,
            iban=checked_iban(settings.operator_iban, "LINKA_OPERATOR_IBAN"),
            bic=checked_bic(settings.operator_bic, "LINKA_OPERATOR_BIC"),
            creditor_id=identifier,
        )


def checked_iban(value: str, what: str = "IBAN") -> str:
    """``value`` as a compact IBAN, or a user error saying what is wrong with it."""
    try:
        return str(IBAN(value).compact)
    except ValueError as exc:
        raise SepaError(f"{what} {value!r} is not a valid IBAN: {exc}") from None


def checked_bic(value: str, what: str = "BIC") -> str:
    try:
        return str(BIC(value).compact)
    except ValueError as exc:
        raise SepaError(f"{what} {value!r} is not a valid BIC: {exc}") from None


def cents(amount: Decimal) -> int:
    """An amount in cents, refused when it has more than two decimals."""
    scaled = amount * 100
    if scaled != scaled.to_integral_value():
        raise SepaError(f"amount {amount} has more than two decimals")
    return int(scaled)


def direct_debit_document(creditor: Creditor, currency: str, message_id: str) -> Any:
    """An empty pain.008 (SEPA Core), one payment-information block per debit.

    ``message_id`` is linka's (from its clock), not sepaxml's random one, so the batch
    stored with each debit is reproducible.

    Not batch-booked (``BtchBookg`` false): the bank credits every debit as its own
    statement entry carrying its end-to-end id, so the import matches each to its invoice.
    """
    document = SepaDD(
        {
            "name": creditor.name, "IBAN": creditor.iban, "BIC": creditor.bic,
            "batch": False, "creditor_id": creditor.creditor_id, "currency": currency,
            "instrument": "CORE",
        },
        schema=DIRECT_DEBIT_SCHEMA,
    )  # fmt: skip
    document.msg_id = message_id
    return document


def transfer_document(creditor: Creditor, currency: str) -> Any:
    """An empty pain.001 credit transfer batch, for paying refunds out."""
    return SepaTransfer(
        {
            "name": creditor.name, "IBAN": creditor.iban, "BIC": creditor.bic,
            "batch": True, "currency": currency,
        },
        schema=TRANSFER_SCHEMA,
    )  # fmt: skip


def export_document(document: Any) -> bytes:
    """The document's XML, validated against its ISO 20022 schema."""
    try:
        return bytes(document.export(validate=True, pretty_print=True))
    except ValidationError as exc:
        raise SepaError(f"the {document.schema} file does not validate: {exc.__cause__}") from None


def write_file(directory: Path, kind: str, on: date, message_id: str, data: bytes) -> Path:
    """Write ``data`` as ``<kind>-<date>-<message id>.xml`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{kind}-{on.isoformat()}-{message_id}.xml"
    temporary = path.with_suffix(".part")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return path
