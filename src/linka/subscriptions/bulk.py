"""Set-based creation of service lines: read, check against input and database, write.

Used for one line (``linka lines add``) and for 130,000 (the demo) alike. Checks:
MSISDN, ICCID and IMSI unique among the input and the lines that are not terminated;
the offering exists in the catalog version valid on the activation date, is sold to the
customer's segment and the account's payment type (prepaid offerings need a prepaid
account), and mobile offerings get mobile numbers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from linka.catalog.errors import CatalogNotLoadedError
from linka.catalog.services import offering_ids
from linka.catalog.tables import OfferingRow
from linka.customers.bulk import (
    BATCH,
    Progress,
    RowLabel,
    core_table,
    existing_values,
    ids_by,
)
from linka.customers.errors import FieldIssue
from linka.customers.errors import row_label as default_label
from linka.customers.fields import FieldReader
from linka.customers.identifiers import parse_date
from linka.customers.model import Actor
from linka.customers.tables import BillingAccountRow
from linka.customers.timeline import Interaction, record_interactions
from linka.kernel.clock import Clock, local_today
from linka.store.bulk import chunked
from linka.subscriptions.events import LineCreated
from linka.subscriptions.identifiers import normalize_iccid, normalize_imsi, parse_msisdn
from linka.subscriptions.model import INITIAL_STATUSES, LineInteraction, LineSpec, LineStatus
from linka.subscriptions.tables import LineOfferingRow, LineRow, LineStatusChangeRow

Raw = str | None


class LineFields(Protocol):
    """The fields that describe a new line."""

    @property
    def msisdn(self) -> Raw: ...
    @property
    def offering(self) -> Raw: ...
    @property
    def iccid(self) -> Raw: ...
    @property
    def imsi(self) -> Raw: ...
    @property
    def line_status(self) -> Raw: ...
    @property
    def activation_date(self) -> str | date | None: ...
    @property
    def installation_street(self) -> Raw: ...
    @property
    def installation_city(self) -> Raw: ...
    @property
    def installation_postal_code(self) -> Raw: ...
    @property
    def installation_country(self) -> Raw: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class LineInput:
    """Raw fields of one new line (see :class:`LineFields`)."""

    msisdn: Raw = None
    offering: Raw = None
    iccid: Raw = None
    imsi: Raw = None
    line_status: Raw = None
    activation_date: str | date | None = None
    installation_street: Raw = None
    installation_city: Raw = None
    installation_postal_code: Raw = None
    installation_country: Raw = None


LINE_FIELDS = tuple(f.name for f in dataclass_fields(LineInput))


@dataclass(slots=True)
class NewLine:
    """A valid line waiting to be written, with what the checks need about its account."""

    spec: LineSpec
    row: int | None = None
    segment: str = ""
    payment_type: str = ""
    timezone: str = "Europe/Prague"
    account_number: str = ""
    account_id: int = 0
    customer_id: int = 0
    id: int = 0


def line_given(fields: LineFields) -> bool:
    """Whether the input describes a line at all (an onboarding row may have none)."""
    return any(_given(getattr(fields, name)) for name in LINE_FIELDS)


def read_line(fields: LineFields, reader: FieldReader, today: date) -> LineSpec | None:
    """The line, or ``None`` after recording every problem; ``today`` is the account's."""
    before = reader.count
    msisdn = reader.parse("msisdn", fields.msisdn, parse_msisdn, required=True)
    offering = reader.text("offering", fields.offering, required=True, limit=63)
    status = reader.choice("line_status", fields.line_status, LineStatus, LineStatus.ACTIVE)
    if status is not None and status not in INITIAL_STATUSES:
        reader.fail("line_status", "a new line is pending or active; change its status later")
    activation = reader.parse("activation_date", fields.activation_date, parse_date)
    if status is LineStatus.PENDING and activation is not None:
        reader.fail(
            "activation_date",
            "is set when a pending line is activated (`linka lines status MSISDN --to active`)",
        )
    if status is LineStatus.ACTIVE:
        activation = activation or today
        if activation > today:
            reader.fail(
                "activation_date",
                f"{activation} is after today ({today}): create the line pending and activate "
                "it on that day",
            )
    iccid = reader.parse("iccid", fields.iccid, normalize_iccid)
    imsi = reader.parse("imsi", fields.imsi, normalize_imsi)
    address = reader.address(
        (
            "installation_street",
            "installation_city",
            "installation_postal_code",
            "installation_country",
        ),
        (
            fields.installation_street,
            fields.installation_city,
            fields.installation_postal_code,
            fields.installation_country,
        ),
    )
    if reader.count > before or msisdn is None or offering is None or status is None:
        return None
    return LineSpec(
        msisdn=msisdn.e164,
        mobile=msisdn.mobile,
        offering_id=offering,
        status=status,
        activation_date=activation if status is LineStatus.ACTIVE else None,
        iccid=iccid,
        imsi=imsi,
        installation_address=address,
    )


_LIVE = LineRow.status != LineStatus.TERMINATED.value


def _live(column: Any) -> Any:
    return (
        select(column, BillingAccountRow.number)
        .join(BillingAccountRow, BillingAccountRow.id == LineRow.account_id)
        .where(_LIVE)
    )


def check_lines(
    session: Session,
    lines: Sequence[NewLine],
    *,
    clock: Clock,
    label: RowLabel = default_label,
) -> list[FieldIssue]:
    """Duplicates within the input and against live lines; offering and eligibility."""
    issues: list[FieldIssue] = []
    for field_name, what in (("msisdn", "MSISDN"), ("iccid", "ICCID"), ("imsi", "IMSI")):
        seen: dict[str, int | None] = {}
        for line in lines:
            value = getattr(line.spec, field_name)
            if value is None:
                continue
            if value in seen:
                issues.append(
                    FieldIssue(
                        line.row,
                        field_name,
                        f"duplicate {what} {value}: also on {label(seen[value])}",
                    )
                )
            else:
                seen[value] = line.row
        column = getattr(LineRow, field_name)
        stored = existing_values(session, _live(column), column, seen)
        issues += [
            FieldIssue(
                line.row,
                field_name,
                f"{what} {getattr(line.spec, field_name)} is in use by a line of account "
                f"{stored[getattr(line.spec, field_name)]}",
            )
            for line in lines
            if getattr(line.spec, field_name) in stored
        ]
    catalog = Offerings(session)
    for line in lines:
        on = line.spec.activation_date or local_today(clock, line.timezone)
        problem = catalog.problem(line, on)
        if problem is not None:
            issues.append(FieldIssue(line.row, problem[0], problem[1]))
    return issues


class Offerings:
    """Offerings of the catalog version valid on a date, looked up once per date."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._by_date: dict[date, dict[str, OfferingRow] | str] = {}

    def problem(self, line: NewLine, on: date) -> tuple[str, str] | None:
        """(field, message) if ``line`` cannot have its offering on ``on``."""
        offerings = self._by_date.get(on)
        if offerings is None:
            try:
                offerings = offering_ids(self._session, on)
            except CatalogNotLoadedError as exc:
                offerings = str(exc)
            self._by_date[on] = offerings
        if isinstance(offerings, str):
            return "offering", offerings
        offering = offerings.get(line.spec.offering_id)
        if offering is None:
            return "offering", (
                f"unknown offering {line.spec.offering_id!r}: the catalog valid on {on} offers "
                f"{', '.join(sorted(offerings))}"
            )
        if line.segment not in offering.segments:
            return "offering", (
                f"offering {offering.id} is sold to {' and '.join(offering.segments)} customers, "
                f"not {line.segment}"
            )
        if line.payment_type not in offering.payment_types:
            return "offering", (
                f"offering {offering.id} needs a {' or '.join(offering.payment_types)} account, "
                f"but {_account(line)} is {line.payment_type} (see its payment_type)"
            )
        if offering.kind == "mobile" and not line.spec.mobile:
            return "msisdn", (
                f"{line.spec.msisdn} is not a mobile number, but {offering.id} is a mobile offering"
            )
        return None


def _account(line: NewLine) -> str:
    return f"account {line.account_number}" if line.account_number else "the account"


def insert_lines(
    session: Session,
    lines: Sequence[NewLine],
    *,
    clock: Clock,
    actor: Actor,
    reason: str = "created",
    progress: Progress | None = None,
) -> list[LineCreated]:
    """Write lines (account and customer ids set), their first status row and timeline entry."""
    now = clock.now()
    done = 0
    for batch in chunked(lines, BATCH):
        session.execute(insert(core_table(LineRow)), [_line_values(line, now) for line in batch])
        msisdns = [line.spec.msisdn for line in batch]
        ids = ids_by(session, LineRow.msisdn, LineRow.id, msisdns, _LIVE)
        for line in batch:
            line.id = ids[line.spec.msisdn]
        session.execute(
            insert(core_table(LineStatusChangeRow)),
            [
                {
                    "line_id": line.id,
                    "from_status": None,
                    "to_status": line.spec.status.value,
                    "effective_on": _first_date(line, clock),
                    "recorded_at": now,
                    "reason": reason[:500],
                    "actor": actor.name[:100],
                    "actor_channel": actor.channel[:20],
                }
                for line in batch
            ],
        )
        session.execute(
            insert(core_table(LineOfferingRow)),
            [
                {
                    "line_id": line.id,
                    "offering_id": line.spec.offering_id,
                    "valid_from": _first_date(line, clock),
                    "valid_to": None,
                    "recorded_at": now,
                    "reason": reason[:500],
                    "actor": actor.name[:100],
                }
                for line in batch
            ],
        )
        done += len(batch)
        if progress:
            progress("writing lines", done, len(lines))
    record_interactions(session, _creation_entries(lines, now, clock), actor)
    return [
        LineCreated(
            line.spec.msisdn, line.account_number, line.spec.offering_id, line.spec.status, now
        )
        for line in lines
    ]


def _first_date(line: NewLine, clock: Clock) -> date:
    return line.spec.activation_date or local_today(clock, line.timezone)


def _creation_entries(
    lines: Sequence[NewLine], now: datetime, clock: Clock
) -> Iterator[Interaction]:
    for line in lines:
        spec = line.spec
        since = f", active from {spec.activation_date}" if spec.activation_date else ", pending"
        yield Interaction(
            customer_id=line.customer_id,
            kind=LineInteraction.LINE_CREATED,
            summary=(
                f"Line {spec.msisdn} created on account {line.account_number} "
                f"({spec.offering_id}{since})"
            ),
            occurred_at=now,
            details={
                "msisdn": spec.msisdn,
                "account": line.account_number,
                "offering": spec.offering_id,
                "status": spec.status.value,
                "effective_on": _first_date(line, clock).isoformat(),
                "iccid": spec.iccid,
                "imsi": spec.imsi,
            },
            subject=f"line:{spec.msisdn}",
        )


def _line_values(line: NewLine, now: datetime) -> dict[str, Any]:
    spec = line.spec
    address = spec.installation_address
    return {
        "account_id": line.account_id,
        "msisdn": spec.msisdn,
        "iccid": spec.iccid,
        "imsi": spec.imsi,
        "offering_id": spec.offering_id,
        "status": spec.status.value,
        "activated_on": spec.activation_date,
        "terminated_on": None,
        "installation_street": address.street if address else None,
        "installation_city": address.city if address else None,
        "installation_postal_code": address.postal_code if address else None,
        "installation_country": address.country if address else None,
        "created_at": now,
    }


def _given(value: object) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))
