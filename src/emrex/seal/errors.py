"""Why a seal could not be made or was not accepted: one exception type per reason a caller can act on."""

from __future__ import annotations

from emrex.errors import EmrexError


class SealError(EmrexError):
    """A seal could not be made or read (catch this to catch every reason)."""


class SealUnreadable(SealError):
    """The input is not a sealed credential we can read (not JSON, too large, not a JWS, no credential)."""


class SealRefused(SealError):
    """The seal is shaped in a way that is never accepted (an algorithm, header or encoding we refuse)."""


class SealBroken(SealError):
    """The signature does not match: the credential or its header changed after sealing, or the seal
    belongs to another document."""


class SealingError(SealError):
    """A credential cannot be sealed with this key, certificate and input."""


class PdfSealError(SealError):
    """A PDF cannot be sealed, or its seal cannot be read."""


class PdfNotSealed(PdfSealError):
    """The PDF carries no seal or signature."""
