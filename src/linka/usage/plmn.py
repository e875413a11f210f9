"""Mobile networks (PLMN ids, MCC/MNC) → ISO 3166 countries, for roaming detection.

The MCC→country table comes from the ``mcc-mnc-p1`` package (``mcc_mnc_lut.p1_mcc``, P1
Security, AGPL-3.0 like linka, maintained; aggregated from the ITU-T E.212 lists and their
operational bulletins and Wikipedia). Nothing is copied into this repository. Most MCCs
belong to one country; the few shared ones (234 GB/GG/IM/JE, 310 US/GU/MP, 340, 362,
425, 505, 647) are resolved by the full MCC+MNC, falling back to the country with the most
networks (the principal one). International MCCs (901, 902, 991, 001, 999) have no
country and yield ``None``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    from mcc_mnc_lut.p1_mcc import P1_MCC  # type: ignore[import-untyped]

    return dict(P1_MCC)


def country_of(mcc: str, mnc: str = "") -> str | None:
    """ISO 3166 alpha-2 of a mobile country code (and network code, for shared MCCs)."""
    entry = _table().get(mcc)
    if entry is None:
        return None
    if isinstance(entry, dict):
        return _code(entry)
    plmn = mcc + mnc
    for candidate in entry:
        if plmn in candidate.get("mncs", ()):
            return _code(candidate)
    principal = max(entry, key=lambda candidate: len(candidate.get("mncs", ())))
    return _code(principal)


def _code(entry: dict[str, Any]) -> str | None:
    code = entry.get("cc2")
    return code if isinstance(code, str) and len(code) == 2 else None


def decode_plmn(octets: bytes) -> tuple[str, str] | None:
    """A 3-octet PLMN-Id (TS 24.008 / 29.274 order) → (MCC, MNC); ``None`` if malformed.

    Octet 1: MCC digit 2 | MCC digit 1; octet 2: MNC digit 3 (F for two-digit MNCs) |
    MCC digit 3; octet 3: MNC digit 2 | MNC digit 1.
    """
    if len(octets) != 3:
        return None
    nibbles = [octets[0] & 0x0F, octets[0] >> 4, octets[1] & 0x0F, octets[2] & 0x0F]
    nibbles += [octets[2] >> 4, octets[1] >> 4]
    if any(n > 9 for n in nibbles[:5]) or (nibbles[5] > 9 and nibbles[5] != 0xF):
        return None
    mcc = "".join(str(n) for n in nibbles[:3])
    mnc = "".join(str(n) for n in nibbles[3:] if n != 0xF)
    return mcc, mnc


def encode_plmn(mcc: str, mnc: str) -> bytes:
    """The inverse of :func:`decode_plmn` (for fixtures and tests)."""
    d = [int(c) for c in mcc]
    m = [int(c) for c in mnc]
    third = m[2] if len(m) == 3 else 0xF
    return bytes([(d[1] << 4) | d[0], (third << 4) | d[2], (m[1] << 4) | m[0]])
