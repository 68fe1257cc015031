"""A small certificate authority for demo and test networks, and requests (CSRs) for a real CA."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from emrex.trust.errors import CertificateError, OrganizationIdentifierError
from emrex.trust.orgid import parse_organization_identifier

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

KEY_SIZES = (2048, 3072, 4096)


@dataclass(frozen=True)
class Issued:
    """A private key and the certificate for it."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate


def new_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    if bits not in KEY_SIZES:
        raise CertificateError(f"RSA keys of {bits} bits are not offered; choose one of {KEY_SIZES}")
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def new_ec_key() -> ec.EllipticCurvePrivateKey:
    """A P-256 key: what ES256 seals take."""
    return ec.generate_private_key(ec.SECP256R1())


def subject_name(
    cn: str,
    organization: str | None = None,
    country: str | None = None,
    organization_identifier: str | None = None,
) -> x509.Name:
    cn = cn.strip()
    if not cn:
        raise CertificateError("the common name (CN) must not be empty")
    if len(cn) > 64:
        raise CertificateError(f"the common name has {len(cn)} characters; X.509 allows at most 64")
    attributes = []
    if country:
        code = country.strip().upper()
        if len(code) != 2 or not code.isalpha() or not code.isascii():
            raise CertificateError(f"the country must be a two-letter code like SE, not {country!r}")
        attributes.append(x509.NameAttribute(NameOID.COUNTRY_NAME, code))
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization.strip()))
    if organization_identifier:
        try:
            parsed = parse_organization_identifier(organization_identifier)
        except OrganizationIdentifierError as exc:
            raise CertificateError(str(exc)) from None
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, parsed.text))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attributes)


def make_ca(
    cn: str = "EMREX demo CA",
    *,
    days: int = 3650,
    bits: int = 2048,
    key: rsa.RSAPrivateKey | None = None,
    not_before: dt.datetime | None = None,
) -> Issued:
    """A self-signed CA certificate that may issue end-entity certificates (path length 0)."""
    key = key or new_key(bits)
    name = subject_name(cn)
    start, end = _period(days, not_before)
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(key, certificate)


def issue(
    ca: Issued,
    cn: str,
    *,
    days: int = 365,
    bits: int = 2048,
    key: rsa.RSAPrivateKey | None = None,
    organization: str | None = None,
    country: str | None = None,
    organization_identifier: str | None = None,
    not_before: dt.datetime | None = None,
) -> Issued:
    """A signing certificate for an EMP, issued by ``ca`` (a new key unless one is given)."""
    key = key or new_key(bits)
    certificate = certify(
        ca,
        key.public_key(),
        cn,
        days=days,
        organization=organization,
        country=country,
        organization_identifier=organization_identifier,
        not_before=not_before,
    )
    return Issued(key, certificate)


def certify(
    ca: Issued,
    public: PublicKey,
    cn: str,
    *,
    days: int = 365,
    organization: str | None = None,
    country: str | None = None,
    organization_identifier: str | None = None,
    not_before: dt.datetime | None = None,
) -> x509.Certificate:
    """An end-entity certificate for ``public`` (RSA or EC), issued by ``ca``.

    ``organization_identifier`` (ETSI form, ``NTREE-17207834``) is what ties an EDC seal to the
    credential's issuer.
    """
    start, end = _period(days, not_before)
    if end > ca.certificate.not_valid_after_utc:
        end = ca.certificate.not_valid_after_utc
    if start >= end:
        raise CertificateError("the CA certificate has expired; it cannot issue certificates")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca.key.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(subject_name(cn, organization, country, organization_identifier))
        .issuer_name(ca.certificate.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca.key, hashes.SHA256())
    )


def make_csr(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    cn: str,
    *,
    organization: str | None = None,
    country: str | None = None,
    organization_identifier: str | None = None,
) -> x509.CertificateSigningRequest:
    """A certificate signing request to send to a real CA (EMREX guides ask for a CA-issued certificate)."""
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(subject_name(cn, organization, country, organization_identifier))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def _period(days: int, not_before: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    if days < 1:
        raise CertificateError(f"a certificate must be valid for at least one day, not {days}")
    # A little slack before now, so a peer whose clock is behind still accepts the certificate.
    start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    return start, start + dt.timedelta(days=days)


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )
