"""The ebMS header, the AS4 multipart message, the WS-plugin envelopes and the loopback access point."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from emrex.oots import (
    AccessPointError,
    EbmsError,
    Identifier,
    MimeLimits,
    Network,
    Part,
    PartInfo,
    Party,
    UserMessage,
    WsClient,
    build_as4,
    parse_as4,
    read_messaging,
    reply,
)
from emrex.oots.access_point import SIMULATED_HEADER, HttpWsPlugin, create_access_point
from emrex.oots.domibus import build_fault, build_submit, read_envelope, read_submit
from emrex.oots.ebms import build_messaging
from emrex.oots.names import REGREP_MIME

WHEN = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
HEADER = UserMessage(
    message_id="m-1@oots.eu",
    timestamp=WHEN,
    from_party=Party("AP_FR_01"),
    to_party=Party("AP_EL_01"),
    action="ExecuteQueryRequest",
    conversation_id="c-1",
    original_sender=Identifier("00000000000002", "urn:cef.eu:names:identifier:EAS:0009"),
    final_recipient=Identifier("EL-NORDVIK-DP", "urn:oasis:names:tc:ebcore:partyid-type:unregistered:EL"),
    parts=(PartInfo("cid:body@fr", REGREP_MIME), PartInfo("cid:pdf@fr", "application/pdf")),
    exchange_id="x-1",
)
PARTS = [
    Part("body@fr", REGREP_MIME, b"<query:QueryRequest/>"),
    Part("pdf@fr", "application/pdf", b"%PDF-\x00\xff\r\n--"),
]


def test_a_reply_swaps_the_parties_and_keeps_the_conversation() -> None:
    answer = reply(
        HEADER, action="ExceptionResponse", parts=HEADER.parts[:1], at=WHEN, message_id="m-2@oots.eu"
    )
    assert (answer.from_party, answer.to_party) == (HEADER.to_party, HEADER.from_party)
    assert (answer.original_sender, answer.final_recipient) == (
        HEADER.final_recipient,
        HEADER.original_sender,
    )
    assert (answer.conversation_id, answer.ref_to_message_id) == ("c-1", "m-1@oots.eu")
    assert read_messaging(build_messaging(answer)) == answer


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda h: dataclasses.replace(h, action="Gossip"), "Action 'Gossip'"),
        (lambda h: dataclasses.replace(h, specification="oots-edm:v9"), "R-EDM-ebMS-038"),
        (lambda h: dataclasses.replace(h, parts=(PartInfo("http://x/body", REGREP_MIME),)), 'href="cid:'),
        (lambda h: dataclasses.replace(h, parts=()), 'href="cid:'),
    ],
)
def test_a_header_outside_the_profile_is_refused(change: object, words: str) -> None:
    with pytest.raises(EbmsError, match=words):
        read_messaging(build_messaging(change(HEADER)))  # type: ignore[operator]


def test_a_header_without_its_specification_is_refused() -> None:
    element = build_messaging(HEADER)
    for prop in element.iter("{*}Property"):
        if prop.get("name") == "SpecificationId":
            prop.getparent().remove(prop)  # type: ignore[union-attr]
    with pytest.raises(EbmsError, match="R-EDM-ebMS-019"):
        read_messaging(element)


def test_the_as4_message_carries_binary_parts_unchanged() -> None:
    content_type, body = build_as4(HEADER, PARTS)
    assert content_type.startswith('multipart/related; type="application/soap+xml"; boundary="')
    assert b"Content-ID: <pdf@fr>" in body
    header, parts = parse_as4(content_type, body)
    assert header == HEADER and parts == PARTS


@pytest.mark.parametrize(
    ("mangle", "words"),
    [
        (lambda t, b: (t, b[: len(b) // 2]), "cut short"),
        (lambda t, b: ("text/plain", b), "multipart/related"),
        (lambda t, b: (t, b.replace(b"Content-ID: <pdf@fr>", b"Content-ID: <other@fr>")), "cid:pdf@fr"),
        (lambda t, b: (t, b.replace(b"Content-ID: <pdf@fr>", b"X: y")), "no Content-ID"),
        (
            lambda t, b: (
                t,
                b.replace(
                    b"Content-Transfer-Encoding: binary\r\nContent-ID: <pdf",
                    b"Content-Transfer-Encoding: base64\r\nContent-ID: <pdf",
                ),
            ),
            "not base64",
        ),
    ],
)
def test_a_malformed_as4_message_is_refused(mangle: object, words: str) -> None:
    with pytest.raises(EbmsError, match=words):
        parse_as4(*mangle(*build_as4(HEADER, PARTS)))  # type: ignore[operator]


def test_as4_limits_are_checked_before_parsing() -> None:
    content_type, body = build_as4(HEADER, PARTS)
    with pytest.raises(EbmsError, match="larger than the limit"):
        parse_as4(content_type, body, MimeLimits(max_bytes=len(body) - 1))
    with pytest.raises(EbmsError, match="larger than the limit"):
        parse_as4(content_type, body, MimeLimits(max_part_bytes=5))
    many = [Part(f"p{i}@fr", "text/plain", b"x") for i in range(20)]
    header = dataclasses.replace(HEADER, parts=tuple(PartInfo(f"cid:{p.cid}", p.content_type) for p in many))
    with pytest.raises(EbmsError, match="more than 16 payloads"):
        parse_as4(*build_as4(header, many))


def test_the_submission_envelope_round_trips() -> None:
    header, parts = read_submit(build_submit(HEADER, PARTS))
    assert header == HEADER and parts == PARTS


def test_a_submission_naming_a_payload_it_does_not_carry_is_refused() -> None:
    with pytest.raises(EbmsError, match="does not carry"):
        read_submit(build_submit(HEADER, PARTS[:1]))
    stray = [*PARTS, Part("stray@fr", "text/plain", b"x")]
    with pytest.raises(EbmsError, match="not named in the ebMS header"):
        read_submit(build_submit(HEADER, stray))


def test_a_fault_reads_as_a_refusal() -> None:
    with pytest.raises(AccessPointError, match="the access point refused: no such party"):
        read_envelope(build_fault("no such party"))


@pytest.fixture
def access_point() -> Iterator[TestClient]:
    with TestClient(create_access_point(Network(["AP_FR_01", "AP_EL_01"]))) as client:
        yield client


def test_the_access_point_says_it_is_a_simulation(access_point: TestClient) -> None:
    page = access_point.get("/")
    assert page.status_code == 200 and "simulation" in page.text and "Common Services" in page.text
    assert "AP_FR_01, AP_EL_01" in page.text
    assert "simulated" in page.headers[SIMULATED_HEADER]


def test_a_message_waits_until_retrieved_once(access_point: TestClient) -> None:
    sender = WsClient(HttpWsPlugin("/AP_FR_01/wsplugin", access_point))
    receiver = WsClient(HttpWsPlugin("/AP_EL_01/wsplugin", access_point))
    assert sender.submit(HEADER, PARTS) == "m-1@oots.eu"
    assert sender.pending() == [] and receiver.pending("other-conversation") == []
    assert receiver.pending() == ["m-1@oots.eu"]
    header, parts = receiver.retrieve("m-1@oots.eu")
    assert (header, parts) == (HEADER, PARTS)
    with pytest.raises(AccessPointError, match="no message with this MessageId"):
        receiver.retrieve("m-1@oots.eu")


def test_a_backend_sends_only_as_its_own_access_point(access_point: TestClient) -> None:
    impostor = WsClient(HttpWsPlugin("/AP_EL_01/wsplugin", access_point))
    with pytest.raises(AccessPointError, match="cannot send as AP_FR_01"):
        impostor.submit(HEADER, PARTS)
    nowhere = WsClient(HttpWsPlugin("/AP_FR_01/wsplugin", access_point))
    with pytest.raises(AccessPointError, match="no access point 'AP_XX_09'"):
        nowhere.submit(dataclasses.replace(HEADER, to_party=Party("AP_XX_09")), PARTS)
    response = access_point.post("/AP_ZZ/wsplugin", content=build_submit(HEADER, PARTS))
    assert response.status_code == 404 and b"Fault" in response.content


def test_a_garbage_call_gets_a_soap_fault(access_point: TestClient) -> None:
    response = access_point.post("/AP_FR_01/wsplugin", content=b"<not-soap/>")
    assert response.status_code == 400
    assert etree.fromstring(response.content).tag == "{http://www.w3.org/2003/05/soap-envelope}Envelope"
    assert b"not a SOAP 1.2 envelope" in response.content


def test_the_provider_backend_drops_what_it_cannot_answer_and_answers_the_rest(
    access_point: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    from emrex.oots import ProviderBackend, build_request
    from tests.oots.support import make_provider, make_request

    sender = WsClient(HttpWsPlugin("/AP_FR_01/wsplugin", access_point))
    no_body = dataclasses.replace(
        HEADER, message_id="m-0@oots.eu", parts=(PartInfo("cid:pdf@fr", "application/pdf"),)
    )
    sender.submit(no_body, [PARTS[1]])
    request = build_request(make_request())
    sender.submit(HEADER, [Part("body@fr", REGREP_MIME, request), PARTS[1]])
    provider, _ = make_provider()
    backend = ProviderBackend(provider, WsClient(HttpWsPlugin("/AP_EL_01/wsplugin", access_point)))
    assert backend.poll() == 1
    assert "OOTS message dropped: the message carries no application/x-ebrs+xml part" in caplog.text
    assert len(sender.pending()) == 1  # the answer to the second one waits for the requester
