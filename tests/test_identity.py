"""The identity check: whose results are these?"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emrex.elmo.model import Identifier, LangText, Learner
from emrex.identity import (
    Basis,
    IdentityPolicy,
    LocalPerson,
    Verdict,
    all_neutral_reasons,
    all_reasons,
    basis_of,
    levenshtein,
    match_identity,
    name_error_ratio,
    neutral_reason,
    normalise_name,
)

BORN = dt.date(1999, 3, 14)
ME = LocalPerson("Åsa Žofie", "Lindqvist-Dvořáková", BORN)


def learner(
    given: str = "Åsa Žofie", family: str = "Lindqvist-Dvořáková", born: dt.date | None = BORN, **kw: object
) -> Learner:
    return Learner(given_names=given, family_name=family, birth_date=born, **kw)  # type: ignore[arg-type]


def test_the_same_name_and_birth_date_match() -> None:
    result = match_identity(learner(), ME)
    assert result.verdict is Verdict.MATCH
    assert result.name_ratio == 0
    assert "the birth date matches yours" in result.reasons


@pytest.mark.parametrize(
    ("given", "family"),
    [
        ("ÅSA  ŽOFIE", "LINDQVIST-DVOŘÁKOVÁ"),  # case and spacing
        ("Asa Zofie", "Lindqvist-Dvorakova"),  # without diacritics
        ("Åsa Žofie", "Lindqvist Dvořáková"),  # hyphen as a space
        ("Lindqvist-Dvořáková", "Åsa Žofie"),  # given and family swapped
        ("Åsa Žofie", "Lindqvist-Dvořákova"),  # one letter off: within 0.1
    ],
)
def test_spelling_variants_of_the_same_name_match(given: str, family: str) -> None:
    assert match_identity(learner(given, family), ME).verdict is Verdict.MATCH


def test_nfkc_folds_compatibility_characters() -> None:
    assert normalise_name("Ｓｔｅｆａｎ") == "stefan"  # fullwidth letters
    assert normalise_name("Øster-Ærø", ascii_fold=True) == "oster aero"


def test_a_close_name_needs_review() -> None:
    result = match_identity(learner(given="Åsa", family="Lindqvist"), ME)
    assert result.verdict is Verdict.REVIEW
    assert any("close to yours" in r for r in result.reasons)


def test_a_different_name_with_the_same_birth_date_is_a_mismatch() -> None:
    result = match_identity(learner("Bo", "Ek"), ME)
    assert result.verdict is Verdict.MISMATCH
    assert result.reasons == ("the name in the results differs from yours",)


def test_a_different_birth_date_is_a_mismatch_even_with_the_same_name() -> None:
    result = match_identity(learner(born=dt.date(1999, 3, 15)), ME)
    assert result.verdict is Verdict.MISMATCH
    assert "the birth date in the results differs from yours" in result.reasons


@pytest.mark.parametrize(("theirs", "ours"), [(None, BORN), (BORN, None)])
def test_a_missing_birth_date_needs_review(theirs: dt.date | None, ours: dt.date | None) -> None:
    person = LocalPerson(ME.given_names, ME.family_name, ours)
    result = match_identity(learner(born=theirs), person)
    assert result.verdict is Verdict.REVIEW
    assert any("could not be compared" in r for r in result.reasons)


def test_equal_identifiers_are_a_strong_match_despite_a_name_change() -> None:
    person = LocalPerson("Åsa", "Berg", BORN, {"nationalIdentifier": "19990314-2389"})
    ids = (Identifier("nationalIdentifier", "199903142389"),)
    result = match_identity(learner(identifiers=ids), person)
    assert result.verdict is Verdict.MATCH
    assert result.reasons == (
        "the nationalIdentifier in the results is yours",
        "the name in the results differs from yours",
    )


def test_a_match_by_identifier_is_summarised_by_the_identifier_not_by_the_name() -> None:
    # eleni of the demo: her record abroad is in Greek script, her ESI decides
    esi = "urn:schac:personalUniqueCode:int:esi:lindholm.example.se:S21-0457"
    person = LocalPerson("Eleni", "Papadopoulou", BORN, {"esi": esi})
    result = match_identity(learner("Ελένη", "Παπαδοπούλου", identifiers=(Identifier("esi", esi),)), person)
    assert result.verdict is Verdict.MATCH
    assert result.reasons == ("the esi in the results is yours", "the name in the results differs from yours")
    assert basis_of(result.verdict, result.reasons) is Basis.IDENTIFIER_DESPITE_NAME
    me = LocalPerson(ME.given_names, ME.family_name, BORN, {"esi": esi})
    same_name = match_identity(learner(identifiers=(Identifier("esi", esi),)), me)
    assert basis_of(same_name.verdict, same_name.reasons) is Basis.IDENTIFIER
    plain = match_identity(learner(), ME)
    assert basis_of(plain.verdict, plain.reasons) is Basis.NAME_AND_BIRTH_DATE


def test_reasons_told_about_the_student_are_neutral() -> None:
    assert neutral_reason("the esi in the results is yours") == "the esi in the results is the student's"
    assert neutral_reason("your birth date is not known here, so it could not be compared").startswith(
        "the student's birth date"
    )
    assert neutral_reason("something else of yours") == "something else of yours"  # only known sentences
    for reason in all_neutral_reasons():
        assert "you" not in reason.split() and "your" not in reason and "yours" not in reason


def test_different_identifiers_of_the_same_type_are_a_mismatch() -> None:
    person = LocalPerson(ME.given_names, ME.family_name, BORN, {"nationalIdentifier": "19990314-2389"})
    ids = (Identifier("nationalIdentifier", "19990314-9999"),)
    assert match_identity(learner(identifiers=ids), person).verdict is Verdict.MISMATCH


def test_an_esi_matches_the_schac_personal_unique_code_of_the_login() -> None:
    esi = "urn:schac:personalUniqueCode:int:esi:se:nordvik.example:482913"
    person = LocalPerson("X", "Y", None, {"schacPersonalUniqueCode": f"urn:other:1;{esi}"})
    result = match_identity(learner(identifiers=(Identifier("esi", esi.upper()),)), person)
    assert result.verdict is Verdict.MATCH


def test_identifiers_of_different_types_are_not_compared() -> None:
    person = LocalPerson(ME.given_names, ME.family_name, BORN, {"nationalIdentifier": "1"})
    ids = (Identifier("esi", "urn:schac:personalUniqueCode:int:esi:se:x:2"),)
    assert match_identity(learner(identifiers=ids), person).verdict is Verdict.MATCH


def test_equal_identifiers_with_a_different_birth_date_need_review() -> None:
    person = LocalPerson(ME.given_names, ME.family_name, BORN, {"nationalIdentifier": "1"})
    ids = (Identifier("nationalIdentifier", "1"),)
    result = match_identity(learner(born=dt.date(2000, 1, 1), identifiers=ids), person)
    assert result.verdict is Verdict.REVIEW


def test_an_alternative_name_in_another_script_can_match() -> None:
    person = LocalPerson("Дмитрий", "Иванов", BORN)
    result = match_identity(
        learner("Dmitrij", "Ivanov", alternative_name=LangText("Дмитрий Иванов", "ru")), person
    )
    assert result.verdict is Verdict.MATCH


def test_the_tolerance_is_configurable() -> None:
    close = learner(given="Åsa", family="Lindqvist")
    assert match_identity(close, ME, IdentityPolicy(tolerance=0.6, review_tolerance=0.7)).matched
    strict = IdentityPolicy(tolerance=0.0, review_tolerance=0.0)
    assert match_identity(learner(family="Lindqvist-Dvořákovx"), ME, strict).verdict is Verdict.MISMATCH
    with pytest.raises(ValueError, match="tolerance"):
        IdentityPolicy(tolerance=0.5, review_tolerance=0.2)


def test_missing_names_need_review() -> None:
    result = match_identity(learner("", ""), ME)
    assert result.verdict is Verdict.REVIEW


def test_error_ratio_follows_the_finnish_rule() -> None:
    assert levenshtein("kitten", "sitting") == 3
    # one edit over a local full name of 10 letters
    assert name_error_ratio("Anna", "Bergx", "Anna", "Berg") == pytest.approx(1 / 8)


def test_very_long_names_are_cut_before_comparing() -> None:
    huge = "a" * 100_000
    result = match_identity(learner(huge, huge), ME)
    assert result.verdict is Verdict.MISMATCH


def test_a_name_with_parts_left_out_needs_review_not_refusal() -> None:
    result = match_identity(learner("Åsa", "Lindqvist"), ME)
    assert result.verdict is Verdict.REVIEW
    # one shared word is not enough
    assert match_identity(learner("Åsa", "Ek"), ME).verdict is Verdict.MISMATCH


names = st.text(min_size=1, max_size=40).filter(lambda s: s.strip())


@settings(max_examples=200, deadline=None)
@given(names, names)
def test_any_name_matches_itself(given_names: str, family: str) -> None:
    person = LocalPerson(given_names, family, BORN)
    assert match_identity(learner(given_names, family), person).verdict is Verdict.MATCH


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_normalising_twice_changes_nothing(name: str) -> None:
    once = normalise_name(name, ascii_fold=True)
    assert normalise_name(once, ascii_fold=True) == once
    assert normalise_name(normalise_name(name)) == normalise_name(name)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["Åsa Žofie", "Asa", "Bo", ""]),
    st.sampled_from(["Lindqvist-Dvořáková", "Lindqvist", "Ek", ""]),
    st.sampled_from([BORN, None, dt.date(2000, 1, 1)]),
    st.sampled_from(
        [
            (),
            (Identifier("nationalIdentifier", "1"),),
            (Identifier("esi", "x"), Identifier("nationalIdentifier", "2")),
        ]
    ),
    st.sampled_from([{}, {"nationalIdentifier": "1"}, {"esi": "x", "nationalIdentifier": "1"}]),
    st.sampled_from([BORN, None]),
)
def test_every_reason_is_a_fixed_sentence(
    given_names: str,
    family: str,
    born: dt.date | None,
    ids: tuple[Identifier, ...],
    ours: dict[str, str],
    our_birth: dt.date | None,
) -> None:
    person = LocalPerson(ME.given_names, ME.family_name, our_birth, ours)
    result = match_identity(learner(given_names, family, born, identifiers=ids), person)
    assert result.reasons
    assert set(result.reasons) <= set(all_reasons())
    # the summary a page shows above the reasons never contradicts them
    basis = basis_of(result.verdict, result.reasons)
    if basis is Basis.NAME_AND_BIRTH_DATE:
        assert set(result.reasons) == {"the name matches yours", "the birth date matches yours"}
    if basis is Basis.IDENTIFIER:
        unlike = {"the name is close to yours but not the same", "the name in the results differs from yours"}
        assert not unlike & set(result.reasons)
