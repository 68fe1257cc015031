from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from .conftest import PROTOCOL_PATH
from .helpers import csrf_token


def _explains_expiry(text: str) -> bool:
    return "The form expired" in text and "reload the page" in text


def test_a_post_without_token_is_refused_with_an_explanation(client: TestClient) -> None:
    csrf_token(client)
    response = client.post("/data", data={"name": "Mallory"})
    assert response.status_code == 403
    assert _explains_expiry(response.text)
    assert client.get("/data").json()["name"] is None


def test_a_post_without_any_session_is_refused(client: TestClient) -> None:
    response = client.post("/data", data={"name": "Mallory", "csrf_token": "x" * 43})
    assert response.status_code == 403


def test_a_wrong_token_is_refused(client: TestClient) -> None:
    token = csrf_token(client)
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.post("/data", data={"name": "Mallory", "csrf_token": forged}).status_code == 403
    assert client.post("/data", data={"name": "Mallory", "csrf_token": ""}).status_code == 403


def test_another_sessions_token_is_refused(
    client: TestClient, make_client: Callable[..., TestClient]
) -> None:
    stolen = csrf_token(make_client())
    csrf_token(client)
    assert client.post("/data", data={"name": "Mallory", "csrf_token": stolen}).status_code == 403


def test_the_right_token_in_the_form(client: TestClient) -> None:
    token = csrf_token(client)
    assert client.post("/data", data={"name": "Anna", "csrf_token": token}).status_code == 200
    assert client.get("/data").json()["name"] == "Anna"


def test_a_repeated_token_field_counts_as_the_form_parser_reads_it(client: TestClient) -> None:
    # The check reads urlencoded forms with its own parser; the field's last value counts, as in the app.
    token = csrf_token(client)
    wrong_last = {"name": "Mallory", "csrf_token": [token, "x" * 43]}
    assert client.post("/data", data=wrong_last).status_code == 403
    right_last = {"name": "Anna", "csrf_token": ["x" * 43, token]}
    assert client.post("/data", data=right_last).status_code == 200
    assert client.get("/data").json()["name"] == "Anna"


def test_a_form_of_more_fields_than_any_page_has_is_refused(client: TestClient) -> None:
    token = csrf_token(client)
    body = "&".join(f"f{i}=x" for i in range(1001)) + f"&csrf_token={token}"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert client.post("/data", content=body, headers=headers).status_code == 403


def test_the_right_token_in_a_multipart_form(client: TestClient) -> None:
    token = csrf_token(client)
    response = client.post("/data", files={"name": (None, "Anna"), "csrf_token": (None, token)})
    assert response.status_code == 200
    assert client.get("/data").json()["name"] == "Anna"


def test_the_right_token_in_the_header(client: TestClient) -> None:
    token = csrf_token(client)
    response = client.post("/data", data={"name": "Anna"}, headers={"X-CSRF-Token": token})
    assert response.status_code == 200


def test_a_wrong_header_is_not_rescued_by_the_form_field(client: TestClient) -> None:
    token = csrf_token(client)
    response = client.post("/data", data={"name": "M", "csrf_token": token}, headers={"X-CSRF-Token": "nope"})
    assert response.status_code == 403


def test_other_unsafe_methods_need_the_token_too(client: TestClient) -> None:
    csrf_token(client)
    assert client.delete("/data").status_code == 403
    assert client.put("/data", content=b"{}", headers={"content-type": "application/json"}).status_code == 403


def test_the_protocol_endpoint_takes_cross_site_posts(client: TestClient) -> None:
    response = client.post(
        PROTOCOL_PATH,
        data={"sessionId": "a" * 32, "returnCode": "NCP_OK", "elmo": "H4sI"},
        headers={"Origin": "https://emp.elsewhere.example"},
    )
    assert response.status_code == 200
    assert response.json() == {"sessionId": "a" * 32, "elmo_length": 4}


def test_a_non_ascii_token_is_refused_not_a_crash(make_client: Callable[..., TestClient]) -> None:
    client = make_client(raise_server_exceptions=False)
    csrf_token(client)
    assert client.post("/data", data={"name": "M", "csrf_token": "é" * 43}).status_code == 403
    assert (
        client.post("/data", data={"name": "M"}, headers={"X-CSRF-Token": "ñ".encode("latin-1")}).status_code
        == 403
    )


def test_a_text_plain_cross_site_post_is_refused(client: TestClient) -> None:
    token = csrf_token(client)
    body = f"name=M&csrf_token={token}".encode()
    response = client.post("/data", content=body, headers={"content-type": "text/plain"})
    assert response.status_code == 403
