"""The mounted routes: GET and POST, EWP error responses with the spec's statuses and headers,
signed answers (errors too), and limits enforced before any signature work."""

from __future__ import annotations

import uuid

import pytest
from lxml import etree

from emrex.ewp.namespaces import COMMON_NS, ECHO_NS, TORS_GET_NS
from emrex.ewp.schema import COMMON_TYPES
from tests.ewp.conftest import Validator
from tests.ewp.http import call
from tests.ewp.network import FJORDBY, LINDHOLM, PATHS, Fjordby

R = ("receiving_hei_id", FJORDBY)


def _message(response) -> str:  # type: ignore[no-untyped-def]
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{COMMON_NS}}}error-response"
    return root.findtext(f"{{{COMMON_NS}}}developer-message") or ""


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_get_answers_by_get_and_post(fjordby: Fjordby, method: str) -> None:
    response = call(fjordby, PATHS.tors_get, [R, ("omobility_id", "m-approved-1")], method=method)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    root = etree.fromstring(response.content)
    assert [t.findtext(f"{{{TORS_GET_NS}}}omobility-id") for t in root] == ["m-approved-1"]


def test_the_answer_is_signed_for_this_request(fjordby: Fjordby) -> None:
    response = call(fjordby, PATHS.echo, [("echo", "x")])
    assert response.headers["signature"].startswith(f'keyId="{fjordby.server.response_key.key_id}"')  # type: ignore[union-attr]
    assert uuid.UUID(response.headers["x-request-id"])
    assert response.headers["x-request-signature"]
    assert response.headers["digest"].startswith("SHA-256=")


def test_without_accept_signature_the_answer_is_not_signed(fjordby: Fjordby) -> None:
    response = call(fjordby, PATHS.echo, [("echo", "x")], accept_signature=False)
    assert response.status_code == 200 and "signature" not in response.headers


def test_echo_names_the_callers_institutions_and_echoes_in_order(fjordby: Fjordby) -> None:
    response = call(fjordby, PATHS.echo, [("echo", "b"), ("echo", "a"), ("echo", "b")], method="GET")
    root = etree.fromstring(response.content)
    assert [e.text for e in root.iter(f"{{{ECHO_NS}}}hei-id")] == [LINDHOLM]
    assert [e.text for e in root.iter(f"{{{ECHO_NS}}}echo")] == ["b", "a", "b"]
    # response.xsd: a sequence of hei-id elements, then echo elements, nothing else.
    assert [etree.QName(e).localname for e in root] == ["hei-id", "echo", "echo", "echo"]
    assert root.tag == f"{{{ECHO_NS}}}response"


def test_an_unsigned_request_gets_401_with_www_authenticate_and_an_error_response(
    fjordby: Fjordby, xsd: Validator
) -> None:
    response = fjordby.http.post(
        PATHS.tors_get, data={"receiving_hei_id": FJORDBY, "omobility_id": "m-approved-1"}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Signature realm="EWP"')
    assert response.headers["want-digest"] == "SHA-256"
    assert "not signed" in _message(response)
    assert xsd(response.content, COMMON_TYPES) == []


def test_an_error_is_signed_when_the_client_asks(fjordby: Fjordby) -> None:
    response = call(fjordby, PATHS.tors_get, [R], headers={"Digest": "SHA-256=AAAA"})
    assert response.status_code == 400
    assert "signature" in response.headers and "x-request-signature" in response.headers


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_other_methods_get_405(fjordby: Fjordby, method: str) -> None:
    response = fjordby.http.request(method, PATHS.tors_get)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert "use GET or POST" in _message(response)


def test_a_post_that_is_not_a_form_gets_415(fjordby: Fjordby) -> None:
    body = b'{"receiving_hei_id": "fjordby.example"}'
    response = call(fjordby, PATHS.tors_get, body=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 415


def test_an_oversized_body_gets_413_before_any_signature_check(fjordby: Fjordby) -> None:
    big = b"omobility_id=" + b"x" * fjordby.server.max_body_bytes
    response = fjordby.http.post(
        PATHS.tors_get, content=big, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413
    assert "larger than" in _message(response)


def test_an_oversized_body_without_content_length_is_cut_off_too(fjordby: Fjordby) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(100):
            yield b"x" * 1024

    response = fjordby.http.post(PATHS.tors_get, content=chunks())
    assert response.status_code == 413


def test_too_many_parameters_get_400(fjordby: Fjordby) -> None:
    params = [R] + [("echo", str(n)) for n in range(fjordby.server.max_params + 1)]
    response = call(fjordby, PATHS.echo, params)
    assert response.status_code == 400
    assert "more than" in _message(response)


def test_an_endpoint_that_fails_gets_500_without_details(fjordby: Fjordby) -> None:
    def broken(mobility):  # type: ignore[no-untyped-def]
        raise RuntimeError("database password is hunter2")

    fjordby.tors.transcript = broken
    response = call(fjordby, PATHS.tors_get, [R, ("omobility_id", "m-approved-1")])
    assert response.status_code == 500
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert "log" in _message(response)


def test_the_manifest_is_served_without_authentication(fjordby: Fjordby) -> None:
    response = fjordby.http.get(PATHS.manifest)
    assert response.status_code == 200
    assert response.content == fjordby.manifest
    assert response.headers["content-type"].startswith("application/xml")


def test_percent_encoded_queries_are_verified_as_sent(fjordby: Fjordby) -> None:
    response = call(fjordby, PATHS.echo, [("echo", "å b&c=d/é")], method="GET")
    assert response.status_code == 200
    assert [e.text for e in etree.fromstring(response.content).iter(f"{{{ECHO_NS}}}echo")] == ["å b&c=d/é"]


def test_the_echo_response_validates_against_its_xsd(fjordby: Fjordby, xsd: Validator) -> None:
    from emrex.ewp.schema import ECHO_RESPONSE

    response = call(fjordby, PATHS.echo, [("echo", "x")])
    assert xsd(response.content, ECHO_RESPONSE) == []
