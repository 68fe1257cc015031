"""The OpenID4VCI key proof (``openid4vci-proof+jwt``): the wallet shows it holds the key the
credential will be bound to, for this issuer (``aud``), now (``iat``) and once (``nonce``)."""

from __future__ import annotations

from collections.abc import Callable

from emrex.wallet.errors import ProtocolError, SignatureRefused, Unreadable
from emrex.wallet.jose import Json, import_public_jwk, parse_jwt, public_jwk, verify_jwt
from emrex.wallet.presentation import CLOCK_SKEW

PROOF_TYP = "openid4vci-proof+jwt"
PROOF_ALGS = ("ES256", "ES384", "RS256", "PS256")
PROOF_MAX_AGE = 300
MAX_PROOF_CHARS = 8000


def check_proof(
    text: object,
    *,
    audience: str,
    take_nonce: Callable[[str], bool],
    now: int,
    max_age: int = PROOF_MAX_AGE,
) -> Json:
    """The holder's public JWK from a valid proof; ProtocolError ``invalid_proof`` or ``invalid_nonce``."""
    if not isinstance(text, str) or len(text) > MAX_PROOF_CHARS:
        raise ProtocolError("the proof is not a JWT of a usable size", "invalid_proof")
    try:
        jwt = parse_jwt(text, "the proof", typ=PROOF_TYP)
        if jwt.alg not in PROOF_ALGS:
            raise SignatureRefused(f"the proof uses {jwt.alg}, which is not offered")
        if "kid" in jwt.header or "x5c" in jwt.header or "jwk" not in jwt.header:
            raise SignatureRefused("the proof must carry its public key as jwk (and no kid or x5c)")
        key = import_public_jwk(jwt.header["jwk"], "the proof's jwk")
        verify_jwt(jwt, key, "the proof")
    except (SignatureRefused, Unreadable) as exc:
        raise ProtocolError(str(exc), "invalid_proof") from None
    claims = jwt.payload
    audiences = claims.get("aud")
    if not (audiences == audience or (isinstance(audiences, list) and audience in audiences)):
        raise ProtocolError("the proof is meant for another credential issuer (aud)", "invalid_proof")
    issued = claims.get("iat")
    if not isinstance(issued, int) or isinstance(issued, bool):
        raise ProtocolError("the proof has no issue time (iat)", "invalid_proof")
    if issued > now + CLOCK_SKEW or issued < now - max_age:
        raise ProtocolError(
            f"the proof was not made within the last {max_age} seconds (iat)", "invalid_proof"
        )
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not take_nonce(nonce):
        raise ProtocolError(
            "the proof's nonce is unknown, used or expired; ask for a new one", "invalid_nonce"
        )
    return public_jwk(key)
