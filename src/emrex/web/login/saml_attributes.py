"""SAML attribute names: the ``urn:oid:`` names federations send (SAML2 URI name format) and the
friendly names the login settings use, after the eduPerson, SCHAC, norEdu* and SAML subject-id specs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

URI_FORMAT = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
_EDUPERSON = "urn:oid:1.3.6.1.4.1.5923.1.1.1."
_SCHAC = "urn:oid:1.3.6.1.4.1.25178.1.2."

OIDS: Mapping[str, str] = {
    "eduPersonPrincipalName": _EDUPERSON + "6",
    "eduPersonUniqueId": _EDUPERSON + "13",
    "eduPersonAffiliation": _EDUPERSON + "1",
    "eduPersonScopedAffiliation": _EDUPERSON + "9",
    "eduPersonEntitlement": _EDUPERSON + "7",
    "eduPersonAssurance": _EDUPERSON + "11",
    "eduPersonOrcid": _EDUPERSON + "16",
    "schacPersonalUniqueCode": _SCHAC + "14",
    "schacDateOfBirth": _SCHAC + "3",
    "schacHomeOrganization": _SCHAC + "9",
    "schacHomeOrganizationType": _SCHAC + "10",
    "norEduPersonNIN": "urn:oid:1.3.6.1.4.1.2428.90.1.5",
    "personalIdentityNumber": "urn:oid:1.2.752.29.4.13",
    "givenName": "urn:oid:2.5.4.42",
    "sn": "urn:oid:2.5.4.4",
    "cn": "urn:oid:2.5.4.3",
    "displayName": "urn:oid:2.16.840.1.113730.3.1.241",
    "mail": "urn:oid:0.9.2342.19200300.100.1.3",
    "subject-id": "urn:oasis:names:tc:SAML:attribute:subject-id",
    "pairwise-id": "urn:oasis:names:tc:SAML:attribute:pairwise-id",
}
FRIENDLY: Mapping[str, str] = {oid: name for name, oid in OIDS.items()}


def saml_name(name: str) -> str:
    """The name on the wire for a configured attribute: its OID when known, else the name itself."""
    return OIDS.get(name, name)


def collect(attributes: Iterable[tuple[str, Iterable[str | None]]]) -> dict[str, list[str]]:
    """Values by friendly name and by SAML name, so settings and role rules may use either."""
    values: dict[str, list[str]] = {}
    for name, texts in attributes:
        found = [t.strip() for t in texts if isinstance(t, str) and t.strip()]
        if not found:
            continue
        for key in dict.fromkeys((name, FRIENDLY.get(name, name))):
            values.setdefault(key, []).extend(found)
    return values
