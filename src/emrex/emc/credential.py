"""An imported transfer as a sealed European Digital Credential: the EMC's own JAdES seal over the ELM
credential of the Converted profile (the data provider's signed ELMO travels inside, byte-exact).

The key and certificate are loaded once when the app starts (``CredentialSealer.from_settings``), and
the configured issuer is checked against the certificate then: a credential the EMC seals must name
the organisation its seal certificate names, or no EU verifier would accept it.
"""

from __future__ import annotations

import datetime as dt

from emrex.elm import Sealer as Issuer
from emrex.elm.errors import ElmError
from emrex.elm.to_elm import elmo_to_elm
from emrex.elmo import model as m
from emrex.emc.config import EmcConfigError, SealSettings
from emrex.emc.models import Status, Transfer
from emrex.emc.returns import Received, ReturnRefused
from emrex.errors import EmrexError
from emrex.seal import Sealer, SealingError
from emrex.trust.errors import OrganizationIdentifierError
from emrex.trust.orgid import organization_identifier_of, parse_organization_identifier

MEDIA_TYPE = "application/json"
SEALABLE = (Status.IMPORTED,)


class CredentialUnavailable(EmrexError):
    """No sealed credential can be made for this transfer; ``kind``: not_configured, state, failed."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class CredentialSealer:
    """The EMC's seal and the issuer its credentials name."""

    def __init__(self, sealer: Sealer, issuer: Issuer) -> None:
        self.sealer = sealer
        self.issuer = issuer

    @classmethod
    def from_settings(cls, settings: SealSettings) -> CredentialSealer:
        """Load the key and certificate; EmcConfigError when they cannot be used or name another issuer."""
        try:
            sealer = Sealer.from_files(settings.key_file, settings.cert_file)
        except SealingError as error:
            raise EmcConfigError(f"emc.seal: {error}") from None
        written = organization_identifier_of(sealer.certificate)
        if written is None:
            raise EmcConfigError(
                f"emc.seal.cert_file: {settings.cert_file} names no organizationIdentifier; an EDC seal "
                "certificate must carry the issuer's (like NTRSE-2021001234)"
            )
        try:
            in_certificate = parse_organization_identifier(written)
        except OrganizationIdentifierError as error:
            raise EmcConfigError(f"emc.seal.cert_file: {error}") from None
        if in_certificate.text != settings.issuer_id:
            raise EmcConfigError(
                f"emc.seal.issuer_id: {settings.issuer_id} is not the seal certificate's "
                f"organizationIdentifier {in_certificate.text}"
            )
        if in_certificate.iso_country != settings.issuer_country:
            raise EmcConfigError(
                f"emc.seal.issuer_country: {settings.issuer_country} is not the country of the seal "
                f"certificate's organizationIdentifier ({in_certificate.iso_country})"
            )
        issuer = Issuer({"en": settings.issuer_name}, settings.issuer_country, settings.issuer_id)
        problems = issuer.problems()
        if problems:
            raise EmcConfigError("emc.seal: " + "; ".join(problems))
        return cls(sealer, issuer)

    def seal(self, original: bytes, elmo: m.Elmo, *, at: dt.datetime | None = None) -> bytes:
        """The sealed credential (JAdES JSON) for the signed ELMO ``original`` read as ``elmo``."""
        try:
            credential = elmo_to_elm(elmo, self.issuer, original=original, issued=at).credential
            return self.sealer.seal(credential, signing_time=at)
        except (ElmError, SealingError) as error:
            raise CredentialUnavailable(f"the credential cannot be made: {error}", "failed") from None


def sealed_credential(
    sealer: CredentialSealer | None, transfer: Transfer, received: Received | None
) -> bytes:
    """The sealed credential of an imported ``transfer`` whose stored document verified as ``received``."""
    if sealer is None:
        raise CredentialUnavailable(
            "this EMC does not seal credentials (no emc.seal key is configured)", "not_configured"
        )
    if transfer.status not in SEALABLE:
        raise CredentialUnavailable("only imported results can be downloaded as a sealed credential", "state")
    if received is None or transfer.elmo_xml is None:
        raise CredentialUnavailable("the signed document of this transfer is no longer stored", "state")
    return sealer.seal(transfer.elmo_xml, received.elmo)


def file_name(transfer_id: int) -> str:
    return f"edc-transfer-{transfer_id}.json"


def refused_status(error: CredentialUnavailable | ReturnRefused) -> int:
    """The HTTP status of a refusal: 501 not configured, 409 not (or no longer) possible, 500 failed."""
    if isinstance(error, ReturnRefused):
        return 409
    return {"not_configured": 501, "state": 409}.get(error.kind, 500)
