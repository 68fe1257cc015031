"""Each EDM rule we check by hand, shown broken in an otherwise valid message and named by its id."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from emrex.oots import EdmUnreadable, Kind, build_request, check_message, read_request
from emrex.oots.names import V1
from tests.oots.support import make_request

pytestmark = pytest.mark.usefixtures("oots_dir")


def _rules(data: bytes) -> set[str]:
    return {v.rule for v in check_message(data).errors}


def _slot(name: str) -> str:
    return rf'\s*<rim:Slot name="{name}">.*?</rim:Slot>'


REQUEST_BREAKS = {
    "R-EDM-REQ-S001": (r"query:QueryRequest\b", "query:QueryRequests"),
    "R-EDM-REQ-S002": (r'xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0"', 'xmlns:query="urn:x"'),
    "R-EDM-REQ-S004": (r'id="urn:uuid:[^"]*"', 'id="request-1"'),
    "R-EDM-REQ-S005": (_slot("SpecificationIdentifier"), ""),
    "R-EDM-REQ-S006": (_slot("IssueDateTime"), ""),
    "R-EDM-REQ-S007": (_slot("Procedure"), ""),
    "R-EDM-REQ-S009": (_slot("PossibilityForPreview"), ""),
    "R-EDM-REQ-S010": (_slot("ExplicitRequestGiven"), ""),
    "R-EDM-REQ-S012": (_slot("EvidenceRequester"), ""),
    "R-EDM-REQ-S013": (_slot("EvidenceProvider"), ""),
    "R-EDM-REQ-S015": (_slot("EvidenceRequest"), ""),
    "R-EDM-REQ-S016": (_slot("NaturalPerson"), ""),
    "R-EDM-REQ-S019": (r'<rim:Slot name="Procedure">', '<rim:Slot name="Favourite">'),
    "R-EDM-REQ-S020": (r'"rim:StringValueType">\s*<rim:Value>oots', '"rim:AnyValueType"><rim:Value>oots'),
    "R-EDM-REQ-S024": (
        r'"rim:BooleanValueType">\s*<rim:Value>false',
        '"rim:StringValueType"><rim:Value>false',
    ),
    "R-EDM-REQ-S044": (r"sdg:DataServiceEvidenceType\b", "sdg:EvidenceType"),
    "R-EDM-REQ-S045": (r"<sdg:DistributedAs>", "<sdg:Note>x</sdg:Note><sdg:DistributedAs>"),
    "R-EDM-REQ-S046": (r"sdg:Person>", "sdg:Human>"),
    "R-EDM-REQ-S050": (
        r'(<rim:Slot name="Procedure">)',
        r'\1<rim:SlotValue xsi:type="rim:StringValueType"/>',
    ),
    "R-EDM-REQ-C001": (r"<rim:Value>oots-edm:v2.0", "<rim:Value>oots-edm:v3.0"),
    "R-EDM-REQ-C002": (r"2026-08-06T10:00:00.000Z", "yesterday"),
    "R-EDM-REQ-C003": (r"<rim:Value>T3</rim:Value>", "<rim:Value>Q9</rim:Value>"),
    "R-EDM-REQ-C010": (r'schemeID="urn:cef.eu:names:identifier:EAS:0009"', ""),
    "R-EDM-REQ-C024": (r'returnType="LeafClassWithRepositoryItem"', 'returnType="ObjectRef"'),
    "R-EDM-REQ-C025": (r'queryDefinition="DocumentQuery"', 'queryDefinition="AnyQuery"'),
    "R-EDM-REQ-C026": (r"41170824-15d9-4c16-984e-63b75b937b8c", "birth-certificate"),
    "R-EDM-REQ-C027": (r"evidencetypeclassifications/DE/", "evidencetypeclassifications/XX/"),
    "R-EDM-REQ-C029": (r'<sdg:Title lang="EN">', "<sdg:Title>"),
    "R-EDM-REQ-C036": (r"<sdg:LevelOfAssurance>High</sdg:LevelOfAssurance>", ""),
    "R-EDM-REQ-C037": (r">High<", ">Very high<"),
    "R-EDM-REQ-C040": (r"FR/DE/123123123", "FR-123123123"),
    "R-EDM-REQ-C041": (r'<sdg:Identifier schemeID="eidas">', "<sdg:Identifier>"),
    "R-EDM-REQ-C042": (r'schemeID="eidas"', 'schemeID="national"'),
}


RENAMED = {"R-EDM-REQ-S001", "R-EDM-REQ-S044", "R-EDM-REQ-S046"}  # start and end tags both


@pytest.mark.parametrize("rule", sorted(REQUEST_BREAKS))
def test_a_broken_request_names_the_rule(oots_dir: Path, rule: str) -> None:
    broken = _broken(oots_dir / "requete.xml", rule, REQUEST_BREAKS, count=0 if rule in RENAMED else 1)
    reading = read_request(broken)
    assert rule in {v.rule for v in reading.check.errors}


def test_a_should_rule_is_a_warning_not_an_error(oots_dir: Path) -> None:
    original = (oots_dir / "requete.xml").read_text(encoding="utf-8")
    broken = re.sub(_slot("Requirements"), "", original, count=1, flags=re.DOTALL).encode()
    result = check_message(broken)
    assert result.valid
    assert [(v.rule, v.warning) for v in result.violations] == [("R-EDM-REQ-S011", True)]


def test_violations_say_where_they_are() -> None:
    data = build_request(make_request(procedure="Q9"))
    (violation,) = check_message(data).violations
    assert violation.rule == "R-EDM-REQ-C003" and violation.line is not None
    assert "'Q9'" in str(violation)


def test_an_edm_1_0_request_is_checked_against_its_own_line() -> None:
    old = make_request(
        specification=V1, person=dataclasses.replace(make_request().person, identifier="SE/FR/199903142")
    )
    old = dataclasses.replace(
        old,
        evidence_type=dataclasses.replace(
            old.evidence_type,  # type: ignore[arg-type]
            classification="https://sr.oots.tech.europa.eu/evidencetypeclassifications/el/0b2e6a52-4c9e-4e0f-8a0e-4e1d2c3b4a59",
        ),
        procedure="T2",
        return_location=None,
    )
    data = build_request(old)
    assert b"InternationalStringValueType" in data and b"ReturnLocation" not in data
    result = check_message(data)
    assert (result.kind, result.version, result.violations) == (Kind.REQUEST, V1, ())
    # The 2.0 procedure "00" and ReturnLocation do not exist in 1.0.
    assert "R-EDM-REQ-C003" in _rules(build_request(dataclasses.replace(old, procedure="00")))
    assert "R-EDM-REQ-C003" not in _rules(build_request(make_request(procedure="00")))


def test_our_requests_break_no_rule() -> None:
    assert check_message(build_request(make_request())).violations == ()


RESPONSE_BREAKS = {
    "R-EDM-RESP-S003": (r' requestId="[^"]*"', ""),
    "R-EDM-RESP-S004": (r'requestId="urn:uuid:', 'requestId="'),
    "R-EDM-RESP-S006": (r"ResponseStatusType:Success", "ResponseStatusType:Partial"),
    "R-EDM-RESP-S010": (_slot("EvidenceResponseIdentifier"), ""),
    "R-EDM-RESP-S011": (_slot("IssueDateTime"), ""),
    "R-EDM-RESP-S013": (_slot("EvidenceRequester"), ""),
    "R-EDM-RESP-S016": (r"(<rim:RegistryObjectList>)", r'<rim:Slot name="Extra"/>\1'),
    "R-EDM-RESP-S033": (r"<rim:RepositoryItemRef[^>]*/>", ""),
    "R-EDM-RESP-S035": (r' xlink:title="Evidence"', ""),
    "R-EDM-RESP-S037": (r'id="urn:uuid:1a2b3c4d-0000-4000-8000-000000000017"', 'id="document-17"'),
    "R-EDM-RESP-S041": (r"<sdg:FamilyName>Dupont", "<sdg:Nickname>JD</sdg:Nickname><sdg:FamilyName>Dupont"),
    "R-EDM-RESP-S047": (r'classificationNode="MainEvidence"', 'classificationNode="Annex"'),
    "R-EDM-RESP-S049": (r'classificationNode="MainEvidence"', 'classificationNode="Photo"'),
    "R-EDM-RESP-S062": (r"<sdg:IssuingDate>1970-03-03</sdg:IssuingDate>", ""),
    "R-EDM-RESP-S066": (r'xsi:type="rim:RegistryPackageType"', 'xsi:type="rim:ExtrinsicObjectType"'),
    "R-EDM-RESP-C002": (r"<rim:Value>oots-edm:v2.0", "<rim:Value>oots-edm:v2.1"),
    "R-EDM-RESP-C003": (
        r"<rim:Value>1a2b3c4d-0000-4000-8000-000000000004",
        "<rim:Value>urn:uuid:1a2b3c4d-0000-4000-8000-000000000004",
    ),
    "R-EDM-RESP-C004": (r"2026-08-06T10:00:00.000Z", "soon"),
    "R-EDM-RESP-C046": (r">EP<", ">IP<"),
}


def _broken(path: Path, rule: str, breaks: dict[str, tuple[str, str]], count: int = 1) -> bytes:
    """The reference message with the one change that breaks ``rule``."""
    pattern, replacement = breaks[rule]
    broken, done = re.subn(
        pattern, replacement, path.read_text(encoding="utf-8"), count=count, flags=re.DOTALL
    )
    assert done >= 1, f"the mutation for {rule} did not apply"
    return broken.encode()


@pytest.mark.parametrize("rule", sorted(RESPONSE_BREAKS))
def test_a_broken_evidence_response_names_the_rule(oots_dir: Path, rule: str) -> None:
    assert rule in _rules(_broken(oots_dir / "reponse.xml", rule, RESPONSE_BREAKS))


ERROR_BREAKS = {
    "R-EDM-ERR-C001": (r"<rim:Value>oots-edm:v2.0", "<rim:Value>oots-edm:v9"),
    "R-EDM-ERR-C002": (r"<rim:Value>1a2b3c4d-0000-4000-8000-000000000007", "<rim:Value>seven"),
    "R-EDM-ERR-C007": (r"<sdg:Classification>ERRP</sdg:Classification>", ""),
    "R-EDM-ERR-C008": (r">ERRP<", ">ER<"),
    "R-EDM-ERR-C011": (r"<rs:Exception .*</rs:Exception>", ""),
    "R-EDM-ERR-C013": (r"rs:ObjectNotFoundExceptionType", "rs:OopsExceptionType"),
    "R-EDM-ERR-C014": (r"ErrorSeverityType:Error", "ErrorSeverityType:Mild"),
    "R-EDM-ERR-C016": (r'message="Object not found"', ""),
    "R-EDM-ERR-C017": (r'code="EDM:ERR:0004"', 'code="EDM:ERR:0099"'),
    "R-EDM-ERR-C018": (r"<rim:Value>2026-08-06T10:00:00.000Z", "<rim:Value>now"),
    "R-EDM-ERR-C019": (
        r"(</rs:Exception>)",
        r'<rim:Slot name="PreviewLocation"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>http://x.example/p</rim:Value></rim:SlotValue></rim:Slot>\1',
    ),
    "R-EDM-ERR-C022": (
        r"(</rs:Exception>)",
        r'<rim:Slot name="PreviewLocation"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>https://x.example/p</rim:Value></rim:SlotValue></rim:Slot>\1',
    ),
    "R-EDM-ERR-C025": (r' requestId="[^"]*"', ""),
    "R-EDM-ERR-C026": (r' code="EDM:ERR:0004"', ""),
}


@pytest.mark.parametrize("rule", sorted(ERROR_BREAKS))
def test_a_broken_error_response_names_the_rule(oots_dir: Path, rule: str) -> None:
    assert rule in _rules(_broken(oots_dir / "erreur.xml", rule, ERROR_BREAKS))


def test_an_invalid_request_error_may_leave_out_the_request_id(oots_dir: Path) -> None:
    original = (oots_dir / "erreur.xml").read_text(encoding="utf-8")
    invalid = (
        re.sub(r' requestId="[^"]*"', "", original)
        .replace("rs:ObjectNotFoundExceptionType", "rs:InvalidRequestExceptionType")
        .replace("EDM:ERR:0004", "EDM:ERR:0003")
        .replace('"Object not found"', '"Syntactically or semantically invalid request"')
    )
    assert check_message(invalid.encode()).violations == ()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"<a><b></a>", "not well-formed"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "x">]><x>&e;</x>', "DOCTYPE"),
        (b"<html><body>hello</body></html>", "root element is html"),
        (b"<x>" + b"a" * (1024 * 1024) + b"</x>", "larger than the limit"),
    ],
)
def test_what_is_no_edm_message_is_unreadable(data: bytes, words: str) -> None:
    with pytest.raises(EdmUnreadable, match=words):
        check_message(data)
