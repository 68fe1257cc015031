"""Presenting an SD-JWT: choosing the disclosures for the claims asked for, and the key-binding JWT
(``kb+jwt``: ``iat``, ``aud``, ``nonce``, ``sd_hash``) that proves the holder's key; and checking one."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass

from emrex.wallet.errors import KeyBindingRefused, SignatureRefused, Unreadable
from emrex.wallet.jose import Json, SigningKey, b64encode, import_public_jwk, parse_jwt, sign_jwt, verify_jwt
from emrex.wallet.sdjwt import ClaimPath, Disclosure, SdJwt, resolve, split

KB_TYP = "kb+jwt"
KB_MAX_AGE = 300  # seconds a key-binding JWT stays acceptable after it was made
CLOCK_SKEW = 60


def sd_hash(presented: str) -> str:
    return b64encode(hashlib.sha256(presented.encode("ascii")).digest())


def reaches(pattern: ClaimPath, path: ClaimPath) -> bool:
    """Whether a disclosure at ``path`` is needed to show the claim ``pattern`` points at: it is that
    claim, lies inside it, or contains it."""
    return all(p is None or q is None or p == q for p, q in zip(pattern, path, strict=False))


def select(sd_jwt: SdJwt, payload: Json, wanted: Sequence[ClaimPath]) -> tuple[str, ...]:
    """The disclosures of ``sd_jwt`` that show the claims ``wanted`` (and nothing else), in their order."""
    resolved = resolve(payload, sd_jwt.disclosures)
    parents = {d.digest: parent for _, d, parent in resolved.placed}
    digests = {d.encoded: d.digest for _, d, _ in resolved.placed}
    chosen: set[str] = set()
    for path, disclosure, _ in resolved.placed:
        if any(reaches(pattern, path) for pattern in wanted):
            _with_ancestors(disclosure, parents, chosen)
    return tuple(d for d in sd_jwt.disclosures if digests[d] in chosen)


def _with_ancestors(disclosure: Disclosure, parents: dict[str, str | None], chosen: set[str]) -> None:
    digest: str | None = disclosure.digest
    while digest is not None and digest not in chosen:
        chosen.add(digest)
        digest = parents.get(digest)


def present(
    issued: str,
    wanted: Sequence[ClaimPath],
    *,
    holder: SigningKey,
    audience: str,
    nonce: str,
    now: int | None = None,
) -> str:
    """A presentation of the credential ``issued`` showing the claims ``wanted``, bound to ``holder``."""
    sd_jwt = split(issued)
    payload = parse_jwt(sd_jwt.jwt, "the credential").payload
    chosen = SdJwt(sd_jwt.jwt, select(sd_jwt, payload, wanted))
    return chosen.presented + key_binding_jwt(chosen, holder, audience=audience, nonce=nonce, now=now)


def key_binding_jwt(
    sd_jwt: SdJwt, holder: SigningKey, *, audience: str, nonce: str, now: int | None = None
) -> str:
    claims = {
        "iat": int(time.time()) if now is None else now,
        "aud": audience,
        "nonce": nonce,
        "sd_hash": sd_hash(sd_jwt.presented),
    }
    return sign_jwt({"typ": KB_TYP}, claims, SigningKey(holder.key, holder.alg))


@dataclass(frozen=True)
class KeyBinding:
    audience: str
    nonce: str
    issued_at: int


def check_key_binding(
    sd_jwt: SdJwt,
    cnf: object,
    *,
    audience: str | None,
    nonce: str | None,
    now: int,
    max_age: int = KB_MAX_AGE,
) -> KeyBinding:
    """The key binding of a presentation, checked against the holder key in ``cnf``; ``audience`` and
    ``nonce`` are compared when given (a verifier always gives them)."""
    if sd_jwt.kb_jwt is None:
        raise KeyBindingRefused("the presentation has no key-binding JWT, so the holder's key is not proven")
    if not isinstance(cnf, dict) or "jwk" not in cnf:
        raise KeyBindingRefused(
            "the credential binds no holder key (cnf.jwk), so key binding cannot be checked"
        )
    try:
        jwt = parse_jwt(sd_jwt.kb_jwt, "the key-binding JWT", typ=KB_TYP)
        verify_jwt(jwt, import_public_jwk(cnf["jwk"], "the holder key (cnf.jwk)"), "the key-binding JWT")
    except (SignatureRefused, Unreadable) as exc:
        raise KeyBindingRefused(str(exc)) from None
    claims = jwt.payload
    if claims.get("sd_hash") != sd_hash(sd_jwt.presented):
        raise KeyBindingRefused("the key-binding JWT covers other disclosures (sd_hash does not match)")
    if audience is not None and claims.get("aud") != audience:
        raise KeyBindingRefused(f"the presentation was made for {str(claims.get('aud'))[:80]!r}, not for us")
    if nonce is not None and claims.get("nonce") != nonce:
        raise KeyBindingRefused("the presentation answers another request (wrong nonce): a replay?")
    issued = claims.get("iat")
    if not isinstance(issued, int) or isinstance(issued, bool):
        raise KeyBindingRefused("the key-binding JWT has no issue time (iat)")
    if issued > now + CLOCK_SKEW:
        raise KeyBindingRefused("the key-binding JWT was made in the future (iat)")
    if issued < now - max_age:
        raise KeyBindingRefused(
            f"the key-binding JWT is {now - issued} seconds old; at most {max_age} are accepted"
        )
    if not isinstance(claims.get("aud"), str) or not isinstance(claims.get("nonce"), str):
        raise KeyBindingRefused("the key-binding JWT lacks its audience or nonce")
    return KeyBinding(claims["aud"], claims["nonce"], issued)
