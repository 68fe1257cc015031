from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, func, select

from emrex.db import Database, upgrade
from emrex.elmo import model as m
from emrex.elmo.validation import validate
from emrex.elmo.writer import write_elmo
from emrex.emp.sources import PersonNotFound, PersonQuery, SourceUnavailable
from emrex.sis.format import SisImportError, parse_sis_json
from emrex.sis.importer import import_sis
from emrex.sis.source import SqlSource, SqlSourceConfig
from emrex.sis.tables import SisResult
from tests.sis.data import bulk_person, document, dumps, person_doc

NATIONAL = {"nationalIdentifier": "19990314-2389"}


def load(database: Database, doc: dict[str, Any]) -> None:
    import_sis(database, parse_sis_json(dumps(doc)))


def los_by_id(report: m.Report) -> dict[str, m.LearningOpportunitySpecification]:
    return {los.identifier("local") or "": los for _, los in report.iter_los()}


def test_fetch_gives_the_learner_and_one_report_per_institution(database: Database) -> None:
    load(database, document())
    results = SqlSource(database).fetch(PersonQuery(NATIONAL))

    learner = results.learner
    assert (learner.given_names, learner.family_name) == ("Ελένη Åsa", "Παπαδοπούλου")
    assert learner.birth_date == dt.date(1999, 3, 14)
    assert learner.citizenship == "GR"
    assert learner.gender is m.Gender.FEMALE
    assert learner.place_of_birth == "Θεσσαλονίκη"
    assert learner.identifier("nationalIdentifier") == "19990314-2389"
    assert learner.identifier("email") == "eleni.papadopoulou@student.nordvik.example"

    home, abroad = results.reports
    assert home.issuer.identifier("schac") == "nordvik.example"
    assert home.issuer.identifier("erasmus") == "S NORDVIK01"
    assert home.issuer.identifier("pic") == "999000001"
    assert home.issuer.title("en") == "Nordvik University"
    assert home.issuer.url == "https://www.nordvik.example"
    assert home.issuer.country == "SE"
    assert abroad.issuer.title("el") == "Εθνικό Πανεπιστήμιο Αθηνών"
    assert home.issue_date is not None and home.issue_date.tzinfo is not None
    assert [g.local_id for g in home.grading_schemes] == ["SE-UG"]
    assert [g.local_id for g in abroad.grading_schemes] == ["GR-10"]
    assert abroad.grading_schemes[0].descriptions[0].text == "0 to 10; 5 is the lowest pass"


def test_fetch_rebuilds_the_tree_with_every_detail(database: Database) -> None:
    load(database, document())
    home, abroad = SqlSource(database).fetch(PersonQuery(NATIONAL)).reports

    (degree,) = home.learning_opportunity_specifications
    assert degree.type is m.LosType.DEGREE_PROGRAMME
    assert [p.identifier("local") for p in degree.has_part] == ["M1", "C4"]
    module = degree.has_part[0]
    assert [p.identifier("local") for p in module.has_part] == ["C1", "C2", "C3"]
    assert [p.identifier("local") for p in module.has_part[2].has_part] == ["K1", "K2"]
    assert degree.specifies is not None
    assert degree.specifies.status is m.LoiStatus.IN_PROGRESS
    assert degree.specifies.start == dt.date(2022, 8, 29)
    assert degree.specifies.levels == (m.Level("EQF", value="7"),)
    ds = degree.specifies.diploma_supplement
    assert ds is not None and ds.issue_date == dt.date(2026, 6, 1) and ds.version == "2018"
    assert ds.sections[0].sections[0].content == "Παπαδοπούλου"

    c1 = los_by_id(home)["C1"]
    loi = c1.specifies
    assert loi is not None
    assert c1.title("en") == "Linear Algebra"
    assert c1.isced_code == "0541"
    assert c1.descriptions == (m.LangText("Vectors and matrices.", "en"),)
    assert (loi.result_label, loi.status, loi.grading_scheme_local_id) == ("VG", m.LoiStatus.PASSED, "SE-UG")
    assert loi.credits == (m.Credit("ECTS", Decimal("7.5")),)
    assert loi.date == dt.date(2024, 1, 12)
    assert loi.academic_term == m.AcademicTerm(
        (m.LangText("Autumn 2023", "en"),), dt.date(2023, 8, 28), dt.date(2024, 1, 14)
    )
    assert loi.language_of_instruction == "sv"
    assert loi.engagement_hours == Decimal(200)
    assert loi.result_distribution is not None
    assert [(c.label, c.count) for c in loi.result_distribution.categories] == [("U", 3), ("G", 20)]

    assert los_by_id(home)["C2"].specifies.status is m.LoiStatus.FAILED  # type: ignore[union-attr]
    # ECTS: 7.5 (C1) + 2 + 3 (classes of C3); the failed C2 and the in-progress thesis do not count
    assert home.total_ects() == Decimal("12.5")
    assert abroad.learning_opportunity_specifications[0].title("el") == "Αρχαία Ελληνική Φιλοσοφία"


def test_the_results_make_a_valid_elmo_document(database: Database) -> None:
    load(database, document())
    results = SqlSource(database).fetch(PersonQuery(NATIONAL))
    elmo = m.Elmo(
        learner=results.learner,
        reports=tuple(results.reports),
        generated_date=dt.datetime.now(dt.UTC),
    )
    errors = [p for p in validate(elmo) if p.severity == "error"]
    assert errors == []
    assert b"<resultLabel>VG</resultLabel>" in write_elmo(elmo)


def test_matching_uses_the_configured_identifier_types_in_order(database: Database) -> None:
    load(database, document())
    by_esi = PersonQuery({"esi": "urn:schac:personalUniqueCode:int:esi:se:nordvik.example:482913"})
    assert SqlSource(database).fetch(by_esi).learner.family_name == "Παπαδοπούλου"
    # e-mail addresses match whatever their case
    by_mail = PersonQuery({"email": "ELENI.papadopoulou@student.nordvik.example"})
    assert SqlSource(database).fetch(by_mail).learner.family_name == "Παπαδοπούλου"

    only_national = SqlSource(database, SqlSourceConfig(identifier_types=("nationalIdentifier",)))
    with pytest.raises(PersonNotFound, match="nationalIdentifier"):
        only_national.fetch(by_esi)
    # a wrong first identifier does not hide a right second one
    mixed = PersonQuery({"nationalIdentifier": "00000000-0000", "esi": by_esi.identifiers["esi"]})
    assert SqlSource(database).fetch(mixed).learner.given_names == "Ελένη Åsa"


def test_names_alone_never_match(database: Database) -> None:
    load(database, document())
    by_name = PersonQuery(
        {}, given_names="Ελένη Åsa", family_name="Παπαδοπούλου", birth_date=dt.date(1999, 3, 14)
    )
    with pytest.raises(PersonNotFound) as caught:
        SqlSource(database).fetch(by_name)
    assert "Παπαδοπούλου" not in str(caught.value)


def test_unknown_person_is_not_found_without_personal_data_in_the_message(database: Database) -> None:
    load(database, document())
    with pytest.raises(PersonNotFound) as caught:
        SqlSource(database).fetch(PersonQuery({"nationalIdentifier": "19700101-1234"}))
    assert "19700101" not in str(caught.value)


def test_a_person_without_results_gets_an_empty_list(database: Database) -> None:
    person = person_doc() | {"results": []}
    load(database, document(person))
    results = SqlSource(database).fetch(PersonQuery(NATIONAL))
    assert results.reports == [] and results.learner.family_name == "Παπαδοπούλου"


def test_a_broken_database_is_unavailable_not_a_crash(tmp_path: Any) -> None:
    db = Database(f"sqlite:///{tmp_path}/empty.db")  # never migrated: no tables
    with pytest.raises(SourceUnavailable, match="database"):
        SqlSource(db).fetch(PersonQuery(NATIONAL))
    db.dispose()


def _count_queries(database: Database, run: Callable[[], object]) -> int:
    statements: list[str] = []

    def listen(*args: Any) -> None:
        statements.append(args[2])

    event.listen(database.engine, "before_cursor_execute", listen)
    try:
        run()
    finally:
        event.remove(database.engine, "before_cursor_execute", listen)
    return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))


def test_fetch_needs_the_same_few_queries_for_10_or_300_courses(database: Database) -> None:
    load(database, document(bulk_person(10, "A-10"), bulk_person(300, "A-300")))
    source = SqlSource(database)
    small = _count_queries(database, lambda: source.fetch(PersonQuery({"nationalIdentifier": "A-10"})))
    large = _count_queries(database, lambda: source.fetch(PersonQuery({"nationalIdentifier": "A-300"})))
    assert small == large <= 8
    assert (
        len(
            source.fetch(PersonQuery({"nationalIdentifier": "A-300"}))
            .reports[0]
            .learning_opportunity_specifications[0]
            .has_part
        )
        == 300
    )


@pytest.mark.postgres
def test_import_reimport_and_fetch_on_postgres(postgres_schema: Callable[[], str]) -> None:
    db = Database(postgres_schema())
    try:
        upgrade(db)
        load(db, document())
        load(db, document())  # idempotent there too
        results = SqlSource(db).fetch(PersonQuery(NATIONAL))
        assert results.learner.given_names == "Ελένη Åsa"
        c1 = los_by_id(results.reports[0])["C1"].specifies
        assert c1 is not None and c1.credits == (m.Credit("ECTS", Decimal("7.5")),)
        assert results.reports[0].issue_date is not None and results.reports[0].issue_date.tzinfo is not None

        person = person_doc()
        del person["results"][0]["parts"][0]["parts"][2]  # C3 and its classes: deleted, cascading
        load(db, document(person))
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(SisResult)) == 6

        broken = person_doc()
        broken["results"][1]["gradingScheme"] = "NOPE"
        with pytest.raises(SisImportError):
            load(db, document(broken))
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(SisResult)) == 6  # rolled back
    finally:
        db.dispose()
