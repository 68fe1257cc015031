from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from emrex.db import Database
from emrex.emp.sources import PersonQuery
from emrex.sis.format import SisImportError, parse_sis_json
from emrex.sis.importer import import_sis
from emrex.sis.source import SqlSource
from emrex.sis.tables import (
    SisDiplomaSupplement,
    SisInstitution,
    SisPerson,
    SisPersonIdentifier,
    SisResult,
)
from tests.sis.data import course, document, dumps, person_doc

NATIONAL = PersonQuery({"nationalIdentifier": "19990314-2389"})


def problems_of(doc: Any) -> list[str]:
    with pytest.raises(SisImportError) as caught:
        parse_sis_json(dumps(doc) if not isinstance(doc, bytes) else doc)
    return caught.value.problems


def counts(database: Database) -> dict[str, int]:
    with database.session() as s:
        return {
            t.__tablename__: s.scalar(select(func.count()).select_from(t)) or 0
            for t in (SisInstitution, SisPerson, SisPersonIdentifier, SisResult, SisDiplomaSupplement)
        }


def result_rows(database: Database) -> list[tuple[Any, ...]]:
    with database.session() as s:
        return [
            (r.id, r.local_id, r.parent_id, r.position, r.grade, r.credit_value)
            for r in s.scalars(select(SisResult).order_by(SisResult.id))
        ]


def test_reimporting_the_same_file_changes_nothing(database: Database) -> None:
    summary = import_sis(database, parse_sis_json(dumps(document())))
    assert (summary.institutions, summary.persons, summary.results, summary.created_persons) == (2, 1, 9, 1)
    before, rows = counts(database), result_rows(database)
    fetched = SqlSource(database).fetch(NATIONAL)

    again = import_sis(database, parse_sis_json(dumps(document())))
    assert again.created_persons == 0 and again.deleted_results == 0
    assert (
        counts(database)
        == before
        == {
            "sis_institution": 2,
            "sis_person": 1,
            "sis_person_identifier": 3,
            "sis_result": 9,
            "sis_diploma_supplement": 1,
        }
    )
    assert result_rows(database) == rows  # same rows, same ids: updated in place
    refetched = SqlSource(database).fetch(NATIONAL)
    assert refetched.learner == fetched.learner
    assert [r.learning_opportunity_specifications for r in refetched.reports] == [
        r.learning_opportunity_specifications for r in fetched.reports
    ]


def test_reimport_updates_changed_results_and_drops_the_ones_no_longer_listed(database: Database) -> None:
    import_sis(database, parse_sis_json(dumps(document())))
    person = person_doc()
    module = person["results"][0]["parts"][0]
    module["parts"][1] = course("C2", "Real Analysis", "G", 7.5)  # the retake passed
    del module["parts"][2]  # C3 and its two classes are gone
    del person["results"][0]["diplomaSupplement"]
    person["familyName"] = "Papadopoulou"
    summary = import_sis(database, parse_sis_json(dumps(document(person))))
    assert summary.deleted_results == 3
    assert counts(database)["sis_result"] == 6
    assert counts(database)["sis_diploma_supplement"] == 0

    results = SqlSource(database).fetch(NATIONAL)
    assert results.learner.family_name == "Papadopoulou"
    ids = {los.identifier("local"): los for _, los in results.reports[0].iter_los()}
    assert set(ids) == {"TTF2Y", "M1", "C1", "C2", "C4"}
    assert ids["C2"].specifies is not None and ids["C2"].specifies.result_label == "G"


def test_a_person_is_found_again_by_any_of_their_identifiers(database: Database) -> None:
    import_sis(database, parse_sis_json(dumps(document())))
    person = person_doc()
    person["identifiers"] = {"esi": person["identifiers"]["esi"], "eppn": "eleni@nordvik.example"}
    import_sis(database, parse_sis_json(dumps(document(person))))
    assert counts(database)["sis_person"] == 1
    found = SqlSource(database).fetch(PersonQuery({"eppn": "eleni@nordvik.example"}))
    assert found.learner.identifier("nationalIdentifier") is None  # the file now lists two identifiers


def test_persons_not_in_the_file_are_left_alone(database: Database) -> None:
    import_sis(database, parse_sis_json(dumps(document())))
    other = person_doc() | {"identifiers": {"nationalIdentifier": "20010101-1111"}, "givenNames": "Nils"}
    import_sis(database, parse_sis_json(dumps({"format": "emrex-sis/1", "persons": [other]})))
    assert counts(database)["sis_person"] == 2
    assert SqlSource(database).fetch(NATIONAL).learner.given_names == "Ελένη Åsa"


def test_a_bad_value_is_named_by_its_json_path() -> None:
    doc = document()
    doc["persons"][0]["results"][0]["parts"][0]["parts"][0]["credits"]["value"] = "7,5"
    assert problems_of(doc) == ["persons[0].results[0].parts[0].parts[0].credits.value: not a number"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.pop("format"), 'format: must be "emrex-sis/1"'),
        (lambda d: d["institutions"][0].pop("url"), "institutions[0].url: is missing"),
        (lambda d: d["institutions"][1].update(country="gr"), "institutions[1].country: 'gr' is not"),
        (lambda d: d["institutions"][1].update(schac="nordvik.example"), "institutions[1].schac: 'nordvik"),
        (lambda d: d["persons"][0].update(birthDate="14.03.1999"), "persons[0].birthDate: not a date"),
        (lambda d: d["persons"][0].update(gender=3), "persons[0].gender: not one of (0, 1, 2, 9)"),
        (lambda d: d["persons"][0].update(identifiers={}), "persons[0].identifiers: needs at least one"),
        (lambda d: d["persons"][0].update(nickname="x"), "persons[0].nickname: unknown field"),
        (lambda d: _first(d).update(status="done"), "persons[0].results[0].status: 'done' is not one of"),
        (lambda d: _first(d).update(type="Degree"), "persons[0].results[0].type: 'Degree' is not one of"),
        (lambda d: _first(d).pop("titles"), "persons[0].results[0].titles: is missing"),
        (lambda d: _first(d).update(titles={"english": "x"}), "persons[0].results[0].titles.english: not a"),
        (lambda d: _first(d).update(eqfLevel=9), "persons[0].results[0].eqfLevel: not one of 1 to 8"),
        (lambda d: _c1(d).update(language="swe"), "parts[0].parts[0].language: not a two-letter"),
        (lambda d: _c1(d)["credits"].update(value=-1), "parts[0].parts[0].credits.value: out of range"),
        (lambda d: _c1(d)["credits"].update(value=1.234), "credits.value: has more than two decimals"),
        (
            lambda d: _c1(d).update(start="2023-08-28", date="2023-01-01"),
            "parts[0].parts[0].date: is before the start",
        ),
        (
            lambda d: _c1(d)["term"].update(end="2023-01-01"),
            "parts[0].parts[0].term.end: is before its start",
        ),
        (
            lambda d: _c1(d)["distribution"]["categories"][0].update(count=-3),
            "distribution.categories[0].count: not a whole number",
        ),
        (lambda d: _c1(d).update(institution="uoa.example.gr"), "parts[0].parts[0].institution: a part must"),
        (lambda d: _c1(d).update(id="C2"), "parts[0].parts[1].id: 'C2' is already used by"),
        (
            lambda d: _c1(d).update(type="Degree Programme"),
            "parts[0].parts[0].type: a Degree Programme cannot be part of a Module",
        ),
        (
            lambda d: d["persons"][0]["results"][0]["parts"][0].update(credits={"value": 15}),
            "results[0].parts[0].credits: ECTS here and on persons[0].results[0].parts[0].parts[0]",
        ),
        (
            lambda d: _first(d)["diplomaSupplement"].update(sections=[]),
            "persons[0].results[0].diplomaSupplement.sections: needs at least one section",
        ),
    ],
)
def test_invalid_documents_are_refused_with_the_path(change: Any, expected: str) -> None:
    doc = document()
    change(doc)
    found = problems_of(doc)
    assert any(expected in p for p in found), found


def _first(doc: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = doc["persons"][0]["results"][0]
    return result


def _c1(doc: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = doc["persons"][0]["results"][0]["parts"][0]["parts"][0]
    return result


def test_two_persons_cannot_share_an_identifier() -> None:
    twin = copy.deepcopy(person_doc())
    twin["identifiers"] = {"nationalIdentifier": "19990314-2389"}
    assert "persons[1].identifiers.nationalIdentifier: the same identifier as persons[0]" in problems_of(
        document(person_doc(), twin)
    )


def test_every_problem_is_reported_at_once() -> None:
    doc = document()
    _first(doc).update(status="done", eqfLevel=0)
    doc["persons"][0]["birthDate"] = "yesterday"
    assert len(problems_of(doc)) == 3


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "the file is not a JSON object"),
        (b"\xff\xfe\x00", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON"),
    ],
)
def test_unreadable_json_is_one_clear_problem(data: bytes, expected: str) -> None:
    found = problems_of(data)
    assert len(found) == 1 and expected in found[0]


def test_deep_nesting_of_results_is_refused() -> None:
    doc = document()
    node = _first(doc)
    for depth in range(12):
        child = {"id": f"N{depth}", "titles": {"en": "nested"}}
        node["parts"] = [child]
        node = child
    assert any("nested more than 8 levels" in p for p in problems_of(doc))


def test_a_failed_import_stores_nothing(database: Database) -> None:
    doc = document()
    doc["persons"][0]["results"][1]["gradingScheme"] = "NO-SUCH"  # found only when writing
    with pytest.raises(SisImportError, match=r"persons\[0\].results\[1\].gradingScheme: 'NO-SUCH' is not a"):
        import_sis(database, parse_sis_json(dumps(doc)))
    assert set(counts(database).values()) == {0}


def test_results_may_name_institutions_stored_by_an_earlier_import(database: Database) -> None:
    import_sis(database, parse_sis_json(dumps(document(person_doc() | {"results": []}))))
    later = {"format": "emrex-sis/1", "persons": [person_doc()]}
    import_sis(database, parse_sis_json(dumps(later)))
    assert len(SqlSource(database).fetch(NATIONAL).reports) == 2
    unknown = person_doc()
    unknown["identifiers"] = {"local": "x"}
    unknown["results"][1]["institution"] = "nowhere.example"
    with pytest.raises(SisImportError, match=r"'nowhere\.example' is neither in the file nor stored"):
        import_sis(database, parse_sis_json(json.dumps({"format": "emrex-sis/1", "persons": [unknown]})))


def test_identifiers_owned_by_two_stored_persons_are_a_conflict(database: Database) -> None:
    a = person_doc() | {"identifiers": {"nationalIdentifier": "A"}, "results": []}
    b = person_doc() | {"identifiers": {"nationalIdentifier": "B"}, "results": []}
    import_sis(database, parse_sis_json(dumps(document(a, b))))
    merged = person_doc() | {
        "identifiers": {"nationalIdentifier": "A", "email": "b@x.example"},
        "results": [],
    }
    import_sis(database, parse_sis_json(dumps(document(merged))))
    clash = person_doc() | {"identifiers": {"nationalIdentifier": "B", "email": "b@x.example"}, "results": []}
    with pytest.raises(SisImportError, match="belong to 2 different persons"):
        import_sis(database, parse_sis_json(dumps(document(clash))))


def test_the_documented_example_imports(database: Database) -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "SIS-IMPORT.md").read_text(encoding="utf-8")
    example = text.split("```json\n", 1)[1].split("```", 1)[0]
    import_sis(database, parse_sis_json(example))
    results = SqlSource(database).fetch(PersonQuery({"email": "Eleni.Papadopoulou@student.nordvik.example"}))
    c1 = {los.identifier("local"): los for _, los in results.reports[0].iter_los()}["C1"]
    assert c1.specifies is not None and c1.specifies.result_label == "VG"


def test_updated_at_moves_only_when_a_row_really_changes(database: Database) -> None:
    def stamps() -> dict[str, object]:
        with database.session() as s:
            rows = [*s.scalars(select(SisInstitution)), *s.scalars(select(SisPerson))]
            return {getattr(r, "schac", None) or r.family_name: r.updated_at for r in rows}

    import_sis(database, parse_sis_json(dumps(document())))
    first = stamps()
    import_sis(database, parse_sis_json(dumps(document())))
    assert stamps() == first
    changed = document()
    changed["institutions"][1]["url"] = "https://new.uoa.example.gr"
    import_sis(database, parse_sis_json(dumps(changed)))
    after = stamps()
    assert after["uoa.example.gr"] > first["uoa.example.gr"]  # type: ignore[operator]
    assert after["nordvik.example"] == first["nordvik.example"]


def test_characters_xml_cannot_carry_are_refused_before_they_reach_an_elmo_document() -> None:
    doc = document()
    _c1(doc)["titles"]["en"] = "Linear\x00Algebra"
    doc["persons"][0]["familyName"] = "Pap\x1badopoulou"
    assert sorted(problems_of(doc)) == [
        "persons[0].familyName: contains control characters XML cannot carry",
        "persons[0].results[0].parts[0].parts[0].titles.en: contains control characters XML cannot carry",
    ]
    doc = document()
    doc["persons"][0]["identifiers"]["bad\x01type"] = "x"
    assert problems_of(doc) == ["persons[0].identifiers: contains control characters XML cannot carry"]


def test_a_byte_order_mark_is_accepted() -> None:
    assert len(parse_sis_json(b"\xef\xbb\xbf" + dumps(document())).persons) == 1
