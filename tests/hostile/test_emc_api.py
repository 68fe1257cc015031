"""Hostile calls of the EMC's SIS API: a JSON error with a status, never a crash, nothing stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.db.conftest import postgres_admin, postgres_schema  # noqa: F401  (PostgreSQL fixtures)
from tests.emc.conftest import (
    API_TOKEN,
    BASE_URL,
    Keys,
    database_of,
    keys,
    make_emc,
    make_settings,
    migrated_template,
    ok,
    password_hash,
    start,
)
from tests.hostile.apps import shared_student
from tests.hostile.cases import exercised
from tests.hostile.checks import MARKER, logs_clean, no_traceback, nothing_stored, watch_logs

__all__ = [
    "keys",
    "make_emc",
    "make_settings",
    "migrated_template",
    "password_hash",
    "shared_student",
    "watch_logs",
]
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
HUGE = "9" * 30

# case id -> (method, path, headers, expected status)
CALLS: dict[str, tuple[str, str, dict[str, str | bytes], int]] = {
    "api-no-token": ("GET", "/api/v1/credentials", {}, 401),
    "api-token-in-query": ("GET", f"/api/v1/credentials?access_token={API_TOKEN}", {}, 401),
    "api-wrong-token-non-ascii": (
        "GET",
        "/api/v1/transfers",
        {"Authorization": b"Bearer \xe5\xe4\xf6-token"},
        401,
    ),
    "api-huge-token": ("GET", "/api/v1/transfers", {"Authorization": "Bearer " + "x" * 60_000}, 401),
    "api-limit-out-of-range": ("GET", "/api/v1/credentials?limit=100000", AUTH, 422),
    "api-wrongly-typed-query": ("GET", "/api/v1/transfers?after=1%20OR%201=1&limit=abc", AUTH, 422),
    "api-student-filter-markup": ("GET", f"/api/v1/credentials?student=<script>{MARKER}</script>", AUTH, 200),
    "api-student-filter-too-long": ("GET", "/api/v1/credentials?student=" + MARKER * 20, AUTH, 422),
    "api-write-method": ("POST", "/api/v1/credentials", AUTH, 403),  # the CSRF check stops it first
    "api-id-beyond-64-bits": ("GET", f"/api/v1/transfers/{HUGE}", AUTH, 404),
    "api-after-beyond-64-bits": ("GET", f"/api/v1/credentials?after={HUGE}", AUTH, 200),
    "api-status-filter-unknown": ("GET", f"/api/v1/transfers?status={MARKER}", AUTH, 422),
    "api-date-before-year-one": ("GET", "/api/v1/credentials?since=0001-01-01T00:00:00%2B01:00", AUTH, 422),
    "api-date-after-year-9999": ("GET", "/api/v1/transfers?until=9999-12-31T23:30:00-05:00", AUTH, 422),
}
exercised(*CALLS)


@pytest.fixture(scope="module")
def api(shared_student: TestClient, keys: Keys) -> TestClient:
    ok(shared_student, keys, start(shared_student))
    return TestClient(shared_student.app, base_url=BASE_URL, raise_server_exceptions=False)


@pytest.mark.parametrize("case_id", sorted(CALLS))
def test_hostile_api_calls(api: TestClient, watch_logs: pytest.LogCaptureFixture, case_id: str) -> None:
    method, path, headers, status = CALLS[case_id]
    with nothing_stored(database_of(api)):
        response = api.request(method, path, headers=headers)
    assert response.status_code == status, response.text[:300]
    if status == 403:
        assert "Access denied" in response.text
    else:
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert body.get("detail") if status >= 400 else body["items"] == [], body
    no_traceback(response.text)
    assert "<script>" not in response.text
    assert "set-cookie" not in response.headers
    logs_clean(watch_logs)


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
@pytest.mark.parametrize(
    "query", ["since=0001-01-01T00:00:00%2B01:00", "until=9999-12-31T23:30:00-05:00", "since=0001-01-01"]
)
def test_dates_outside_what_can_be_stored_are_a_422_naming_the_parameter(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., Any],
    request: pytest.FixtureRequest,
    watch_logs: pytest.LogCaptureFixture,
    database: str,
    query: str,
) -> None:
    tables: dict[str, Any] = {}
    if database == "postgresql":
        tables["database_url"] = request.getfixturevalue("postgres_schema")()
    app = make_emc(make_settings(**tables)).app
    client = TestClient(app, base_url=BASE_URL, raise_server_exceptions=False)
    name = query.split("=", 1)[0]
    for path in ("/api/v1/credentials", "/api/v1/transfers"):
        response = client.get(f"{path}?{query}", headers=AUTH)
        if query == "since=0001-01-01":  # midnight UTC of year one is in range
            assert response.status_code == 200, response.text
            continue
        assert response.status_code == 422, response.text[:300]
        (problem,) = response.json()["detail"]
        assert problem["loc"] == ["query", name] and "out of range" in problem["msg"]
        no_traceback(response.text)
    assert client.get("/api/v1/transfers", headers=AUTH).status_code == 200  # the connection is fine
    logs_clean(watch_logs)
