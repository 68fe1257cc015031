"""Hostile input to the ELM library and the converter service: one readable line, nothing fetched."""

from __future__ import annotations

import base64
import json
import socket
from typing import Any

import pytest
from starlette.testclient import TestClient

from emrex.elm import (
    ConversionRefused,
    ElmParseError,
    RemoteContextRefused,
    Sealer,
    ShapesLibrary,
    elm_to_elmo,
    elmo_to_elm,
    extract_original,
    load_json,
    validate_credential,
)
from emrex.elm_service import create_app
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.errors import InputTooLarge
from emrex.trust import SignatureInvalid, Signer, verify
from emrex.trust.ca import issue, make_ca
from tests.hostile.cases import exercised
from tests.hostile.checks import one_line

exercised(
    "elm-remote-context",
    "elm-nested-remote-context",
    "elm-json-too-deep",
    "elm-json-duplicate-member",
    "elm-json-too-large",
    "elm-json-nan",
    "elm-haspart-cycle",
    "elm-converted-original-altered",
    "elm-evidence-not-base64",
    "elm-service-oversized",
    "elm-service-duplicate-member",
    "elm-service-remote-context",
)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        raise AssertionError(f"tried to connect to {address}")

    monkeypatch.setattr(socket, "create_connection", refuse)


def _credential(sealer: Sealer, original: bytes | None = None) -> dict[str, Any]:
    return json.loads(elmo_to_elm(sample_elmo(2), sealer, original=original).to_json())


def test_remote_contexts_are_refused_by_name(library: ShapesLibrary, sealer: Sealer) -> None:
    credential = _credential(sealer)
    credential["@context"].append("https://attacker.example/ctx")
    with pytest.raises(RemoteContextRefused) as caught:
        validate_credential(credential, library=library)
    one_line(str(caught.value))
    assert "https://attacker.example/ctx" in str(caught.value)
    credential = _credential(sealer)
    credential["credentialSubject"]["@context"] = ["https://attacker.example/nested"]
    with pytest.raises(RemoteContextRefused, match="nested"):
        validate_credential(credential, library=library)


@pytest.mark.parametrize(
    ("data", "kind", "words"),
    [
        (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, ElmParseError, "deeper"),
        (b'{"credentialSubject": {}, "credentialSubject": {}}', ElmParseError, "given twice"),
        (b'{"x": [NaN, Infinity]}', ElmParseError, "not a JSON number"),
    ],
)
def test_json_bombs(data: bytes, kind: type[Exception], words: str) -> None:
    with pytest.raises(kind, match=words) as caught:
        load_json(data)
    one_line(str(caught.value))


def test_json_over_the_size_limit_is_refused_before_parsing() -> None:
    with pytest.raises(InputTooLarge):
        load_json(b"[" + b"1," * 600 + b"1]", max_bytes=1000)


def test_a_has_part_cycle_is_bounded(sealer: Sealer) -> None:
    credential = _credential(sealer)
    claim = credential["credentialSubject"]["hasClaim"][0]
    claim["hasPart"] = [{"id": claim["id"]}]
    with pytest.raises(ConversionRefused, match="deeper than") as caught:
        elm_to_elmo(credential)
    one_line(str(caught.value))


def test_an_altered_original_is_extracted_as_it_is_and_its_signature_refused(sealer: Sealer) -> None:
    ca = make_ca("Hostile ELM CA")
    emp = issue(ca, "EMP hostile ELM")
    signed = Signer(emp.key, emp.certificate).sign(write_elmo(sample_elmo(3)))
    altered = signed.replace(b"Linear Algebra", b"Linear Algebrb", 1)
    credential = _credential(sealer, altered)
    assert extract_original(credential) == altered
    with pytest.raises(SignatureInvalid) as caught:
        verify(altered, emp.certificate)
    one_line(str(caught.value))


def test_evidence_that_is_not_base64(sealer: Sealer) -> None:
    credential = _credential(sealer, b"<elmo/>")
    credential["evidence"]["embeddedEvidence"]["content"] = "not base64 at all!"
    with pytest.raises(ElmParseError, match="not valid base64") as caught:
        extract_original(credential)
    one_line(str(caught.value))


def test_the_service_under_attack(sealer: Sealer) -> None:
    client = TestClient(create_app(sealer, max_request_bytes=64 * 1024))
    big = client.post("/rest/request", content=b"x" * 100_000, headers={"content-type": "application/json"})
    assert big.status_code == 413 and big.json()["Errors"]
    twice = client.post("/rest/request", content=b'{"Content": "a", "Content": "b"}')
    assert twice.status_code == 400
    credential = _credential(sealer)
    credential["credentialSubject"]["@context"] = "https://attacker.example/ctx"
    request = {
        "From": {"Name": "elm", "Version": "3.2"},
        "To": {"Name": "elmo", "Version": "1.7"},
        "Content": base64.b64encode(json.dumps(credential).encode()).decode(),
    }
    answer = client.post("/rest/request", json=request)
    assert answer.status_code == 500
    assert "https://attacker.example/ctx" in answer.json()["Errors"][0]["Message"]


def test_validation_of_a_service_document_with_a_remote_context(
    library: ShapesLibrary, sealer: Sealer
) -> None:
    credential = _credential(sealer)
    credential["credentialSubject"]["@context"] = "https://attacker.example/ctx"
    with pytest.raises(RemoteContextRefused):
        validate_credential(credential, library=library)
    with pytest.raises(RemoteContextRefused):
        elm_to_elmo(credential)
