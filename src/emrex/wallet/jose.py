"""JOSE plumbing of the wallet: base64url, strict JSON, compact JWTs and keys, with joserfc underneath.

Every reader here is strict on purpose: a JSON member given twice, padding in base64url, an unsigned
(``alg: none``) or symmetric (HMAC) JWT are refused with one readable line, because different parsers
read such input differently.
"""

from __future__ import annotations

import binascii
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pybase64
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwe import JWERegistry
from joserfc.jwk import ECKey, RSAKey
from joserfc.jwk import thumbprint as jwk_thumbprint
from joserfc.jws import JWSRegistry

from emrex.jsonstrict import DuplicateMember, refuse_constant, unique_members
from emrex.wallet.errors import SignatureRefused, Unreadable, WalletKeyError

Json = dict[str, Any]
AnyKey = ECKey | RSAKey

# Asymmetric algorithms only: never "none", never HMAC (a public key must not become a shared secret).
SIGNING_ALGS = ("ES256", "ES384", "ES512", "RS256", "PS256")
_REGISTRY = JWSRegistry(algorithms=list(SIGNING_ALGS))
_CURVE_ALG = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}
MIN_RSA_BITS = 2048


def b64encode(data: bytes) -> str:
    return pybase64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str, what: str) -> bytes:
    """Unpadded base64url (RFC 7515), strictly: other alphabets, padding and stray bits are refused.
    pybase64 (SIMD) decodes a 60-course presentation in a twentieth of binascii's time."""
    if not isinstance(text, str) or not text.isascii():
        raise Unreadable(f"{what} is not base64url text")
    return b64decode_ascii(text.encode("ascii"), what)


def b64decode_ascii(data: bytes, what: str) -> bytes:
    tail = len(data) % 4
    if tail == 1 or b"+" in data or b"/" in data or b"=" in data:
        raise Unreadable(f"{what} is not base64url text")
    if tail and _B64_VALUES.get(data[-1], 0) & (0x0F if tail == 2 else 0x03):
        raise Unreadable(f"{what} is not canonical base64url (stray bits at the end)")
    try:
        return pybase64.b64decode(data + b"=" * (-tail % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise Unreadable(f"{what} is not base64url text") from None


_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_B64_VALUES = {char: value for value, char in enumerate(_ALPHABET)}


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def loads(data: bytes | str, what: str) -> Any:
    """JSON read strictly: UTF-8, no NaN or Infinity, no member given twice in one object."""
    return _strict(data, what, unique_members)


def loads_noting(data: bytes, what: str, first: str, second: str) -> tuple[Any, bool]:
    """``loads``, and whether any object in the JSON has a member called ``first`` or ``second``."""
    seen = False

    def unique_noting(pairs: list[tuple[str, Any]]) -> Json:
        nonlocal seen
        members = dict(pairs)
        if len(members) != len(pairs):
            unique_members(pairs)
        if not seen and (first in members or second in members):
            seen = True
        return members

    value = _strict(data, what, unique_noting)
    return value, seen


def _strict(data: bytes | str, what: str, hook: Callable[[list[tuple[str, Any]]], Json]) -> Any:
    try:
        return json.loads(data, object_pairs_hook=hook, parse_constant=refuse_constant)
    except DuplicateMember as exc:
        raise Unreadable(f"{what}: the member {exc.key[:40]!r} appears twice in one object") from None
    except RecursionError:
        raise Unreadable(f"{what}: the JSON is nested too deeply") from None
    except UnicodeDecodeError:
        raise Unreadable(f"{what} is not UTF-8 text") from None
    except ValueError as exc:  # JSONDecodeError, and numbers with too many digits
        raise Unreadable(f"{what} is not valid JSON ({str(exc).splitlines()[0][:80]})") from None


def loads_object(data: bytes | str, what: str) -> Json:
    value = loads(data, what)
    if not isinstance(value, dict):
        raise Unreadable(f"{what} is not a JSON object")
    return value


@dataclass(frozen=True)
class Jwt:
    """A compact JWS taken apart; nothing in it is trusted until ``verify_jwt`` passes."""

    compact: str
    header: Json
    payload: Json
    signing_input: bytes = field(repr=False)
    signature: bytes = field(repr=False)

    @property
    def alg(self) -> str:
        return str(self.header["alg"])


def parse_jwt(compact: str, what: str, *, typ: str | None = None) -> Jwt:
    """The parts of a compact JWS whose payload is a JSON object; ``typ`` is checked when given."""
    parts = compact.split(".")
    if len(parts) != 3:
        raise Unreadable(f"{what} is not a compact JWT (three parts separated by dots)")
    header = loads_object(b64decode(parts[0], f"the header of {what}"), f"the header of {what}")
    alg = header.get("alg")
    if alg == "none" or not parts[2]:
        raise SignatureRefused(f"{what} is unsigned (alg: none)")
    if alg not in SIGNING_ALGS:
        raise SignatureRefused(f"{what} uses the algorithm {str(alg)[:20]!r}, which is not accepted")
    if "crit" in header:
        raise SignatureRefused(f"{what} has critical header parameters we do not understand")
    if typ is not None and header.get("typ") != typ:
        raise SignatureRefused(f"{what} has typ {str(header.get('typ'))[:40]!r}, expected {typ!r}")
    payload = loads_object(b64decode(parts[1], f"the payload of {what}"), f"the payload of {what}")
    signature = b64decode(parts[2], f"the signature of {what}")
    return Jwt(compact, header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def verify_jwt(jwt: Jwt, key: AnyKey, what: str) -> None:
    if not _fits(jwt.alg, key):
        raise SignatureRefused(f"{what} says {jwt.alg}, which its key cannot make")
    algorithm = _REGISTRY.get_alg(jwt.alg)
    try:
        valid = algorithm.verify(jwt.signing_input, jwt.signature, key)
    except (JoseError, ValueError, TypeError):
        valid = False
    if not valid:
        raise SignatureRefused(f"the signature of {what} does not match its key")


def _fits(alg: str, key: AnyKey) -> bool:
    if isinstance(key, ECKey):
        return _CURVE_ALG.get(key.curve_name) == alg
    return alg in ("RS256", "PS256")


@dataclass(frozen=True)
class SigningKey:
    """A private key, the algorithm it signs with, and the certificate chain for ``x5c`` (leaf first)."""

    key: AnyKey = field(repr=False)
    alg: str
    x5c: tuple[str, ...] = ()

    @property
    def public_jwk(self) -> Json:
        return public_jwk(self.key)


def signing_key(key: AnyKey, x5c: tuple[str, ...] = ()) -> SigningKey:
    if not key.is_private:
        raise WalletKeyError("a signing key must be a private key")
    if isinstance(key, ECKey):
        alg = _CURVE_ALG.get(key.curve_name)
        if alg is None:
            raise WalletKeyError(f"the EC curve {key.curve_name} is not supported (use P-256)")
        return SigningKey(key, alg, x5c)
    _check_rsa(key)
    return SigningKey(key, "RS256", x5c)


def sign_jwt(header: Json, payload: Json | bytes, key: SigningKey) -> str:
    protected = {"alg": key.alg, **header}
    if key.x5c and "x5c" not in protected:
        protected["x5c"] = list(key.x5c)
    body = payload if isinstance(payload, bytes) else dumps(payload)
    signing_input = f"{b64encode(dumps(protected))}.{b64encode(body)}"
    signature = _REGISTRY.get_alg(key.alg).sign(signing_input.encode("ascii"), key.key)
    return f"{signing_input}.{b64encode(signature)}"


def new_ec_key() -> ECKey:
    return ECKey.generate_key("P-256", auto_kid=False)


def public_jwk(key: AnyKey) -> Json:
    return {k: v for k, v in key.as_dict(private=False).items() if k in _PUBLIC_MEMBERS}


_PUBLIC_MEMBERS = ("kty", "crv", "x", "y", "n", "e")


def import_public_jwk(jwk: Any, what: str) -> AnyKey:
    """A public key from a JWK object; private members and unsupported key types are refused."""
    if not isinstance(jwk, dict):
        raise SignatureRefused(f"{what} is not a JWK object")
    if "d" in jwk or "p" in jwk:
        raise SignatureRefused(f"{what} contains a private key; only the public key belongs there")
    try:
        if jwk.get("kty") == "EC":
            ec_key = ECKey.import_key({k: jwk[k] for k in ("kty", "crv", "x", "y")})
            if ec_key.curve_name not in _CURVE_ALG:
                raise SignatureRefused(f"{what} uses the curve {ec_key.curve_name}, which is not accepted")
            return ec_key
        if jwk.get("kty") == "RSA":
            rsa_key = RSAKey.import_key({k: jwk[k] for k in ("kty", "n", "e")})
            _check_rsa(rsa_key)
            return rsa_key
    except (KeyError, JoseError, ValueError, TypeError):
        raise SignatureRefused(f"{what} is not a usable public key") from None
    except WalletKeyError as exc:
        raise SignatureRefused(f"{what}: {exc}") from None
    raise SignatureRefused(f"{what} has key type {str(jwk.get('kty'))[:10]!r}; EC or RSA is expected")


def from_cryptography(key: Any) -> AnyKey:
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return ECKey.import_key(key)
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        with warnings.catch_warnings():  # joserfc warns of short keys; signing_key refuses them itself
            warnings.simplefilter("ignore", SecurityWarning)
            return RSAKey.import_key(key)
    raise WalletKeyError(f"a {type(key).__name__} cannot be used; an EC (P-256) or RSA key is needed")


def load_private_key(data: bytes, what: str) -> AnyKey:
    """A private EC or RSA key from PEM (PKCS#8, SEC1, PKCS#1) or a JWK with its private part."""
    text = data.strip()
    if not text:
        raise WalletKeyError(f"{what} is empty")
    try:
        if text.startswith(b"{"):
            jwk = loads_object(text, what)
            key: AnyKey = RSAKey.import_key(jwk) if jwk.get("kty") == "RSA" else ECKey.import_key(jwk)
        elif b"-----BEGIN" in text:
            key = ECKey.import_key(text) if b"EC PRIVATE" in text else _import_pem(text)
        else:
            raise WalletKeyError(f"{what} is neither PEM nor a JWK")
    except (JoseError, ValueError, TypeError, KeyError, Unreadable) as exc:
        raise WalletKeyError(f"{what} cannot be read as a private key ({str(exc)[:80]})") from None
    if not key.is_private:
        raise WalletKeyError(f"{what} holds a public key; the private key is needed")
    return key


def _import_pem(text: bytes) -> AnyKey:
    return from_cryptography(serialization.load_pem_private_key(text, password=None))


def load_public_jwk_file(data: bytes, what: str) -> AnyKey:
    """The public key of a JWK file (a private JWK gives its public part)."""
    jwk = loads_object(data, what)
    try:
        return import_public_jwk({k: v for k, v in jwk.items() if k in _PUBLIC_MEMBERS}, what)
    except SignatureRefused as exc:
        raise WalletKeyError(str(exc)) from None


def thumbprint(jwk: Json) -> str:
    """The RFC 7638 SHA-256 thumbprint of a public JWK."""
    return jwk_thumbprint({k: v for k, v in jwk.items() if k in _PUBLIC_MEMBERS})


def _check_rsa(key: RSAKey) -> None:
    size = key.raw_value.key_size if hasattr(key.raw_value, "key_size") else 0
    if size < MIN_RSA_BITS:
        raise WalletKeyError(f"an RSA key of {size} bits is too short (at least {MIN_RSA_BITS})")


RESPONSE_ENCS = ("A128GCM", "A256GCM")


def response_registry(max_bytes: int) -> JWERegistry:
    """JWE with ECDH-ES (direct key agreement) and AES-GCM only, up to ``max_bytes`` of ciphertext."""
    registry = JWERegistry(algorithms=["ECDH-ES", *RESPONSE_ENCS])
    registry.max_ciphertext_length = max_bytes
    registry.max_protected_header_length = 4096
    return registry
