"""The request's evidence subject and the project's identity rules (``emrex.identity``).

OOTS names the person by the eIDAS minimum data set: an identifier ``CC/CC/value`` (country of the
identity, country of the requester, then the value), family name, given name and birth date. The
data provider knows the person as the learner of its student information system. The names and birth
date are compared by ``emrex.identity.match_identity``; an eIDAS identifier, where the SIS keeps one
(an ELMO identifier of type ``eidas``), decides strongly either way.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from emrex.elmo.model import Learner
from emrex.identity import (
    DEFAULT_IDENTITY_POLICY,
    IdentityPolicy,
    IdentityResult,
    LocalPerson,
    Verdict,
    match_identity,
    normalise_name,
)
from emrex.oots.model import NaturalPerson

EIDAS_TYPE = "eidas"
EIDAS_EQUAL = "the eIDAS identifier in the request is the one the data provider holds"
EIDAS_DIFFERS = "the eIDAS identifier in the request differs from the one the data provider holds"


def local_person(person: NaturalPerson) -> LocalPerson:
    """The evidence subject as the identity rules see a person (the eIDAS identifier kept as ``eidas``)."""
    identifiers = {EIDAS_TYPE: person.identifier} if person.identifier else {}
    return LocalPerson(person.given_name, person.family_name, person.date_of_birth, identifiers)


def eidas_value(identifier: str) -> str:
    """The value part of ``CC/CC/value``, normalised: the middle code names the requester's country,
    which differs from one request to the next for the same person."""
    parts = identifier.strip().split("/", 2)
    value = parts[2] if len(parts) == 3 else identifier
    return unicodedata.normalize("NFKC", value).strip().casefold()


@dataclass(frozen=True)
class SubjectMatch:
    result: IdentityResult
    accepted: bool  # MATCH, or REVIEW where the policy lets a review pass

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.result.reasons


def match_subject(
    learner: Learner,
    person: NaturalPerson,
    policy: IdentityPolicy = DEFAULT_IDENTITY_POLICY,
    *,
    accept_review: bool = False,
) -> SubjectMatch:
    """Is the SIS learner the person the request is about? Without a person to decide (OOTS has no
    staff review), only a MATCH is accepted unless ``accept_review`` is set."""
    held = learner.identifier(EIDAS_TYPE)
    if held and person.identifier:
        if eidas_value(held) != eidas_value(person.identifier):
            return SubjectMatch(IdentityResult(Verdict.MISMATCH, (EIDAS_DIFFERS,)), False)
        # An equal identifier decides, as equal identifiers do in emrex.identity: the names may have
        # changed (marriage); a birth date that differs still needs a person to look.
        result = match_identity(learner, local_person(person), policy)
        births = (learner.birth_date, person.date_of_birth)
        verdict = Verdict.REVIEW if None not in births and births[0] != births[1] else Verdict.MATCH
        matched = IdentityResult(verdict, (EIDAS_EQUAL, *result.reasons), result.name_ratio)
        return SubjectMatch(matched, verdict is Verdict.MATCH or accept_review)
    result = match_identity(learner, local_person(person), policy)
    accepted = result.verdict is Verdict.MATCH or (accept_review and result.verdict is Verdict.REVIEW)
    return SubjectMatch(result, accepted)


def same_subject(a: NaturalPerson, b: NaturalPerson) -> bool:
    """Whether two requests name the same person (a repeated request must name whom the first did)."""

    def key(p: NaturalPerson) -> tuple[str, str, str, str]:
        return (
            eidas_value(p.identifier) if p.identifier else "",
            normalise_name(p.family_name),
            normalise_name(p.given_name),
            p.date_of_birth.isoformat() if p.date_of_birth else "",
        )

    return key(a) == key(b)
