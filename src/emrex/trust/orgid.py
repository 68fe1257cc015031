"""The organisation identifier of a seal certificate (X.509 ``organizationIdentifier``, 2.5.4.97).

ETSI EN 319 412-1 (5.1.4) gives it a semantics prefix: three letters for the kind of register
(``VAT``, ``NTR`` national trade register, ``PSD``, ``LEI``), two for the country, a hyphen, then the
identifier in that register: ``NTREE-17207834`` is entry 17207834 of the Estonian trade register. A
national scheme is written as two letters and a colon instead (``AB:EE-…``). Greece's VAT numbers
carry ``EL`` rather than ``GR``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from emrex.trust.errors import OrganizationIdentifierError

KINDS = {
    "VAT": "VAT number",
    "NTR": "national trade register",
    "PSD": "payment services authorisation",
    "LEI": "legal entity identifier",
}
_ETSI = re.compile(
    r"^(?:(?P<kind>[A-Z]{3})|(?P<scheme>[A-Z]{2}):)(?P<country>[A-Z]{2})-(?P<value>\S.{0,120})$"
)
MAX_LENGTH = 128


@dataclass(frozen=True)
class OrganizationIdentifier:
    text: str  # as written in the certificate
    kind: str  # VAT, NTR, PSD, LEI, or a national scheme such as "AB:"
    country: str  # as written: ISO 3166 alpha-2, or EL for Greece
    value: str  # the identifier inside its register

    @property
    def iso_country(self) -> str:
        return "GR" if self.country == "EL" else self.country

    def describe(self) -> str:
        kind = KINDS.get(self.kind, f"national scheme {self.kind.rstrip(':')}")
        return f"{self.value} in the {kind} of {self.iso_country}"


def parse_organization_identifier(text: str) -> OrganizationIdentifier:
    """The parts of ``text``, or OrganizationIdentifierError saying what form is expected."""
    if len(text) > MAX_LENGTH:
        raise OrganizationIdentifierError(f"an organisation identifier of {len(text)} characters is too long")
    found = _ETSI.match(text.strip())
    if found is None:
        raise OrganizationIdentifierError(
            f"{text[:60]!r} is not an ETSI organisation identifier like NTREE-17207834 or VATSE-5560000000"
        )
    kind = found["kind"] or f"{found['scheme']}:"
    return OrganizationIdentifier(text.strip(), kind, found["country"], found["value"])


def organization_identifier_of(certificate: x509.Certificate) -> str | None:
    """The subject's organizationIdentifier as written, or None when it has none."""
    values = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)
    if not values:
        return None
    value = values[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")
