"""Timestamps and validation data a seal carries (JAdES B-T, B-LT, B-LTA): found, named, never checked.

Unsigned properties sit in ``header.etsiU``, each entry a JSON object with one member, given as is or
as base64url of its JSON (the EU's tools do the latter). Their certificates (``xVals``) may complete the
path to a trust anchor: that is safe, since only the anchors decide what is trusted.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from emrex.seal.jades import b64url_decode
from emrex.seal.result import REVOCATION, TIMESTAMPS, TRUSTED_LIST, Check, Status

MAX_ENTRIES = 64
MAX_CERTIFICATES = 32
NAMES = {
    "sigTst": "a signature timestamp",
    "adoTst": "a timestamp over the signed data",
    "xVals": "certificates",
    "rVals": "revocation data",
    "axVals": "certificates for the archive",
    "arVals": "revocation data for the archive",
    "arcTst": "an archive timestamp",
    "tstVD": "timestamp validation data",
    "sigPSt": "a signature policy store",
}


@dataclass(frozen=True)
class Unsigned:
    names: tuple[str, ...]
    certificates: tuple[x509.Certificate, ...]
    warnings: tuple[str, ...]


def read_unsigned(header: Mapping[str, Any] | None) -> Unsigned:
    entries = header.get("etsiU") if header else None
    if not isinstance(entries, list):
        return Unsigned(
            (), (), () if entries is None else ("the unsigned properties (etsiU) are not a list",)
        )
    names: list[str] = []
    certificates: list[x509.Certificate] = []
    warnings: list[str] = []
    for number, entry in enumerate(entries[:MAX_ENTRIES]):
        item = _entry(entry)
        if item is None:
            warnings.append(f"unsigned property {number + 1} cannot be read; ignored")
            continue
        for name, value in item.items():
            names.append(name)
            if name == "xVals" and isinstance(value, list):
                certificates.extend(_certificates(value, MAX_CERTIFICATES - len(certificates)))
    if len(entries) > MAX_ENTRIES:
        warnings.append(f"only the first {MAX_ENTRIES} of {len(entries)} unsigned properties were read")
    return Unsigned(tuple(names), tuple(certificates), tuple(warnings))


def level(protected: Mapping[str, Any], unsigned: tuple[str, ...]) -> str:
    """The baseline level the properties claim: B-B, B-T, B-LT or B-LTA."""
    present = set(unsigned)
    if "arcTst" in present:
        return "B-LTA"
    if present & {"xVals", "rVals", "axVals", "arVals"}:
        return "B-LT"
    if "sigTst" in present or "adoTst" in protected:
        return "B-T"
    return "B-B"


def timestamps_check(protected: Mapping[str, Any], unsigned: tuple[str, ...]) -> Check:
    found = [name for name in ("adoTst",) if name in protected] + list(dict.fromkeys(unsigned))
    if not found:
        return Check(
            TIMESTAMPS,
            Status.NOT_CHECKED,
            "none carried (a B-B seal): the signing time is the sealer's own claim",
            decisive=False,
        )
    listed = ", ".join(f"{name} ({NAMES[name]})" if name in NAMES else name for name in found)
    return Check(TIMESTAMPS, Status.NOT_CHECKED, f"present, not checked: {listed}", decisive=False)


def trusted_list_check() -> Check:
    return Check(
        TRUSTED_LIST,
        Status.NOT_CHECKED,
        "the EU trusted lists cannot be reached offline: whether the seal is qualified is not established",
        decisive=False,
    )


def revocation_check(unsigned: tuple[str, ...]) -> Check:
    carried = "; the seal's own revocation data (rVals) were not checked" if "rVals" in unsigned else ""
    return Check(
        REVOCATION,
        Status.NOT_CHECKED,
        f"no CRL or OCSP answer was fetched (offline){carried}",
        decisive=False,
    )


def _entry(entry: Any) -> Mapping[str, Any] | None:
    if isinstance(entry, Mapping):
        return entry
    if not isinstance(entry, str):
        return None
    try:
        value = json.loads(b64url_decode(entry))
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, Mapping) else None


def _certificates(values: list[Any], room: int) -> list[x509.Certificate]:
    found: list[x509.Certificate] = []
    for value in values:
        if len(found) >= room:
            break
        holder = value.get("x509Cert") if isinstance(value, Mapping) else None
        der = holder.get("val") if isinstance(holder, Mapping) else None
        if not isinstance(der, str) or len(der) > 64_000:
            continue
        try:
            found.append(x509.load_der_x509_certificate(base64.b64decode(der, validate=True)))
        except (binascii.Error, ValueError):
            continue
    return found
