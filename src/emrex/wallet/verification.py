"""Verifying an ELM credential or a presentation of one: the issuer's signature against configured trust
anchors (``x5c`` chain), ``typ``, ``vct``, validity, every disclosure, the key binding and the status
list. What comes back is only what was checked: the disclosed claims and who vouched for them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from emrex.trust.certs import subject_text
from emrex.wallet.certificates import TrustAnchors, leaf_key, parse_x5c, verify_chain
from emrex.wallet.credential import FIXED_CLAIMS, VC_TYP
from emrex.wallet.errors import CredentialExpired, Unreadable, WrongType
from emrex.wallet.jose import Json, parse_jwt, verify_jwt
from emrex.wallet.presentation import CLOCK_SKEW, KB_MAX_AGE, KeyBinding, check_key_binding
from emrex.wallet.sdjwt import DEFAULT_MAX_BYTES, resolve, split
from emrex.wallet.statuslist import NAMES, Fetch, check_status
from emrex.wallet.typemeta import ELM_VCT


@dataclass(frozen=True)
class VerifyPolicy:
    """What a verifier expects. With ``audience`` set, a key-binding JWT is required, and its ``aud`` and
    ``nonce`` are compared with those given (a verifier gives both: the nonce is what stops replays);
    ``status_fetch`` None skips the status list (and the result says so)."""

    anchors: TrustAnchors
    audience: str | None = None
    nonce: str | None = None
    require_key_binding: bool | None = None  # None: required exactly when an audience is given
    status_fetch: Fetch | None = None
    vct: str = ELM_VCT
    max_bytes: int = DEFAULT_MAX_BYTES
    kb_max_age: int = KB_MAX_AGE


@dataclass(frozen=True)
class VerifiedCredential:
    claims: Json = field(repr=False)
    issuer: str
    certificate: x509.Certificate = field(repr=False)
    key_binding: KeyBinding | None
    status: str  # "valid", "not checked" or "no status list"
    disclosures: int

    @property
    def elm(self) -> Json:
        value = self.claims.get("elm")
        return value if isinstance(value, dict) else {}

    @property
    def vouched_by(self) -> str:
        """The signing certificate's subject: who vouched for the credential."""
        return subject_text(self.certificate)

    def summary(self) -> Json:
        return {
            "issuer": self.issuer,
            "vouched_by": self.vouched_by,
            "certificate": self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
            "vct": self.claims.get("vct"),
            "status": self.status,
            "key_binding": None
            if self.key_binding is None
            else {
                "aud": self.key_binding.audience,
                "nonce": self.key_binding.nonce,
                "iat": self.key_binding.issued_at,
            },
            "disclosures": self.disclosures,
            "elm": self.elm,
        }


def verify_presentation(
    text: str, policy: VerifyPolicy, *, at: dt.datetime | None = None
) -> VerifiedCredential:
    """Check an SD-JWT VC presentation (or a plain credential when no key binding is required)."""
    when = at or dt.datetime.now(dt.UTC)
    now = int(when.timestamp())
    sd_jwt = split(text, max_bytes=policy.max_bytes)
    jwt = parse_jwt(sd_jwt.jwt, "the credential")
    if jwt.header.get("typ") != VC_TYP:
        raise WrongType(f"the credential has typ {str(jwt.header.get('typ'))[:40]!r}, expected {VC_TYP!r}")
    leaf = verify_chain(parse_x5c(jwt.header.get("x5c"), "the credential"), policy.anchors, when)
    verify_jwt(jwt, leaf_key(leaf), "the credential")
    claims = jwt.payload
    if claims.get("vct") != policy.vct:
        raise WrongType(f"the credential is of type {str(claims.get('vct'))[:80]!r}, expected {policy.vct!r}")
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise Unreadable("the credential names no issuer (iss)")
    _check_times(claims, now)
    resolved = resolve(claims, sd_jwt.disclosures, fixed=FIXED_CLAIMS)
    required = (
        policy.require_key_binding if policy.require_key_binding is not None else policy.audience is not None
    )
    binding = None
    if required or sd_jwt.kb_jwt is not None:
        binding = check_key_binding(
            sd_jwt,
            claims.get("cnf"),
            audience=policy.audience,
            nonce=policy.nonce,
            now=now,
            max_age=policy.kb_max_age,
        )
    status = "not checked" if "status" in claims else "no status list"
    if "status" in claims and policy.status_fetch is not None:
        status = NAMES[check_status(claims["status"], policy.status_fetch, policy.anchors, when)]
    return VerifiedCredential(resolved.claims, issuer, leaf, binding, status, len(sd_jwt.disclosures))


def _check_times(claims: Json, now: int) -> None:
    for name in ("iat", "exp", "nbf"):
        value = claims.get(name)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise Unreadable(f"the credential's {name} is not a number of seconds")
    expires, not_before = claims.get("exp"), claims.get("nbf")
    if expires is not None and expires < now - CLOCK_SKEW:
        raise CredentialExpired(f"the credential expired on {_day(expires)}")
    if not_before is not None and not_before > now + CLOCK_SKEW:
        raise CredentialExpired("the credential is not valid yet (nbf)")
    issued = claims.get("iat")
    if issued is not None and issued > now + CLOCK_SKEW:
        raise CredentialExpired("the credential was issued in the future (iat)")


def _day(stamp: float) -> str:
    try:
        return f"{dt.datetime.fromtimestamp(stamp, dt.UTC):%Y-%m-%d %H:%M} UTC"
    except (OverflowError, OSError, ValueError):
        return "a date out of range"
