"""Structural validation: what the XSD requires and what its annotations say, without schema files."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

from emrex.elmo import model as m
from emrex.elmo.reader import read_elmo
from emrex.elmo.sample import sample_elmo
from emrex.elmo.validation import ERROR, WARNING, Problem, dropped_in_v17, schema_problems, validate


def course(title: str, ects: str | None = None, **loi: object) -> m.LearningOpportunitySpecification:
    credits = (m.Credit("ECTS", Decimal(ects)),) if ects else ()
    return m.LearningOpportunitySpecification(
        (m.LangText(title, "en"),),
        type=m.LosType.COURSE,
        specifies=m.LearningOpportunityInstance(credits=credits, **loi),  # type: ignore[arg-type]
    )


def with_report(elmo: m.Elmo, **changes: object) -> m.Elmo:
    return dataclasses.replace(elmo, reports=(dataclasses.replace(elmo.reports[0], **changes),))  # type: ignore[arg-type]


def errors(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems if p.severity == ERROR]


def warnings(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems if p.severity == WARNING]


def test_the_sample_has_no_problem() -> None:
    assert validate(sample_elmo(12)) == []


def test_ects_on_a_node_and_a_descendant_is_double_counting() -> None:
    degree = dataclasses.replace(
        course("Degree", "120"),
        type=m.LosType.DEGREE_PROGRAMME,
        has_part=(
            course(
                "Module",
                None,
            ),
            course("Other", None),
        ),
    )
    nested = dataclasses.replace(
        degree, has_part=(dataclasses.replace(course("Module"), has_part=(course("Deep", "5"),)),)
    )
    elmo = with_report(sample_elmo(1), learning_opportunity_specifications=(nested,))
    (problem,) = [p for p in validate(elmo) if "counted twice" in p.message]
    assert problem.path == "report[1].los[1]" and problem.severity == ERROR and "'Deep'" in problem.message
    assert elmo.total_ects() == 120
    assert not any(
        "counted twice" in p.message
        for p in validate(with_report(elmo, learning_opportunity_specifications=(degree,)))
    )


def test_official_example_double_counts_its_degree(schema_dir: Path) -> None:
    result = read_elmo((schema_dir / "v1.7.0" / "example.xml").read_bytes(), track_lines=True)
    problems = validate(result.elmo, lines=result.lines)
    assert errors(problems) == [
        "line 45: report[1].los[1] carries ECTS and so does its descendant "
        "'Identifying ectomycorrhizal fungi (University of Copenhagen)': credits would be counted twice"
    ]
    # its attachments are placeholders ("iiNhz6QfDnnDybjHLBF2...")
    assert sum("does not decode" in w for w in warnings(problems)) == 4
    assert schema_problems(result.elmo) == []


def test_references_that_point_nowhere() -> None:
    elmo = with_report(
        sample_elmo(1),
        learning_opportunity_specifications=(
            course("A", "5", grading_scheme_local_id="nope", attachment_refs=("transcript-1", "missing")),
        ),
    )
    found = warnings(validate(elmo))
    assert "report[1].los[1].loi.gradingSchemeLocalId 'nope' names no gradingScheme of the report" in found
    assert "report[1].los[1].loi.attachments.ref[2] 'missing' names no attachment" in found
    assert not any("ref[1]" in w for w in found)


def test_data_uris_that_do_not_decode() -> None:
    bad = (m.LangText("data:application/pdf;base64,@@@"), m.LangText("http://example.com/x.pdf"))
    elmo = dataclasses.replace(sample_elmo(1), attachments=(m.Attachment(contents=bad),))
    found = [w for w in warnings(validate(elmo)) if w.startswith("attachment[1]")]
    assert found == [
        "attachment[1].content[1] does not decode: attachment content is not valid base64",
        "attachment[1].content[2] does not decode: attachment content is not a data: URI",
    ]


def test_country_and_gender_values() -> None:
    elmo = dataclasses.replace(sample_elmo(1), learner=m.Learner("A", "B", citizenship="UK", gender=5))  # type: ignore[arg-type]
    found = errors(validate(elmo))
    assert any(p.startswith("learner.citizenship 'UK' is not a country code") for p in found)
    assert "learner.gender 5 is not 0, 1, 2 or 9 (ISO/IEC 5218)" in found


def test_enumeration_fields_must_hold_enumeration_members() -> None:
    los = dataclasses.replace(course("A"), type="Lecture")  # type: ignore[arg-type]
    found = errors(validate(with_report(sample_elmo(1), learning_opportunity_specifications=(los,))))
    assert found == [
        "report[1].los[1].type 'Lecture' is not one of 'Degree Programme', 'Module', 'Course', 'Class'"
    ]


def test_cardinalities() -> None:
    dist = m.ResultDistribution(categories=())
    ds = m.DiplomaSupplement(issue_date=None, sections=())
    los = course("A", result_distribution=dist, diploma_supplement=ds, academic_term=m.AcademicTerm())
    found = errors(validate(with_report(sample_elmo(1), learning_opportunity_specifications=(los,))))
    assert sorted(found) == [
        "report[1].los[1].loi.academicTerm.end is required",
        "report[1].los[1].loi.academicTerm.start is required",
        "report[1].los[1].loi.academicTerm.title is required (at least one)",
        "report[1].los[1].loi.diplomaSupplement.issueDate is required",
        "report[1].los[1].loi.diplomaSupplement.section is required (at least one)",
        "report[1].los[1].loi.resultDistribution.category is required (at least one)",
    ]


def test_language_tags_and_address_choice() -> None:
    address = m.Address(address_lines=("Main St 1",), street_name="Main St", country="se")
    elmo = dataclasses.replace(sample_elmo(1), learner=m.Learner("A", "B", current_address=address))
    elmo = with_report(
        elmo,
        learning_opportunity_specifications=(
            dataclasses.replace(course("A"), titles=(m.LangText("A", "en_GB"),)),
        ),
    )
    found = errors(validate(elmo))
    assert (
        "learner.currentAddress has both addressLine and street fields; EWP allows one or the other" in found
    )
    assert "learner.currentAddress.country 'se' is not an upper-case two-letter code" in found
    assert any(p.startswith("report[1].los[1].title has xml:lang 'en_GB'") for p in found)


def test_should_level_gaps_are_warnings() -> None:
    elmo = m.Elmo(
        learner=m.Learner("", ""),
        reports=sample_elmo(1).reports,
        generated_date=dt.datetime(2024, 1, 1, 12),
    )
    found = warnings(validate(elmo))
    assert "learner has neither given names nor a family name" in found
    assert "learner.bday is missing; EMREX needs it to match the learner" in found
    assert "generatedDate has no time zone" in found
    assert "attachment none: ELMO asks for a human-readable (PDF) copy of the records" in found
    assert errors(validate(elmo)) == []


def test_ects_without_value_and_grade_percentages() -> None:
    los = course("A", shortened_grading=m.ShortenedGrading(Decimal(10), Decimal(10), Decimal(10)))
    los = dataclasses.replace(los, specifies=dataclasses.replace(los.specifies, credits=(m.Credit("ects"),)))  # type: ignore[arg-type]
    problems = validate(with_report(sample_elmo(1), learning_opportunity_specifications=(los,)))
    assert "report[1].los[1].loi.credit[1] is ECTS but has no value" in errors(problems)
    assert "report[1].los[1].loi.shortenedGrading percentages should add up to 100" in warnings(problems)


def test_type_order_inside_the_tree() -> None:
    inverted = dataclasses.replace(
        course("Course"), has_part=(dataclasses.replace(course("Deg"), type=m.LosType.DEGREE_PROGRAMME),)
    )
    found = warnings(validate(with_report(sample_elmo(1), learning_opportunity_specifications=(inverted,))))
    assert any(w.startswith("report[1].los[1].part[1] is a Degree Programme inside a Course") for w in found)


def test_problems_carry_line_numbers_when_read_with_lines(interop_dir: Path) -> None:
    path = interop_dir / "unsigned" / "dk-emrex__common-java_Example-elmo-Denmark.xml"
    result = read_elmo(path.read_bytes(), track_lines=True)
    assert errors(validate(result.elmo, lines=result.lines)) == ["line 14: report[1].issuer.url is required"]


def test_dropped_in_v17() -> None:
    los = course("A", grading_scheme_external_id="ects-grading")
    elmo = with_report(
        sample_elmo(1), learning_opportunity_specifications=(los,), result_of_recognition=(b"<x/>",)
    )
    elmo = dataclasses.replace(elmo, learner=m.Learner("A", "B", alternative_name=m.LangText("Ä")))
    assert dropped_in_v17(elmo) == [
        "learner.alternativeName",
        "report[1].resultOfRecognition",
        "report[1].los[1].loi.gradingSchemeExternalId",
    ]
    assert dropped_in_v17(sample_elmo(3)) == []
