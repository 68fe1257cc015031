"""Does the seal belong to the credential's issuer? The seal certificate's organizationIdentifier
(``NTREE-17207834``) against the legal identifier the credential gives its issuer.

The EDC issuer puts the seal's identifier in ``issuer.eIDASIdentifier``: either whole, as the EU's tool
does (``VATES-A00000000``), or as the register entry with its country in ``spatial``
(``17207834`` in ``…/country/EST``). Without an eIDASIdentifier, the issuer's ``registration`` or
``vatIdentifier`` may carry it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography import x509

from emrex.elm.vocab import COUNTRY_NAL
from emrex.seal.result import BINDING, Check, Status
from emrex.trust.errors import OrganizationIdentifierError
from emrex.trust.orgid import (
    OrganizationIdentifier,
    organization_identifier_of,
    parse_organization_identifier,
)

COUNTRY_AUTHORITY = COUNTRY_NAL + "/"
# The EU's country authority names countries by ISO 3166 alpha-3; certificates use alpha-2.
ALPHA3_TO_ALPHA2 = {
    "AUT": "AT", "BEL": "BE", "BGR": "BG", "HRV": "HR", "CYP": "CY", "CZE": "CZ", "DNK": "DK",
    "EST": "EE", "FIN": "FI", "FRA": "FR", "DEU": "DE", "GRC": "GR", "HUN": "HU", "IRL": "IE",
    "ITA": "IT", "LVA": "LV", "LTU": "LT", "LUX": "LU", "MLT": "MT", "NLD": "NL", "POL": "PL",
    "PRT": "PT", "ROU": "RO", "SVK": "SK", "SVN": "SI", "ESP": "ES", "SWE": "SE", "ISL": "IS",
    "LIE": "LI", "NOR": "NO", "CHE": "CH", "GBR": "GB", "ALB": "AL", "MKD": "MK", "MNE": "ME",
    "SRB": "RS", "TUR": "TR", "UKR": "UA", "MDA": "MD", "BIH": "BA", "AND": "AD", "MCO": "MC",
    "SMR": "SM", "VAT": "VA", "FRO": "FO", "GEO": "GE", "ARM": "AM",
}  # fmt: skip
_FIELDS = ("eIDASIdentifier", "registration", "vatIdentifier")


def check_binding(certificate: x509.Certificate, credential: Mapping[str, Any]) -> Check:
    """PASSED when an issuer identifier names the seal's organisation, FAILED when none does."""
    written = organization_identifier_of(certificate)
    if written is None:
        return _failed(
            "the seal certificate names no organisation identifier, so it cannot be tied to the issuer"
        )
    try:
        seal_id = parse_organization_identifier(written)
    except OrganizationIdentifierError as exc:
        return _failed(f"the seal certificate's organisation identifier cannot be read: {exc}")
    issuer = credential.get("issuer")
    if not isinstance(issuer, Mapping):
        return _failed("the credential names its issuer without a legal identifier")
    candidates = [(name, identifier) for name in _FIELDS for identifier in _identifiers(issuer.get(name))]
    if not candidates:
        return _failed(
            f"the credential's issuer has no eIDASIdentifier to compare with the seal's {seal_id.text}"
        )
    problems: list[str] = []
    for name, identifier in candidates:
        problem = _mismatch(seal_id, identifier)
        if problem is None:
            return Check(
                BINDING,
                Status.PASSED,
                f"the seal's organisation identifier {seal_id.text} ({seal_id.describe()}) "
                f"is the issuer's {name}",
            )
        problems.append(f"{name} {problem}")
    return _failed(
        f"the seal's organisation identifier {seal_id.text} is not the issuer's: {'; '.join(problems)}"
    )


def _identifiers(value: Any) -> list[Mapping[str, Any]]:
    items = value if isinstance(value, list) else [value]
    return [
        item for item in items[:20] if isinstance(item, Mapping) and isinstance(item.get("notation"), str)
    ]


def _mismatch(seal_id: OrganizationIdentifier, identifier: Mapping[str, Any]) -> str | None:
    """Why ``identifier`` does not name the seal's organisation, or None when it does."""
    notation = str(identifier["notation"]).strip()
    if notation == seal_id.text:
        return None
    shown = notation[:60]
    if notation != seal_id.value:
        return f"{shown!r} is another identifier"
    country = _alpha2(identifier.get("spatial"))
    if country is not None and country != seal_id.iso_country:
        return f"{shown!r} is registered in {country}, the seal's in {seal_id.iso_country}"
    return None


def _alpha2(spatial: Any) -> str | None:
    uri = spatial.get("id") if isinstance(spatial, Mapping) else spatial
    if not isinstance(uri, str) or not uri.startswith(COUNTRY_AUTHORITY):
        return None
    return ALPHA3_TO_ALPHA2.get(uri[len(COUNTRY_AUTHORITY) :])


def _failed(summary: str) -> Check:
    return Check(BINDING, Status.FAILED, summary)
