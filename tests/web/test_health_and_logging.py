from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from emrex.db import Database

from .conftest import build_app, settings
from .helpers import save_name


def test_health_checks_the_database(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_reports_an_unreachable_database(tmp_path: Path) -> None:
    broken = Database(f"sqlite:///{tmp_path}/no/such/dir/db.sqlite")
    with TestClient(build_app(broken), base_url=settings().base_url) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def _request_logs(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "emrex.web.request"]


def test_one_structured_line_per_request(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="emrex.web.request"):
        response = client.get("/data?lang=sv&student=200001319999")
    (record,) = _request_logs(caplog)
    assert record["method"] == "GET" and record["path"] == "/data" and record["status"] == 200
    assert record["request_id"] == response.headers["x-request-id"]
    assert isinstance(record["duration_ms"], float)


def test_logs_hold_no_cookies_form_values_or_query_strings(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        save_name(client, "Personal Name 200001319999")
        client.get("/data?email=anna@uni.example")
        client.get("/missing/200001319999")
    text = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("emrex"))
    session_key = client.cookies["__Host-emrex_session"]
    for secret in (session_key, "Personal Name", "anna@uni.example", "200001319999", "csrf"):
        assert secret not in text
    logged_paths = {record["path"] for record in _request_logs(caplog)}
    assert logged_paths >= {"/", "/data", "/missing/…"}


def test_routes_with_parameters_are_logged_by_template(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    app = client.app
    assert hasattr(app, "get")

    @app.get("/students/{student_id}")  # type: ignore[untyped-decorator]
    def student(student_id: str) -> dict[str, str]:
        return {"id": student_id}

    with caplog.at_level(logging.INFO, logger="emrex.web.request"):
        client.get("/students/200001319999")
    assert [record["path"] for record in _request_logs(caplog)] == ["/students/{student_id}"]


def test_a_request_id_the_response_carries_already_is_kept() -> None:
    """An EWP response signs the client's X-Request-Id: the log's own id must not replace it."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    from emrex.web.requestlog import RequestLogMiddleware

    def answer(request: object) -> Response:
        return Response("signed", headers={"X-Request-Id": "6f1c0f0a-client-id"})

    def plain(request: object) -> Response:
        return Response("plain")

    app = RequestLogMiddleware(Starlette(routes=[Route("/ewp", answer), Route("/page", plain)]))
    with TestClient(app) as client:
        assert client.get("/ewp").headers.get_list("x-request-id") == ["6f1c0f0a-client-id"]
        assert len(client.get("/page").headers["x-request-id"]) == 16
