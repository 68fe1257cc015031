"""Hostile visitors of the EMC's pages: forged posts, planted sessions, markup in parameters, bad fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from emrex.emc.config import RETURN_PATH
from emrex.emc.models import Status, Transfer
from emrex.emc.verify_page import VERIFY_PATH
from tests.db.conftest import postgres_admin, postgres_schema  # noqa: F401  (PostgreSQL fixtures)
from tests.emc.conftest import (
    BASE_URL,
    NORDVIK,
    PASSWORD,
    csrf,
    database_of,
    keys,
    login,
    make_emc,
    make_settings,
    migrated_template,
    ok,
    password_hash,
    start,
)
from tests.hostile.cases import exercised
from tests.hostile.checks import MARKER, logs_clean, no_traceback, nothing_stored, watch_logs
from tests.hostile.webchecks import cookie_flags, cookie_value, security_headers, state_changing_routes

__all__ = ["keys", "make_emc", "make_settings", "migrated_template", "password_hash", "watch_logs"]
HOST = BASE_URL.split("//", 1)[1]
COOKIE = "__Host-emrex_session"
exercised(
    "emc-pages-csrf-every-form",
    "emc-pages-session-fixation",
    "emc-pages-headers-and-cookies",
    "emc-pages-query-markup",
    "emc-pages-start-unlisted-emp",
    "emc-pages-start-oversized-fields",
    "emc-pages-wrongly-typed-path",
    "emc-pages-open-redirect",
    "emc-pages-other-students-transfer",
    "emc-pages-id-beyond-64-bits",
)


@pytest.fixture
def student(make_emc: Callable[..., TestClient]) -> TestClient:
    client = make_emc()
    login(client)
    return client


def test_every_state_changing_route_but_the_return_and_verify_needs_the_csrf_token(
    student: TestClient, keys: object, watch_logs: pytest.LogCaptureFixture
) -> None:
    transfer_id = ok(student, keys, start(student))  # type: ignore[arg-type]
    routes = state_changing_routes(student.app)  # type: ignore[arg-type]
    paths = {path for _method, path in routes}
    expected = {"/login", "/logout", "/start", RETURN_PATH, "/transfers/1/confirm", "/transfers/1/delete"}
    assert expected <= paths, paths
    assert any(path.startswith("/staff/") for path in paths)
    assert VERIFY_PATH in paths  # needs no token: it changes nothing (emc-verify-cross-site-post)
    for method, path in routes:
        if path in (RETURN_PATH, VERIFY_PATH):
            continue
        real = path.replace("/1/", f"/{transfer_id}/")
        for data in ({"country": "SE", "emp": NORDVIK}, {"csrf_token": "forged", "decision": "approve"}):
            with nothing_stored(database_of(student)):
                response = student.request(method, real, data=data)
            assert response.status_code == 403, (method, real, response.status_code)
            no_traceback(response.text)
    assert student.get(f"/transfers/{transfer_id}").status_code == 200  # still there, unconfirmed
    logs_clean(watch_logs)


def test_a_planted_session_cookie_is_replaced_at_login_and_stops_working(
    make_emc: Callable[..., TestClient],
) -> None:
    victim = make_emc()
    victim.cookies.set(COOKIE, "attacker-chosen-value-0123456789", domain=HOST)
    page = victim.get("/login")
    planted = cookie_value(victim)
    assert planted and planted != "attacker-chosen-value-0123456789"
    # The attacker knows this pre-login id (they planted the page visit); the login must retire it.
    response = victim.post(
        "/login",
        data={"username": "asa", "password": PASSWORD, "next": "/", "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert cookie_value(victim) not in (None, planted)
    assert victim.get("/choose?country=SE").status_code == 200
    attacker = make_emc()
    attacker.cookies.set(COOKIE, planted, domain=HOST)
    assert attacker.get("/choose?country=SE", follow_redirects=False).status_code in (303, 401)


def test_every_kind_of_response_has_the_security_headers_and_safe_cookies(
    make_emc: Callable[..., TestClient],
) -> None:
    client = make_emc()
    responses = [
        client.get("/"),
        client.get("/login"),
        client.get("/no/such/page"),
        client.post(RETURN_PATH, data={"sessionId": "", "returnCode": "NCP_OK"}),
        client.post("/logout", data={}),
        client.get("/transfers/1", follow_redirects=False),
    ]
    assert [r.status_code for r in responses] == [200, 200, 404, 400, 403, 303]
    for response in responses:
        security_headers(response)
        cookie_flags(response)
    language = client.get("/?lang=sv")
    security_headers(language)
    assert any(c.startswith("__Host-emrex_lang=sv") for c in cookie_flags(language))
    login(client)
    assert cookie_value(client)


def test_markup_in_query_parameters_is_escaped(
    student: TestClient, watch_logs: pytest.LogCaptureFixture
) -> None:
    evil = f'"><script>alert("{MARKER}")</script>'
    with nothing_stored(database_of(student)):
        responses = [
            student.get("/choose", params={"country": evil}),
            student.get("/login", params={"next": evil}),
            student.get("/", params={"lang": evil}),
        ]
    for response in responses:
        assert "<script>" not in response.text, response.text[:500]
        no_traceback(response.text)
    assert responses[0].status_code == 404
    logs_clean(watch_logs)


def test_a_start_towards_an_unlisted_emp_is_refused(
    student: TestClient, watch_logs: pytest.LogCaptureFixture
) -> None:
    page = student.get("/choose?country=SE")
    with nothing_stored(database_of(student)):
        response = student.post(
            "/start",
            data={"country": "SE", "emp": "https://evil.example/emrex", "csrf_token": csrf(page.text)},
        )
    assert response.status_code == 400
    assert "no such data provider" in response.text
    assert "evil.example" not in response.text
    no_traceback(response.text)
    logs_clean(watch_logs)


def test_oversized_start_fields_are_refused(
    student: TestClient, watch_logs: pytest.LogCaptureFixture
) -> None:
    page = student.get("/choose?country=SE")
    token = csrf(page.text)
    with nothing_stored(database_of(student)):
        clipped = student.post("/start", data={"country": "SE" * 50_000, "emp": NORDVIK, "csrf_token": token})
        huge = student.post("/start", data={"country": "SE", "emp": MARKER * 200_000, "csrf_token": token})
        typed = student.post(
            "/start",
            data={"csrf_token": token},
            files={"country": ("c", b"SE"), "emp": ("e", NORDVIK.encode())},
        )
    assert (clipped.status_code, huge.status_code, typed.status_code) == (400, 413, 400)
    for response in (clipped, huge, typed):
        no_traceback(response.text)
    logs_clean(watch_logs)


def test_wrongly_typed_path_parameters_get_a_page(
    student: TestClient, watch_logs: pytest.LogCaptureFixture
) -> None:
    page = student.get("/choose?country=SE")
    for path in ("/transfers/1%20OR%201=1", "/transfers/-1", "/transfers/1e3", "/transfers/%00"):
        response = student.get(path)
        assert response.status_code in (400, 404), (path, response.status_code)
        assert "text/html" in response.headers["content-type"]
        no_traceback(response.text)
    with nothing_stored(database_of(student)):
        response = student.post("/transfers/abc/delete", data={"csrf_token": csrf(page.text)})
    assert response.status_code in (400, 404)
    no_traceback(response.text)
    logs_clean(watch_logs)


def test_login_does_not_redirect_off_the_site(make_emc: Callable[..., TestClient]) -> None:
    for target in (
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "/%5Cevil.example",
        "\t//evil.example",
    ):
        client = make_emc()
        page = client.get("/login")
        response = client.post(
            "/login",
            data={"username": "asa", "password": PASSWORD, "next": target, "csrf_token": csrf(page.text)},
            follow_redirects=False,
        )
        assert response.status_code == 303
        location = response.headers["location"]
        assert location.startswith("/") and not location.startswith("//") and "\\" not in location, location
        assert "evil.example" not in location or location.startswith("/%5C"), location


def test_another_students_transfer_is_not_found(
    make_emc: Callable[..., TestClient], keys: object, watch_logs: pytest.LogCaptureFixture
) -> None:
    asa, bo = make_emc(), make_emc()
    login(asa, "asa")
    login(bo, "bo")
    transfer_id = ok(asa, keys, start(asa))  # type: ignore[arg-type]
    page = bo.get("/choose?country=SE")
    with nothing_stored(database_of(bo)):
        responses = [
            bo.get(f"/transfers/{transfer_id}"),
            bo.get(f"/transfers/{transfer_id}/elmo.xml"),
            bo.post(f"/transfers/{transfer_id}/confirm", data={"csrf_token": csrf(page.text)}),
            bo.post(f"/transfers/{transfer_id}/delete", data={"csrf_token": csrf(page.text)}),
            bo.get(f"/staff/transfers/{transfer_id}"),
        ]
    assert [r.status_code for r in responses] == [404, 404, 409, 409, 403]
    for response in responses:
        assert "Lindqvist" not in response.text
        no_traceback(response.text)
    logs_clean(watch_logs)


exercised("emc-pages-cancel-others-transfer")


def test_another_student_cannot_cancel_a_waiting_transfer(
    make_emc: Callable[..., TestClient], watch_logs: pytest.LogCaptureFixture
) -> None:
    asa, bo = make_emc(), make_emc()
    login(asa, "asa")
    login(bo, "bo")
    start(asa)
    page = bo.get("/choose?country=SE")
    with nothing_stored(database_of(bo)), database_of(asa).session() as s:
        waiting = s.scalars(select(Transfer).where(Transfer.student == "asa")).one()
    for transfer_id in (waiting.id, waiting.id + 1, 0):
        with nothing_stored(database_of(bo)):
            response = bo.post(f"/transfers/{transfer_id}/cancel", data={"csrf_token": csrf(page.text)})
        assert response.status_code == 404, response.text
        no_traceback(response.text)
    with database_of(asa).session() as s:
        assert s.get(Transfer, waiting.id).status == Status.STARTED  # type: ignore[union-attr]
    logs_clean(watch_logs)


def test_a_transfer_id_beyond_64_bits_gets_a_404(make_emc: Callable[..., TestClient]) -> None:
    client = make_emc()
    login(client)
    quiet = TestClient(client.app, base_url=BASE_URL, raise_server_exceptions=False, cookies=client.cookies)
    response = quiet.get("/transfers/" + "9" * 30)
    no_traceback(response.text)
    assert response.status_code == 404


exercised("emc-pages-login-flood-spoofed-address")


def test_a_forged_forwarded_for_header_does_not_reset_the_address_limit(
    make_emc: Callable[..., TestClient], watch_logs: pytest.LogCaptureFixture
) -> None:
    client = make_emc()
    statuses = []
    for attempt in range(21):
        page = client.get("/login")
        response = client.post(
            "/login",
            data={
                "username": f"{MARKER}-{attempt}",
                "password": "guess",
                "next": "/",
                "csrf_token": csrf(page.text),
            },
            headers={"X-Forwarded-For": f"203.0.113.{attempt}"},
        )
        statuses.append(response.status_code)
    assert statuses[-1] == 429, statuses
    no_traceback(response.text)
    logs_clean(watch_logs)


exercised("emc-pages-open-transfer-flood")


def _parallel_starts(client: TestClient, count: int) -> list[int]:
    import threading

    page = client.get("/choose?country=SE")
    token = csrf(page.text)
    barrier = threading.Barrier(count)
    codes: list[int] = []

    def one() -> None:
        barrier.wait()
        response = client.post("/start", data={"country": "SE", "emp": NORDVIK, "csrf_token": token})
        no_traceback(response.text)
        codes.append(response.status_code)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return sorted(codes)


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_parallel_starts_open_no_more_transfers_than_the_limit(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., Any],
    request: pytest.FixtureRequest,
    watch_logs: pytest.LogCaptureFixture,
    database: str,
) -> None:
    from tests.emc.test_gate import open_transfers

    tables: dict[str, Any] = {"limits": {"max_open_transfers": 2}}
    if database == "postgresql":
        tables["database_url"] = request.getfixturevalue("postgres_schema")()
    client = make_emc(make_settings(**tables))
    login(client)
    assert _parallel_starts(client, 8) == [200, 200] + [429] * 6
    assert open_transfers(client) == 2
    logs_clean(watch_logs)


exercised("emc-pages-confirm-same-results-twice")


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_the_same_results_confirmed_twice_at_once_are_imported_once(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., Any],
    keys: Any,
    request: pytest.FixtureRequest,
    watch_logs: pytest.LogCaptureFixture,
    database: str,
) -> None:
    import threading

    from sqlalchemy import select

    from emrex.db import utcnow
    from emrex.emc.importing import confirm_import
    from emrex.emc.models import ForeignCredential, Status, Transfer
    from emrex.emc.service import stored_received
    from emrex.emc.store import owned

    tables: dict[str, Any] = {}
    if database == "postgresql":
        tables["database_url"] = request.getfixturevalue("postgres_schema")()
    client = make_emc(make_settings(**tables))
    login(client)
    first, second = start(client), start(client)
    ids = [ok(client, keys, session_id) for session_id in (first, second)]  # two documents, same results
    service = client.app.state.emc_service  # type: ignore[attr-defined]
    db = database_of(client)
    with db.session(readonly=True) as s:
        student = s.get(Transfer, ids[0]).student  # type: ignore[union-attr]
        received = {i: stored_received(service, s.get(Transfer, i)) for i in ids}
    barrier = threading.Barrier(2)

    def confirm(transfer_id: int) -> None:  # what the confirm route does, both at the same moment
        barrier.wait()
        with db.session() as s:
            confirm_import(s, owned(s, transfer_id, student), received[transfer_id], utcnow())

    threads = [threading.Thread(target=confirm, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with database_of(client).session() as s:
        assert {s.get(Transfer, i).status for i in ids} == {Status.IMPORTED}  # type: ignore[union-attr]
        rows = list(s.scalars(select(ForeignCredential)))
        found = [(c.issuer_id, c.code, c.end_date) for c in rows]
    assert len(found) == len(set(found)) == 8
    later = next(i for i in ids if not any(c.transfer_id == i for c in rows))
    page = client.get(f"/transfers/{later}").text
    assert "not imported again" in page
    logs_clean(watch_logs)


exercised("emc-pages-confirm-one-transfer-twice")


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_one_transfer_confirmed_twice_at_once_is_imported_once(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., Any],
    keys: Any,
    request: pytest.FixtureRequest,
    watch_logs: pytest.LogCaptureFixture,
    database: str,
) -> None:
    import threading

    from sqlalchemy import func

    from emrex.emc.models import ForeignCredential, WebhookEvent

    tables: dict[str, Any] = {}
    if database == "postgresql":
        tables["database_url"] = request.getfixturevalue("postgres_schema")()
    settings = make_settings(**tables)
    tabs = [make_emc(settings), make_emc(settings)]  # the student's two tabs (two sessions)
    for tab in tabs:
        login(tab)
    transfer_id = ok(tabs[0], keys, start(tabs[0]))
    tokens = [csrf(tab.get(f"/transfers/{transfer_id}").text) for tab in tabs]
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def confirm(tab: TestClient, token: str) -> None:
        barrier.wait()
        path = f"/transfers/{transfer_id}/confirm"
        codes.append(tab.post(path, data={"csrf_token": token}, follow_redirects=False).status_code)

    threads = [threading.Thread(target=confirm, args=pair) for pair in zip(tabs, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(codes) == [303, 409]
    with database_of(tabs[0]).session() as s:
        assert s.get(Transfer, transfer_id).status == Status.IMPORTED  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(ForeignCredential)) == 8
        assert s.scalar(select(func.count()).select_from(WebhookEvent)) == 1
    logs_clean(watch_logs)


exercised("emc-pages-next-dot-segments")


@pytest.mark.parametrize(
    "target",
    ["/.//evil.example", "/%2e//evil.example", "/x/..//evil.example", "/./%2E%2e//evil.example/"],
)
def test_next_with_dot_segments_cannot_become_another_host(
    make_emc: Callable[..., TestClient], target: str
) -> None:
    # A browser removes dot segments (also %2e) from the Location: "/.//evil.example" would become the
    # path "//evil.example", and a page there took its form action from it (another host).
    client = make_emc()
    page = client.get("/login", params={"next": target})
    assert 'value="' + target + '"' not in page.text
    response = client.post(
        "/login",
        data={"username": "asa", "password": PASSWORD, "next": target, "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    language = client.get("/language", params={"lang": "sv", "next": target}, follow_redirects=False)
    assert language.status_code == 303 and language.headers["location"] == "/"


exercised("emc-pages-anonymous-login-flood", "emc-pages-login-request-rate")


def test_a_flood_of_anonymous_login_pages_stores_nothing(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., Any]
) -> None:
    import dataclasses

    from emrex.web.login.settings import RateLimit

    settings = make_settings()
    unlimited = dataclasses.replace(settings.login, rate_limit=RateLimit(requests_per_minute=0))
    emc = make_emc(dataclasses.replace(settings, login=unlimited))
    TestClient(emc.app, base_url=BASE_URL).get("/login")  # the cookie key, made once per database
    with nothing_stored(database_of(emc)):
        for _visitor in range(500):
            page = TestClient(emc.app, base_url=BASE_URL).get("/login")
            assert page.status_code == 200 and 'name="csrf_token"' in page.text


def test_too_many_login_pages_from_one_address_get_a_429_page(make_emc: Callable[..., TestClient]) -> None:
    emc = make_emc()
    flood = TestClient(emc.app, base_url=BASE_URL, client=("198.51.100.80", 40000))
    assert [flood.get("/login").status_code for _ in range(60)] == [200] * 60
    refused = flood.get("/login")
    assert refused.status_code == 429 and "retry-after" in refused.headers
    no_traceback(refused.text)
    v6 = TestClient(emc.app, base_url=BASE_URL, client=("2001:db8:1:2::5", 40000))
    assert [v6.get("/login").status_code for _ in range(60)] == [200] * 60
    # Another address of the same /64 network counts with it; another network does not.
    for address, status in (("2001:db8:1:2::6", 429), ("2001:db8:1:3::6", 200)):
        assert TestClient(emc.app, base_url=BASE_URL, client=(address, 1)).get("/login").status_code == status
