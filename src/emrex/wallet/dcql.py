"""DCQL (OpenID4VP 1.0, section 6) for the ELM credential: the query a verifier sends, and how a holder
reads one to decide which claims to disclose."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from emrex.wallet.credential import VC_TYP
from emrex.wallet.errors import HolderError
from emrex.wallet.jose import Json
from emrex.wallet.sdjwt import ClaimPath
from emrex.wallet.typemeta import COURSES, ELM_VCT, SUBJECT

QUERY_ID = "elm"
# What an importing EMC asks for: who the learner is (to match the student) and the results. The
# identifiers are preferred, but a credential without them still answers (claim_sets, in order).
IMPORT_CLAIMS: tuple[tuple[str, ClaimPath], ...] = (
    ("given", (*SUBJECT, "givenName")),
    ("family", (*SUBJECT, "familyName")),
    ("birth", (*SUBJECT, "dateOfBirth")),
    ("courses", COURSES),
    ("ids", (*SUBJECT, "identifier")),
)
IMPORT_SETS = (("given", "family", "birth", "courses", "ids"), ("given", "family", "birth", "courses"))


def elm_query(
    claims: Sequence[tuple[str, ClaimPath]] = IMPORT_CLAIMS,
    claim_sets: Sequence[Sequence[str]] | None = IMPORT_SETS,
) -> Json:
    query: Json = {
        "id": QUERY_ID,
        "format": VC_TYP,
        "meta": {"vct_values": [ELM_VCT]},
        "claims": [{"id": claim_id, "path": list(path)} for claim_id, path in claims],
    }
    if claim_sets:
        query["claim_sets"] = [list(option) for option in claim_sets]
    return {"credentials": [query]}


@dataclass(frozen=True)
class Wanted:
    query_id: str
    paths: tuple[ClaimPath, ...]


def wanted_from(query: object, claims: Json) -> Wanted:
    """The claims to disclose for the first credential query of ``query`` that an ELM credential with
    ``claims`` (all of them, as the holder sees them) answers."""
    if not isinstance(query, dict) or not isinstance(query.get("credentials"), list):
        raise HolderError("the request carries no DCQL query (dcql_query.credentials)")
    for entry in query["credentials"]:
        if not isinstance(entry, dict) or entry.get("format") != VC_TYP:
            continue
        meta = entry.get("meta")
        if not isinstance(meta, dict) or ELM_VCT not in (meta.get("vct_values") or []):
            continue
        query_id = str(entry.get("id"))
        asked = entry.get("claims")
        if asked is None:
            return Wanted(query_id, ())  # only what is always shown
        if not isinstance(asked, list):
            raise HolderError("the DCQL claims are not a list")
        paths = [_path(claim) for claim in asked]
        ids = [claim.get("id") for claim in asked]
        options = entry.get("claim_sets")
        if isinstance(options, list) and all(isinstance(i, str) for i in ids):
            by_id = dict(zip(ids, paths, strict=True))
            choices = [
                tuple(by_id[i] for i in option if i in by_id)
                for option in options
                if isinstance(option, list)
            ]
        else:
            choices = [tuple(paths)]
        for choice in choices:
            if all(present(claims, path) for path in choice):
                return Wanted(query_id, choice)
    raise HolderError("the verifier asks for no credential this wallet holds (an ELM credential, dc+sd-jwt)")


def _path(claim: object) -> ClaimPath:
    path = claim.get("path") if isinstance(claim, dict) else None
    if not isinstance(path, list) or not path or not all(isinstance(p, str | int) or p is None for p in path):
        raise HolderError("a DCQL claim has no usable path")
    return tuple(path)


def present(claims: object, path: ClaimPath) -> bool:
    """Whether ``claims`` hold a value at ``path`` (``None``: some element of an array does)."""
    if not path:
        return True
    step, rest = path[0], path[1:]
    if isinstance(step, str):
        return isinstance(claims, dict) and step in claims and present(claims[step], rest)
    if not isinstance(claims, list):
        return False
    if step is None:
        return any(present(element, rest) for element in claims)
    return 0 <= step < len(claims) and present(claims[step], rest)
