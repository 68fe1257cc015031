"""Hostile input to the OOTS evidence provider and the loopback access point: every refusal is an EDM
error response or a SOAP Fault saying what was wrong, nothing is started or queued, nothing leaks."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from emrex.elmo.sample import sample_elmo
from emrex.oots import (
    AccessPointError,
    EbmsError,
    EvidenceProvider,
    EvidenceRefused,
    MemoryExchangeStore,
    Network,
    Part,
    PartInfo,
    PreviewError,
    State,
    WsClient,
    build_as4,
    build_request,
    check_message,
    parse_as4,
    read_error,
)
from emrex.oots.access_point import HttpWsPlugin, create_access_point
from emrex.oots.domibus import build_submit
from emrex.oots.request import new_request_id
from tests.hostile.cases import exercised
from tests.hostile.checks import MARKER, logs_clean, one_line, watch_logs
from tests.oots.conftest import evidence, oots_key, signer
from tests.oots.support import PREVIEW_BASE, Evidence, make_provider, make_request
from tests.oots.test_transport import HEADER, PARTS

__all__ = ["evidence", "oots_key", "signer", "watch_logs"]
LEARNER = sample_elmo(1).learner


def _refusal(provider: EvidenceProvider, store: MemoryExchangeStore, body: bytes) -> str:
    """The detail of the EDM:ERR:0003 the provider answers; asserts the answer is valid EDM."""
    answer = provider.answer(body)
    assert check_message(answer.body).valid, check_message(answer.body).violations
    exception = read_error(answer.body).exception
    assert exception is not None and exception.code == "EDM:ERR:0003"
    assert len(store) == 0
    one_line(exception.detail or "")
    return exception.detail or ""


def _request_with(prolog: str, procedure: str = "T2") -> bytes:
    body = build_request(make_request(procedure=procedure)).decode()
    return body.replace(
        "<?xml version='1.0' encoding='UTF-8'?>", "<?xml version='1.0' encoding='UTF-8'?>" + prolog
    )


XML_ATTACKS = {
    "oots-xxe": (
        lambda: _request_with('<!DOCTYPE q [<!ENTITY x SYSTEM "file:///etc/passwd">]>').replace(
            ">T2<", ">&x;<"
        ),
        "DOCTYPE",
    ),
    "oots-entity-expansion": (
        lambda: _request_with(
            '<!DOCTYPE q [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        ).replace(">T2<", ">&c;<"),
        "DOCTYPE",
    ),
    "oots-deep-nesting": (
        lambda: (
            build_request(make_request())
            .decode()
            .replace("<sdg:GivenName>", "<sdg:GivenName>" + "<x>" * 10_000 + "</x>" * 10_000)
        ),
        "nested deeper than 256 levels",
    ),
    "oots-oversized-request": (
        lambda: (
            build_request(make_request())
            .decode()
            .replace("<sdg:GivenName>", "<sdg:GivenName>" + "a" * 2_000_000)
        ),
        "larger than the limit",
    ),
}
exercised(*XML_ATTACKS)


@pytest.mark.parametrize("case", sorted(XML_ATTACKS))
def test_hostile_xml_in_a_request_gets_an_invalid_request_error(
    case: str, watch_logs: pytest.LogCaptureFixture
) -> None:
    provider, store = make_provider()
    make, words = XML_ATTACKS[case]
    detail = _refusal(provider, store, make().encode())
    assert words in detail and "root:" not in detail
    logs_clean(watch_logs)


exercised("oots-no-explicit-request", "oots-unknown-procedure", "oots-markup-in-request")


def test_a_request_without_the_explicit_request_given() -> None:
    provider, store = make_provider()
    detail = _refusal(provider, store, build_request(make_request(explicit_request_given=False)))
    assert detail.startswith("EMREX-OOTS-001")


def test_an_unknown_procedure() -> None:
    provider, store = make_provider()
    detail = _refusal(provider, store, build_request(make_request(procedure="ZZ9")))
    assert detail == "R-EDM-REQ-C003: the Procedure 'ZZ9' is not a code of the Procedures list"


def test_markup_in_a_request_is_escaped_and_not_logged(watch_logs: pytest.LogCaptureFixture) -> None:
    provider, store = make_provider()
    person = dataclasses.replace(make_request().person, given_name=f"<script>alert(1)</script>{MARKER}")  # type: ignore[type-var]
    body = build_request(make_request(procedure="<b>x</b>", person=person))
    answer = provider.answer(body)
    assert b"<script>" not in answer.body and b"<b>" not in answer.body
    assert b"&lt;b&gt;x&lt;/b&gt;" in answer.body
    assert len(store) == 0
    logs_clean(watch_logs)


exercised("oots-forged-preview-location")


def test_forged_preview_locations(evidence: Evidence) -> None:
    provider, store = make_provider()
    victim = make_request()
    answer = provider.answer(build_request(victim))
    assert answer.token is not None and answer.preview_location is not None
    provider.bind_person(answer.token, "victim", LEARNER)
    provider.approve(answer.token, "victim", elmo=evidence.elmo, pdf=evidence.pdf)
    before = store.get(answer.token)
    attacker = dataclasses.replace(make_request().person, given_name="Mallory", family_name="Evil")  # type: ignore[type-var]
    forged = {
        "https://evil.example/oots/preview/" + answer.token: "EMREX-OOTS-008",
        PREVIEW_BASE + "Z" * 43: "EMREX-OOTS-008",
        PREVIEW_BASE + answer.token + "?x=1": "EMREX-OOTS-008",
        answer.preview_location: "EMREX-OOTS-009",  # the victim's location in the attacker's request
    }
    for location, rule in forged.items():
        request = make_request(id=new_request_id(), preview_location=location, person=attacker)
        reply = provider.answer(build_request(request))
        assert reply.error is not None and reply.error.code == "EDM:ERR:0003", location
        assert reply.attachments == () and reply.detail is not None and reply.detail.startswith(rule)
    assert store.get(answer.token) == before


exercised("oots-preview-other-person")


def test_a_preview_session_used_by_another_person(evidence: Evidence) -> None:
    provider, store = make_provider()
    answer = provider.answer(build_request(make_request()))
    token = answer.token
    assert token is not None
    provider.bind_person(token, "owner", LEARNER)
    before = store.get(token)
    for act in (
        lambda: provider.bind_person(token, "intruder", LEARNER),
        lambda: provider.approve(token, "intruder", elmo=evidence.elmo, pdf=evidence.pdf),
        lambda: provider.cancel(token, "intruder"),
        lambda: provider.cancel(token, None),
        lambda: provider.no_results(token, "intruder"),
    ):
        with pytest.raises(PreviewError) as raised:
            act()
        assert str(raised.value) == "this preview belongs to another person"
    assert store.get(token) == before


exercised("oots-oversized-evidence")


def test_oversized_evidence_from_the_data_provider(evidence: Evidence) -> None:
    provider, store = make_provider()
    answer = provider.answer(build_request(make_request()))
    assert answer.token is not None
    provider.bind_person(answer.token, "u", LEARNER)
    with pytest.raises(EvidenceRefused, match="larger than the limit"):
        provider.approve(answer.token, "u", elmo=evidence.elmo, pdf=b"%PDF-" + b"x" * 6_000_000 + b"%%EOF")
    exchange = store.get(answer.token)
    assert exchange is not None and exchange.state is State.FAILED and exchange.evidence == ()


@pytest.fixture
def access_point() -> Iterator[tuple[TestClient, Network]]:
    network = Network(["AP_FR_01", "AP_EL_01"])
    with TestClient(create_access_point(network)) as client:
        yield client, network


exercised("oots-dtd-in-submission", "oots-oversized-submission", "oots-oversized-attachment")


def test_a_submission_with_a_dtd(access_point: tuple[TestClient, Network]) -> None:
    client, _ = access_point
    body = build_submit(HEADER, PARTS).replace(
        b"?>", b'?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1
    )
    response = client.post("/AP_FR_01/wsplugin", content=body)
    assert response.status_code == 400 and b"DOCTYPE" in response.content and b"root:" not in response.content
    assert WsClient(HttpWsPlugin("/AP_EL_01/wsplugin", client)).pending() == []


def test_an_oversized_submission(access_point: tuple[TestClient, Network]) -> None:
    client, _ = access_point
    response = client.post("/AP_FR_01/wsplugin", content=b"<" + b"x" * 40_000_000)
    assert response.status_code == 413 and b"larger than" in response.content
    assert WsClient(HttpWsPlugin("/AP_EL_01/wsplugin", client)).pending() == []


def test_an_oversized_attachment(access_point: tuple[TestClient, Network]) -> None:
    client, _ = access_point
    big = [PARTS[0], Part("pdf@fr", "application/pdf", b"%PDF-" + b"x" * 9_000_000)]
    with pytest.raises(AccessPointError) as raised:
        WsClient(HttpWsPlugin("/AP_FR_01/wsplugin", client)).submit(HEADER, big)
    assert str(raised.value) == (
        "the access point refused: the payload cid:pdf@fr is larger than the limit of 5242880 bytes"
    )
    assert WsClient(HttpWsPlugin("/AP_EL_01/wsplugin", client)).pending() == []


exercised("oots-too-many-parts")


def test_an_as4_message_with_too_many_parts() -> None:
    many = [Part(f"p{i}@x", "text/plain", b"x") for i in range(100)]
    header = dataclasses.replace(HEADER, parts=tuple(PartInfo(f"cid:{p.cid}", p.content_type) for p in many))
    with pytest.raises(EbmsError, match="more than 16 payloads"):
        parse_as4(*build_as4(header, many))
