"""The writer produces ELMO 1.7 that the official XSD accepts, or refuses naming what is missing."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from emrex.elmo import model as m
from emrex.elmo.errors import ElmoValidationError
from emrex.elmo.reader import read_elmo
from emrex.elmo.sample import sample_elmo
from emrex.elmo.schema import validate_xsd
from emrex.elmo.writer import write_elmo

NS = m.ELMO_NS


def minimal(**learner: object) -> m.Elmo:
    return m.Elmo(
        learner=m.Learner(given_names="Anna", family_name="Berg", **learner),  # type: ignore[arg-type]
        reports=(
            m.Report(
                issuer=m.Issuer(
                    (m.Identifier("schac", "u.example"),), (m.LangText("U", "en"),), "https://u.example"
                ),
                issue_date=dt.datetime(2024, 1, 2, tzinfo=dt.UTC),
            ),
        ),
        generated_date=dt.datetime(2024, 1, 2, 12, 30, tzinfo=dt.UTC),
    )


def xsd_errors(data: bytes, schema_dir: Path) -> list[str]:
    report = validate_xsd(data, schema_dir, version="1.7.0")
    return [str(e) for e in report.errors]


def with_los(elmo: m.Elmo, *los: m.LearningOpportunitySpecification) -> m.Elmo:
    report = dataclasses.replace(elmo.reports[0], learning_opportunity_specifications=los)
    return dataclasses.replace(elmo, reports=(report,))


def test_minimal_document_is_xsd_valid_utf8_with_declaration(schema_dir: Path) -> None:
    data = write_elmo(minimal())
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert xsd_errors(data, schema_dir) == []
    assert read_elmo(data).elmo == minimal()


def test_sample_documents_are_xsd_valid(schema_dir: Path) -> None:
    for courses in (1, 2, 8, 60):
        data = write_elmo(sample_elmo(courses))
        assert xsd_errors(data, schema_dir) == [], courses
        assert xsd_errors(write_elmo(sample_elmo(courses), pretty=True), schema_dir) == []


def test_elmo_elements_use_the_default_namespace_and_address_the_ewp_one() -> None:
    data = write_elmo(sample_elmo(3))
    root = etree.fromstring(data)
    assert root.prefix is None and root.nsmap == {None: NS}
    assert all(el.prefix is None for el in root.iter() if el.tag.startswith("{" + NS))
    address = root.find(f"{{{NS}}}learner/{{{NS}}}currentAddress")
    assert address is not None and len(address)
    assert {etree.QName(child).namespace for child in address} == {m.EWP_ADDRESS_NS}


def test_language_texts_carry_xml_lang() -> None:
    root = etree.fromstring(write_elmo(sample_elmo(2)))
    titles = root.findall(f"{{{NS}}}report/{{{NS}}}issuer/{{{NS}}}title")
    assert [t.get("{http://www.w3.org/XML/1998/namespace}lang") for t in titles] == ["sv", "en", "it", "en"]


def test_attachment_base64_has_no_line_breaks() -> None:
    root = etree.fromstring(write_elmo(sample_elmo(2)))
    (content,) = root.findall(f"{{{NS}}}attachment/{{{NS}}}content")
    assert content.text and content.text.startswith("data:application/pdf;base64,JVBER")
    assert not any(c.isspace() for c in content.text)


def test_decimals_are_written_with_a_dot_and_without_exponent(schema_dir: Path) -> None:
    loi = m.LearningOpportunityInstance(
        credits=(m.Credit("ECTS", Decimal("1E+1")), m.Credit("custom", Decimal("0.000005"))),
        engagement_hours=Decimal("-0"),
    )
    data = write_elmo(
        with_los(minimal(), m.LearningOpportunitySpecification((m.LangText("C"),), specifies=loi))
    )
    assert b"<value>10</value>" in data and b"<value>0.000005</value>" in data
    assert b"<engagementHours>0</engagementHours>" in data
    assert xsd_errors(data, schema_dir) == []


def test_text_that_looks_like_markup_is_escaped_and_reads_back(schema_dir: Path) -> None:
    tricky = 'a < b & "c" > d\r\n]]>'
    los = m.LearningOpportunitySpecification(
        (m.LangText(tricky, "en"),),
        identifiers=(m.Identifier('we"ird & <type>', "x"),),
        descriptions=(m.LangText("tab\there\nnewline", None),),
        specifies=m.LearningOpportunityInstance(grouping=m.Grouping('t"1', "<i>")),
    )
    elmo = with_los(minimal(), los)
    data = write_elmo(elmo)
    assert xsd_errors(data, schema_dir) == []
    back = read_elmo(data).elmo.reports[0].learning_opportunity_specifications[0]
    assert back.identifiers == los.identifiers
    assert back.descriptions == los.descriptions
    assert back.specifies is not None and back.specifies.grouping == los.specifies.grouping  # type: ignore[union-attr]
    assert back.titles[0].text == 'a < b & "c" > d ]]>'  # a token: the line break collapses


def test_control_characters_are_refused_naming_where() -> None:
    elmo = with_los(
        minimal(),
        m.LearningOpportunitySpecification(
            (m.LangText("bad\x07"),), specifies=m.LearningOpportunityInstance()
        ),
    )
    with pytest.raises(ElmoValidationError, match=r"report\[1\]\.los\[1\]"):
        write_elmo(elmo)
    with pytest.raises(ElmoValidationError, match="learner"):
        write_elmo(minimal(place_of_birth="\ud800"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: dataclasses.replace(e, reports=()), "report is required"),
        (lambda e: dataclasses.replace(e, generated_date=None), "generatedDate is required"),
        (
            lambda e: dataclasses.replace(e, reports=(dataclasses.replace(e.reports[0], issuer=m.Issuer()),)),
            "report[1].issuer.identifier is required",
        ),
        (
            lambda e: dataclasses.replace(
                e,
                reports=(
                    dataclasses.replace(
                        e.reports[0], issuer=dataclasses.replace(e.reports[0].issuer, url=None)
                    ),
                ),
            ),
            "report[1].issuer.url is required",
        ),
        (
            lambda e: with_los(
                e, m.LearningOpportunitySpecification(specifies=m.LearningOpportunityInstance())
            ),
            "report[1].los[1].title is required",
        ),
        (
            lambda e: with_los(e, m.LearningOpportunitySpecification((m.LangText("C"),))),
            "report[1].los[1].loi is required",
        ),
        (
            lambda e: dataclasses.replace(e, learner=m.Learner("A", "B", citizenship="XK")),
            "learner.citizenship 'XK'",
        ),
        (
            lambda e: dataclasses.replace(e, learner=m.Learner("A", "B", citizenship="pl")),
            "learner.citizenship 'pl'",
        ),
    ],
)
def test_models_lacking_what_the_schema_requires_are_refused(change: object, message: str) -> None:
    elmo = change(minimal())  # type: ignore[operator]
    with pytest.raises(ElmoValidationError) as info:
        write_elmo(elmo)
    assert any(p.startswith(message) for p in info.value.problems), info.value.problems


def test_empty_names_are_written_as_the_annotation_allows(schema_dir: Path) -> None:
    elmo = dataclasses.replace(minimal(), learner=m.Learner("", ""))
    data = write_elmo(elmo)
    assert b"<givenNames></givenNames><familyName></familyName>" in data
    assert xsd_errors(data, schema_dir) == []


def test_issuer_country_outside_europass_list_is_refused() -> None:
    issuer = dataclasses.replace(minimal().reports[0].issuer, country="XK")
    elmo = dataclasses.replace(minimal(), reports=(dataclasses.replace(minimal().reports[0], issuer=issuer),))
    with pytest.raises(ElmoValidationError, match=r"report\[1\]\.issuer\.country 'XK'"):
        write_elmo(elmo)


def test_v2_only_data_is_left_out(schema_dir: Path) -> None:
    elmo = dataclasses.replace(minimal(), learner=m.Learner("A", "B", alternative_name=m.LangText("Α", "el")))
    data = write_elmo(elmo)
    assert b"alternativeName" not in data
    assert xsd_errors(data, schema_dir) == []


def test_extension_content_round_trips_and_validates(schema_dir: Path) -> None:
    ext = b'<my:note xmlns:my="urn:example:my" my:a="1">hi <my:b></my:b></my:note>'
    elmo = dataclasses.replace(minimal(), extension=ext)
    data = write_elmo(elmo)
    assert xsd_errors(data, schema_dir) == []
    assert read_elmo(data).elmo.extension == ext


def test_extension_in_the_elmo_namespace_or_malformed_is_refused() -> None:
    for bad in (b"<givenNames>x</givenNames>", b"<x:a xmlns:x='urn:x'>", b"<plain/>"):
        with pytest.raises(ElmoValidationError, match="extension"):
            write_elmo(dataclasses.replace(minimal(), extension=bad))


def test_diploma_supplement_and_groups(schema_dir: Path) -> None:
    ds = m.DiplomaSupplement(
        issue_date=dt.date(2020, 6, 1),
        introduction="Intro",
        sections=(
            m.DiplomaSupplementSection(
                "2",
                "Qualification",
                sections=(m.DiplomaSupplementSection("2.1", "Name", "<b>MSc</b>", "text/html", ("note",)),),
            ),
        ),
        lang="en",
    )
    los = m.LearningOpportunitySpecification(
        (m.LangText("Degree", "en"),),
        type=m.LosType.DEGREE_PROGRAMME,
        specifies=m.LearningOpportunityInstance(diploma_supplement=ds, grouping=m.Grouping("1", "2")),
    )
    groups = m.Groups((m.GroupType((m.LangText("Kind"),), "1", (m.Group((m.LangText("Main"),), "2", "a"),)),))
    elmo = dataclasses.replace(with_los(minimal(), los), groups=groups)
    data = write_elmo(elmo)
    assert xsd_errors(data, schema_dir) == []
    assert read_elmo(data).elmo == elmo
    with pytest.raises(ElmoValidationError, match="section number"):
        bad = dataclasses.replace(ds, sections=(m.DiplomaSupplementSection("two", "x"),))
        write_elmo(
            with_los(
                minimal(),
                dataclasses.replace(los, specifies=m.LearningOpportunityInstance(diploma_supplement=bad)),
            )
        )


def test_a_pdf_over_libxml2s_text_limit_is_written_pretty_too() -> None:
    # Our own text, re-parsed for indenting: libxml2's 10 000 000-character limit must not apply.
    import dataclasses
    import os

    from emrex.elmo import model as m
    from emrex.elmo.reader import read_elmo
    from emrex.elmo.sample import sample_elmo

    pdf = b"%PDF-1.4\n" + os.urandom(9 * 1024 * 1024)
    elmo = sample_elmo(2)
    transcript = dataclasses.replace(
        elmo.attachments[0], contents=(m.LangText(m.encode_data_uri("application/pdf", pdf), "en"),)
    )
    data = write_elmo(dataclasses.replace(elmo, attachments=(transcript,)), pretty=True)
    assert read_elmo(data).elmo.attachments[0].payload(0) == ("application/pdf", pdf)
