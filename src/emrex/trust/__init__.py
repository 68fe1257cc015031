"""XML signatures of ELMO documents, keys, certificates, and a small CA for demo and test networks."""

from __future__ import annotations

from emrex._exports import lazy_exports

TYPE_CHECKING = False  # not typing's: importing typing would cost more than this whole face
if TYPE_CHECKING:
    from emrex.trust.algorithms import Algorithms
    from emrex.trust.ca import Issued, issue, make_ca
    from emrex.trust.certs import fingerprint, load_certificate, load_certificates, load_private_key
    from emrex.trust.errors import (
        AlreadySigned,
        CanonicalizationError,
        CertificateError,
        CertificateExpired,
        CertificateNotYetValid,
        CertificateValidityError,
        DigestMismatch,
        DisallowedAlgorithm,
        KeyFileError,
        MalformedSignature,
        NamespaceFlood,
        NoSignature,
        OrganizationIdentifierError,
        SignatureError,
        SignatureInvalid,
        SignatureValueMismatch,
        TrustError,
        UntrustedSigner,
    )
    from emrex.trust.policy import DEFAULT_POLICY, VerifyPolicy
    from emrex.trust.signer import Signer, sign
    from emrex.trust.verifier import Verified, verify

__all__ = [
    "DEFAULT_POLICY",
    "Algorithms",
    "AlreadySigned",
    "CanonicalizationError",
    "CertificateError",
    "CertificateExpired",
    "CertificateNotYetValid",
    "CertificateValidityError",
    "DigestMismatch",
    "DisallowedAlgorithm",
    "Issued",
    "KeyFileError",
    "MalformedSignature",
    "NamespaceFlood",
    "NoSignature",
    "OrganizationIdentifierError",
    "SignatureError",
    "SignatureInvalid",
    "SignatureValueMismatch",
    "Signer",
    "TrustError",
    "UntrustedSigner",
    "Verified",
    "VerifyPolicy",
    "fingerprint",
    "issue",
    "load_certificate",
    "load_certificates",
    "load_private_key",
    "make_ca",
    "sign",
    "verify",
]

__getattr__, __dir__ = lazy_exports(
    globals(),
    {
        "algorithms": ("Algorithms",),
        "certs": ("fingerprint", "load_certificate", "load_certificates", "load_private_key"),
        "errors": (
            "AlreadySigned", "CertificateError", "CertificateExpired", "CertificateNotYetValid",
            "CertificateValidityError", "DigestMismatch", "DisallowedAlgorithm", "MalformedSignature",
            "NoSignature", "SignatureError", "SignatureInvalid", "SignatureValueMismatch", "UntrustedSigner",
            "TrustError", "KeyFileError", "OrganizationIdentifierError", "NamespaceFlood",
            "CanonicalizationError",
        ),
        "policy": ("DEFAULT_POLICY", "VerifyPolicy"),
        "signer": ("Signer", "sign"),
        "verifier": ("Verified", "verify"),
        "ca": ("make_ca", "issue", "Issued"),
    },
)

