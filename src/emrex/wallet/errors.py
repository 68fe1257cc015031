"""Why a credential, a presentation or a protocol step was not accepted: one type per reason a caller
can act on, each with one line a person can read."""

from __future__ import annotations

from emrex.errors import EmrexError


class WalletError(EmrexError):
    """Something about a wallet credential or exchange went wrong (catch this to catch every reason)."""


class Unreadable(WalletError):
    """The input is not an SD-JWT, a JWT or JSON we can read at all."""


class TooLarge(Unreadable):
    """The input is larger than the limit set for it; nothing was parsed."""


class Refused(WalletError):
    """The credential or presentation was read, and a check failed (catch this for every refusal)."""


class SignatureRefused(Refused):
    """The signature is missing, uses an algorithm we refuse, or does not match."""


class UntrustedIssuer(Refused):
    """The signing certificate does not chain to a configured trust anchor."""


class WrongType(Refused):
    """The token's ``typ`` or the credential's ``vct`` is not the one expected."""


class DisclosureRefused(Refused):
    """A disclosure does not belong: unreferenced, given twice, or shaped wrongly."""


class KeyBindingRefused(Refused):
    """The key-binding JWT is missing, or its audience, nonce, time or hash is wrong."""


class CredentialExpired(Refused):
    """The credential is outside its validity period (``exp``, ``nbf``)."""


class CredentialRevoked(Refused):
    """The issuer's status list marks the credential as revoked or suspended."""


class StatusUnavailable(Refused):
    """The credential's status list cannot be fetched or does not verify."""


class WalletKeyError(WalletError):
    """A key, certificate or JWK file cannot be read or used."""


class HolderError(WalletError):
    """The holder could not complete an exchange (network, peer refused, nothing matches)."""


class ProtocolError(WalletError):
    """A protocol request is refused: ``error`` is the OAuth error code put on the wire."""

    def __init__(self, message: str, error: str = "invalid_request", status: int = 400) -> None:
        super().__init__(message)
        self.error = error
        self.status = status
