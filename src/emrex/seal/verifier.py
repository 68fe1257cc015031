"""Verifying a JAdES seal over an EDC credential, and saying how far the verification went.

A seal that cannot be read, is shaped in a way never accepted (``alg: none``, a MAC, an unknown
critical header, a payload that does not match ``b64``) or whose signature does not match raises a
``SealError``. Otherwise the result holds exactly the sealed bytes, the credential parsed from them,
and one check per question (chain, issuer binding, validity, …) with the verdict they add up to.
The key is the one of the certificate in ``x5c``; trust comes only from the configured anchors.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import ECKey, RSAKey

from emrex.seal import jades
from emrex.seal.binding import check_binding
from emrex.seal.chain import check_chain
from emrex.seal.errors import SealBroken, SealRefused, SealUnreadable
from emrex.seal.jsondoc import load_json
from emrex.seal.properties import level, read_unsigned, revocation_check, timestamps_check, trusted_list_check
from emrex.seal.result import (
    CONFORMANCE,
    CREDENTIAL_STATUS,
    EMBEDDED_ELMO,
    SIGNATURE,
    Check,
    CredentialCheck,
    SealVerification,
    Status,
)
from emrex.seal.validity import check_certificate, check_credential
from emrex.trust.certs import subject_text

DEFAULT_MAX_BYTES = 16 * 1024 * 1024  # an EDC with logos and an embedded ELMO and PDF stays far below
DEFAULT_MAX_HEADER_BYTES = 256 * 1024
MIN_RSA_BITS = 2048
_CURVES = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}


@dataclass(frozen=True)
class SealPolicy:
    """What the verifier accepts. ``trust``: the anchors a chain must reach (the EU trusted lists are not
    reachable offline). ``at``: the validation time (None: now), with a time zone."""

    trust: tuple[x509.Certificate, ...] = ()
    at: dt.datetime | None = None
    algorithms: frozenset[str] = field(default=jades.VERIFY_ALGORITHMS)
    max_bytes: int = DEFAULT_MAX_BYTES
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES

    def __post_init__(self) -> None:
        if self.at is not None and self.at.tzinfo is None:
            raise ValueError("SealPolicy.at needs a time zone (use datetime.UTC)")
        unknown = self.algorithms - jades.VERIFY_ALGORITHMS
        if unknown:
            raise ValueError(f"unsupported seal algorithms: {', '.join(sorted(unknown))}")

    def moment(self) -> dt.datetime:
        return self.at if self.at is not None else dt.datetime.now(dt.UTC)


DEFAULT_SEAL_POLICY = SealPolicy()


@dataclass(frozen=True)
class _Seal:
    payload_text: str
    protected_text: str
    signature: str
    protected: dict[str, Any]
    unprotected: dict[str, Any] | None


def verify_seal(
    data: bytes | str,
    policy: SealPolicy = DEFAULT_SEAL_POLICY,
    *,
    conformance: CredentialCheck | None = None,
    embedded_elmo: CredentialCheck | None = None,
) -> SealVerification:
    """Verify the sealed credential ``data`` (JAdES JSON); see the module's docstring."""
    seal = _parts(load_json(data, what="the sealed credential", max_bytes=policy.max_bytes), policy)
    header = seal.protected
    algorithm = _algorithm(header, policy)
    _critical(header)
    payload = _payload(seal, header)
    certificates = _certificates(header)
    leaf = certificates[0]
    warnings = list(_names_the_certificate(header, leaf))
    signing_time = _signing_time(header)
    _key_fits(algorithm, leaf)
    credential = load_json(payload, what="the sealed payload", max_bytes=policy.max_bytes)
    if not isinstance(credential, dict):
        raise SealUnreadable("the sealed payload is not a JSON credential (an object)")
    _verify_signature(seal, algorithm, leaf, policy)

    at = policy.moment()
    unsigned = read_unsigned(seal.unprotected)
    warnings.extend(unsigned.warnings)
    chain, path = check_chain(leaf, certificates[1:] + unsigned.certificates, policy.trust, at, signing_time)
    checks = [
        Check(
            SIGNATURE, Status.PASSED, f"the {algorithm} signature of {subject_text(leaf)} verifies"
        ),
        chain,
        trusted_list_check(),
        check_binding(leaf, credential),
        check_certificate(leaf, at, signing_time),
        check_credential(credential, at),
        revocation_check(unsigned.names),
        *_status_list(credential),
        timestamps_check(header, unsigned.names),
        _extra(CONFORMANCE, conformance, credential, payload, "the EDC shapes (SHACL) were not checked"),
        _extra(
            EMBEDDED_ELMO, embedded_elmo, credential, payload, "an embedded original ELMO was not looked for"
        ),
    ]
    return SealVerification(
        payload=payload,
        credential=credential,
        certificate=leaf,
        algorithm=algorithm,
        signing_time=signing_time,
        chain=path,
        checks=tuple(checks),
        unsigned_properties=unsigned.names,
        level=level(header, unsigned.names),
        warnings=tuple(warnings),
    )


def _parts(document: Any, policy: SealPolicy) -> _Seal:
    if not isinstance(document, dict):
        raise SealUnreadable("not a sealed credential: expected a JSON object with payload and signatures")
    if "payload" not in document:
        if "credentialSubject" in document:
            raise SealUnreadable("the credential is not sealed (no payload and signatures)")
        raise SealUnreadable("not a sealed credential: no payload")
    if "signatures" in document:
        if "signature" in document or "protected" in document:
            raise SealRefused("the seal mixes the general and the flattened JSON serialization")
        signatures = document["signatures"]
        if not isinstance(signatures, list) or not signatures:
            raise SealUnreadable("the seal's signatures are not a list of signatures")
        if len(signatures) != 1:
            raise SealRefused(f"the seal carries {len(signatures)} signatures; an EDC seal carries one")
        member = signatures[0]
    else:
        member = document
    if not isinstance(member, dict):
        raise SealUnreadable("the seal's signature is not a JSON object")
    payload, protected_text, signature = document["payload"], member.get("protected"), member.get("signature")
    if not isinstance(payload, str):
        raise SealUnreadable("the seal's payload is not a string")
    if not isinstance(protected_text, str) or not isinstance(signature, str):
        raise SealUnreadable("the seal has no protected header or no signature value")
    if len(protected_text) > policy.max_header_bytes:
        raise SealRefused(f"the protected header is larger than {policy.max_header_bytes} bytes")
    try:
        header_bytes = jades.b64url_decode(protected_text)
    except ValueError:
        raise SealUnreadable("the protected header is not base64url") from None
    protected = load_json(header_bytes, what="the protected header", max_bytes=policy.max_header_bytes)
    unprotected = member.get("header")
    if not isinstance(protected, dict) or not (unprotected is None or isinstance(unprotected, dict)):
        raise SealUnreadable("the seal's header is not a JSON object")
    if unprotected and protected.keys() & unprotected.keys():
        both = ", ".join(sorted(protected.keys() & unprotected.keys()))
        raise SealRefused(f"the header parameter {both} is given both protected and unprotected")
    return _Seal(payload, protected_text, signature, protected, unprotected)


def _algorithm(header: Mapping[str, Any], policy: SealPolicy) -> str:
    alg = header.get("alg")
    if not isinstance(alg, str) or not alg:
        raise SealRefused("the seal names no signature algorithm (alg)")
    if alg.lower() == "none":
        raise SealRefused("alg none: an unsigned seal is never accepted")
    if alg.upper().startswith("HS"):
        raise SealRefused(
            f"alg {alg[:10]} is a shared-secret code, not a seal: "
            "anyone holding the certificate could make one"
        )
    if alg not in policy.algorithms:
        raise SealRefused(f"the signature algorithm {alg[:20]!r} is not accepted")
    return alg


def _critical(header: Mapping[str, Any]) -> None:
    crit = header.get("crit")
    if crit is None:
        return
    if not isinstance(crit, list) or not crit or not all(isinstance(name, str) for name in crit):
        raise SealRefused("crit must be a non-empty list of header names")
    for name in crit:
        if name not in jades.CRITICAL_UNDERSTOOD:
            raise SealRefused(
                f"the seal marks {name[:40]!r} as critical, which this verifier does not understand"
            )
        if name not in header:
            raise SealRefused(f"crit lists {name!r}, which the protected header does not hold")


def _payload(seal: _Seal, header: Mapping[str, Any]) -> bytes:
    b64 = header.get("b64", True)
    if not isinstance(b64, bool):
        raise SealRefused("b64 must be true or false")
    if b64:
        try:
            return jades.b64url_decode(seal.payload_text)
        except ValueError:
            raise SealRefused(
                "the header says the payload is base64url-encoded (b64 true or absent), but it is not"
            ) from None
    if "b64" not in header.get("crit", ()):
        raise SealRefused("b64 false must be listed in crit (RFC 7797)")
    try:
        return seal.payload_text.encode("utf-8")
    except UnicodeEncodeError:
        raise SealUnreadable("the sealed payload holds text that is not valid Unicode") from None


def _certificates(header: Mapping[str, Any]) -> tuple[x509.Certificate, ...]:
    x5c = header.get("x5c")
    if x5c is None:
        raise SealRefused("the seal does not carry its certificate (x5c)")
    if not isinstance(x5c, list) or not x5c or len(x5c) > jades.MAX_CERTIFICATES:
        raise SealRefused(f"x5c must list 1 to {jades.MAX_CERTIFICATES} certificates")
    try:
        return tuple(jades.decode_certificate(text, f"x5c[{i}]") for i, text in enumerate(x5c))
    except ValueError as exc:
        raise SealRefused(str(exc)) from None


def _names_the_certificate(header: Mapping[str, Any], leaf: x509.Certificate) -> list[str]:
    """x5t#S256 and kid, where given, must name the certificate of x5c[0]."""
    thumb = header.get("x5t#S256")
    if thumb is not None and thumb != jades.thumbprint(leaf):
        raise SealRefused("x5t#S256 names another certificate than the one in x5c")
    kid = header.get("kid")
    if kid is None or kid == jades.kid_of(leaf):
        return []
    if isinstance(kid, str) and jades.looks_like_issuer_serial(kid):
        raise SealRefused("kid names another certificate (issuer and serial number) than the one in x5c")
    return ["kid is not an IssuerSerial as JAdES asks; it was ignored"]


def _signing_time(header: Mapping[str, Any]) -> dt.datetime | None:
    text = header.get("sigT")
    if text is None:
        return None
    moment = jades.parse_signing_time(text) if isinstance(text, str) else None
    if moment is None:
        raise SealRefused("sigT is not a time like 2024-01-31T12:00:00Z")
    return moment


def _key_fits(algorithm: str, leaf: x509.Certificate) -> None:
    key = leaf.public_key()
    if algorithm.startswith(("RS", "PS")):
        if not isinstance(key, rsa.RSAPublicKey):
            raise SealRefused(f"alg {algorithm} needs an RSA key, but the seal certificate's key is not RSA")
        if key.key_size < MIN_RSA_BITS:
            raise SealRefused(f"the seal certificate's RSA key of {key.key_size} bits is too weak")
        return
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != _CURVES[algorithm]:
        raise SealRefused(
            f"alg {algorithm} needs an EC {_CURVES[algorithm]} key, which the certificate does not hold"
        )


def _verify_signature(seal: _Seal, algorithm: str, leaf: x509.Certificate, policy: SealPolicy) -> None:
    public = leaf.public_key()
    assert isinstance(public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)  # _key_fits said so
    key = RSAKey.import_key(public) if isinstance(public, rsa.RSAPublicKey) else ECKey.import_key(public)
    registry = jades.registry(frozenset({algorithm}), policy.max_header_bytes, policy.max_bytes)
    value: Any = {
        "payload": seal.payload_text,
        "signatures": [{"protected": seal.protected_text, "signature": seal.signature}],
    }
    try:
        jws.deserialize_json(value, key, algorithms=[algorithm], registry=registry)
    except BadSignatureError:
        raise SealBroken(
            "the seal does not match: the credential or its protected header changed after sealing, "
            "or the seal was made over another document"
        ) from None
    except JoseError as exc:
        raise SealRefused(f"the seal is not a valid JWS ({exc.description or exc.error})") from None


def _status_list(credential: Mapping[str, Any]) -> list[Check]:
    found = credential.get("credentialStatus", credential.get("status"))
    if found is None:
        return []
    return [
        Check(
            CREDENTIAL_STATUS,
            Status.NOT_CHECKED,
            "the credential points to a status list, not fetched offline: revocation or suspension "
            "by its issuer is not checked",
            decisive=False,
        )
    ]


def _extra(
    name: str, check: CredentialCheck | None, credential: Mapping[str, Any], payload: bytes, missing: str
) -> Check:
    if check is None:
        return Check(name, Status.NOT_CHECKED, f"{missing} (not wired in here)", decisive=False)
    found = check(credential, payload)
    return dataclasses.replace(found, name=name, decisive=found.status is not Status.NOT_CHECKED)
