"""Loading certificates and keys leniently (PEM, DER, bare base64) and describing certificates."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from emrex.trust.errors import CertificateError as CertificateError  # emc.service, demo.folder import it here
from emrex.trust.errors import CertificateExpired, CertificateNotYetValid

_PEM_BLOCK = re.compile(
    rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----",
    re.DOTALL,
)
# Whitespace, and the two-character escapes a badly exported JSON string leaves behind.
_NOISE = re.compile(rb"\s+|\\[nrt]")
_BASE64_TEXT = re.compile(rb"^[A-Za-z0-9+/]+={0,2}$")
MAX_CERTIFICATE_BYTES = 1024 * 1024
_CERT_LABELS = {b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE"}
# Keys that may seal (JAdES, PAdES); ELMO XML signatures take RSA only.
SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def load_certificate(data: bytes | str) -> x509.Certificate:
    """The first certificate in ``data``: PEM (leniently wrapped), DER, or the bare base64 of DER."""
    found = load_certificates(data)
    return found[0]


def load_certificates(data: bytes | str) -> tuple[x509.Certificate, ...]:
    """Every certificate in ``data`` (a PEM bundle gives several; DER or bare base64 gives one)."""
    raw = data.encode("ascii", "replace") if isinstance(data, str) else data
    if len(raw) > MAX_CERTIFICATE_BYTES:
        raise CertificateError(
            f"{len(raw)} bytes is too large for certificates (limit {MAX_CERTIFICATE_BYTES})"
        )
    if not raw.strip():
        raise CertificateError("the certificate is empty")
    blocks = _PEM_BLOCK.findall(raw)
    if blocks:
        certs = [_der_certificate(_unbase64(body)) for label, body in blocks if label in _CERT_LABELS]
        if not certs:
            labels = ", ".join(sorted({label.decode("ascii") for label, _ in blocks}))
            raise CertificateError(f"no certificate in the PEM data (found: {labels})")
        return tuple(certs)
    if b"-----BEGIN" in raw:
        raise CertificateError("the PEM certificate is cut off (no matching END line)")
    if raw[:1] == b"\x30":
        return (_der_certificate(raw),)
    return (_der_certificate(_unbase64(raw)),)


def load_private_key(data: bytes, password: bytes | None = None) -> rsa.RSAPrivateKey:
    """An RSA private key from PEM (PKCS#1 or PKCS#8) or DER."""
    key = load_signing_key(data, password)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CertificateError("the private key is an EC key, but ELMO signatures need an RSA key")
    return key


def load_signing_key(data: bytes, password: bytes | None = None) -> SigningKey:
    """An RSA or EC private key from PEM (PKCS#1, SEC1 or PKCS#8) or DER."""
    if not data.strip():
        raise CertificateError("the private key file is empty")
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password=password)
        else:
            key = serialization.load_der_private_key(data, password=password)
    except TypeError as exc:
        # cryptography says "Password was not given but private key is encrypted" and the reverse.
        raise CertificateError(f"cannot read the private key: {exc}") from None
    except ValueError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else "unrecognised format"
        raise CertificateError(f"cannot read the private key ({reason})") from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        kind = type(key).__name__
        raise CertificateError(f"the private key is {kind}; only RSA and EC keys can sign here")
    return key


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 fingerprint as colon-separated upper-case hex, as browsers and openssl show it."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def subject_text(cert: x509.Certificate) -> str:
    """The subject as one printable line (names in foreign certificates may hold control characters)."""
    return printable(cert.subject.rfc4514_string()) or "(empty subject)"


def issuer_text(cert: x509.Certificate) -> str:
    return printable(cert.issuer.rfc4514_string()) or "(empty issuer)"


def printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else _escape(ord(ch)) for ch in text)


def _escape(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def is_self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except InvalidSignature:
        return False
    except (ValueError, TypeError):  # an algorithm cryptography will not check (SHA-1): names decide
        return True
    return True


def key_size(cert: x509.Certificate) -> int | None:
    key = cert.public_key()
    size = getattr(key, "key_size", None)
    return size if isinstance(size, int) else None


def validity_problem(cert: x509.Certificate, at: dt.datetime) -> str | None:
    """Why ``cert`` is not valid at ``at`` ("expired …" / "not valid before …"), or None."""
    if cert.not_valid_after_utc < at:
        return f"expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M:%S} UTC"
    if cert.not_valid_before_utc > at:
        return f"not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M:%S} UTC"
    return None


def require_valid(cert: x509.Certificate, at: dt.datetime) -> None:
    """Raise CertificateExpired or CertificateNotYetValid unless ``cert`` is valid at ``at``."""
    if cert.not_valid_after_utc < at:
        raise CertificateExpired(
            f"the signing certificate {subject_text(cert)} expired on "
            f"{cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
        )
    if cert.not_valid_before_utc > at:
        raise CertificateNotYetValid(
            f"the signing certificate {subject_text(cert)} is not valid before "
            f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
        )


def _unbase64(text: bytes) -> bytes:
    compact = _NOISE.sub(b"", text)
    if not compact:
        raise CertificateError("the certificate is empty")
    if not _BASE64_TEXT.match(compact):
        raise CertificateError("the certificate is neither PEM, DER nor base64 (unexpected characters)")
    try:
        return base64.b64decode(compact + b"=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise CertificateError("the certificate's base64 text is damaged (truncated?)") from None


def _der_certificate(der: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else "malformed"
        raise CertificateError(f"not a valid X.509 certificate ({reason[:120]})") from None
