"""The catalog as typed values: what the YAML files say, after validation.

Field names here are the keys of the catalog files; ``docs/catalog.md`` documents each
one. Every model forbids unknown keys so a typo is an error, not a silently ignored
line. Amounts are ``Decimal`` parsed from the file's text (never through float).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from linka.kernel.ids import check_slug
from linka.kernel.money import Rounding, check_currency

Slug = Annotated[str, AfterValidator(check_slug)]
Currency = Annotated[str, AfterValidator(check_currency)]
NonNegative = Annotated[Decimal, Field(ge=0, decimal_places=6, allow_inf_nan=False)]
Positive = Annotated[Decimal, Field(gt=0, decimal_places=6, allow_inf_nan=False)]
Prefix = Annotated[str, Field(pattern=r"^[1-9][0-9]{0,14}$")]


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}: expected an IANA name") from exc
    return name


def _check_country(code: str) -> str:
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown country {code!r}: expected an ISO 3166 alpha-2 code")
    return code


TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]
Country = Annotated[str, AfterValidator(_check_country)]


class Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, coerce_numbers_to_str=True
    )


class LocalText(Strict):
    """Text in Czech and English; a plain string in the file serves both."""

    cs: str = Field(min_length=1)
    en: str = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _from_plain(cls, value: object) -> object:
        if isinstance(value, str):
            return {"cs": value, "en": value}
        return value

    def get(self, language: str) -> str:
        return self.cs if language == "cs" else self.en


class Service(StrEnum):
    VOICE = "voice"
    SMS = "sms"
    DATA = "data"


class Direction(StrEnum):
    """Mobile originated (the line calls or sends) or terminated (the line receives)."""

    MO = "mo"
    MT = "mt"


class Increments(Strict):
    """Billing increments a/b: the first ``a`` seconds are charged whole, then steps of ``b``."""

    first: int = Field(ge=1, le=3600)
    next: int = Field(ge=1, le=3600)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: object) -> object:
        if isinstance(value, str):
            match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", value)
            if not match:
                raise ValueError(f"increments {value!r}: expected 'a/b' such as 60/1 or 30/6")
            return {"first": int(match[1]), "next": int(match[2])}
        return value

    def __str__(self) -> str:
        return f"{self.first}/{self.next}"


# -- manifest -----------------------------------------------------------------------------


class Manifest(Strict):
    """``catalog.yaml``: which catalog this folder is and from when it is valid."""

    id: Slug
    name: str = Field(min_length=1)
    version: str = Field(min_length=1, max_length=40)
    effective_from: date
    currency: Currency = "CZK"
    timezone: TimeZoneName = "Europe/Prague"


# -- taxes ----------------------------------------------------------------------------------


class TaxMode(StrEnum):
    DOMESTIC = "domestic"  # VAT charged at the item's rate
    REVERSE_CHARGE = "reverse_charge"  # EU B2B: no VAT, the customer accounts for it
    OUTSIDE_SCOPE = "outside_scope"  # place of supply outside the EU: no Czech VAT


class VatRate(Strict):
    code: Slug
    rate: Annotated[Decimal, Field(ge=0, le=100)]
    valid_from: date
    valid_to: date | None = None  # exclusive

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise ValueError("valid_to must be after valid_from")
        return self


class TaxProfile(Strict):
    id: Slug
    name: LocalText
    mode: TaxMode
    note: LocalText | None = None  # the legal note printed on the invoice


class Taxes(Strict):
    """``taxes.yaml``."""

    vat_rates: list[VatRate] = Field(min_length=1)
    tax_profiles: list[TaxProfile] = Field(min_length=1)


# -- roaming --------------------------------------------------------------------------------


class RoamingZone(Strict):
    id: Slug
    name: LocalText
    roam_like_at_home: bool = False
    rest_of_world: bool = False
    countries: list[Country] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_countries(self) -> Self:
        if not self.countries and not self.rest_of_world:
            raise ValueError("a roaming zone needs countries or rest_of_world: true")
        return self


class Roaming(Strict):
    """``roaming.yaml``: where a line is when it is not at home."""

    home_country: Country = "CZ"
    zones: list[RoamingZone] = Field(min_length=1)


# -- tariffs --------------------------------------------------------------------------------

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$|^24:00$")


def _minutes(text: str) -> int:
    if not _CLOCK.match(text):
        raise ValueError(f"time {text!r}: expected HH:MM from 00:00 to 24:00")
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


class TimeBand(Strict):
    """A band applies on its ``days`` from ``start`` (inclusive) to ``end`` (exclusive).

    Bands are tried in file order and the first that matches wins; a band without days
    and times matches always, so the last band is usually the catch-all.
    """

    id: Slug
    name: LocalText | None = None
    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS), min_length=1)
    start: str = "00:00"
    end: str = "24:00"

    @model_validator(mode="after")
    def _range(self) -> Self:
        if _minutes(self.start) >= _minutes(self.end):
            raise ValueError(f"start {self.start} must be before end {self.end}")
        return self

    @property
    def start_minute(self) -> int:
        return _minutes(self.start)

    @property
    def end_minute(self) -> int:
        return _minutes(self.end)

    @property
    def day_mask(self) -> int:
        """Bit i set when the band applies on weekday i (Monday = 0)."""
        return sum(1 << WEEKDAYS.index(day) for day in set(self.days))


class Zone(Strict):
    """A named destination zone: the E.164 prefixes (digits, no '+') that lead to it."""

    id: Slug
    name: LocalText
    prefixes: list[Prefix] = Field(min_length=1)


class Tier(Strict):
    """From ``from_units`` units used in the bill period on, the price is ``price``."""

    from_units: NonNegative
    price: NonNegative


class Rate(Strict):
    """Price of one zone (and optionally one band); unset fields take the section's defaults."""

    zone: Slug | None = None  # None: any destination (data, or a catch-all)
    band: Slug | None = None  # None: every band
    price: NonNegative | None = None  # per minute, per message or per data unit
    tiers: list[Tier] | None = None
    connection_fee: NonNegative | None = None
    minimum_charge: NonNegative | None = None
    increments: Increments | None = None

    @model_validator(mode="after")
    def _priced(self) -> Self:
        if (self.price is None) == (self.tiers is None):
            raise ValueError("give either price or tiers")
        if self.tiers is not None:
            starts = [t.from_units for t in self.tiers]
            if starts[0] != 0 or starts != sorted(set(starts)):
                raise ValueError("tiers must start at from_units 0 and increase strictly")
        return self


class UsageSection(Strict):
    """Rates of one service with the defaults its rates inherit."""

    increments: Increments = Increments(first=1, next=1)
    connection_fee: NonNegative = Decimal(0)
    minimum_charge: NonNegative = Decimal(0)
    rates: list[Rate] = Field(default_factory=list)
    decks: list[str] = Field(default_factory=list)  # carrier CSV files (voice only)


class DataSection(UsageSection):
    """Data is priced per ``unit_bytes``; volume is rounded up to ``increment_bytes`` first."""

    unit_bytes: int = Field(default=1_000_000, gt=0)  # 1 MB
    increment_bytes: int = Field(default=1_000, gt=0)  # per started kB


class RoamingRate(Strict):
    """Prices while the line is in a roaming zone that is not roam-like-at-home."""

    zone: Slug
    voice_mo_per_minute: NonNegative
    voice_mt_per_minute: NonNegative = Decimal(0)
    sms_mo_per_message: NonNegative
    data_per_unit: NonNegative
    increments: Increments = Increments(first=60, next=60)


class Scope(Strict):
    """Where an allowance applies: destination zones and the line's location."""

    id: Slug
    zones: list[Slug] | None = None  # None: every destination
    roaming: list[Slug] = Field(default_factory=lambda: ["home"])  # 'home' or roaming zones


class Tariff(Strict):
    """One tariff file in ``tariffs/``."""

    id: Slug
    name: LocalText
    currency: Currency | None = None  # default: the manifest's
    timezone: TimeZoneName | None = None  # default: the manifest's
    rounding_places: int = Field(default=4, ge=0, le=6)
    rounding_mode: Rounding = Rounding.HALF_UP
    time_bands: list[TimeBand] = Field(min_length=1)
    zones: list[Zone] = Field(default_factory=list)
    scopes: list[Scope] = Field(default_factory=list)
    voice: UsageSection = UsageSection()
    sms: UsageSection = UsageSection(increments=Increments(first=1, next=1))
    data: DataSection = DataSection()
    roaming: list[RoamingRate] = Field(default_factory=list)

    @field_validator("sms", "data")
    @classmethod
    def _no_decks(cls, section: UsageSection) -> UsageSection:
        if section.decks:
            raise ValueError("rate decks are for voice only")
        return section


# -- offerings ------------------------------------------------------------------------------


class Segment(StrEnum):
    CONSUMER = "consumer"
    BUSINESS = "business"


class PaymentType(StrEnum):
    PREPAID = "prepaid"
    POSTPAID = "postpaid"


class ProductKind(StrEnum):
    MOBILE = "mobile"
    FIXED_VOICE = "fixed_voice"
    BROADBAND = "broadband"


class Period(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"

    @property
    def months(self) -> int:
        return {"month": 1, "quarter": 3, "year": 12}[self.value]


class Timing(StrEnum):
    ADVANCE = "advance"
    ARREARS = "arrears"


class Unit(StrEnum):
    MINUTE = "minute"
    MESSAGE = "message"
    MB = "MB"

    @property
    def service(self) -> Service:
        return {"minute": Service.VOICE, "message": Service.SMS, "MB": Service.DATA}[self.value]


class Eligibility(Strict):
    segments: list[Segment] = Field(default_factory=lambda: list(Segment), min_length=1)
    payment: list[PaymentType] = Field(default_factory=lambda: [PaymentType.POSTPAID], min_length=1)


class RecurringFee(Strict):
    id: Slug
    name: LocalText
    amount: NonNegative
    period: Period = Period.MONTH
    timing: Timing = Timing.ADVANCE
    charge_while_suspended: bool = True


class OneTimeFee(Strict):
    id: Slug
    name: LocalText
    amount: NonNegative


class Allowance(Strict):
    """Units included per bill period, consumed in start-time order by usage in ``scope``."""

    id: Slug
    quantity: Positive
    unit: Unit
    scope: Slug


class Offering(Strict):
    id: Slug
    name: LocalText
    kind: ProductKind = ProductKind.MOBILE
    tariff: Slug
    vat_rate: Slug = "standard"
    eligibility: Eligibility = Eligibility()
    recurring_fees: list[RecurringFee] = Field(default_factory=list)
    one_time_fees: list[OneTimeFee] = Field(default_factory=list)
    allowances: list[Allowance] = Field(default_factory=list)


class Offerings(Strict):
    """``offerings.yaml``."""

    offerings: list[Offering] = Field(min_length=1)


# -- usage sources ----------------------------------------------------------------------------


class UsageSource(Strict):
    """A named usage source: the input format its files have and the reader's options.

    The options are checked by the usage context (``linka catalog validate`` runs that
    check too); for the ``generic`` format they hold the ``column_map``.
    """

    id: Slug
    name: LocalText
    format: str = Field(min_length=1)
    options: dict[str, Any] = Field(default_factory=dict)


class Sources(Strict):
    """``sources.yaml`` (optional)."""

    sources: list[UsageSource] = Field(default_factory=list)
