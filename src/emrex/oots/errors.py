"""What can go wrong with OOTS messages and exchanges, each with one readable line."""

from __future__ import annotations

from emrex.errors import EmrexError


class OotsError(EmrexError):
    """The root of every OOTS failure."""


class EdmUnreadable(OotsError):
    """The bytes are not an EDM message we can read at all (not XML, DTD, too large, wrong root)."""


class EbmsError(OotsError):
    """An ebMS3 header, SOAP envelope or MIME message is malformed or breaks the OOTS profile."""


class AccessPointError(OotsError):
    """The access point refused a submission or could not be reached."""


class EvidenceRefused(OotsError):
    """The data provider's evidence cannot be sent (not an ELMO, not a PDF, too large, wrong person)."""


class PreviewError(OotsError):
    """A preview session cannot be used: unknown, expired, finished, or bound to another person."""


class ExchangeConflict(OotsError):
    """The exchange changed meanwhile (another request or page got there first); nothing was done."""
