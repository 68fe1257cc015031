"""Hostile visitors of the EMP's pages: forged posts, planted sessions, login floods, bad form fields."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from emrex.db import Database
from tests.emp.conftest import (
    BASE_URL,
    PASSWORD,
    database,
    emp,
    emp_ca,
    emp_key,
    key_files,
    make_emp,
    password_hash,
    seeded_template,
    signer,
)
from tests.emp.helpers import csrf, login, start
from tests.hostile.cases import exercised
from tests.hostile.checks import MARKER, MARKER_ID, logs_clean, no_traceback, nothing_stored, watch_logs
from tests.hostile.webchecks import cookie_flags, cookie_value, security_headers, state_changing_routes

__all__ = [
    "database",
    "emp",
    "emp_ca",
    "emp_key",
    "key_files",
    "make_emp",
    "password_hash",
    "seeded_template",
    "signer",
    "watch_logs",
]
ENTRY = "/emrex"
HOST = BASE_URL.split("//", 1)[1]
exercised(
    "emp-pages-csrf-every-form",
    "emp-pages-session-fixation",
    "emp-pages-headers-and-cookies",
    "emp-pages-login-flood",
    "emp-pages-login-oversized-fields",
    "emp-pages-login-fields-as-files",
    "emp-pages-flow-of-another-browser",
)


def _db(client: TestClient) -> Database:
    db: Database = client.app.state.emrex_emp.database  # type: ignore[attr-defined]
    return db


def test_every_state_changing_route_but_the_entry_needs_the_csrf_token(
    emp: TestClient, watch_logs: pytest.LogCaptureFixture
) -> None:
    flow = start(emp)
    login(emp, flow)
    routes = state_changing_routes(emp.app)  # type: ignore[arg-type]
    paths = {path for _method, path in routes}
    assert {"/login", "/logout", "/flow/1/select", "/flow/1/send", "/flow/1/cancel", ENTRY} <= paths
    flow_id = flow.rsplit("/", 1)[1]
    for method, path in routes:
        if path == ENTRY:
            continue
        real = path.replace("/flow/1/", f"/flow/{flow_id}/")
        for data in ({"action": "send", "consent": "yes"}, {"csrf_token": "forged", "consent": "yes"}):
            with nothing_stored(_db(emp)):
                response = emp.request(method, real, data=data)
            assert response.status_code == 403, (method, real, response.status_code)
            no_traceback(response.text)
    # The protocol entry is the one exception: a cross-site post without a token starts a flow.
    assert (
        emp.post(ENTRY, data={"sessionId": "x" * 32, "returnUrl": "https://emc.home.example/r"}).status_code
        == 303
    )
    logs_clean(watch_logs)


def test_a_planted_session_cookie_is_replaced_at_login_and_stops_working(emp: TestClient) -> None:
    flow = start(emp)
    emp.get(f"/login?next={flow}")
    planted = cookie_value(emp)
    assert planted
    login(emp, flow)
    after = cookie_value(emp)
    assert after and after != planted
    attacker = TestClient(emp.app, base_url=BASE_URL, follow_redirects=False)
    attacker.cookies.set("__Host-emrex_session", planted, domain=HOST)
    assert "Lindqvist" in emp.get(flow).text
    # The planted pre-login cookie still names the flow, but the flow is the person's now: it shows the
    # start page to nobody, and to anyone else who logs in there, a refusal; never the results.
    page = attacker.get(flow)
    assert page.status_code in (200, 404) and "Lindqvist" not in page.text
    assert attacker.get("/admin/stats").status_code in (303, 401, 403)
    form = attacker.get("/login")
    fields = {"username": "nobody", "password": PASSWORD, "next": "/", "csrf_token": csrf(form.text)}
    attacker.post("/login", data=fields)
    taken = attacker.get(flow)
    assert taken.status_code in (403, 404) and "Lindqvist" not in taken.text
    assert attacker.get(f"{flow}/preview").status_code in (403, 404)
    # A value the attacker made up is not adopted either.
    invented = TestClient(emp.app, base_url=BASE_URL, follow_redirects=False)
    invented.cookies.set("__Host-emrex_session", "attacker-chosen-value-0123456789", domain=HOST)
    page = invented.get("/login")
    login_response = invented.post(
        "/login", data={"username": "asa", "password": PASSWORD, "next": "/", "csrf_token": csrf(page.text)}
    )
    assert login_response.status_code == 303
    assert cookie_value(invented) != "attacker-chosen-value-0123456789"


def test_every_kind_of_response_has_the_security_headers_and_safe_cookies(emp: TestClient) -> None:
    responses = [
        emp.get("/"),
        emp.get("/login"),
        emp.get("/no/such/page"),
        emp.post(ENTRY, data={"sessionId": "<x>", "returnUrl": "javascript:1"}),
        emp.post("/logout", data={}),
    ]
    assert [r.status_code for r in responses] == [200, 200, 404, 400, 403]
    for response in responses:
        security_headers(response)
        cookie_flags(response)
    fresh = TestClient(emp.app, base_url=BASE_URL, follow_redirects=False)
    started = fresh.post(ENTRY, data={"sessionId": "y" * 32, "returnUrl": "https://emc.home.example/r"})
    assert cookie_flags(started), "the entry sets the session cookie"


def test_a_login_flood_is_stopped_and_logs_no_user_name(
    emp: TestClient, watch_logs: pytest.LogCaptureFixture
) -> None:
    statuses = []
    for _attempt in range(7):
        page = emp.get("/login")
        response = emp.post(
            "/login",
            data={"username": MARKER, "password": "guess", "next": "/", "csrf_token": csrf(page.text)},
        )
        statuses.append(response.status_code)
        no_traceback(response.text)
    assert statuses[-1] == 429, statuses
    assert "try again in" in response.text.lower()
    # Even the right password of another account is not tried from a blocked name.
    logs_clean(watch_logs)


def test_oversized_login_fields_are_refused(emp: TestClient, watch_logs: pytest.LogCaptureFixture) -> None:
    page = emp.get("/login")
    with nothing_stored(_db(emp), allowed=("web_session",)):
        response = emp.post(
            "/login",
            data={"username": MARKER * 200_000, "password": "x", "next": "/", "csrf_token": csrf(page.text)},
        )
    assert response.status_code == 413
    no_traceback(response.text)
    logs_clean(watch_logs)


def test_login_fields_sent_as_files_log_nobody_in(
    emp: TestClient, watch_logs: pytest.LogCaptureFixture
) -> None:
    page = emp.get("/login")
    files = {"username": ("u.txt", b"asa"), "password": ("p.txt", PASSWORD.encode())}
    response = emp.post("/login", data={"next": "/", "csrf_token": csrf(page.text)}, files=files)
    assert response.status_code in (200, 400, 401)
    assert "Log out" not in response.text
    no_traceback(response.text)
    logs_clean(watch_logs)


def test_a_flow_cannot_be_opened_from_another_browser(
    emp: TestClient, watch_logs: pytest.LogCaptureFixture
) -> None:
    flow = start(emp)
    login(emp, flow)
    thief = TestClient(emp.app, base_url=BASE_URL, follow_redirects=False)
    page = thief.get("/login")
    thief.post(
        "/login",
        data={"username": "nobody", "password": PASSWORD, "next": "/", "csrf_token": csrf(page.text)},
    )
    with nothing_stored(_db(thief), allowed=("web_session",)):
        response = thief.get(flow)
        preview = thief.get(flow + "/preview")
    assert response.status_code == 404 and preview.status_code == 404
    assert "Lindqvist" not in response.text + preview.text
    no_traceback(response.text)
    logs_clean(watch_logs)


exercised("emp-pages-unknown-path-identifier")


def test_an_unknown_path_holding_an_identifier_is_not_logged(
    emp: TestClient, watch_logs: pytest.LogCaptureFixture
) -> None:
    for path in (f"/{MARKER_ID}", f"/{MARKER}/results", f"/{MARKER_ID}.pdf"):
        with nothing_stored(_db(emp), allowed=("web_session",)):
            response = emp.get(path)
        assert response.status_code == 404
        no_traceback(response.text)
    logs_clean(watch_logs)


exercised("emp-pages-login-timing-unknown-user")


def test_an_unknown_user_name_costs_the_same_scrypt_work_as_a_known_one(
    emp: TestClient, monkeypatch: pytest.MonkeyPatch, watch_logs: pytest.LogCaptureFixture
) -> None:
    import emrex.web.login.demo as demo

    calls: list[tuple[int, int, int, int, int]] = []
    original = demo._scrypt

    def recording(password: str, salt: bytes, log2_n: int, r: int, p: int, length: int = 32) -> bytes:
        calls.append((log2_n, r, p, length, len(salt)))
        return original(password, salt, log2_n, r, p, length)

    monkeypatch.setattr(demo, "_scrypt", recording)
    for username in ("asa", MARKER):
        page = emp.get("/login")
        response = emp.post(
            "/login",
            data={"username": username, "password": "wrong", "next": "/", "csrf_token": csrf(page.text)},
        )
        assert response.status_code == 401
    # One scrypt run each, with the accounts' parameters (n, r, p, key and salt length) for both.
    assert len(calls) == 2, calls
    assert calls[0] == calls[1], f"a known user costs {calls[0]}, an unknown one {calls[1]}"
    logs_clean(watch_logs)


exercised("emp-pages-login-parallel-flood")


def test_parallel_wrong_passwords_are_counted_before_any_is_checked(
    emp: TestClient, watch_logs: pytest.LogCaptureFixture
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from tests.web.live import live_server

    page = emp.get("/login")
    token = csrf(page.text)
    cookie = "; ".join(f"{c.name}={c.value}" for c in emp.cookies.jar)
    with live_server(emp.app) as (host, port):

        def attempt(password: str) -> int:
            response = httpx.post(
                f"http://{host}:{port}/login",
                data={"username": "asa", "password": password, "next": "/", "csrf_token": token},
                headers={"cookie": cookie},
                timeout=60,
            )
            no_traceback(response.text)
            return response.status_code

        with ThreadPoolExecutor(max_workers=30) as pool:
            statuses = list(pool.map(attempt, [f"guess-{i}" for i in range(60)]))
        right = attempt(PASSWORD)
    # The limit is 5 per user name: five wrong passwords were tried, the rest refused unread.
    assert statuses.count(401) == 5, sorted(statuses)
    assert statuses.count(429) == 55, sorted(statuses)
    assert right == 429, "the right password was accepted after the flood"
    logs_clean(watch_logs)


exercised("emp-pages-language-picker-raw-path")


def test_the_language_picker_never_posts_to_a_path_the_visitor_typed(
    emp: TestClient, watch_logs: pytest.LogCaptureFixture
) -> None:
    from tests.web.picker import picker

    for path in ("//evil.example/x", "///evil.example/x", "/.//evil.example/x"):
        with nothing_stored(_db(emp)):
            page = emp.get(path)
        assert page.status_code == 404
        action, fields = picker(page.text)
        assert action == "/language", action
        assert "evil.example" not in fields["next"] or not fields["next"].startswith("//"), fields
        followed = emp.get(action, params={**fields, "lang": "sv"})
        assert followed.status_code == 303
        location = followed.headers["location"]
        assert location.startswith("/") and not location.startswith("//"), location
        no_traceback(page.text)
    logs_clean(watch_logs)
