"""The pieces of HTTP Signatures (draft-cavage-http-signatures-07) that EWP uses, on ``cryptography``.

EWP signs with ``rsa-sha256`` only; ``keyId`` is the lower-case hex SHA-256 of the public key in DER
(SubjectPublicKeyInfo), the value the EWP registry lists under ``sha-256``. The body travels under
a ``Digest`` header (RFC 3230) with a ``SHA-256`` entry; dates are HTTP dates in GMT.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.utils
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from emrex.ewp.errors import BadSignatureRequest

RSA_SHA256 = "rsa-sha256"
REQUEST_TARGET = "(request-target)"
MAX_SIGNATURE_HEADER_CHARS = 8192  # a 8192-bit signature in base64 and five header names fit easily
MIN_KEY_BITS = 2048
MAX_KEY_BITS = 8192

_KEY_ID = re.compile(r"[0-9a-f]{64}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def key_id(public_key: rsa.RSAPublicKey) -> str:
    """The EWP key id: hex SHA-256 of the DER SubjectPublicKeyInfo."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def is_key_id(text: str) -> bool:
    return _KEY_ID.fullmatch(text) is not None


def is_request_id(text: str) -> bool:
    """A UUID in canonical form (8-4-4-4-12 hex digits), as EWP wants in ``X-Request-Id``."""
    return _UUID.fullmatch(text) is not None


class SigningKey:
    """An RSA private key for signing requests or responses; load it once per process."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError("EWP HTTP signatures need an RSA private key")
        if not MIN_KEY_BITS <= key.key_size <= MAX_KEY_BITS:
            raise ValueError(f"an EWP key needs {MIN_KEY_BITS} to {MAX_KEY_BITS} bits, not {key.key_size}")
        self.key = key
        self.public_key = key.public_key()
        self.key_id = key_id(self.public_key)

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def signature_matches(public_key: rsa.RSAPublicKey, signature: bytes, data: bytes) -> bool:
    try:
        public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True)
class SignatureParams:
    """The parameters of an ``Authorization: Signature`` or ``Signature`` header."""

    key_id: str
    algorithm: str
    headers: tuple[str, ...]  # lower case, in signing order
    signature: bytes
    signature_text: str  # base64 as sent: what a response copies into X-Request-Signature


def format_params(key: str, headers: Sequence[str], signature: bytes) -> str:
    value = base64.b64encode(signature).decode("ascii")
    names = " ".join(headers)
    return f'keyId="{key}",algorithm="{RSA_SHA256}",headers="{names}",signature="{value}"'


def parse_params(text: str) -> SignatureParams:
    """The parameters of a signature header; malformed or repeated parameters are refused."""
    if len(text) > MAX_SIGNATURE_HEADER_CHARS:
        raise BadSignatureRequest(
            f"the signature header is longer than {MAX_SIGNATURE_HEADER_CHARS} characters"
        )
    values = _param_values(text)
    for required in ("keyId", "signature"):
        if required not in values:
            raise BadSignatureRequest(f"the signature header has no {required} parameter")
    raw = values["signature"]
    try:
        signature = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise BadSignatureRequest("the signature parameter is not base64") from None
    if not signature:
        raise BadSignatureRequest("the signature parameter is empty")
    names = tuple(name.lower() for name in values.get("headers", "date").split())
    return SignatureParams(
        key_id=values["keyId"],
        algorithm=values.get("algorithm", "").lower(),
        headers=names,
        signature=signature,
        signature_text=raw,
    )


def _param_values(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    position, end = 0, len(text)
    while True:
        position = _skip(text, position, " \t")
        match = _NAME.match(text, position)
        if match is None or match.end() >= end or text[match.end()] != "=":
            raise BadSignatureRequest(f"the signature header is malformed at character {position + 1}")
        name = match.group(0)
        position = match.end() + 1
        if position < end and text[position] == '"':
            value, position = _quoted(text, position)
        else:
            stop = text.find(",", position)
            stop = end if stop < 0 else stop
            value, position = text[position:stop].strip(), stop
        if name in values:
            raise BadSignatureRequest(f"the signature header gives {name} twice")
        values[name] = value  # names the draft does not define are kept and never read
        position = _skip(text, position, " \t")
        if position >= end:
            return values
        if text[position] != ",":
            raise BadSignatureRequest(f"the signature header is malformed at character {position + 1}")
        position += 1


def _skip(text: str, position: int, characters: str) -> int:
    while position < len(text) and text[position] in characters:
        position += 1
    return position


def _quoted(text: str, position: int) -> tuple[str, int]:
    chars: list[str] = []
    position += 1
    while position < len(text):
        char = text[position]
        if char == "\\" and position + 1 < len(text):
            chars.append(text[position + 1])
            position += 2
            continue
        if char == '"':
            return "".join(chars), position + 1
        chars.append(char)
        position += 1
    raise BadSignatureRequest("the signature header has an unterminated quoted value")


class Headers:
    """Header fields by lower-case name; repeated fields joined by ", " as the draft says."""

    def __init__(self, fields: Iterable[tuple[str, str]] | Mapping[str, str]) -> None:
        pairs = fields.items() if isinstance(fields, Mapping) else fields
        joined: dict[str, list[str]] = {}
        for name, value in pairs:
            joined.setdefault(name.lower(), []).append(value.strip())
        self._values = {name: ", ".join(values) for name, values in joined.items()}

    def get(self, name: str) -> str | None:
        return self._values.get(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values


def signing_string(names: Sequence[str], headers: Headers, *, method: str = "", target: str = "") -> bytes:
    """The text that is signed: one ``name: value`` line per signed header, in the order given."""
    lines = []
    for name in names:
        if name == REQUEST_TARGET:
            if not method:
                raise BadSignatureRequest("(request-target) cannot be signed in a response")
            lines.append(f"{REQUEST_TARGET}: {method.lower()} {target}")
            continue
        value = headers.get(name)
        if value is None:
            raise BadSignatureRequest(f"the signed header {name} is not in the message")
        lines.append(f"{name}: {value}")
    try:
        return "\n".join(lines).encode("latin-1")
    except UnicodeEncodeError:
        raise BadSignatureRequest("a signed header holds characters HTTP headers cannot carry") from None


def digest_header(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def sha256_of_digest(value: str) -> bytes | None:
    """The SHA-256 entry of a ``Digest`` header (others are skipped), or None when it has none."""
    found: bytes | None = None
    for entry in value.split(","):
        algorithm, equals, encoded = entry.strip().partition("=")
        if not equals or algorithm.strip().lower() != "sha-256":
            continue
        try:
            digest = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise BadSignatureRequest("the SHA-256 digest is not base64") from None
        if found is not None and digest != found:
            raise BadSignatureRequest("the Digest header gives two different SHA-256 values")
        found = digest
    return found


def body_matches_digest(body: bytes, header: str | None) -> bool:
    if header is None:
        raise BadSignatureRequest("the message has no Digest header")
    expected = sha256_of_digest(header)
    if expected is None:
        raise BadSignatureRequest("the Digest header has no SHA-256 entry")
    return hashlib.sha256(body).digest() == expected


def http_date(moment: dt.datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(dt.UTC), usegmt=True)


def parse_http_date(text: str) -> dt.datetime | None:
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # "-0000": no zone given, which an HTTP date may not do
        return None
    return moment


def check_dates(
    headers: Headers,
    names: Sequence[str],
    now: dt.datetime,
    window: dt.timedelta,
    *,
    signed_only: bool = False,
) -> dt.datetime:
    """Every ``Date``/``Original-Date`` present (or only the signed ones) must parse and lie within
    ``window`` of ``now``; one of them must be signed. Returns the latest of them."""
    if "date" not in names and "original-date" not in names:
        raise BadSignatureRequest("neither date nor original-date is among the signed headers")
    latest: dt.datetime | None = None
    for name in ("date", "original-date"):
        if signed_only and name not in names:
            continue
        value = headers.get(name)
        if value is None:
            continue
        moment = parse_http_date(value)
        if moment is None:
            raise BadSignatureRequest(f"the {name} header cannot be read as an HTTP date")
        skew = abs(moment - now)
        if skew > window:
            raise BadSignatureRequest(
                f"the {name} header is {int(skew.total_seconds())} seconds away from our clock "
                f"(at most {int(window.total_seconds())} are accepted)"
            )
        latest = moment if latest is None else max(latest, moment)
    if latest is None:
        raise BadSignatureRequest("the message has neither a Date nor an Original-Date header")
    return latest
