from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from emrex.elmo import model as m
from emrex.elmo.validation import validate
from emrex.elmo.writer import write_elmo
from emrex.emp.sources import PersonNotFound, PersonQuery, SourceConfigError, SourceUnavailable
from emrex.emp.sources.virta import (
    VirtaSource,
    VirtaSourceConfig,
    hetu_birth_date,
    load_issuers,
    parse_issuers,
    virta_to_elmo,
)
from tests.emp.sources.httpserver import Answer, Script, serve

HETU = "180766-2213"
LOGIN = PersonQuery({"nationalIdentifier": HETU}, "Virta", "Testaaja")
NS = 'xmlns:virta="urn:mace:funet.fi:virta/2015/09/01"'


@pytest.fixture(scope="module")
def virta_dir(interop_dir: Path) -> Path:
    return interop_dir / "virta"


@pytest.fixture(scope="module")
def answer(virta_dir: Path) -> bytes:
    return (virta_dir / "fi-ncp__OpiskelijanKaikkiTiedotResponse.xml").read_bytes()


@pytest.fixture(scope="module")
def issuers_file(virta_dir: Path) -> Path:
    return virta_dir / "fi-ncp__issuers.txt"


def by_id(report: m.Report) -> dict[str, m.LearningOpportunitySpecification]:
    return {los.identifier("local") or "": los for _, los in report.iter_los()}


def test_the_test_student_maps_to_one_report_of_centria(answer: bytes, issuers_file: Path) -> None:
    results = virta_to_elmo(answer, load_issuers(issuers_file), person=LOGIN)
    learner = results.learner
    assert (learner.given_names, learner.family_name) == ("Virta", "Testaaja")  # VIRTA has no names
    assert learner.identifier("nationalIdentifier") == HETU
    assert learner.identifier("oppijanumero") == "1.2.246.562.24.17488477125"
    assert learner.birth_date == dt.date(1966, 7, 18)  # from the identity code

    (report,) = results.reports
    assert report.issuer.identifier("schac") == "centria.fi"
    assert report.issuer.title("en") == "Centria University of Applied Sciences"
    assert report.issuer.title("fi") == "Centria ammattikorkeakoulu"
    assert report.issuer.country == "FI"
    assert len(list(report.iter_los())) == 42
    assert {g.local_id for g in report.grading_schemes} == {"Viisiportainen", "Hyvaksytty"}


def test_the_degree_holds_its_courses_and_modules(answer: bytes, issuers_file: Path) -> None:
    (report,) = virta_to_elmo(answer, load_issuers(issuers_file), person=LOGIN).reports
    (degree,) = report.learning_opportunity_specifications
    assert degree.type is m.LosType.DEGREE_PROGRAMME
    assert degree.title("fi") == "Terveydenhoitaja (AMK)"
    assert degree.identifier("local") == "TUTKINTO-39525"
    assert len(degree.has_part) == 35
    loi = degree.specifies
    assert loi is not None
    assert (loi.start, loi.date, loi.result_label) == (dt.date(2014, 9, 2), dt.date(2018, 5, 31), "HYV")
    assert loi.credits == ()  # its 240 credits are given on the parts ...
    assert "240" in degree.descriptions[0].text
    assert report.total_ects() == Decimal(240)  # ... and add up to them

    module = by_id(report)["1982360"]
    assert module.type is m.LosType.MODULE and module.title() == "Yksilön terveydenhoitajatyö"
    assert [p.identifier("local") for p in module.has_part] == ["1982399", "1982430", "1982461"]


def test_a_course_carries_its_grade_credits_date_and_language(answer: bytes, issuers_file: Path) -> None:
    (report,) = virta_to_elmo(answer, load_issuers(issuers_file)).reports
    course = by_id(report)["1451865"]
    assert course.type is m.LosType.COURSE
    assert course.title("fi") == "Potilaslähtöisen hoitotyön toiminnot"
    assert course.identifier("courseCode") == "THHTN14A SH0202-148A4"
    loi = course.specifies
    assert loi is not None
    assert loi.result_label == "4"
    assert loi.grading_scheme_local_id == "Viisiportainen"
    assert loi.credits == (m.Credit("ECTS", Decimal(5)),)
    assert loi.date == dt.date(2014, 11, 28)
    assert loi.language_of_instruction == "fi"
    assert loi.status is m.LoiStatus.PASSED
    assert by_id(report)["1550503"].specifies.credits == (m.Credit("ECTS", Decimal("7.5")),)  # type: ignore[union-attr]


def test_the_mapped_results_make_a_valid_elmo_document(answer: bytes, issuers_file: Path) -> None:
    results = virta_to_elmo(answer, load_issuers(issuers_file), person=LOGIN)
    elmo = m.Elmo(results.learner, tuple(results.reports), generated_date=dt.datetime.now(dt.UTC))
    assert [p for p in validate(elmo) if p.severity == "error"] == []
    assert "Potilaslähtöisen hoitotyön toiminnot".encode() in write_elmo(elmo)


def test_the_opintosuoritukset_answer_maps_too(virta_dir: Path, issuers_file: Path) -> None:
    data = (virta_dir / "fi-ncp__OpitosuoritukseResponse.xml").read_bytes()
    results = virta_to_elmo(data, load_issuers(issuers_file))
    assert len(list(results.reports[0].iter_los())) == 42
    assert results.learner.identifiers == ()


def _doc(*records: str) -> bytes:
    body = "".join(records)
    return f"<virta:Virta {NS}><virta:Opiskelija avain='s'>{body}</virta:Opiskelija></virta:Virta>".encode()


def _rec(key: str, issuer: str = "02536", grade: str = "3", parts: tuple[str, ...] = ()) -> str:
    links = "".join(f"<virta:Sisaltyvyys sisaltyvaOpintosuoritusAvain='{p}'/>" for p in parts)
    return (
        f"<virta:Opintosuoritus avain='{key}'><virta:Laajuus><virta:Opintopiste>5,0</virta:Opintopiste>"
        f"</virta:Laajuus><virta:Arvosana><virta:Viisiportainen>{grade}</virta:Viisiportainen></virta:Arvosana>"
        f"<virta:Myontaja>{issuer}</virta:Myontaja><virta:Laji>2</virta:Laji>{links}</virta:Opintosuoritus>"
    )


ISSUERS = parse_issuers(
    "Centria;Centria;Centria UAS;02536;centria.fi\nAalto-yliopisto;;Aalto University;10076;aalto.fi"
)


def test_cycles_in_inclusion_links_do_not_loop_or_lose_records() -> None:
    (report,) = virta_to_elmo(_doc(_rec("A", parts=("B",)), _rec("B", parts=("A",))), ISSUERS).reports
    assert sorted(by_id(report)) == ["A", "B"]


def test_a_part_from_another_institution_goes_to_that_institutions_report() -> None:
    results = virta_to_elmo(_doc(_rec("A", parts=("B",)), _rec("B", issuer="10076")), ISSUERS)
    assert [r.issuer.identifier("schac") for r in results.reports] == ["centria.fi", "aalto.fi"]
    assert results.reports[0].learning_opportunity_specifications[0].has_part == ()
    assert results.reports[1].learning_opportunity_specifications[0].specifies.credits == (  # type: ignore[union-attr]
        m.Credit("ECTS", Decimal(5)),
    )


def test_hyl_is_failed_and_an_unknown_organisation_is_named_by_its_code() -> None:
    (report,) = virta_to_elmo(_doc(_rec("A", issuer="99999", grade="HYL")), ISSUERS).reports
    loi = report.learning_opportunity_specifications[0].specifies
    assert loi is not None and loi.status is m.LoiStatus.FAILED
    assert report.issuer.identifier("virta") == "99999"


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (b"<html>busy</html>", PersonNotFound, "no study records"),
        (b"not xml", SourceUnavailable, "did not answer with XML"),
        (
            b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>'
            b"<faultcode>s:Client</faultcode><faultstring>Access denied</faultstring>"
            b"</s:Fault></s:Body></s:Envelope>",
            SourceUnavailable,
            "SOAP fault: Access denied",
        ),
    ],
)
def test_unusable_answers(data: bytes, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        virta_to_elmo(data, ISSUERS)


def test_birth_dates_from_finnish_identity_codes() -> None:
    assert hetu_birth_date("180766-2213") == dt.date(1966, 7, 18)
    assert hetu_birth_date("010203A123B") == dt.date(2003, 2, 1)
    assert hetu_birth_date("010203Y123B") == dt.date(1903, 2, 1)
    assert hetu_birth_date("311399-1234") is None
    assert hetu_birth_date("not a code") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("only;three;fields", "line 1: expected"),
        ("a;b;c;;x.fi", "line 1: expected"),
        (";;;01234;x.fi", "has no name"),
        ("\n# nothing\n", "no organisations"),
    ],
)
def test_bad_issuer_tables_are_refused(text: str, message: str) -> None:
    with pytest.raises(SourceConfigError, match=message):
        parse_issuers(text)


def soap(answer: bytes) -> bytes:
    inner = answer.split(b"?>", 1)[-1] if answer.startswith(b"<?xml") else answer
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope '
        b'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        + inner
        + b"</soap:Body></soap:Envelope>"
    )


def test_the_source_posts_a_soap_request_and_maps_the_answer(answer: bytes, issuers_file: Path) -> None:
    script = Script(lambda r: Answer(body=soap(answer), content_type="text/xml"))
    with serve(script) as base:
        config = VirtaSourceConfig(
            base + "/luku/OpiskelijanTiedot", str(issuers_file), "emrex", "emp", "secret"
        )
        results = VirtaSource(config).fetch(LOGIN)
    assert len(list(results.reports[0].iter_los())) == 42
    request = etree.fromstring(script.requests[0].body)
    luku = "{http://tietovaranto.csc.fi/luku}"
    assert request.findtext(f".//{luku}Hakuehdot/{luku}henkilotunnus") == HETU
    assert request.findtext(f".//{luku}Kutsuja/{luku}jarjestelma") == "emrex"
    assert request.findtext(f".//{luku}Kutsuja/{luku}avain") == "secret"


def test_the_source_refuses_an_answer_about_someone_else(answer: bytes, issuers_file: Path) -> None:
    with serve(Script(lambda r: Answer(body=soap(answer)))) as base:
        source = VirtaSource(VirtaSourceConfig(base + "/luku", str(issuers_file)))
        with pytest.raises(SourceUnavailable, match="another person"):
            source.fetch(PersonQuery({"nationalIdentifier": "010203A123B"}))


@pytest.mark.parametrize(
    ("reply", "error", "message"),
    [
        (Answer(503, b"down"), SourceUnavailable, "answered HTTP 503"),
        (Answer(500, b"oops"), SourceUnavailable, "answered HTTP 500"),
        (Answer(body=soap(_doc())), PersonNotFound, "no study records"),
        (Answer(body=b"<x/>", delay=1.0), SourceUnavailable, "did not answer within 0.2 s"),
    ],
)
def test_source_failures(issuers_file: Path, reply: Answer, error: type[Exception], message: str) -> None:
    with serve(Script(lambda r: reply)) as base:
        source = VirtaSource(VirtaSourceConfig(base + "/luku", str(issuers_file), timeout=0.2))
        with pytest.raises(error, match=message) as caught:
            source.fetch(LOGIN)
    assert HETU not in str(caught.value)


def test_the_source_needs_an_identifier_virta_knows(issuers_file: Path) -> None:
    source = VirtaSource(VirtaSourceConfig("https://virta.example/luku", str(issuers_file)))
    with pytest.raises(PersonNotFound, match="nationalIdentifier"):
        source.fetch(PersonQuery({"email": "a@b.example"}))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"identifier_types": ("email",)}, "identifier_types"),
        ({"url": "virta.example"}, "url"),
        ({"issuers_file": "/nonexistent/issuers.txt"}, "issuers_file: cannot read"),
    ],
)
def test_bad_configuration_is_refused(issuers_file: Path, options: dict[str, object], message: str) -> None:
    settings: dict[str, object] = {"url": "https://virta.example/luku", "issuers_file": str(issuers_file)}
    with pytest.raises(SourceConfigError, match=message):
        VirtaSource(VirtaSourceConfig(**(settings | options)))  # type: ignore[arg-type]


def test_entities_and_oversized_answers_are_refused() -> None:
    bomb = b'<!DOCTYPE v [<!ENTITY a "aaaaaaaaaa">]><virta:Virta ' + NS.encode() + b">&a;</virta:Virta>"
    with pytest.raises(SourceUnavailable, match="DOCTYPE"):
        virta_to_elmo(bomb, ISSUERS)
    with pytest.raises(SourceUnavailable, match="larger than the limit"):
        virta_to_elmo(_doc(*(_rec(str(i)) for i in range(50))), ISSUERS, max_bytes=2000)
