from __future__ import annotations

import datetime as dt
import json

import pytest

from emrex.emc.student_record import StudentRecordError, read_record, record_of
from emrex.identity import LocalPerson
from emrex.web.auth import Person

ASA = Person(
    subject="asa@home.example",
    given_names="Åsa",
    family_name="Lind",
    source="oidc",
    birth_date=dt.date(1999, 3, 14),
    identifiers={"nationalIdentifier": "19990314-2389"},
    email="asa@home.example",
    roles=frozenset({"student", "staff"}),
)


def test_the_stored_student_keeps_what_identity_is_matched_against_and_reads_back() -> None:
    text = record_of(ASA)
    assert json.loads(text) == {
        "given_names": "Åsa",
        "family_name": "Lind",
        "birth_date": "1999-03-14",
        "identifiers": {"nationalIdentifier": "19990314-2389"},
    }
    assert read_record(text) == LocalPerson(
        "Åsa", "Lind", dt.date(1999, 3, 14), {"nationalIdentifier": "19990314-2389"}
    )


def test_the_stored_student_is_not_the_login_session_form() -> None:
    stored = json.loads(record_of(ASA))
    assert not {"subject", "source", "email", "roles"} & set(stored)
    assert stored != json.loads(ASA.to_json())


def test_no_birth_date_and_no_identifiers() -> None:
    person = Person(subject="x", given_names="Jo", family_name="", source="demo")
    assert read_record(record_of(person)) == LocalPerson("Jo", "", None, {})


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        "{}",
        '{"given_names": "a", "family_name": "b", "birth_date": "14.3.1999", "identifiers": {}}',
        '{"given_names": "a", "family_name": "b", "birth_date": null, "identifiers": []}',
    ],
)
def test_a_damaged_record_is_one_readable_error(text: str) -> None:
    with pytest.raises(StudentRecordError, match="stored student cannot be read"):
        read_record(text)
