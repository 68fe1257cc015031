"""The drop-in converter service: the DC4EU converter's request and response JSON, bounded requests."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from emrex.elm import Sealer, extract_original
from emrex.elm_service import create_app
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo


def _request(content: bytes, source: str = "elmo", target: str = "elm") -> dict[str, Any]:
    versions = {"elmo": "1.7", "elm": "3.2"}
    return {
        "From": {"Name": source, "Version": versions[source]},
        "To": {"Name": target, "Version": versions[target]},
        "Parameters": {"PreferredLanguages": ["en", "sv", "no"], "defaultLanguage": "en"},
        "Content": base64.b64encode(content).decode(),
    }


@pytest.fixture
def client(sealer: Sealer) -> TestClient:
    return TestClient(create_app(sealer, max_request_bytes=2 * 1024 * 1024))


def test_elmo_to_elm_and_back_as_the_emrex_gateway_asks(client: TestClient) -> None:
    xml = write_elmo(sample_elmo(4))
    answer = client.post("/rest/request", json=_request(xml))
    assert answer.status_code == 200
    body = answer.json()
    assert body["ResponseProtocol"] == {"Name": "elm", "Version": "3.2"}
    assert set(body) == {"ResponseProtocol", "Content", "ConverterVersion", "Timestamp", "Errors", "Warnings"}
    credential = json.loads(base64.b64decode(body["Content"]))
    assert extract_original(credential) == xml
    back = client.post(
        "/rest/request", json=_request(base64.b64decode(body["Content"]), "elm", "elmo")
    ).json()
    assert base64.b64decode(back["Content"]) == xml and back["Errors"] == []


def test_a_dc4eu_credential_converts_with_warnings(client: TestClient, samples_elm: Path) -> None:
    data = (samples_elm / "converter-dc4eu/uio-tor.elm.json").read_bytes()
    body = client.post("/rest/request", json=_request(data, "elm", "elmo")).json()
    assert base64.b64decode(body["Content"]).startswith(b"<?xml")
    assert any("no ELMO home" in w["Message"] for w in body["Warnings"])


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        ({"From": {"Name": "pdf"}, "To": {"Name": "elm"}, "Content": "eA=="}, 404, "protocol pdf"),
        ({"From": {"Name": "elmo"}, "To": {"Name": "elmo"}, "Content": "eA=="}, 404, "no conversion"),
        ({"From": {"Name": "elmo"}, "To": {"Name": "elm"}}, 400, "no Content"),
        ({"From": {"Name": "elmo"}, "To": {"Name": "elm"}, "Content": "***"}, 400, "not base64"),
        ({"From": {"Name": "elmo"}, "To": {"Name": "elm"}, "Content": "aGVsbG8="}, 500, "neither ELMO, ELM"),
    ],
)
def test_bad_requests_get_the_protocols_errors(
    client: TestClient, payload: Any, status: int, message: str
) -> None:
    answer = client.post("/rest/request", json=payload)
    assert answer.status_code == status
    assert message in answer.json()["Errors"][0]["Message"]


def test_the_request_size_is_bounded_before_reading(client: TestClient) -> None:
    answer = client.post("/rest/request", content=b"{" + b" " * (3 * 1024 * 1024) + b"}")
    assert answer.status_code == 413
    assert "larger than" in answer.json()["Errors"][0]["Message"]


def test_duplicate_members_are_refused(client: TestClient) -> None:
    answer = client.post("/rest/request", content=b'{"Content": "a", "Content": "b"}')
    assert answer.status_code == 400 and "given twice" in answer.json()["Errors"][0]["Message"]


def test_without_a_sealer_only_elm_to_elmo(samples_elm: Path) -> None:
    client = TestClient(create_app(None))
    answer = client.post("/rest/request", json=_request(write_elmo(sample_elmo(1))))
    assert answer.status_code == 500 and "no sealing organisation" in answer.json()["Errors"][0]["Message"]
