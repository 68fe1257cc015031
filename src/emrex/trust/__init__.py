"""XML signatures of ELMO documents, keys, certificates, and a small CA for demo and test networks."""

from __future__ import annotations

from emrex.trust.algorithms import Algorithms
from emrex.trust.certs import fingerprint, load_certificate, load_certificates, load_private_key
from emrex.trust.errors import (
    AlreadySigned,
    CertificateError,
    CertificateExpired,
    CertificateNotYetValid,
    CertificateValidityError,
    DigestMismatch,
    DisallowedAlgorithm,
    MalformedSignature,
    NoSignature,
    SignatureError,
    SignatureInvalid,
    SignatureValueMismatch,
    UntrustedSigner,
)
from emrex.trust.policy import DEFAULT_POLICY, VerifyPolicy
from emrex.trust.signer import Signer, sign
from emrex.trust.verifier import Verified, verify

__all__ = [
    "DEFAULT_POLICY",
    "Algorithms",
    "AlreadySigned",
    "CertificateError",
    "CertificateExpired",
    "CertificateNotYetValid",
    "CertificateValidityError",
    "DigestMismatch",
    "DisallowedAlgorithm",
    "MalformedSignature",
    "NoSignature",
    "SignatureError",
    "SignatureInvalid",
    "SignatureValueMismatch",
    "Signer",
    "UntrustedSigner",
    "Verified",
    "VerifyPolicy",
    "fingerprint",
    "load_certificate",
    "load_certificates",
    "load_private_key",
    "sign",
    "verify",
]
