"""The lenient reader: what real documents get wrong is kept or skipped with a warning and its line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from emrex.elmo import model as m
from emrex.elmo.errors import ElmoParseError, ElmoValidationError
from emrex.elmo.reader import read_elmo
from emrex.errors import InputTooLarge

NS = m.ELMO_NS


def doc(learner: str = "", report: str = "", los: str = "", root_extra: str = "", prefix: str = "") -> bytes:
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{NS}"' if prefix else f'xmlns="{NS}"'
    learner = learner or f"<{p}givenNames>Anna</{p}givenNames><{p}familyName>Berg</{p}familyName>"
    report = report or (
        f'<{p}issuer><{p}identifier type="schac">uni.example</{p}identifier><{p}title xml:lang="en">Uni'
        f"</{p}title><{p}url>https://uni.example</{p}url></{p}issuer>{los}"
        f"<{p}issueDate>2024-01-02T10:00:00Z</{p}issueDate>"
    )
    text = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{p}elmo {xmlns}>\n'
        f"<{p}generatedDate>2024-01-02T10:00:00+01:00</{p}generatedDate>\n"
        f"<{p}learner>{learner}</{p}learner>\n<{p}report>{report}</{p}report>{root_extra}</{p}elmo>"
    )
    return text.encode()


def course(loi: str = "", extra: str = "") -> str:
    return (
        f"<learningOpportunitySpecification><title>Algebra</title>{extra}"
        f"<specifies><learningOpportunityInstance>{loi}</learningOpportunityInstance></specifies>"
        "</learningOpportunitySpecification>"
    )


def test_minimal_document() -> None:
    result = read_elmo(doc())
    assert result.warnings == []
    assert result.version_hint == "1.x"
    elmo = result.elmo
    assert elmo.learner.given_names == "Anna"
    assert elmo.generated_date == dt.datetime(2024, 1, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert elmo.reports[0].issuer.identifier("SCHAC") == "uni.example"
    assert elmo.reports[0].issue_date is not None and elmo.reports[0].issue_date.tzinfo is not None


def test_any_prefix_reads_the_same_as_the_default_namespace() -> None:
    assert read_elmo(doc(prefix="x")).elmo == read_elmo(doc()).elmo


def test_bday_and_date_of_birth_with_time_zones() -> None:
    v1 = read_elmo(doc("<givenNames>A</givenNames><familyName>B</familyName><bday>1983-04-12+02:00</bday>"))
    v2 = read_elmo(
        doc(
            "<givenNames>A</givenNames><familyName>B</familyName>"
            '<alternativeName xml:lang="el">Άννα</alternativeName><dateOfBirth>1983-04-12Z</dateOfBirth>'
        )
    )
    assert v1.elmo.learner_birth_date == v2.elmo.learner_birth_date == dt.date(1983, 4, 12)
    assert (v1.version_hint, v2.version_hint) == ("1.x", "2.x")
    assert v2.elmo.learner.alternative_name == m.LangText("Άννα", "el")
    assert v2.warnings == []


def test_bday_and_date_of_birth_that_disagree_warn_and_date_of_birth_counts() -> None:
    result = read_elmo(
        doc(
            "<givenNames>A</givenNames><familyName>B</familyName>"
            "<bday>1983-04-12</bday><dateOfBirth>1983-04-13</dateOfBirth>"
        )
    )
    assert result.elmo.learner.birth_date == dt.date(1983, 4, 13)
    assert any("differ" in w.message for w in result.warnings)


def test_result_of_recognition_is_kept_as_xml() -> None:
    ror = "<resultOfRecognition><status>Positive</status></resultOfRecognition>"
    report = (
        '<issuer><identifier type="schac">u.example</identifier><title>U</title><url>u</url></issuer>'
        f"{ror}<issueDate>2024-01-02T10:00:00Z</issueDate>"
    )
    result = read_elmo(doc(report=report))
    (raw,) = result.elmo.reports[0].result_of_recognition
    assert b"<status>Positive</status>" in raw and raw.startswith(b"<resultOfRecognition")
    assert result.version_hint == "2.x"


def test_datetime_without_time_zone_warns_with_line() -> None:
    data = doc().replace(b"2024-01-02T10:00:00+01:00", b"2024-01-02T10:00:00")
    result = read_elmo(data)
    (warning,) = result.warnings
    assert warning.line == 3 and "no time zone" in warning.message
    assert result.elmo.generated_date == dt.datetime(2024, 1, 2, 10)


def test_unparseable_values_are_dropped_with_warnings() -> None:
    loi = (
        "<start>yesterday</start><date>2024-02-30</date><engagementHours>many</engagementHours>"
        "<credit><scheme>ECTS</scheme><value>7,5</value></credit>"
    )
    result = read_elmo(doc(los=course(loi)))
    instance = result.elmo.reports[0].learning_opportunity_specifications[0].specifies
    assert instance is not None
    assert instance.start is None and instance.date is None and instance.engagement_hours is None
    assert instance.credits[0].value == Decimal("7.5")
    messages = " | ".join(w.message for w in result.warnings)
    assert "'yesterday'" in messages and "2024-02-30" in messages and "'many'" in messages
    assert "comma" in messages


def test_enumerations_case_folded_or_unknown() -> None:
    los = course("<status>Passed</status>", "<type>course</type>") + course(
        "<status>excellent</status>", "<type>Seminar</type>"
    )
    result = read_elmo(doc(los=los))
    first, second = result.elmo.reports[0].learning_opportunity_specifications
    assert first.type is m.LosType.COURSE and first.specifies and first.specifies.status is m.LoiStatus.PASSED
    assert second.type is None and second.specifies and second.specifies.status is None
    assert sum("unknown" in w.message for w in result.warnings) == 2
    assert sum("is spelled" in w.message for w in result.warnings) == 2


def test_credit_scheme_compared_case_insensitively() -> None:
    result = read_elmo(doc(los=course("<credit><scheme>ects</scheme><value>6</value></credit>")))
    assert result.elmo.total_ects() == 6


def test_out_of_order_elements_are_read_and_warned() -> None:
    issuer = '<issuer><identifier type="schac">u.example</identifier><title>U</title><url>u</url></issuer>'
    scheme = '<gradingScheme localId="A"><description>A-F</description></gradingScheme>'
    issued = "<issueDate>2024-01-02T10:00:00Z</issueDate>"
    # the mistake of a real Norwegian sample: gradingScheme before issueDate
    result = read_elmo(doc(report=issuer + scheme + issued))
    assert result.elmo.reports[0].grading_schemes[0].local_id == "A"
    assert result.elmo.reports[0].issue_date is not None
    assert [(w.kind, w.message) for w in result.warnings] == [
        ("order", "<issueDate> is out of order inside <report>")
    ]
    assert read_elmo(doc(report=issuer + issued + scheme)).warnings == []


def test_missing_required_elements_warn() -> None:
    report = '<issuer><identifier type="x">1</identifier></issuer>'
    result = read_elmo(doc(report=report))
    missing = sorted(w.message for w in result.warnings if w.kind == "missing")
    assert missing == [
        "<issuer> lacks the required <title>",
        "<issuer> lacks the required <url>",
        "<report> lacks the required <issueDate>",
    ]
    assert result.elmo.reports[0].issuer.url is None


def test_unknown_elements_warn_only_in_the_elmo_namespace() -> None:
    extra = '<futureThing>1</futureThing><x:other xmlns:x="urn:example">2</x:other>'
    result = read_elmo(doc(los=course("<status>passed</status>" + extra)))
    (warning,) = result.warnings
    assert warning.kind == "unknown" and "futureThing" in warning.message


def test_strict_turns_warnings_into_an_error_listing_them() -> None:
    data = doc(los=course("<status>excellent</status><futureThing/>"))
    with pytest.raises(ElmoValidationError) as info:
        read_elmo(data, strict=True)
    assert len(info.value.problems) == 2
    assert all(p.startswith("line 5: ") for p in info.value.problems)
    assert read_elmo(doc(), strict=True).warnings == []


def test_tokens_collapse_whitespace_and_strings_keep_it() -> None:
    los = (
        "<learningOpportunitySpecification><title>  Linear\n\t algebra </title>"
        "<description>Line one\n\nLine  two</description>"
        "<specifies><learningOpportunityInstance/></specifies></learningOpportunitySpecification>"
    )
    node = read_elmo(doc(los=los)).elmo.reports[0].learning_opportunity_specifications[0]
    assert node.titles[0].text == "Linear algebra"
    assert node.descriptions[0].text == "Line one\n\nLine  two"


def test_cdata_and_comments_inside_titles() -> None:
    los = course().replace(
        "<title>Algebra</title>", "<title>The &lt;b<![CDATA[r> in]]> <!-- x -->HTML</title>"
    )
    node = read_elmo(doc(los=los)).elmo.reports[0].learning_opportunity_specifications[0]
    assert node.titles[0].text == "The <br> in HTML"


def test_wrapped_base64_attachment_content_is_joined() -> None:
    extra = "<attachment><content>data:application/pdf;base64,JVBE\n  Ri0x\n</content></attachment>"
    elmo = read_elmo(doc(root_extra=extra)).elmo
    assert elmo.attachments[0].contents[0].text == "data:application/pdf;base64,JVBERi0x"
    assert elmo.attachments[0].payload() == ("application/pdf", b"%PDF-1")


def test_extension_kept_as_xml_independent_of_prefix() -> None:
    ext = '<extension><my:note xmlns:my="urn:example:my" my:a="1">hi <my:b/></my:note></extension>'
    plain = read_elmo(doc(root_extra=ext)).elmo.extension
    data = doc(
        root_extra=ext.replace("<extension>", "<x:extension>").replace("</extension>", "</x:extension>")
    )
    prefixed = read_elmo(data.replace(b"<elmo ", b'<elmo xmlns:x="' + NS.encode() + b'" ')).elmo.extension
    assert plain == prefixed == b'<my:note xmlns:my="urn:example:my" my:a="1">hi <my:b></my:b></my:note>'


def test_signature_is_noticed() -> None:
    sig = '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/></ds:Signature>'
    assert read_elmo(doc(root_extra=sig)).elmo.signed
    assert not read_elmo(doc()).elmo.signed


def test_line_numbers_of_model_objects_on_request() -> None:
    result = read_elmo(doc(los="\n" + course()), track_lines=True)
    los = result.elmo.reports[0].learning_opportunity_specifications[0]
    assert result.line_of(los) == 6
    assert read_elmo(doc(los=course())).lines == {}


def test_non_elmo_xml_is_refused_naming_root_and_namespace() -> None:
    with pytest.raises(
        ElmoParseError, match=r"root element is <html> in namespace http://www.w3.org/1999/xhtml"
    ):
        read_elmo(b'<html xmlns="http://www.w3.org/1999/xhtml"/>')
    with pytest.raises(ElmoParseError, match=r"<elmo> in no namespace"):
        read_elmo(b"<elmo/>")


def test_pre_1_0_namespace_is_refused() -> None:
    with pytest.raises(ElmoParseError, match=r"pre-1\.0"):
        read_elmo(b'<elmo xmlns="http://purl.org/net/elmo"><report/></elmo>')


def test_malformed_xml_names_the_line() -> None:
    with pytest.raises(ElmoParseError) as info:
        read_elmo(doc().replace(b"</learner>", b"</lerner>"))
    assert info.value.line == 4


def test_entity_expansion_attack_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE elmo [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        b'<elmo xmlns="' + NS.encode() + b'"><generatedDate>&b;</generatedDate></elmo>'
    )
    with pytest.raises(ElmoParseError, match="DOCTYPE"):
        read_elmo(bomb)


def test_external_entity_is_refused() -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE elmo [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<elmo xmlns="' + NS.encode() + b'"><learner><givenNames>&x;</givenNames></learner></elmo>'
    )
    with pytest.raises(ElmoParseError):
        read_elmo(xxe)


def test_size_limit() -> None:
    with pytest.raises(InputTooLarge):
        read_elmo(doc(), max_bytes=100)


def test_deeply_nested_learning_opportunities_fail_cleanly_or_read() -> None:
    def nested(depth: int) -> str:
        inner = course()
        for _ in range(depth):
            inner = course().replace("</specifies>", f"</specifies><hasPart>{inner}</hasPart>")
        return inner

    shallow = read_elmo(doc(los=nested(60))).elmo
    assert max(depth for _, depth, _ in shallow.iter_los()) == 60
    with pytest.raises(ElmoParseError, match="line"):
        read_elmo(doc(los=nested(5000)))  # libxml2 refuses excessive depth before Python recursion matters


def test_repeated_terms_and_credits_each_warn_and_keep_their_own_line() -> None:
    # the same term and credit markup in two courses (as in any real transcript), with bad values
    loi = (
        '<academicTerm><title xml:lang="en">Autumn 2024</title><start>2024-08-29</start>'
        "<end>2025-13-01</end></academicTerm><credit><scheme>ECTS</scheme><value>7,5</value></credit>"
    )
    result = read_elmo(doc(los="\n" + course(loi) + "\n" + course(loi)))
    by_line: dict[int | None, list[str]] = {}
    for w in result.warnings:
        by_line.setdefault(w.line, []).append(w.message)
    assert set(by_line) == {6, 7}
    assert by_line[6] == by_line[7] and any("not a valid date" in text for text in by_line[6])
    assert any("comma" in text for text in by_line[7])
    first, second = (los.specifies for los in result.elmo.reports[0].learning_opportunity_specifications)
    assert first is not None and second is not None
    assert first.academic_term == second.academic_term
    assert first.academic_term is not None and first.academic_term.end is None
    assert first.credits == second.credits == (m.Credit("ECTS", value=Decimal("7.5")),)


def test_line_numbers_of_repeated_terms() -> None:
    loi = '<academicTerm><title xml:lang="en">Autumn 2024</title><start>2024-08-29</start></academicTerm>'
    result = read_elmo(doc(los="\n" + course(loi) + "\n" + course(loi)), track_lines=True)
    terms = [
        los.specifies.academic_term for los in result.elmo.reports[0].learning_opportunity_specifications
    ]
    assert [result.line_of(term) for term in terms] == [6, 7]
