"""An organisation's own seal over European Digital Credentials of the Converted profile: the settings
(key, certificate, the issuer the credential names) and the sealer built from them.

Shared by the EMC (imported results, ``[emc.seal]``) and the EMP (the OOTS evidence, ``[seal]``). The
key and certificate are loaded once when a service starts (``CredentialSealer.from_settings``), and
the configured issuer is checked against the certificate then: a credential must name the
organisation its seal certificate names (organizationIdentifier), or no EU verifier accepts it.
Every error names the setting under the prefix the service gives (``emc.seal``, ``seal``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from emrex.errors import EmrexError

if TYPE_CHECKING:
    from emrex.elm.to_elm import Sealer as Issuer
    from emrex.elmo import model as m
    from emrex.seal import Sealer

MEDIA_TYPE = "application/json"  # the sealed credential: JAdES JSON serialisation
_COUNTRY = re.compile(r"[A-Z]{2}")


class SealSetupError(EmrexError):
    """The seal settings cannot be used; the message names the setting."""


class SealFailed(EmrexError):
    """This credential could not be made or sealed (the document or the key refused)."""


@dataclass(frozen=True)
class SealSettings:
    """The key, its certificate (then any CA certificates), and the issuer the credential names, whose
    eIDAS identifier must be the certificate's organizationIdentifier (checked when the service starts)."""

    key_file: Path
    cert_file: Path
    issuer_name: str
    issuer_country: str  # ISO 3166 alpha-2
    issuer_id: str  # ETSI form, NTRSE-2021001234


def seal_settings(
    key_file: Path, cert_file: Path, issuer_name: str, issuer_country: str, issuer_id: str, *, where: str
) -> SealSettings:
    """The settings after checking the forms of country and identifier; SealSetupError names the setting
    as ``<where>.<key>``."""
    from emrex.trust.errors import OrganizationIdentifierError
    from emrex.trust.orgid import parse_organization_identifier

    country = issuer_country.strip().upper()
    if not _COUNTRY.fullmatch(country):
        raise SealSetupError(f"{where}.issuer_country: a two-letter ISO 3166 code, like SE")
    try:
        identifier = parse_organization_identifier(issuer_id).text
    except OrganizationIdentifierError as error:
        raise SealSetupError(f"{where}.issuer_id: {error}") from None
    name = " ".join(issuer_name.split())[:200]
    if not name:
        raise SealSetupError(f"{where}.issuer_name: missing (the issuer's legal name)")
    return SealSettings(key_file, cert_file, name, country, identifier)


class CredentialSealer:
    """An organisation's seal and the issuer its credentials name."""

    def __init__(self, sealer: Sealer, issuer: Issuer) -> None:
        self.sealer = sealer
        self.issuer = issuer

    @classmethod
    def from_settings(cls, settings: SealSettings, *, where: str = "seal") -> CredentialSealer:
        """Load the key and certificate; SealSetupError when they cannot be used or name another issuer."""
        from emrex.elm.to_elm import Sealer as Issuer
        from emrex.seal import Sealer, SealingError

        try:
            sealer = Sealer.from_files(settings.key_file, settings.cert_file)
        except SealingError as error:
            raise SealSetupError(f"{where}: {error}") from None
        _check_issuer(sealer, settings, where)
        issuer = Issuer({"en": settings.issuer_name}, settings.issuer_country, settings.issuer_id)
        problems = issuer.problems()
        if problems:
            raise SealSetupError(f"{where}: " + "; ".join(problems))
        return cls(sealer, issuer)

    def seal(self, original: bytes, elmo: m.Elmo, *, at: dt.datetime | None = None) -> bytes:
        """The sealed Converted credential (JAdES JSON) of the signed ELMO ``original`` read as ``elmo``;
        SealFailed when it cannot be made."""
        from emrex.elm.errors import ElmError
        from emrex.elm.to_elm import elmo_to_elm
        from emrex.seal import SealingError

        try:
            credential = elmo_to_elm(elmo, self.issuer, original=original, issued=at).credential
            return self.sealer.seal(credential, signing_time=at)
        except (ElmError, SealingError) as error:
            raise SealFailed(f"the credential cannot be made: {error}") from None


def _check_issuer(sealer: Sealer, settings: SealSettings, where: str) -> None:
    from emrex.trust.errors import OrganizationIdentifierError
    from emrex.trust.orgid import organization_identifier_of, parse_organization_identifier

    written = organization_identifier_of(sealer.certificate)
    if written is None:
        raise SealSetupError(
            f"{where}.cert_file: {settings.cert_file} names no organizationIdentifier; an EDC seal "
            "certificate must carry the issuer's (like NTRSE-2021001234)"
        )
    try:
        in_certificate = parse_organization_identifier(written)
    except OrganizationIdentifierError as error:
        raise SealSetupError(f"{where}.cert_file: {error}") from None
    if in_certificate.text != settings.issuer_id:
        raise SealSetupError(
            f"{where}.issuer_id: {settings.issuer_id} is not the seal certificate's "
            f"organizationIdentifier {in_certificate.text}"
        )
    if in_certificate.iso_country != settings.issuer_country:
        raise SealSetupError(
            f"{where}.issuer_country: {settings.issuer_country} is not the country of the seal "
            f"certificate's organizationIdentifier ({in_certificate.iso_country})"
        )
