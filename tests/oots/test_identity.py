"""The request's natural person against the SIS learner, through the project's identity rules."""

from __future__ import annotations

import dataclasses
import datetime as dt

from emrex.elmo import model as m
from emrex.elmo.sample import sample_elmo
from emrex.identity import Verdict
from emrex.oots import local_person, match_subject
from emrex.oots.identity import same_subject
from tests.oots.support import PERSON

LEARNER = sample_elmo(1).learner


def test_the_person_becomes_a_local_person() -> None:
    person = local_person(PERSON)
    assert (person.given_names, person.family_name, person.birth_date) == (
        "Åsa Žofie",
        "Lindqvist-Dvořáková",
        dt.date(1999, 3, 14),
    )
    assert dict(person.identifiers) == {"eidas": "SE/FR/199903142389"}


def test_names_and_birth_date_decide_without_an_eidas_identifier_in_the_sis() -> None:
    assert match_subject(LEARNER, PERSON).result.verdict is Verdict.MATCH
    ascii_spelt = dataclasses.replace(PERSON, given_name="Asa Zofie", family_name="Lindqvist-Dvorakova")
    assert match_subject(LEARNER, ascii_spelt).accepted
    other_birthday = dataclasses.replace(PERSON, date_of_birth=dt.date(1999, 3, 15))
    assert match_subject(LEARNER, other_birthday).result.verdict is Verdict.MISMATCH


def test_an_eidas_identifier_held_by_the_sis_decides() -> None:
    holding = dataclasses.replace(
        LEARNER, identifiers=(*LEARNER.identifiers, m.Identifier("eidas", "SE/EL/199903142389"))
    )
    # The middle code names the requester's country: the same person asked for by Greece and France.
    married = dataclasses.replace(PERSON, family_name="Berg")
    matched = match_subject(holding, married)
    assert matched.accepted and matched.reasons[0].startswith(
        "the eIDAS identifier in the request is the one"
    )
    other = dataclasses.replace(PERSON, identifier="SE/FR/200001011234")
    refused = match_subject(holding, other)
    assert not refused.accepted and refused.result.verdict is Verdict.MISMATCH


def test_a_repeated_request_names_the_same_person_in_any_spelling_of_the_same_data() -> None:
    assert same_subject(
        PERSON,
        dataclasses.replace(PERSON, family_name="LINDQVIST-DVOŘÁKOVÁ ", identifier="SE/DE/199903142389"),
    )
    assert not same_subject(PERSON, dataclasses.replace(PERSON, given_name="Karl"))
    assert not same_subject(PERSON, dataclasses.replace(PERSON, date_of_birth=None))


def test_an_equal_eidas_identifier_with_another_birth_date_is_not_enough() -> None:
    holding = dataclasses.replace(LEARNER, identifiers=(m.Identifier("eidas", "SE/FR/199903142389"),))
    result = match_subject(holding, dataclasses.replace(PERSON, date_of_birth=dt.date(2000, 1, 1)))
    assert result.result.verdict is Verdict.REVIEW and not result.accepted
