"""X.509 for the wallet: the ``x5c`` chain of a signed JWT checked against configured trust anchors, and
certificates with a DNS name for the issuers and verifiers of demo and test networks.

Trust anchors are configured certificates (a CA, or a pinned issuer certificate). The EU trusted lists
that real wallets and verifiers consult are out of reach here; a deployment that has them loads their
certificates as anchors.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import verification
from cryptography.x509.oid import NameOID

from emrex.trust.ca import Issued
from emrex.trust.certs import load_certificates, subject_text
from emrex.wallet.errors import UntrustedIssuer, WalletKeyError
from emrex.wallet.jose import AnyKey, SigningKey, from_cryptography, signing_key

MAX_CHAIN = 5
MAX_CERTIFICATE_CHARS = 16_000


@dataclass(frozen=True)
class TrustAnchors:
    """The certificates a verifier trusts to vouch for issuers (CAs, or pinned issuer certificates)."""

    certificates: tuple[x509.Certificate, ...]

    @classmethod
    def load(cls, data: Iterable[bytes]) -> TrustAnchors:
        found: list[x509.Certificate] = []
        for item in data:
            found.extend(load_certificates(item))
        return cls(tuple(found))

    @cached_property
    def store(self) -> verification.Store:
        return verification.Store(list(self.certificates))


def x5c_of(certificates: Sequence[x509.Certificate]) -> tuple[str, ...]:
    """The ``x5c`` header value: standard base64 of each DER certificate, leaf first."""
    return tuple(
        base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii") for c in certificates
    )


def parse_x5c(value: Any, what: str) -> list[x509.Certificate]:
    if not isinstance(value, list) or not value:
        raise UntrustedIssuer(f"{what} carries no certificate chain (x5c)")
    if len(value) > MAX_CHAIN:
        raise UntrustedIssuer(
            f"{what} carries {len(value)} certificates in x5c; at most {MAX_CHAIN} are read"
        )
    chain = []
    for item in value:
        if not isinstance(item, str) or len(item) > MAX_CERTIFICATE_CHARS:
            raise UntrustedIssuer(f"{what}: an x5c entry is not a certificate of usable size")
        try:
            chain.append(x509.load_der_x509_certificate(base64.b64decode(item, validate=True)))
        except (binascii.Error, ValueError):
            raise UntrustedIssuer(f"{what}: an x5c entry is not a DER certificate in base64") from None
    return chain


def verify_chain(
    chain: Sequence[x509.Certificate], anchors: TrustAnchors, at: dt.datetime
) -> x509.Certificate:
    """The leaf of ``chain`` once the chain is valid at ``at`` up to one of ``anchors``."""
    if not anchors.certificates:
        raise UntrustedIssuer("no trust anchors are configured, so no issuer can be trusted")
    builder = (
        verification.PolicyBuilder()
        .store(anchors.store)
        .time(at)
        .max_chain_depth(MAX_CHAIN)
        .extension_policies(
            ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(),
            ee_policy=verification.ExtensionPolicy.permit_all(),
        )
    )
    leaf = chain[0]
    try:
        builder.build_client_verifier().verify(leaf, list(chain[1:]))
    except verification.VerificationError as exc:
        reason = _reason(leaf, at, str(exc))
        raise UntrustedIssuer(f"the certificate {subject_text(leaf)} is not trusted: {reason}") from None
    return leaf


def _reason(leaf: x509.Certificate, at: dt.datetime, detail: str) -> str:
    if leaf.not_valid_after_utc < at:
        return f"it expired on {leaf.not_valid_after_utc:%Y-%m-%d}"
    if leaf.not_valid_before_utc > at:
        return f"it is not valid before {leaf.not_valid_before_utc:%Y-%m-%d}"
    if "candidates exhausted" in detail or "no valid" in detail.lower():
        return "it does not chain to a configured trust anchor"
    return detail.splitlines()[0][:120]


def leaf_key(certificate: x509.Certificate) -> AnyKey:
    try:
        return from_cryptography(certificate.public_key())
    except WalletKeyError as exc:
        raise UntrustedIssuer(f"the certificate {subject_text(certificate)}: {exc}") from None


def san_dns_names(certificate: x509.Certificate) -> list[str]:
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(name) for name in names.get_values_for_type(x509.DNSName)]


def issue_certificate(
    ca: Issued,
    cn: str,
    *,
    dns_names: Sequence[str] = (),
    key: ec.EllipticCurvePrivateKey | None = None,
    days: int = 365,
) -> tuple[SigningKey, x509.Certificate]:
    """An EC P-256 key and a certificate from ``ca`` for a credential issuer or a verifier (its DNS names
    in subjectAltName, as ``x509_san_dns`` client identifiers need). For demo and test networks."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    end = min(start + dt.timedelta(days=days), ca.certificate.not_valid_after_utc)
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .issuer_name(ca.certificate.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
    )
    if dns_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name) for name in dns_names]), critical=False
        )
    certificate = builder.sign(ca.key, hashes.SHA256())
    return signing_key(from_cryptography(key), x5c_of([certificate])), certificate
