"""The JAdES header of an EDC seal (ETSI TS 119 182-1) as the EU's EDC tools write it.

A seal is a JWS in JSON serialization whose payload is the credential itself, not base64url
(RFC 7797, ``b64: false``, so ``b64`` is listed in ``crit``). The protected header names the seal
certificate three ways: the certificates (``x5c``), the SHA-256 thumbprint of the first
(``x5t#S256``) and its issuer and serial number (``kid``: base64 of the DER ``IssuerSerial`` of
RFC 5035). ``sigT`` is the claimed signing time. Timestamps and validation data of the higher levels
(B-T, B-LT, B-LTA) sit in the unprotected ``etsiU`` array or, for ``adoTst``, in the protected header.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from joserfc.jws import JWSRegistry
from joserfc.registry import HeaderParameter

# What we sign with; what we accept is wider (any RSA, RSA-PSS or ECDSA family member of JAdES).
SIGNING_ALGORITHMS = ("RS256", "PS256", "ES256")
VERIFY_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)
# Header parameters a seal may list in ``crit``: those we act on (b64, sigT) and those we report as
# present but do not check. ``sigD`` (detached content) is not among them: it changes what is signed.
CRITICAL_UNDERSTOOD = frozenset({"b64", "sigT", "adoTst", "sigPId", "sigPl", "srCms", "srAts", "sigX5ts"})
PROTECTED_REPORTED = ("adoTst", "sigPId", "sigPl", "srCms", "srAts", "sigX5ts")
TYP = "jose+json"
CTY = "octet-stream"  # what the EU's EDC issuer writes
_SIG_T = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
MAX_CERTIFICATES = 10


def issuer_serial(certificate: x509.Certificate) -> bytes:
    """DER of ``IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber INTEGER }``."""
    general_names = _tlv(0x30, _tlv(0xA4, certificate.issuer.public_bytes()))  # [4] directoryName
    serial = certificate.serial_number
    number = serial.to_bytes(serial.bit_length() // 8 + 1, "big", signed=True)
    return _tlv(0x30, general_names + _tlv(0x02, number))


def kid_of(certificate: x509.Certificate) -> str:
    return base64.b64encode(issuer_serial(certificate)).decode("ascii")


def looks_like_issuer_serial(kid: str) -> bool:
    """Whether ``kid`` is base64 of a DER SEQUENCE, as an IssuerSerial is (whatever it names)."""
    try:
        der = base64.b64decode(kid, validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(der) > 2 and der[0] == 0x30 and _length_ok(der)


def _length_ok(der: bytes) -> bool:
    first = der[1]
    if first < 0x80:
        return first == len(der) - 2
    count = first & 0x7F
    return 0 < count <= 4 and int.from_bytes(der[2 : 2 + count], "big") == len(der) - 2 - count


def thumbprint(certificate: x509.Certificate) -> str:
    digest = hashlib.sha256(certificate.public_bytes(Encoding.DER)).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def signing_time_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_signing_time(text: str) -> dt.datetime | None:
    """``sigT`` as a UTC time, or None when it is not ``YYYY-MM-DDThh:mm:ssZ``."""
    if not _SIG_T.match(text):
        return None
    try:
        return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def protected_header(
    algorithm: str, certificates: tuple[x509.Certificate, ...], signing_time: dt.datetime
) -> dict[str, Any]:
    """The protected header of a baseline B-B seal, members in the order the EU's EDC tools use."""
    leaf = certificates[0]
    return {
        "alg": algorithm,
        "cty": CTY,
        "kid": kid_of(leaf),
        "x5t#S256": thumbprint(leaf),
        "x5c": [base64.b64encode(c.public_bytes(Encoding.DER)).decode("ascii") for c in certificates],
        "typ": TYP,
        "b64": False,
        "sigT": signing_time_text(signing_time),
        "crit": ["b64", "sigT"],
    }


def registry(algorithms: frozenset[str], max_header_bytes: int, max_payload_bytes: int) -> JWSRegistry:
    """joserfc's registry that knows the JAdES header parameters and our size limits."""
    extra = {
        "sigT": HeaderParameter("Claimed signing time (JAdES)", "str"),
        "etsiU": HeaderParameter("Unsigned properties (JAdES)", _is_list),
        **{name: HeaderParameter(f"JAdES {name}", _anything) for name in PROTECTED_REPORTED},
    }
    found = JWSRegistry(header_registry=extra, algorithms=sorted(algorithms), strict_check_header=False)
    found.max_header_length = max_header_bytes
    found.max_payload_length = max_payload_bytes
    found.max_signature_length = 2048  # base64url of a 8192-bit RSA signature is 1366 characters
    return found


def decode_certificate(text: object, where: str) -> x509.Certificate:
    """A certificate of ``x5c`` (standard base64 of DER, RFC 7515 4.1.6); ValueError says what is wrong."""
    if not isinstance(text, str) or len(text) > 64_000:
        raise ValueError(f"{where} is not a certificate")
    try:
        der = base64.b64decode(text, validate=True)
        return x509.load_der_x509_certificate(der)
    except (binascii.Error, ValueError):
        raise ValueError(f"{where} is not a base64 DER certificate") from None


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding (RFC 7515 2); ValueError otherwise."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tlv(tag: int, body: bytes) -> bytes:
    size = len(body)
    if size < 0x80:
        length = bytes([size])
    else:
        raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + body


def _is_list(value: Any) -> None:
    if not isinstance(value, list):
        raise ValueError("must be an array")


def _anything(value: Any) -> None:
    return None
