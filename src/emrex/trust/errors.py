"""Why a signature was not accepted: one exception type per reason a caller can act on."""

from __future__ import annotations

from emrex.errors import EmrexError


class SignatureError(EmrexError):
    """The document's signature was not accepted (catch this to catch every reason)."""


class NoSignature(SignatureError):
    """The document carries no signature where one must be (the last child of the root)."""


class MalformedSignature(SignatureError):
    """The signature is not shaped as an ELMO signature must be (one Reference to the whole document)."""


class DisallowedAlgorithm(SignatureError):
    """The signature uses an algorithm the policy does not accept."""


class SignatureInvalid(SignatureError):
    """The signature does not match the document: it was altered after signing."""


class DigestMismatch(SignatureInvalid):
    """The signed content changed after signing."""


class SignatureValueMismatch(SignatureInvalid):
    """The signature value matches none of the trusted certificates (wrong key or altered SignedInfo)."""


class UntrustedSigner(SignatureError):
    """The document was signed by a key that is not among the trusted certificates."""


class CertificateValidityError(SignatureError):
    """The certificate that matched is not valid at the time of verification."""


class CertificateExpired(CertificateValidityError):
    pass


class CertificateNotYetValid(CertificateValidityError):
    pass
