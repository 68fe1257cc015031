"""XML signatures of ELMO documents, keys, certificates, and a small CA for demo and test networks."""

from __future__ import annotations

from emrex.trust.certs import (
    CertificateError,
    fingerprint,
    load_certificate,
    load_certificates,
    load_private_key,
)

__all__ = [
    "CertificateError",
    "fingerprint",
    "load_certificate",
    "load_certificates",
    "load_private_key",
]
