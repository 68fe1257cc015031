"""Every failure of ``emrex.trust``, one exception type per reason a caller can act on.

``TrustError`` is the root. Under it: ``SignatureError`` (a signature was not accepted; catch it to
catch every reason), ``AlreadySigned`` (signing refused), ``CertificateError`` (a certificate or key
cannot be read or used), ``OrganizationIdentifierError``, and the two canonicalization refusals, which
are also ``XmlError``s (the document is refused as XML before any signature is looked at).
"""

from __future__ import annotations

from emrex.errors import EmrexError, XmlError


class TrustError(EmrexError):
    """Root of the failures of signing, verifying, certificates and keys."""


class SignatureError(TrustError):
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


class AlreadySigned(TrustError):
    """The document to sign carries a signature already and replacing it was not asked for."""


class CertificateError(TrustError):
    """A certificate or key cannot be read, or is not one we can use."""


class KeyFileError(CertificateError):
    """A key or certificate file cannot be written or read."""


class OrganizationIdentifierError(TrustError):
    """An organisation identifier is not in the ETSI form (``NTREE-17207834``)."""


class NamespaceFlood(XmlError, TrustError):
    """The document declares so many namespaces that canonicalizing it would take minutes."""

    def __init__(self, in_scope: int) -> None:
        super().__init__(
            f"the document declares too many namespaces to be canonicalized ({in_scope} in scope "
            "on one element; ELMO documents use a handful)"
        )


class CanonicalizationError(XmlError, TrustError):
    """libxml2 cannot canonicalize the document (relative namespace URIs, mostly)."""

    def __init__(self) -> None:
        super().__init__(
            "the document cannot be canonicalized for signing or verifying "
            '(C14N refuses it; a relative namespace URI such as xmlns="foo"?)'
        )
