from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from starlette.responses import PlainTextResponse

from emrex.db import Database
from emrex.web import get_session
from emrex.web.errors import ShowPage

from .conftest import build_app, settings


@pytest.fixture
def lenient(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(raise_server_exceptions=False)


def _in_layout(text: str) -> bool:
    return text.startswith("<!doctype html>") and '<main id="main"' in text and "site-header" in text


def test_unexpected_exception_gives_a_generic_page_with_a_reference(
    lenient: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="emrex.web.error"):
        response = lenient.get("/boom")
    assert response.status_code == 500
    assert _in_layout(response.text)
    assert "Traceback" not in response.text and "secret internal detail" not in response.text
    request_id = response.headers["x-request-id"]
    assert request_id in response.text
    (record,) = [r for r in caplog.records if r.name == "emrex.web.error"]
    assert request_id in record.getMessage() and record.exc_info is not None


def test_500_page_has_the_security_headers(lenient: TestClient) -> None:
    response = lenient.get("/boom")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"


def test_404_page(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert _in_layout(response.text) and "There is no page at this address" in response.text


def test_405_page_keeps_the_allow_header(client: TestClient) -> None:
    response = client.get("/login")
    assert response.status_code == 405
    assert _in_layout(response.text) and "cannot be used that way" in response.text
    assert "POST" in response.headers["allow"]


def test_invalid_form_input_gives_400_not_422(client: TestClient) -> None:
    from .helpers import csrf_token

    response = client.post("/data", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 400
    assert _in_layout(response.text) and "missing or not valid" in response.text
    assert "pydantic" not in response.text.lower()


def test_error_pages_are_translated(client: TestClient) -> None:
    response = client.get("/nowhere", headers={"Accept-Language": "sv"})
    assert "Sidan hittades inte" in response.text and "Felkod: 404" in response.text


def test_a_handler_message_is_shown_escaped(client: TestClient) -> None:
    from fastapi import HTTPException

    app = client.app
    assert hasattr(app, "get")

    @app.get("/denied")  # type: ignore[untyped-decorator]
    def denied() -> None:
        raise HTTPException(403, "Only staff may see <b>transfers</b>.")

    response = client.get("/denied")
    assert response.status_code == 403
    assert "Only staff may see &lt;b&gt;transfers&lt;/b&gt;." in response.text


def test_a_database_outage_while_loading_the_session_gives_the_503_page(tmp_path: Path) -> None:
    broken = Database(f"sqlite:///{tmp_path}/no/such/dir/db.sqlite")
    with TestClient(build_app(broken), base_url=settings().base_url, raise_server_exceptions=False) as client:
        client.cookies.set("__Host-emrex_session", "A" * 43, domain="emc.example.org")
        response = client.get("/")
    assert response.status_code == 503 and response.headers["retry-after"] == "60"
    assert _in_layout(response.text) and "Wait a minute, then reload the page" in response.text


def test_database_outage_gives_a_503_page_that_says_to_wait(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from sqlalchemy import text

    from emrex.web import create_web_app

    # A database that cannot be opened: what a service sees while PostgreSQL restarts.
    down = Database(f"sqlite:///{tmp_path / 'no-such-folder' / 'emrex.db'}")
    app = create_web_app(settings(), down, title="Demo EMC")

    @app.get("/records")
    def records() -> str:
        with down.session() as session:
            return str(session.execute(text("SELECT 1")).scalar())

    with caplog.at_level(logging.WARNING, logger="emrex.web.error"):
        client = TestClient(app, raise_server_exceptions=False)
        response = client.get("/records", headers={"Accept-Language": "sv"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "60"
    assert _in_layout(response.text) and "Traceback" not in response.text
    assert "databas" in response.text  # the Swedish explanation
    assert all(record.exc_info is None for record in caplog.records if record.name == "emrex.web.error")


def test_a_handler_stops_with_the_page_it_raises_and_keeps_its_session_changes(client: TestClient) -> None:
    def helper(request: Request) -> str:
        get_session(request).set("name", "seen")
        raise ShowPage(PlainTextResponse("this flow has expired", status_code=410, headers={"x-page": "1"}))

    @client.app.get("/stop")  # type: ignore[attr-defined]
    def stop(request: Request) -> PlainTextResponse:
        return PlainTextResponse(helper(request))

    response = client.get("/stop")
    assert (response.status_code, response.text) == (410, "this flow has expired")
    assert response.headers["x-page"] == "1"
    assert client.get("/data").json()["name"] == "seen"
