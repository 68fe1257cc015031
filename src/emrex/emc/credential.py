"""An imported transfer as a sealed European Digital Credential: the EMC's own JAdES seal over the ELM
credential of the Converted profile (the data provider's signed ELMO travels inside, byte-exact).

The seal itself is ``emrex.elm.edc_seal`` (shared with the EMP's OOTS evidence); here it answers in the
EMC's terms: a setting that cannot be used is an ``EmcConfigError`` naming ``emc.seal``, a credential
that cannot be made a ``CredentialUnavailable``.
"""

from __future__ import annotations

import datetime as dt

from emrex.elm import edc_seal
from emrex.elm.edc_seal import SealSettings
from emrex.elmo import model as m
from emrex.emc.config import EmcConfigError
from emrex.emc.models import Status, Transfer
from emrex.emc.returns import Received, ReturnRefused
from emrex.errors import EmrexError

MEDIA_TYPE = edc_seal.MEDIA_TYPE
SEALABLE = (Status.IMPORTED,)


class CredentialUnavailable(EmrexError):
    """No sealed credential can be made for this transfer; ``kind``: not_configured, state, failed."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class CredentialSealer(edc_seal.CredentialSealer):
    """The EMC's seal and the issuer its credentials name."""

    @classmethod
    def from_settings(cls, settings: SealSettings, *, where: str = "emc.seal") -> CredentialSealer:
        """Load the key and certificate; EmcConfigError when they cannot be used or name another issuer."""
        try:
            loaded = edc_seal.CredentialSealer.from_settings(settings, where=where)
        except edc_seal.SealSetupError as error:
            raise EmcConfigError(str(error)) from None
        return cls(loaded.sealer, loaded.issuer)

    def seal(self, original: bytes, elmo: m.Elmo, *, at: dt.datetime | None = None) -> bytes:
        """The sealed credential (JAdES JSON) for the signed ELMO ``original`` read as ``elmo``."""
        try:
            return super().seal(original, elmo, at=at)
        except edc_seal.SealFailed as error:
            raise CredentialUnavailable(str(error), "failed") from None


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
