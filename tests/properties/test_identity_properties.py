"""Properties of identity matching that a student and a registrar rely on, for generated people."""

from __future__ import annotations

import datetime as dt
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from emrex.elmo.model import Identifier, Learner
from emrex.identity import (
    ESI_PREFIX,
    IdentityPolicy,
    LocalPerson,
    Verdict,
    levenshtein,
    match_identity,
    normalise_name,
)

LETTERS = st.characters(categories=("Lu", "Ll"), max_codepoint=0x24F) | st.sampled_from("ΑαΩωЖжØøÆæ")
NAME_PART = st.text(LETTERS, min_size=2, max_size=10)
NAME = st.lists(NAME_PART, min_size=1, max_size=3).map(" ".join)
DATE = st.dates(dt.date(1940, 1, 1), dt.date(2010, 12, 31))
ANY_TEXT = st.text(max_size=60)
DIGITS = st.text("0123456789", min_size=6, max_size=12)


def person(given: str, family: str, birth: dt.date | None, **ids: str) -> LocalPerson:
    return LocalPerson(given, family, birth, ids)


def learner(given: str, family: str, birth: dt.date | None, *ids: tuple[str, str]) -> Learner:
    return Learner(
        given_names=given,
        family_name=family,
        birth_date=birth,
        identifiers=tuple(Identifier(*i) for i in ids),
    )


def reference_levenshtein(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


@given(st.text(max_size=30), st.text(max_size=30))
def test_levenshtein_agrees_with_the_textbook_algorithm(a: str, b: str) -> None:
    assert levenshtein(a, b) == reference_levenshtein(a, b) == levenshtein(b, a)


@given(st.text(max_size=12), st.text(max_size=12), st.text(max_size=12))
def test_levenshtein_is_a_metric(a: str, b: str, c: str) -> None:
    assert (levenshtein(a, b) == 0) == (a == b)
    assert levenshtein(a, c) <= levenshtein(a, b) + levenshtein(b, c)
    assert levenshtein(a, b) <= max(len(a), len(b))


@given(ANY_TEXT)
def test_normalising_a_name_twice_changes_nothing(name: str) -> None:
    once = normalise_name(name)
    assert normalise_name(once) == once
    assert normalise_name(once, ascii_fold=True) == normalise_name(name, ascii_fold=True)


@given(NAME, NAME, DATE)
def test_the_same_person_matches(given_names: str, family: str, birth: dt.date) -> None:
    result = match_identity(learner(given_names, family, birth), person(given_names, family, birth))
    assert result.verdict is Verdict.MATCH and result.name_ratio == 0


@given(NAME, NAME, DATE, st.sampled_from(["upper", "lower", "spaces", "nfd", "swap", "punct"]))
def test_spelling_variants_of_the_same_name_match(
    given_names: str, family: str, birth: dt.date, how: str
) -> None:
    theirs_given, theirs_family = given_names, family
    if how == "upper":
        theirs_given, theirs_family = given_names.upper(), family.upper()
    elif how == "lower":
        theirs_given, theirs_family = given_names.lower(), family.lower()
    elif how == "spaces":
        theirs_given, theirs_family = f"  {given_names}\t", f"{family}\n"
    elif how == "nfd":
        theirs_given = unicodedata.normalize("NFD", given_names)
        theirs_family = unicodedata.normalize("NFD", family)
    elif how == "swap":  # some registries fill the name fields the other way round
        theirs_given, theirs_family = family, given_names
    else:
        theirs_family = family.replace(" ", "-")
    result = match_identity(learner(theirs_given, theirs_family, birth), person(given_names, family, birth))
    assert result.verdict is Verdict.MATCH, (how, result)


@given(NAME, NAME, DATE, DATE)
def test_another_birth_date_without_identifiers_never_matches(
    given_names: str, family: str, ours: dt.date, theirs: dt.date
) -> None:
    result = match_identity(learner(given_names, family, theirs), person(given_names, family, ours))
    if theirs == ours:
        assert result.verdict is Verdict.MATCH
    else:
        assert result.verdict is Verdict.MISMATCH
        assert any("birth date" in reason for reason in result.reasons)


@given(NAME, NAME, NAME, NAME, st.none() | DATE, DIGITS, DIGITS)
def test_a_different_national_identifier_is_always_a_mismatch(
    g1: str, f1: str, g2: str, f2: str, birth: dt.date | None, ours: str, theirs: str
) -> None:
    result = match_identity(
        learner(g2, f2, birth, ("nationalIdentifier", theirs)),
        person(g1, f1, birth, nationalIdentifier=ours),
    )
    if ours == theirs:
        assert result.verdict is Verdict.MATCH
    else:
        assert result.verdict is Verdict.MISMATCH
        assert "nationalIdentifier" in result.reasons[0]


@given(NAME, NAME, NAME, NAME, DATE, DIGITS, st.sampled_from(["plain", "dashes", "spaces", "esi"]))
def test_an_equal_identifier_decides_whatever_the_names(
    g1: str, f1: str, g2: str, f2: str, birth: dt.date, code: str, noise: str
) -> None:
    if noise == "esi":
        theirs, ours = [("esi", ESI_PREFIX + "uni.example:" + code)], {"esi": "uni.example:" + code.upper()}
    else:
        shown = {"plain": code, "dashes": f"{code[:4]}-{code[4:]}", "spaces": f" {code[:3]} {code[3:]} "}[
            noise
        ]
        theirs, ours = [("nationalIdentifier", shown)], {"nationalIdentifier": code}
    result = match_identity(learner(g2, f2, birth, *theirs), person(g1, f1, birth, **ours))
    assert result.verdict is Verdict.MATCH
    # ... but a birth date that disagrees sends it to a person
    other = birth + dt.timedelta(days=1)
    assert (
        match_identity(learner(g2, f2, other, *theirs), person(g1, f1, birth, **ours)).verdict
        is Verdict.REVIEW
    )


@settings(max_examples=200)
@given(
    ANY_TEXT,
    ANY_TEXT,
    ANY_TEXT,
    ANY_TEXT,
    st.none() | DATE,
    st.none() | DATE,
    st.lists(st.tuples(st.sampled_from(["esi", "nationalIdentifier", "local", "ESI"]), ANY_TEXT), max_size=3),
    st.dictionaries(st.sampled_from(["esi", "nationalIdentifier", "schacPersonalUniqueCode"]), ANY_TEXT),
)
def test_any_input_gets_a_verdict_with_reasons(
    g1: str,
    f1: str,
    g2: str,
    f2: str,
    b1: dt.date | None,
    b2: dt.date | None,
    theirs: list[tuple[str, str]],
    ours: dict[str, str],
) -> None:
    result = match_identity(learner(g2, f2, b2, *theirs), person(g1, f1, b1, **ours))
    assert result.verdict in Verdict and result.reasons
    assert all(reason.strip() for reason in result.reasons)


@given(NAME, NAME, NAME, NAME, DATE, st.floats(0, 0.5), st.floats(0, 0.5))
def test_a_looser_policy_never_turns_a_match_into_something_else(
    g1: str, f1: str, g2: str, f2: str, birth: dt.date, tolerance: float, extra: float
) -> None:
    strict = IdentityPolicy(tolerance, min(1.0, tolerance + 0.2))
    loose = IdentityPolicy(min(1.0, tolerance + extra), min(1.0, tolerance + extra + 0.2))
    theirs, ours = learner(g2, f2, birth), person(g1, f1, birth)
    order = [Verdict.MISMATCH, Verdict.REVIEW, Verdict.MATCH]
    before, after = match_identity(theirs, ours, strict), match_identity(theirs, ours, loose)
    assert order.index(after.verdict) >= order.index(before.verdict)
