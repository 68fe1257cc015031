from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient

from .conftest import PROTOCOL_PATH, settings
from .helpers import csrf_token

FORM_LIMIT = settings().max_form_bytes
PROTOCOL_LIMIT = settings().max_protocol_bytes


def test_an_ordinary_form_over_its_limit_gets_413_page(client: TestClient) -> None:
    token = csrf_token(client)
    response = client.post("/data", data={"name": "x" * FORM_LIMIT, "csrf_token": token})
    assert response.status_code == 413
    assert "too large" in response.text and "64 KB" in response.text
    assert "Traceback" not in response.text


def test_a_large_elmo_post_is_accepted_on_the_protocol_path(client: TestClient) -> None:
    elmo = "H" * (PROTOCOL_LIMIT - 1000)
    response = client.post(PROTOCOL_PATH, data={"sessionId": "s" * 32, "elmo": elmo})
    assert response.status_code == 200
    assert response.json()["elmo_length"] == len(elmo)


def test_the_protocol_path_has_a_limit_too(client: TestClient) -> None:
    response = client.post(PROTOCOL_PATH, data={"sessionId": "s", "elmo": "H" * PROTOCOL_LIMIT})
    assert response.status_code == 413
    assert "1 MB" in response.text


def test_a_chunked_body_without_length_is_counted(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"sessionId=s&elmo="
        for _ in range(40):
            yield b"H" * 32 * 1024

    response = client.post(
        PROTOCOL_PATH, content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413


def test_too_many_form_fields_are_refused_with_a_page(client: TestClient) -> None:
    token = csrf_token(client)
    fields = [("name", "x")] + [(f"f{i}", "1") for i in range(1001)]
    response = client.post("/data", data=dict(fields), headers={"X-CSRF-Token": token})
    assert response.status_code == 400
    assert "Too many fields" in response.text and "<main" in response.text


def test_too_many_uploaded_files_are_refused(client: TestClient) -> None:
    token = csrf_token(client)
    files = [("upload", (f"f{i}.txt", b"x", "text/plain")) for i in range(21)]
    response = client.post("/data", data={"name": "x"}, files=files, headers={"X-CSRF-Token": token})
    assert response.status_code == 400
    assert "Too many files" in response.text
