"""The demo operator's customers: a deterministic mix of Czech households and firms.

:func:`generate_customers` turns ``(count, seed, today)`` into onboarding rows — one
:class:`~linka.subscriptions.onboarding.OnboardingRow` per line — that the ordinary
onboarding path checks and writes, so the demo exercises exactly what a real import
does. It is a pure function: one ``random.Random(seed)`` drives every choice in a fixed
order, so the same arguments always give the same rows (and, written to an empty
database, the same customer and account numbers).

The mix, chosen to look like a small Czech MVNO and to give later bill runs work:

- about 80 % persons (consumer segment) with one line, some with a family of 2–3 lines;
  a prepaid line sits on a prepaid account of its own (the catalog sells prepaid only
  to prepaid accounts), so a family can have a postpaid and a prepaid account;
- about 20 % organisations (business segment): Czech companies (s.r.o., a.s., …) with
  IČO and mostly DIČ ``CZ`` + IČO, sole traders (IČO, no DIČ), and a handful of EU
  companies (VAT id, reverse charge) and non-EU companies (outside the scope of VAT);
  firms have 1–8 lines, mostly Business Mobil, their fixed lines on an "office" account;
- lines: prepaid ~15 %, Mobil Základ ~35 %, Mobil Neomezeně ~20 %, Business Mobil
  ~20 %, fixed VoIP ~10 %; about 70 % of the lines were active when the catalog took
  effect (the base migrated on its ``effective_from``), the rest were sold on the days
  since, and ~2 % are pending (SIM not delivered yet). :func:`choose_suspensions` picks
  ~1 % of the active lines that the customer has since suspended.

Identifiers come from :mod:`linka.demo.identities` (valid check digits, never a real
subject); MSISDNs, IČOs, e-mail addresses and SIM serials are tracked so none repeats.
Per-row work is a handful of random draws and one phonenumbers validation per number,
so 100,000 customers take a few seconds.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate
from typing import Any, TypeVar

from linka.customers.bulk import Progress
from linka.demo import identities
from linka.demo.names import (
    COMPANY_WORDS,
    FEMALE_FIRST,
    FOREIGN_COMPANIES,
    LEGAL_FORMS,
    MALE_FIRST,
    NON_EU_COMPANIES,
    STREETS,
    SURNAMES,
    TOWNS,
)
from linka.subscriptions.onboarding import OnboardingRow

CATALOG_START = date(2026, 1, 1)  # effective_from of the demo catalog: nothing is older
PREPAID, BASIC, UNLIMITED, BUSINESS, VOIP = (
    "mobile-prepaid",
    "mobile-basic",
    "mobile-unlimited",
    "mobile-business",
    "voip-fixed",
)
MOBILE_OFFERINGS = frozenset({PREPAID, BASIC, UNLIMITED, BUSINESS})

# Weighted choices: (values, weights). Persons' first lines, persons' further lines
# (children and partners: more prepaid), and the lines of organisations.
PERSON_FIRST_LINE = ((PREPAID, BASIC, UNLIMITED, VOIP), (17, 48, 26, 9))
PERSON_MORE_LINES = ((PREPAID, BASIC, UNLIMITED, VOIP), (38, 38, 18, 6))
ORGANISATION_LINE = ((BUSINESS, VOIP, UNLIMITED, BASIC), (72, 12, 9, 7))
PERSON_LINE_COUNTS = ((1, 2, 3), (88, 9, 3))
ORGANISATION_LINE_COUNTS = ((1, 2, 3, 4, 5, 6, 7, 8), (60, 15, 9, 6, 4, 3, 2, 1))
PAYMENT_METHODS = (("bank_transfer", "direct_debit", "card"), (65, 30, 5))
PREPAID_TOP_UP = (("card", "bank_transfer"), (70, 30))
FREE_MAIL = (("seznam.cz", "email.cz", "gmail.com", "centrum.cz", "volny.cz"), (40, 20, 25, 10, 5))
ORGANISATION_SHARE = 0.2
SOLE_TRADER_SHARE = 0.1  # of organisations
EU_EVERY, EU_AT = 25, 3  # organisation k is an EU company when k % 25 == 3 (while any are left)
NON_EU_EVERY, NON_EU_AT = 40, 8
PENDING_SHARE = 0.02
MIGRATED_SHARE = 0.7  # active lines that came with the base on the catalog's first day
SUSPENDED_SHARE = 0.01
FOREIGN_STREETS = {
    "SK": "Hlavná",
    "DE": "Hauptstraße",
    "AT": "Ringstraße",
    "PL": "ul. Floriańska",
    "CH": "Bahnhofstrasse",
    "GB": "High Street",
    "US": "Michigan Avenue",
}
FOREIGN_DOMAINS = {"SK": "sk", "DE": "de", "AT": "at", "PL": "pl", "CH": "ch", "GB": "co.uk"}
SUSPENSION_REASONS = (
    "customer request: phone lost",
    "customer request: long stay abroad",
    "customer request: temporary stop",
)

Address = tuple[str, str, str, str]  # street, city, postal code, country
PROGRESS_EVERY = 5_000
_CUMULATIVE: dict[tuple[int, ...], list[int]] = {}
T = TypeVar("T")
_DISTRICT = re.compile(r" \d+$")  # "Praha 4" → "Praha" in firm names


@dataclass(frozen=True, slots=True)
class Suspension:
    """A line the customer had suspended after it was activated (applied after onboarding)."""

    msisdn: str
    effective_on: date
    reason: str


def generate_customers(
    count: int, seed: int, today: date, *, progress: Progress | None = None
) -> list[OnboardingRow]:
    """Onboarding rows for ``count`` demo customers (about 1.3 lines each), activation
    dates from the catalog's first day (2026-01-01) up to ``today``."""
    if count < 0:
        raise ValueError("the number of customers cannot be negative")
    if today < CATALOG_START:
        raise ValueError(f"the demo date {today} is before the catalog's {CATALOG_START}")
    generator = _Generator(random.Random(seed), today)
    rows: list[OnboardingRow] = []
    for index in range(count):
        rows += generator.customer(index)
        if progress and ((index + 1) % PROGRESS_EVERY == 0 or index + 1 == count):
            progress("generating customers", index + 1, count)
    return rows


def choose_suspensions(rows: Sequence[OnboardingRow], seed: int, today: date) -> list[Suspension]:
    """About 1 % of the active lines, suspended on a day after their activation.

    Onboarding creates lines only pending or active (the lifecycle starts there), so the
    suspensions are a second step through the ordinary status change.
    """
    rng = random.Random(f"suspensions-{seed}")
    chosen = []
    for row in rows:
        activated = row.activation_date
        if not isinstance(activated, date) or activated >= today or row.msisdn is None:
            continue
        if rng.random() < SUSPENDED_SHARE:
            days = rng.randint(1, (today - activated).days)
            chosen.append(
                Suspension(
                    row.msisdn, activated + timedelta(days=days), rng.choice(SUSPENSION_REASONS)
                )
            )
    return chosen


def ascii_fold(text: str) -> str:
    """Lower-case ASCII for e-mail addresses and domains: ``Kříž`` → ``kriz``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii").lower()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", ascii_fold(text)).strip("-")


def _pick(rng: random.Random, table: tuple[tuple[T, ...], tuple[int, ...]]) -> T:
    """A weighted choice; cumulative weights are computed once per table, not per draw."""
    cumulative = _CUMULATIVE.get(table[1])
    if cumulative is None:
        cumulative = _CUMULATIVE[table[1]] = list(accumulate(table[1]))
    return rng.choices(table[0], cum_weights=cumulative)[0]


@dataclass(slots=True)
class _Line:
    offering: str
    account: str


class _Generator:
    """Draws customers one after another; remembers what must stay unique."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        self.span = (today - CATALOG_START).days
        self.msisdns: set[str] = set()
        self.emails: set[str] = set()
        self.domains: set[str] = set()
        self.icos: set[str] = set()
        self.company_names: set[str] = set()
        self.sim_serial = 0
        self.organisations = 0
        self.eu = list(FOREIGN_COMPANIES)
        self.non_eu = list(NON_EU_COMPANIES)

    # -- customers -------------------------------------------------------------------

    def customer(self, index: int) -> list[OnboardingRow]:
        ref = f"DEMO-{index + 1:06d}"
        if self.rng.random() >= ORGANISATION_SHARE:
            return self.person(ref)
        k = self.organisations
        self.organisations += 1
        if k % EU_EVERY == EU_AT and self.eu:
            return self.foreign(ref, self.eu.pop(0), "eu-reverse-charge")
        if k % NON_EU_EVERY == NON_EU_AT and self.non_eu:
            return self.foreign(ref, self.non_eu.pop(0), "non-eu")
        if self.rng.random() < SOLE_TRADER_SHARE:
            return self.sole_trader(ref)
        return self.company(ref)

    def person(self, ref: str) -> list[OnboardingRow]:
        rng = self.rng
        female = rng.random() < 0.5
        first = rng.choice(FEMALE_FIRST if female else MALE_FIRST)
        last = rng.choice(SURNAMES)[1 if female else 0]
        birth = self.birth_date() if rng.random() < 0.7 else None
        address = self.czech_address()
        year = birth.year if birth else rng.randint(1950, 2005)
        email = self.person_email(first, last, year) if rng.random() < 0.95 else None
        count = _pick(rng, PERSON_LINE_COUNTS)
        offerings = [_pick(rng, PERSON_FIRST_LINE)]
        while len(offerings) < count:
            offering = _pick(rng, PERSON_MORE_LINES)
            if not (offering == VOIP and VOIP in offerings):  # one fixed line per household
                offerings.append(offering)
        lines = [_Line(o, "prepaid" if o == PREPAID else "main") for o in offerings]
        language = "cs" if rng.random() < 0.9 else "en"
        accounts = {
            ref: self.prepaid_terms(language, email is not None)
            if ref == "prepaid"
            else self.postpaid_terms(language, email is not None)
            for ref in dict.fromkeys(line.account for line in lines)
        }
        party = {
            "customer_type": "person",
            "segment": "consumer",
            "first_name": first,
            "last_name": last,
            "birth_date": birth,
            "email": email,
            **_address_fields(address),
        }
        return self.rows(ref, party, accounts, lines, address, mobile_phone=True)

    def company(self, ref: str) -> list[OnboardingRow]:
        rng = self.rng
        form = rng.choice(LEGAL_FORMS)
        name = self.company_name(form)
        ico = self.new_ico()
        vat_payer = rng.random() < (0.3 if form == "z.s." else 0.9)
        domain = self.domain(name.removesuffix(form), "cz")
        lines = self.organisation_lines()
        terms = self.postpaid_terms("cs" if rng.random() < 0.95 else "en", True)
        if rng.random() < 0.5:
            terms["billing_email"] = f"fakturace@{domain}"
        accounts = {"main": terms, "office": terms}  # the office account: same terms
        party = {
            "customer_type": "organisation",
            "segment": "business",
            "organisation_name": name,
            "ico": ico,
            "dic": f"CZ{ico}" if vat_payer else None,
            "email": self.unique_email(f"info@{domain}"),
            **_address_fields(self.czech_address()),
        }
        return self.rows(ref, party, accounts, lines, _party_address(party), mobile_phone=False)

    def sole_trader(self, ref: str) -> list[OnboardingRow]:
        """A self-employed person (OSVČ), registered as an organisation with an IČO."""
        rng = self.rng
        female = rng.random() < 0.5
        first = rng.choice(FEMALE_FIRST if female else MALE_FIRST)
        last = rng.choice(SURNAMES)[1 if female else 0]
        trade = rng.choice(COMPANY_WORDS)
        name = f"{first} {last} – {trade}" if rng.random() < 0.6 else f"{first} {last}"
        count = rng.choice((1, 1, 1, 2))
        lines = [_Line(rng.choice((BUSINESS, BUSINESS, BASIC, UNLIMITED)), "main")]
        lines += [_Line(VOIP, "main") for _ in range(count - 1)]
        party = {
            "customer_type": "organisation",
            "segment": "business",
            "organisation_name": name,
            "ico": self.new_ico(),
            "email": self.person_email(first, last, rng.randint(1960, 2000)),
            **_address_fields(self.czech_address()),
        }
        accounts = {"main": self.postpaid_terms("cs", True)}
        return self.rows(ref, party, accounts, lines, _party_address(party), mobile_phone=True)

    def foreign(
        self, ref: str, company: tuple[str, str, str, str], tax_profile: str
    ) -> list[OnboardingRow]:
        """An EU company (VAT id, reverse charge) or one from outside the EU (no Czech VAT)."""
        rng = self.rng
        country, name, town, postal = company
        street = f"{FOREIGN_STREETS[country]} {rng.randint(1, 120)}"
        address = (street, town, postal, country)
        domain = self.domain(name, FOREIGN_DOMAINS.get(country, "com"))
        eu = tax_profile == "eu-reverse-charge"
        party = {
            "customer_type": "organisation",
            "segment": "business",
            "organisation_name": name,
            "dic": identities.foreign_vat_id(rng, country) if eu else None,
            "email": self.unique_email(f"office@{domain}"),
            **_address_fields(address),
        }
        terms = self.postpaid_terms("en", True)
        terms.update(payment_method="bank_transfer", iban=None, tax_profile=tax_profile)
        lines = [_Line(BUSINESS, "main") for _ in range(rng.randint(1, 4))]
        return self.rows(ref, party, {"main": terms}, lines, address, mobile_phone=True)

    # -- accounts and lines ----------------------------------------------------------

    def organisation_lines(self) -> list[_Line]:
        """Lines of a firm; with mobiles and fixed lines together, fixed ones are billed
        on an "office" account (a second account of the same customer)."""
        count = _pick(self.rng, ORGANISATION_LINE_COUNTS)
        offerings = [_pick(self.rng, ORGANISATION_LINE) for _ in range(count)]
        split = VOIP in offerings and any(o != VOIP for o in offerings) and count >= 3
        return [_Line(o, "office" if split and o == VOIP else "main") for o in offerings]

    def postpaid_terms(self, language: str, has_email: bool) -> dict[str, Any]:
        rng = self.rng
        method = _pick(rng, PAYMENT_METHODS)
        return {
            "currency": "CZK",
            "timezone": "Europe/Prague",
            "payment_type": "postpaid",
            "payment_method": method,
            "iban": identities.bank_account(rng)[1] if method == "direct_debit" else None,
            "bill_cycle_day": 1 if rng.random() < 0.8 else 15,
            "invoice_delivery": "email" if has_email and rng.random() < 0.85 else "post",
            "language": language,
            "tax_profile": "domestic",
        }

    def prepaid_terms(self, language: str, has_email: bool) -> dict[str, Any]:
        return {
            "currency": "CZK",
            "timezone": "Europe/Prague",
            "payment_type": "prepaid",
            "payment_method": _pick(self.rng, PREPAID_TOP_UP),
            "bill_cycle_day": 1,
            "invoice_delivery": "email" if has_email else "post",
            "language": language,
            "tax_profile": "domestic",
        }

    def rows(
        self,
        ref: str,
        party: dict[str, Any],
        accounts: dict[str, dict[str, Any]],
        lines: list[_Line],
        address: Address,
        *,
        mobile_phone: bool,
    ) -> list[OnboardingRow]:
        """One row per line: party fields on the first row, account fields on the first
        row of each account (onboarding reads them from there)."""
        line_fields = [self.line(line.offering, address) for line in lines]
        wanted = "msisdn" if mobile_phone else "installation_street"
        phone = next((f["msisdn"] for f in line_fields if f.get(wanted)), None)
        if phone is None:
            phone = self.number(
                identities.mobile_msisdn if mobile_phone else identities.fixed_msisdn
            )
        party = {**party, "phone": phone}
        rows = []
        seen: set[str] = set()
        for position, (line, fields) in enumerate(zip(lines, line_fields, strict=True)):
            values: dict[str, Any] = {"customer_ref": ref, "account_ref": line.account}
            if position == 0:
                values.update(party)
            if line.account not in seen:
                seen.add(line.account)
                values.update(accounts[line.account])
            values.update(fields)
            rows.append(OnboardingRow(**values))
        return rows

    def line(self, offering: str, address: Address) -> dict[str, Any]:
        rng = self.rng
        fields: dict[str, Any] = {"offering": offering}
        if offering in MOBILE_OFFERINGS:
            self.sim_serial += 1
            fields["msisdn"] = self.number(identities.mobile_msisdn)
            fields["iccid"] = identities.iccid(self.sim_serial)
            fields["imsi"] = identities.imsi(self.sim_serial)
        else:
            fields["msisdn"] = self.number(identities.fixed_msisdn)
            fields.update(
                installation_street=address[0],
                installation_city=address[1],
                installation_postal_code=address[2],
                installation_country=address[3],
            )
        if rng.random() < PENDING_SHARE:
            fields["line_status"] = "pending"
        else:
            fields["line_status"] = "active"
            fields["activation_date"] = self.activation_date()
        return fields

    def activation_date(self) -> date:
        if self.span == 0 or self.rng.random() < MIGRATED_SHARE:
            return CATALOG_START
        return CATALOG_START + timedelta(days=self.rng.randint(1, self.span))

    # -- identifiers, names and addresses -------------------------------------------

    def number(self, draw: Callable[[random.Random], str]) -> str:
        while True:
            msisdn = draw(self.rng)
            if msisdn not in self.msisdns:
                self.msisdns.add(msisdn)
                return msisdn

    def new_ico(self) -> str:
        while True:
            ico = identities.ico(self.rng)
            if ico not in self.icos:
                self.icos.add(ico)
                return ico

    def birth_date(self) -> date:
        """An adult: born between 1940 and 18 years before the demo date."""
        start = date(1940, 1, 1)
        end = self.today.replace(year=self.today.year - 18)
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def czech_address(self) -> Address:
        rng = self.rng
        street = rng.choice(STREETS)
        town, postal = rng.choice(TOWNS)
        number = (
            f"{rng.randint(1, 3999)}/{rng.randint(1, 120)}"
            if rng.random() < 0.4
            else str(rng.randint(1, 250))
        )
        return f"{street} {number}", town, postal, "CZ"

    def person_email(self, first: str, last: str, year: int) -> str:
        rng = self.rng
        f, la = ascii_fold(first), ascii_fold(last)
        local = rng.choice(
            (f"{f}.{la}", f"{f}{la}", f"{la}.{f}", f"{f[0]}{la}", f"{f}.{la}{year % 100:02d}")
        )
        return self.unique_email(f"{local}@{_pick(rng, FREE_MAIL)}")

    def unique_email(self, email: str) -> str:
        """``email`` or, when taken, the same with a number after the local part."""
        local, domain = email.split("@")
        candidate = email
        while candidate in self.emails:
            candidate = f"{local}{self.rng.randint(1, 999)}@{domain}"
        self.emails.add(candidate)
        return candidate

    def domain(self, name: str, tld: str) -> str:
        base = _slug(name) or "firma"
        candidate = f"{base}.{tld}"
        suffix = 1
        while candidate in self.domains:
            suffix += 1
            candidate = f"{base}{suffix}.{tld}"
        self.domains.add(candidate)
        return candidate

    def company_name(self, form: str) -> str:
        """A Czech firm's name: a surname, a town or two trade words with a legal form."""
        rng = self.rng
        word = rng.choice(COMPANY_WORDS)
        style = rng.random()
        if style < 0.45:
            stem = f"{rng.choice(SURNAMES)[0]} {word}"
        elif style < 0.8:
            stem = f"{word} {_DISTRICT.sub('', rng.choice(TOWNS)[0])}"
        else:
            other = rng.choice([w for w in COMPANY_WORDS if w != word])
            stem = f"{word}{other.lower()}"
        name = f"{stem} {form}"
        number = 1
        while name in self.company_names:
            number += 1
            name = f"{stem} {number} {form}"
        self.company_names.add(name)
        return name


def _address_fields(address: Address) -> dict[str, Any]:
    street, city, postal, country = address
    return {"street": street, "city": city, "postal_code": postal, "country": country}


def _party_address(party: dict[str, Any]) -> Address:
    return (
        str(party["street"]),
        str(party["city"]),
        str(party["postal_code"]),
        str(party["country"]),
    )
