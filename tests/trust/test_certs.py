from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from emrex.trust.certs import (
    fingerprint,
    is_self_signed,
    key_size,
    load_certificate,
    load_certificates,
    load_private_key,
)
from emrex.trust.errors import CertificateError


@pytest.fixture(scope="module")
def dk_pem(interop_dir: Path) -> bytes:
    return (interop_dir / "certs" / "dk-emrex__dk-emrex-test.cer").read_bytes()


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def test_pem_der_and_bare_base64_give_the_same_certificate(dk_pem: bytes) -> None:
    cert = load_certificate(dk_pem)
    assert "CN=Niels Kildeskov" in cert.subject.rfc4514_string()
    assert load_certificate(_der(cert)) == cert
    assert load_certificate(base64.b64encode(_der(cert))) == cert
    assert load_certificate(dk_pem.decode("ascii")) == cert


def test_pem_without_newlines_as_seen_in_emreg(dk_pem: bytes) -> None:
    cert = load_certificate(dk_pem)
    body = base64.b64encode(_der(cert)).decode("ascii")
    squashed = f"-----BEGIN CERTIFICATE-----{body}-----END CERTIFICATE-----"
    assert load_certificate(squashed) == cert
    escaped = "-----BEGIN CERTIFICATE-----\\n" + body[:64] + "\\n" + body[64:]
    escaped += "\\n-----END CERTIFICATE-----"
    assert load_certificate(escaped) == cert


def test_bundle_gives_every_certificate(interop_dir: Path) -> None:
    files = sorted((interop_dir / "certs").iterdir())
    bundle = b"\n".join(f.read_bytes() for f in files)
    assert len(load_certificates(bundle)) == len(files)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "empty"),
        (b"-----BEGIN CERTIFICATE-----\nMIIB+TCC(......)\n-----END CERTIFICATE-----", "neither PEM"),
        (b"-----BEGIN CERTIFICATE-----\nMIIB+TCCAWICCQDiZILVgSkjojANBgkqhkiG", "cut off"),
        (b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "found: PUBLIC KEY"),
        (b"MIIB+TCCAWICCQDiZILVgSkjojANBgkqhkiG", "not a valid X.509"),
    ],
)
def test_broken_certificates_fail_with_a_reason(data: bytes, says: str) -> None:
    with pytest.raises(CertificateError, match=says):
        load_certificate(data)


def test_description_helpers(dk_pem: bytes, interop_dir: Path) -> None:
    cert = load_certificate(dk_pem)
    assert is_self_signed(cert)
    assert key_size(cert) == 2048
    fp = fingerprint(cert)
    assert len(fp.split(":")) == 32 and fp == fp.upper()
    mockup = load_certificate((interop_dir / "certs" / "emp-mockup__no-cert.crt").read_bytes())
    assert key_size(mockup) == 1024
    assert is_self_signed(mockup)  # signed with SHA-1: the names decide


def test_private_keys_load_from_pem_and_der_and_non_rsa_is_refused() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    assert load_private_key(pem).private_numbers() == key.private_numbers()
    assert load_private_key(der).private_numbers() == key.private_numbers()
    locked = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    with pytest.raises(CertificateError, match="encrypted"):
        load_private_key(locked)
    assert load_private_key(locked, b"secret").key_size == 2048
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(CertificateError, match="RSA"):
        load_private_key(ec_pem)
    with pytest.raises(CertificateError, match="cannot read"):
        load_private_key(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")


def test_names_with_control_characters_are_shown_on_one_line() -> None:
    import datetime as dt

    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    from emrex.trust.certs import issuer_text, subject_text

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Evil\n\x1b[31mRED\u2028")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    assert subject_text(cert) == "CN=Evil\\x0a\\x1b[31mRED\\u2028"
    assert issuer_text(cert).isprintable()


def test_oversized_certificate_data_is_refused_quickly() -> None:
    with pytest.raises(CertificateError, match="too large"):
        load_certificates(b"-----BEGIN CERTIFICATE-----\n" * 100_000)
