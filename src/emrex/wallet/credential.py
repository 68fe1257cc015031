"""The ELM credential as an SD-JWT VC (``typ: dc+sd-jwt``, vct ``urn:eudi:elm:1``): the ELM JSON under
the claim ``elm`` as DC4EU issues it, every course its own disclosure, the learner's personal data
disclosable, bound to the holder's key (``cnf``), with ``iss``, ``iat``, ``exp`` and ``status``.

``issue_elm_credential`` takes ELM (a JSON object); an ELMO document reaches it through the ELMO→ELM
converter, so one call joins the two.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from emrex.wallet.errors import Unreadable
from emrex.wallet.jose import Json, SigningKey, import_public_jwk, public_jwk, sign_jwt
from emrex.wallet.sdjwt import ClaimPath, conceal, random_decoys
from emrex.wallet.typemeta import ELM_VCT, SUBJECT, SUBJECT_STRUCTURE, disclosable_paths

VC_TYP = "dc+sd-jwt"
DEFAULT_LIFETIME = 365 * 24 * 3600
# Claims an SD-JWT VC keeps in the signed payload, never in a disclosure.
FIXED_CLAIMS = ("iss", "nbf", "exp", "iat", "cnf", "vct", "vct#integrity", "status")


def elm_claims(elm: object) -> Json:
    """A copy of an ELM credential shaped for issuing: ``hasClaim`` is always an array (ELM allows a
    single object where there is one result)."""
    if not isinstance(elm, dict):
        raise Unreadable("the ELM credential is not a JSON object")
    subject = elm.get("credentialSubject")
    if not isinstance(subject, dict):
        raise Unreadable("the ELM credential has no credentialSubject object (is this ELM?)")
    courses = subject.get("hasClaim")
    if courses is not None and not isinstance(courses, dict | list):
        raise Unreadable("credentialSubject.hasClaim of the ELM credential is neither an object nor an array")
    # Shallow copies along the changed path; the rest is shared and never changed.
    return {
        **elm,
        "credentialSubject": {**subject, "hasClaim": [courses] if isinstance(courses, dict) else courses},
    }


def elm_disclosable_paths(elm: Json) -> tuple[ClaimPath, ...]:
    """The type metadata's disclosable claims, and any other personal member of the learner."""
    known = disclosable_paths()
    subject = elm.get("credentialSubject", {})
    extra = tuple(
        (*SUBJECT, name)
        for name in subject
        if name not in SUBJECT_STRUCTURE and (*SUBJECT, name) not in known
    )
    return known + extra


def issue_elm_credential(
    elm: Json,
    key: SigningKey,
    holder_jwk: Json,
    *,
    issuer: str,
    status: Json | None = None,
    lifetime: int = DEFAULT_LIFETIME,
    now: int | None = None,
    decoys: Callable[[], int] = random_decoys,
) -> str:
    """An SD-JWT VC of ``elm`` with all its disclosures (the holder's copy), signed by ``key`` with its
    certificate chain in ``x5c``, bound to the public key ``holder_jwk``."""
    holder = public_jwk(import_public_jwk(holder_jwk, "the holder key"))
    shaped = elm_claims(elm)
    issued = int(time.time()) if now is None else now
    claims: Json = {
        "iss": issuer,
        "iat": issued,
        "exp": issued + lifetime,
        "vct": ELM_VCT,
        "cnf": {"jwk": holder},
    }
    if status is not None:
        claims["status"] = status
    claims["elm"] = shaped
    payload, disclosures = conceal(claims, elm_disclosable_paths(shaped), decoys=decoys)
    jwt = sign_jwt({"typ": VC_TYP}, payload, key)
    return "".join((jwt, "~", *(d.encoded + "~" for d in disclosures)))
