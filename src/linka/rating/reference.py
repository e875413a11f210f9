"""The reference rater: the same rules as the kernel, one record at a time, in Decimal.

It exists to be obviously right, not fast: tests and ``linka bench rating`` compare the
compiled kernel with it record by record. Keep both in step — a rule changed in one
must change in the other, and the property tests will say so if it does not.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from linka.catalog.version import CatalogVersion
from linka.kernel.money import round_amount
from linka.rating.model import RatedStatus, to_micro
from linka.rating.plan import HOME, allowance_quantity

_DIVISOR = {"voice": 60, "sms": 1}
_TIER_FACTOR = {"voice": 60, "sms": 1}


@dataclass(frozen=True)
class _Rate:
    tier_from: Decimal
    price: Decimal
    fee: Decimal
    minimum: Decimal
    first: int
    step: int
    rule_id: str
    zone_id: str
    prefix: str
    band_id: str


class ReferenceRater:
    """Rates records in the order given, keeping allowance and tier counters as it goes."""

    def __init__(self, versions: dict[int, CatalogVersion]) -> None:
        self.versions = versions
        self._rates: dict[tuple[int, str], dict[tuple[Any, ...], list[_Rate]]] = {}
        self._prefixes: dict[tuple[int, str], dict[tuple[str, str, str], set[str]]] = {}
        self._allowance_used: defaultdict[tuple[Any, ...], int] = defaultdict(int)
        self._tier_used: defaultdict[tuple[Any, ...], int] = defaultdict(int)

    def _tariff(
        self, version_id: int, tariff_id: str
    ) -> tuple[dict[tuple[Any, ...], list[_Rate]], dict[tuple[str, str, str], set[str]]]:
        """Rates by (table, prefix, band) with their tiers, and each table's prefixes."""
        if (version_id, tariff_id) not in self._rates:
            rates: dict[tuple[Any, ...], list[_Rate]] = defaultdict(list)
            prefixes: dict[tuple[str, str, str], set[str]] = defaultdict(set)
            rows = self.versions[version_id].tariff_rates(tariff_id).sort("tier_from")
            for row in rows.iter_rows(named=True):
                table = (row["service"], row["direction"], row["roaming_zone"] or "")
                prefixes[table].add(row["prefix"])
                rates[(*table, row["prefix"], row["band_id"])].append(
                    _Rate(
                        row["tier_from"],
                        row["price"],
                        row["connection_fee"],
                        row["minimum_charge"],
                        row["first_increment"],
                        row["next_increment"],
                        row["rule_id"],
                        row["zone_id"],
                        row["prefix"],
                        row["band_id"],
                    )
                )
            self._rates[(version_id, tariff_id)] = rates
            self._prefixes[(version_id, tariff_id)] = prefixes
        return self._rates[(version_id, tariff_id)], self._prefixes[(version_id, tariff_id)]

    def rate(self, records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        return [self.rate_one(record) for record in records]

    def rate_one(self, record: dict[str, Any]) -> dict[str, Any]:
        version = self.versions[record["version_id"]]
        result: dict[str, Any] = {
            "status": None, "tariff_id": None, "zone_id": None, "band_id": None,
            "rule_id": None, "prefix": None, "location": HOME, "billable": 0, "included": 0,
            "allowance_id": None, "price_micro": 0, "currency": None,
        }  # fmt: skip
        location, rates_roaming = HOME, ""
        country = record["roaming_country"]
        if country:
            zone = version.roaming_zone_of(country)
            if zone is not None:
                location = zone.id
                rates_roaming = "" if zone.roam_like_at_home else zone.id
        result["location"] = location
        try:
            offering = version.offering(record["offering_id"])
        except KeyError:
            result["status"] = RatedStatus.NO_OFFERING.value
            return result
        tariff = version.tariff(offering.tariff)
        result["tariff_id"], result["currency"] = tariff.id, tariff.currency
        service, direction = record["service"], record["direction"]
        rates, prefixes = self._tariff(record["version_id"], tariff.id)
        table = (service, direction, rates_roaming)
        raw = {"voice": record["duration_s"] or 0, "sms": 1, "data": record["volume"] or 0}
        if raw.get(service, 0) <= 0:
            result["status"] = RatedStatus.NOT_CHARGED.value
            return result
        if table not in prefixes:
            no_rate = direction == "mt"
            result["status"] = (
                RatedStatus.NOT_CHARGED if no_rate else RatedStatus.NO_DESTINATION
            ).value
            return result
        digits = str(record["b_number"] or "")
        longest = next(
            (digits[:cut] for cut in range(len(digits), -1, -1) if digits[:cut] in prefixes[table]),
            None,
        )
        tiers = rates.get((*table, longest, tariff.band_at(record["start"])))
        if not tiers:
            result["status"] = RatedStatus.NO_DESTINATION.value
            return result
        base = tiers[0]
        result.update(
            zone_id=base.zone_id, band_id=base.band_id, rule_id=base.rule_id, prefix=base.prefix
        )
        if service == "voice":
            seconds = raw["voice"]
            billable = (
                base.first
                if seconds <= base.first
                else (base.first + math.ceil((seconds - base.first) / base.step) * base.step)
            )
        elif service == "data":
            step = tariff.data_increment_bytes
            billable = math.ceil(raw["data"] / step) * step
        else:
            billable = 1
        remaining = billable
        period_key = (record["line_id"], record["period"])
        for allowance in offering.allowances:
            scope = tariff.scope(allowance.scope)
            if allowance.unit.service.value != service or remaining == 0:
                continue
            if scope.zones is not None and base.zone_id not in scope.zones:
                continue
            if location not in scope.roaming:
                continue
            counter = (*period_key, record["version_id"], offering.id, allowance.id)
            left = allowance_quantity(allowance) - self._allowance_used[counter]
            take = max(0, min(left, remaining))
            if take and result["allowance_id"] is None:
                result["allowance_id"] = f"{offering.id}/{allowance.id}"
            self._allowance_used[counter] += take
            remaining -= take
        result["billable"], result["included"] = billable, billable - remaining
        if remaining == 0:
            result["status"] = RatedStatus.INCLUDED.value
            return result
        factor = tariff.data_unit_bytes if service == "data" else _TIER_FACTOR[service]
        tiers_counter: tuple[Any, ...] = (*period_key, record["version_id"], tariff.id)
        tiers_counter += (service, base.zone_id, table[2])
        before = self._tier_used[tiers_counter]
        self._tier_used[tiers_counter] += remaining
        amount = Decimal(0)
        for i, tier in enumerate(tiers):
            low = math.ceil(tier.tier_from * factor)
            high = math.ceil(tiers[i + 1].tier_from * factor) if i + 1 < len(tiers) else None
            upper = before + remaining if high is None else min(before + remaining, high)
            units = max(0, upper - max(before, low))
            amount += Decimal(units) * tier.price
        divisor = tariff.data_unit_bytes if service == "data" else _DIVISOR[service]
        with localcontext() as exact:
            exact.prec = 60
            usage = round_amount(amount / divisor, tariff.rounding_places, tariff.rounding_mode)
        price = max(base.fee + usage, base.minimum)
        result["status"] = RatedStatus.CHARGED.value
        result["price_micro"] = to_micro(price)
        return result
