"""Whole OOTS exchanges between an evidence requester and our evidence provider, each message crossing
the loopback access point (WS plugin, ebMS header, AS4 multipart hop): every scenario of the issue."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.oots import (
    Document,
    EvidenceRefused,
    Identifier,
    Kind,
    PreviewError,
    QueryRequest,
    Received,
    State,
)
from emrex.oots.names import SEVERITY_PREVIEW, V1, V2
from emrex.oots.request import new_request_id
from emrex.trust import Signer, VerifyPolicy, verify
from emrex.trust.ca import Issued
from tests.oots.support import (
    CONFIG,
    PERSON,
    PREVIEW_BASE,
    PROVIDER,
    PROVIDER_AP,
    REQUESTER,
    REQUESTER_AP,
    START,
    TRANSCRIPT,
    Evidence,
    Loopback,
    loopback,
    make_request,
)

LEARNER = sample_elmo(1).learner


@pytest.fixture
def net() -> Iterator[Loopback]:
    yield from loopback()


def _preview(net: Loopback, request: QueryRequest) -> tuple[Received, str, str]:
    """The first request: preview required. (answer, PreviewLocation, its token)"""
    received = net.exchange(request)
    assert received.check.kind is Kind.ERROR and received.check.valid, received.check.violations
    assert received.code == "EDM:ERR:0002"
    location = received.preview_location
    assert location is not None and location.startswith(PREVIEW_BASE)
    token = CONFIG.token_of(location)
    assert token is not None
    return received, location, token


def _repeat(net: Loopback, request: QueryRequest, location: str) -> Received:
    again = dataclasses.replace(request, id=new_request_id(), issued=net.clock.now, preview_location=location)
    received = net.exchange(again)
    assert received.check.valid, received.check.violations
    assert received.header.conversation_id  # the answer travels in the conversation it belongs to
    return received


def _exception(received: Received) -> tuple[str | None, str | None]:
    exception = received.error.exception if received.error else None
    return (exception.code, exception.detail) if exception else (None, None)


def test_preview_then_evidence(net: Loopback, evidence: Evidence, oots_key: Issued) -> None:
    request = make_request()
    first, location, token = _preview(net, request)
    assert first.error is not None and first.error.exception is not None
    assert first.error.exception.severity == SEVERITY_PREVIEW[V2]
    assert first.error.exception.preview_description
    assert first.header.action == "ExceptionResponse"
    assert (first.header.from_party, first.header.to_party) == (PROVIDER_AP, REQUESTER_AP)

    session = net.provider.start_preview(token)
    assert (session.requester.identifier, session.person, session.state) == (
        REQUESTER.identifier,
        PERSON,
        State.PREVIEW,
    )
    assert session.evidence_type.identifier == TRANSCRIPT.identifier
    assert session.return_location == "https://admissions.lyon.example/oots/return"
    assert net.provider.bind_person(token, "emp-user-17", LEARNER).accepted
    net.clock.advance(minutes=3)
    net.provider.approve(token, "emp-user-17", elmo=evidence.elmo, pdf=evidence.pdf)

    answer = _repeat(net, request, location)
    assert answer.check.kind is Kind.RESPONSE and answer.response is not None
    assert answer.header.action == "ExecuteQueryResponse"
    assert answer.header.original_sender == PROVIDER.identifier
    assert answer.header.final_recipient == REQUESTER.identifier
    roles = [(d.role, d.formats) for d in answer.response.documents]
    assert roles == [("MainEvidence", ("application/xml",)), ("HumanReadableVersion", ("application/pdf",))]
    assert answer.response.documents[0].subject is not None
    assert answer.response.documents[0].subject.family_name == PERSON.family_name
    elmo = answer.document("application/xml")
    assert elmo == evidence.elmo and answer.document("application/pdf") == evidence.pdf
    verify(elmo, oots_key.certificate, VerifyPolicy(at=START))  # the ELMO arrives as the EMP signed it
    assert net.store.get(token) is not None and net.store.get(token).evidence == ()  # type: ignore[union-attr]


def test_a_repeat_while_the_person_is_still_in_the_preview_gets_the_same_location(net: Loopback) -> None:
    request = make_request()
    _, location, _ = _preview(net, request)
    again = _repeat(net, request, location)
    assert (again.code, again.preview_location) == ("EDM:ERR:0002", location)


def test_the_evidence_goes_out_once(net: Loopback, evidence: Evidence) -> None:
    request = make_request()
    _, location, token = _preview(net, request)
    net.provider.bind_person(token, "u", LEARNER)
    net.provider.approve(token, "u", elmo=evidence.elmo, pdf=evidence.pdf)
    assert _repeat(net, request, location).response is not None
    code, detail = _exception(_repeat(net, request, location))
    assert code == "EDM:ERR:0003" and detail and detail.startswith("EMREX-OOTS-010")


def test_cancel(net: Loopback) -> None:
    request = make_request()
    _, location, token = _preview(net, request)
    net.provider.bind_person(token, "u", LEARNER)
    assert net.provider.cancel(token, "u").state is State.DECLINED
    assert _exception(_repeat(net, request, location)) == (
        "EDM:ERR:0004",
        "the person did not agree to share the evidence",
    )
    with pytest.raises(PreviewError, match="finished"):
        net.provider.start_preview(token)


def test_data_provider_error(net: Loopback) -> None:
    request = make_request()
    _, location, token = _preview(net, request)
    net.provider.bind_person(token, "u", LEARNER)
    net.provider.fail(token, "the student information system did not answer (db-host-7 timeout)")
    code, detail = _exception(_repeat(net, request, location))
    assert (code, detail) == ("EDM:ERR:0004", "the data provider could not produce the evidence")


def test_no_results(net: Loopback) -> None:
    request = make_request()
    _, location, token = _preview(net, request)
    net.provider.bind_person(token, "u", LEARNER)
    net.provider.no_results(token, "u")
    assert _exception(_repeat(net, request, location)) == (
        "EDM:ERR:0004",
        "the data provider holds no results for this person",
    )


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(lambda e: e.elmo.replace(b"</elmo>", b""), id="cut-short"),
        pytest.param(lambda e: e.elmo.split(b"<ds:Signature")[0] + b"</elmo>", id="unsigned"),
        pytest.param(lambda e: b"<transcript>no ELMO</transcript>", id="not-elmo"),
    ],
)
def test_a_broken_document_from_the_data_provider(net: Loopback, evidence: Evidence, broken: object) -> None:
    request = make_request()
    _, location, token = _preview(net, request)
    net.provider.bind_person(token, "u", LEARNER)
    with pytest.raises(EvidenceRefused, match="ELMO"):
        net.provider.approve(token, "u", elmo=broken(evidence), pdf=evidence.pdf)  # type: ignore[operator]
    code, _ = _exception(_repeat(net, request, location))
    assert code == "EDM:ERR:0004"
    assert net.store.get(token).state is State.FAILED  # type: ignore[union-attr]


def test_a_pdf_that_is_not_one_is_refused(net: Loopback, evidence: Evidence) -> None:
    request = make_request()
    _, _, token = _preview(net, request)
    net.provider.bind_person(token, "u", LEARNER)
    with pytest.raises(EvidenceRefused, match="not a PDF"):
        net.provider.approve(token, "u", elmo=evidence.elmo, pdf=b"<html>transcript</html>")


def test_identity_mismatch(net: Loopback) -> None:
    request = make_request()
    _, location, token = _preview(net, request)
    someone_else = dataclasses.replace(LEARNER, given_names="Karl", family_name="Berg")
    matched = net.provider.bind_person(token, "karl", someone_else)
    assert not matched.accepted and "the name in the results differs from yours" in matched.reasons
    assert _exception(_repeat(net, request, location)) == (
        "EDM:ERR:0001",
        "the person who logged in at the data provider is not the person the request is about",
    )


def test_an_elmo_about_another_person_is_refused(net: Loopback, evidence: Evidence, signer: Signer) -> None:
    """The person matched at login, but the document the data provider hands over is someone else's."""
    request = make_request()
    _, _, token = _preview(net, request)
    net.provider.bind_person(token, "u", LEARNER)
    elmo = sample_elmo(3)
    elmo = dataclasses.replace(
        elmo, learner=dataclasses.replace(elmo.learner, given_names="Karl", family_name="Berg")
    )
    wrong = signer.sign(write_elmo(elmo), at=START)
    with pytest.raises(EvidenceRefused, match="another person"):
        net.provider.approve(token, "u", elmo=wrong, pdf=evidence.pdf)
    assert net.store.get(token).state is State.MISMATCH  # type: ignore[union-attr]


def test_no_answer_in_time(net: Loopback) -> None:
    request = make_request()
    _, location, token = _preview(net, request)
    net.clock.advance(minutes=31)
    with pytest.raises(PreviewError, match="expired"):
        net.provider.start_preview(token)
    assert _exception(_repeat(net, request, location)) == (
        "EDM:ERR:0005",
        "the person did not finish the preview in time",
    )


def test_agreed_evidence_not_collected_in_time_is_dropped(net: Loopback, evidence: Evidence) -> None:
    request = make_request()
    _, location, token = _preview(net, request)
    net.provider.bind_person(token, "u", LEARNER)
    net.provider.approve(token, "u", elmo=evidence.elmo, pdf=evidence.pdf)
    net.clock.advance(minutes=45)
    assert _exception(_repeat(net, request, location))[0] == "EDM:ERR:0005"
    assert net.store.get(token).evidence == ()  # type: ignore[union-attr]


def test_an_evidence_type_we_do_not_provide(net: Loopback) -> None:
    other = dataclasses.replace(
        TRANSCRIPT, identifier="0d1e2f30-4152-4637-8899-aabbccddeeff", formats=("application/xml",)
    )
    received = net.exchange(make_request(evidence_type=other))
    code, detail = _exception(received)
    assert code == "EDM:ERR:0006" and detail and detail.startswith("EMREX-OOTS-003")
    assert len(net.store) == 0


def test_a_format_we_do_not_provide(net: Loopback) -> None:
    asked = dataclasses.replace(TRANSCRIPT, formats=("application/json",))
    code, detail = _exception(net.exchange(make_request(evidence_type=asked)))
    assert code == "EDM:ERR:0007" and detail and "EMREX-OOTS-012" in detail


def test_a_request_for_another_provider(net: Loopback) -> None:
    elsewhere = dataclasses.replace(
        PROVIDER, identifier=Identifier("DE73524311", "urn:cef.eu:names:identifier:EAS:9930")
    )
    received = net.exchange(make_request(provider=elsewhere))
    code, detail = _exception(received)
    assert code == "EDM:ERR:0003" and detail and detail.startswith("EMREX-OOTS-002")
    assert received.error is not None and received.error.request_id is not None
    assert len(net.store) == 0


def test_a_requester_without_preview_is_told_it_is_needed(net: Loopback) -> None:
    code, detail = _exception(net.exchange(make_request(possibility_for_preview=False)))
    assert code == "EDM:ERR:0007" and detail and detail.startswith("EMREX-OOTS-004")


def test_the_pdf_as_main_evidence_when_a_pdf_is_asked_for(net: Loopback, evidence: Evidence) -> None:
    request = make_request(evidence_type=dataclasses.replace(TRANSCRIPT, formats=("application/pdf",)))
    _, location, token = _preview(net, request)
    net.provider.bind_person(token, "u", LEARNER)
    credential = Document(
        b'{"type": ["VerifiableCredential"]}', "application/ld+json", "European Learning Model credential"
    )
    net.provider.approve(token, "u", elmo=evidence.elmo, pdf=evidence.pdf, extra=[credential])
    answer = _repeat(net, request, location)
    assert answer.response is not None
    assert [(d.role, d.formats) for d in answer.response.documents] == [
        ("MainEvidence", ("application/pdf",)),
        ("Annex", ("application/xml",)),
        ("Annex", ("application/ld+json",)),
    ]
    assert answer.document("application/ld+json") == credential.content


def test_an_edm_1_0_requester(net: Loopback, evidence: Evidence) -> None:
    request = make_request(
        specification=V1,
        procedure="T2",
        return_location=None,
        person=dataclasses.replace(PERSON, identifier="SE/FR/199903142"),
        evidence_type=dataclasses.replace(
            TRANSCRIPT,
            formats=("application/xml",),
            classification="https://sr.oots.tech.europa.eu/evidencetypeclassifications/el/0b2e6a52-4c9e-4e0f-8a0e-4e1d2c3b4a59",
        ),
    )
    first, location, token = _preview(net, request)
    assert first.check.version == V1 and first.error and first.error.exception
    assert first.error.exception.severity == SEVERITY_PREVIEW[V1]
    net.provider.bind_person(token, "u", LEARNER)
    net.provider.approve(token, "u", elmo=evidence.elmo, pdf=evidence.pdf)
    answer = _repeat(net, request, location)
    assert answer.check.version == V1 and answer.response is not None
    assert [d.role for d in answer.response.documents] == ["MainEvidence"]
    assert answer.document("application/xml") == evidence.elmo
