"""Do the results belong to the student? Matching the ELMO learner to the logged-in person.

Birth dates must agree (time zones are already gone from the model's ``date``); names are compared
after normalisation (NFKC, case folding, punctuation as spaces, collapsed whitespace) and once more
without diacritics, as a Levenshtein error ratio against the local full name (the Finnish client's
rule, tolerance 0.1). Identifiers of the same type on both sides decide strongly: equal means the
same person, different means a mismatch. The outcome is MATCH, REVIEW (a person must decide) or
MISMATCH, with reasons a student and a staff member can read.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from emrex.elmo.model import Learner

__all__ = [
    "DEFAULT_IDENTITY_POLICY",
    "ESI_PREFIX",
    "STRONG_TYPES",
    "Basis",
    "IdentityPolicy",
    "IdentityResult",
    "LocalPerson",
    "Verdict",
    "all_neutral_reasons",
    "all_reasons",
    "basis_of",
    "local_identifier",
    "match_identity",
    "name_error_ratio",
    "neutral_reason",
    "neutral_text",
    "normalise_name",
    "reasons_text",
]

ESI_PREFIX = "urn:schac:personalUniqueCode:int:esi:"
# Identifier types compared between ELMO and the local person (ELMO type -> what it means).
STRONG_TYPES = ("nationalIdentifier", "esi")
MAX_NAME = 200  # longer names are cut before the quadratic distance computation
_SPACES = re.compile(r"\s+")
_ID_NOISE = re.compile(r"[\s\-./]")
# Letters that carry no combining mark to strip, spelled as an ASCII reader would.
_FOLDED = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ł": "l", "þ": "th", "ð": "d", "ı": "i"})


class Verdict(StrEnum):
    MATCH = "match"
    REVIEW = "review"
    MISMATCH = "mismatch"


@dataclass(frozen=True)
class IdentityPolicy:
    """``tolerance``: the largest name error ratio that still matches; up to ``review_tolerance`` a
    person decides; beyond it the names do not match."""

    tolerance: float = 0.1
    review_tolerance: float = 0.3

    def __post_init__(self) -> None:
        if not 0 <= self.tolerance <= self.review_tolerance <= 1:
            raise ValueError("identity tolerances must satisfy 0 <= tolerance <= review_tolerance <= 1")


DEFAULT_IDENTITY_POLICY = IdentityPolicy()


@dataclass(frozen=True)
class LocalPerson:
    """The home institution's view of the student (from the login)."""

    given_names: str
    family_name: str
    birth_date: dt.date | None = None
    identifiers: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "identifiers", MappingProxyType(dict(self.identifiers)))


@dataclass(frozen=True)
class IdentityResult:
    verdict: Verdict
    reasons: tuple[str, ...]
    name_ratio: float | None = None  # the best error ratio found (0 = identical)

    @property
    def matched(self) -> bool:
        return self.verdict is Verdict.MATCH


def normalise_name(name: str, *, ascii_fold: bool = False) -> str:
    """Name text for comparison: NFKC, case folded, punctuation as spaces, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", name[: MAX_NAME * 2]).casefold()
    text = "".join(" " if unicodedata.category(c)[0] in "PZC" else c for c in text)
    if ascii_fold:
        decomposed = unicodedata.normalize("NFKD", text.translate(_FOLDED))
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", text).strip()[:MAX_NAME]


def levenshtein(a: str, b: str) -> int:
    # A shared beginning and end cost nothing: names that nearly agree are compared quickly.
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    a, b = a[start:], b[start:]
    while a and b and a[-1] == b[-1]:
        a, b = a[:-1], b[:-1]
    if not a or not b:
        return len(a) + len(b)
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def name_error_ratio(
    given: str, family: str, local_given: str, local_family: str, *, ascii_fold: bool = False
) -> float:
    """(distance of the family names + distance of the given names) / length of the local full name.

    The names swapped (given as family and back) count too: some registries fill them the other way.
    """
    g, f = normalise_name(given, ascii_fold=ascii_fold), normalise_name(family, ascii_fold=ascii_fold)
    lg = normalise_name(local_given, ascii_fold=ascii_fold)
    lf = normalise_name(local_family, ascii_fold=ascii_fold)
    length = max(len(lg) + len(lf), 1)
    straight = levenshtein(f, lf) + levenshtein(g, lg)
    swapped = levenshtein(f, lg) + levenshtein(g, lf)
    whole = levenshtein(f"{g} {f}".strip(), f"{lg} {lf}".strip())
    return min(straight, swapped, whole) / length


def _full_name_ratio(name: str, local_given: str, local_family: str) -> float:
    best = 1.0
    for fold in (False, True):
        value = normalise_name(name, ascii_fold=fold)
        given = normalise_name(local_given, ascii_fold=fold)
        family = normalise_name(local_family, ascii_fold=fold)
        length = max(len(given) + len(family), 1)
        for candidate in (f"{given} {family}", f"{family} {given}"):
            best = min(best, levenshtein(value, candidate.strip()) / length)
    return best


def _normalise_identifier(kind: str, value: str) -> str:
    text = unicodedata.normalize("NFKC", value).strip().casefold()
    if kind == "esi":
        return text.removeprefix(ESI_PREFIX.casefold())
    return _ID_NOISE.sub("", text)


def local_identifier(identifiers: Mapping[str, str], kind: str) -> str | None:
    """The person's identifier of ELMO type ``kind`` (an ESI may come as schacPersonalUniqueCode)."""
    wanted = kind.casefold()
    for name, value in identifiers.items():
        if name.casefold() == wanted and value.strip():
            return value
    if kind == "esi":
        for name, value in identifiers.items():
            if name.casefold() == "schacpersonaluniquecode":
                for part in value.split(";"):
                    if part.strip().casefold().startswith(ESI_PREFIX.casefold()):
                        return part.strip()
    return None


def _identifier_checks(learner: Learner, person: LocalPerson) -> tuple[list[str], list[str]]:
    """(types that agree, types that differ) among those both sides carry."""
    agree: list[str] = []
    differ: list[str] = []
    for kind in STRONG_TYPES:
        theirs = [i.value for i in learner.identifiers if i.type.casefold() == kind.casefold() and i.value]
        ours = local_identifier(person.identifiers, kind)
        if not theirs or ours is None:
            continue
        mine = _normalise_identifier(kind, ours)
        if any(_normalise_identifier(kind, value) == mine for value in theirs):
            agree.append(kind)
        else:
            differ.append(kind)
    return agree, differ


def match_identity(
    learner: Learner, person: LocalPerson, policy: IdentityPolicy = DEFAULT_IDENTITY_POLICY
) -> IdentityResult:
    """Compare the learner of a verified ELMO with the logged-in student.

    Every reason is one of ``all_reasons()`` (fixed sentences, so pages can translate them).
    """
    agree, differ = _identifier_checks(learner, person)
    if differ:
        return IdentityResult(Verdict.MISMATCH, tuple(_ID_DIFFERS.format(kind=k) for k in differ))

    ratio = _name_ratio(learner, person)
    names = _describe_names(ratio, policy)
    if names == "differs" and _partial_name(learner, person):
        names = "close"
    birth = _birth_date(learner.birth_date, person.birth_date)
    name_reason = _NAME_TEXT[names]

    if agree:
        reasons = [_ID_EQUAL.format(kind=k) for k in agree]
        if birth == "differs":
            reasons.append(_BIRTH_TEXT["differs"])
            return IdentityResult(Verdict.REVIEW, tuple(reasons), ratio)
        if names != "match":
            reasons.append(name_reason)
        return IdentityResult(Verdict.MATCH, tuple(reasons), ratio)

    if birth == "differs":
        return IdentityResult(Verdict.MISMATCH, (_BIRTH_TEXT["differs"], name_reason), ratio)
    if names == "differs":
        return IdentityResult(Verdict.MISMATCH, (name_reason,), ratio)
    reasons = [_BIRTH_TEXT[birth], name_reason]
    verdict = Verdict.MATCH if birth == "equal" and names == "match" else Verdict.REVIEW
    return IdentityResult(verdict, tuple(reasons), ratio)


_ID_EQUAL = "the {kind} in the results is yours"
_ID_DIFFERS = "the {kind} in the results differs from yours"
_NAME_TEXT = {
    "match": "the name matches yours",
    "close": "the name is close to yours but not the same",
    "differs": "the name in the results differs from yours",
    "missing": "the results carry no name, so it could not be compared",
}
_BIRTH_TEXT = {
    "equal": "the birth date matches yours",
    "differs": "the birth date in the results differs from yours",
    "missing_theirs": "the results carry no birth date, so it could not be compared",
    "missing_ours": "your birth date is not known here, so it could not be compared",
}
# The same reasons told about the student rather than to them (staff pages, the SIS API, webhooks).
_NEUTRAL = {
    "yours": "the student's",
    "your birth date": "the student's birth date",
}


def all_reasons() -> tuple[str, ...]:
    """Every reason ``match_identity`` can give."""
    ids = [t.format(kind=k) for k in STRONG_TYPES for t in (_ID_EQUAL, _ID_DIFFERS)]
    return (*ids, *_NAME_TEXT.values(), *_BIRTH_TEXT.values())


def neutral_reason(reason: str) -> str:
    """A reason as told about the student ("… is the student's"); other text comes back unchanged."""
    if reason not in _REASONS:
        return reason
    text = reason
    for said, told in _NEUTRAL.items():
        text = text.replace(said, told)
    return text


def neutral_text(text: str) -> str:
    """``text`` with every reason in it told about the student (a refusal quotes its reasons)."""
    for reason in sorted(_REASONS, key=len, reverse=True):
        if reason in text:
            text = text.replace(reason, neutral_reason(reason))
    return text


def all_neutral_reasons() -> tuple[str, ...]:
    return tuple(neutral_reason(r) for r in all_reasons())


class Basis(StrEnum):
    """What a verdict rests on, so that a page's summary follows from the reasons listed under it."""

    IDENTIFIER = "identifier"  # an identifier agrees (names need not)
    IDENTIFIER_DESPITE_NAME = "identifier_despite_name"  # an identifier agrees, the name does not
    NAME_AND_BIRTH_DATE = "name_and_birth_date"
    UNCERTAIN = "uncertain"  # review
    SOMEONE_ELSE = "someone_else"  # mismatch


def basis_of(verdict: Verdict, reasons: Sequence[str]) -> Basis:
    """The basis of a stored verdict, read from its reasons (fixed sentences of ``all_reasons``)."""
    if verdict is Verdict.REVIEW:
        return Basis.UNCERTAIN
    if verdict is Verdict.MISMATCH:
        return Basis.SOMEONE_ELSE
    equal_ids = {_ID_EQUAL.format(kind=k) for k in STRONG_TYPES}
    if any(r in equal_ids for r in reasons):
        unlike = {_NAME_TEXT["close"], _NAME_TEXT["differs"]}
        return Basis.IDENTIFIER_DESPITE_NAME if any(r in unlike for r in reasons) else Basis.IDENTIFIER
    return Basis.NAME_AND_BIRTH_DATE


_REASONS = frozenset(all_reasons())


def _birth_date(theirs: dt.date | None, ours: dt.date | None) -> str:
    if theirs is None:
        return "missing_theirs"
    if ours is None:
        return "missing_ours"
    return "equal" if theirs == ours else "differs"


def _name_ratio(learner: Learner, person: LocalPerson) -> float | None:
    if not (learner.given_names.strip() or learner.family_name.strip()):
        return None
    exact = name_error_ratio(learner.given_names, learner.family_name, person.given_names, person.family_name)
    if exact == 0:
        return 0.0
    folded = name_error_ratio(
        learner.given_names, learner.family_name, person.given_names, person.family_name, ascii_fold=True
    )
    ratios = [exact, folded]
    if learner.birth_name:
        ratios.append(_full_name_ratio(learner.birth_name, person.given_names, person.family_name))
    if learner.alternative_name is not None and learner.alternative_name.text.strip():
        ratios.append(_full_name_ratio(learner.alternative_name.text, person.given_names, person.family_name))
    return min(ratios)


def _partial_name(learner: Learner, person: LocalPerson) -> bool:
    """One name is the other with names left out (a second given or family name): a person decides."""
    theirs = set(normalise_name(f"{learner.given_names} {learner.family_name}", ascii_fold=True).split())
    ours = set(normalise_name(f"{person.given_names} {person.family_name}", ascii_fold=True).split())
    shorter, longer = sorted((theirs, ours), key=len)
    return len(shorter) >= 2 and shorter <= longer


def _describe_names(ratio: float | None, policy: IdentityPolicy) -> str:
    if ratio is None:
        return "missing"
    if ratio <= policy.tolerance:
        return "match"
    if ratio <= policy.review_tolerance:
        return "close"
    return "differs"


def reasons_text(reasons: Sequence[str]) -> str:
    """The reasons as one sentence."""
    text = "; ".join(reasons)
    return text[:1].upper() + text[1:] + "." if text else ""
