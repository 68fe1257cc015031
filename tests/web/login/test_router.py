"""The login pages in a real emrex.web app: demo, trusted headers, OIDC against a real provider."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from emrex.db import Database
from emrex.web import WebSettings, create_web_app
from emrex.web.auth import Person, person_context, require_person, require_role
from emrex.web.login import LOCALE_DIR, TEMPLATES_DIR, LoginSettings, hash_password, login_router

BASE = "http://testserver"
ANNA_PW = "anna-password"
SVEN_PW = "sven-password"
DEMO_ACCOUNTS = [
    {
        "username": "anna",
        "password_hash": hash_password(ANNA_PW, log2_n=10),
        "given_names": "Anna",
        "family_name": "Berg",
        "birth_date": "2000-01-31",
        "identifiers": {"esi": "urn:schac:personalUniqueCode:int:esi:uni.example:1"},
    },
    {
        "username": "sven",
        "password_hash": hash_password(SVEN_PW, log2_n=10),
        "given_names": "Sven",
        "family_name": "Lund",
        "roles": ["staff"],
    },
]


def make_app(database: Database, login: dict[str, Any], **router: Any) -> FastAPI:
    web = WebSettings(base_url=BASE, secure_cookies=False, dev_http_hosts=("testserver",))
    app = create_web_app(
        web,
        database,
        title="Test service",
        templates_dirs=[TEMPLATES_DIR],
        locale_dirs=[LOCALE_DIR],
        context_processors=[person_context],
    )
    app.include_router(login_router(LoginSettings.from_mapping(login), database, **router))

    @app.get("/me")
    def me(person: Person = Depends(require_person)) -> dict[str, Any]:  # noqa: B008
        return {"subject": person.subject, "roles": sorted(person.roles), "source": person.source}

    @app.get("/staff")
    def staff(person: Person = Depends(require_role("staff"))) -> dict[str, str]:  # noqa: B008
        return {"subject": person.subject}

    return app


@pytest.fixture
def demo_client(database: Database) -> Iterator[TestClient]:
    config = {"method": "demo", "production": False, "demo": {"accounts": DEMO_ACCOUNTS}}
    with TestClient(make_app(database, config), base_url=BASE, follow_redirects=False) as client:
        yield client


def cookie(client: TestClient) -> str | None:
    return client.cookies.get("emrex_session")


def csrf(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    marker = 'name="csrf_token" value="'
    return page.text.split(marker, 1)[1].split('"', 1)[0]


def demo_login(client: TestClient, username: str, password: str, next_url: str = "/me") -> httpx.Response:
    token = csrf(client, f"/login?next={next_url}")
    return client.post(
        "/login", data={"username": username, "password": password, "next": next_url, "csrf_token": token}
    )


# --- demo accounts -----------------------------------------------------------------------------


def test_demo_page_shows_the_demo_notice(demo_client: TestClient) -> None:
    page = demo_client.get("/login")
    assert page.status_code == 200
    assert "Demo login." in page.text and 'type="password"' in page.text


def test_demo_page_in_swedish(demo_client: TestClient) -> None:
    page = demo_client.get("/login?lang=sv")
    assert "Demoinloggning." in page.text and "Lösenord" in page.text


def test_demo_login_with_the_right_password(demo_client: TestClient) -> None:
    response = demo_login(demo_client, "anna", ANNA_PW)
    assert response.status_code == 303 and response.headers["location"] == "/me"
    me = demo_client.get("/me")
    assert me.json() == {"subject": "anna", "roles": ["student"], "source": "demo"}


def test_layout_names_the_logged_in_person(demo_client: TestClient) -> None:
    assert "Signed in as" not in demo_client.get("/logout").text
    demo_login(demo_client, "anna", ANNA_PW)
    assert "Signed in as Anna Berg" in demo_client.get("/logout").text


def test_demo_login_with_a_wrong_password_or_user(demo_client: TestClient) -> None:
    for username, password in [("anna", SVEN_PW), ("nobody", ANNA_PW), ("", "")]:
        response = demo_login(demo_client, username, password)
        assert response.status_code == 401
        assert "Wrong username or password." in response.text
    assert demo_client.get("/me", headers={"accept": "application/json"}).status_code == 401


def test_session_id_rotates_at_login_and_the_old_one_is_dead(demo_client: TestClient) -> None:
    # Session fixation: an id planted before login must not become a logged-in session.
    csrf(demo_client)
    before = cookie(demo_client)
    assert before
    response = demo_login(demo_client, "anna", ANNA_PW)
    after = cookie(demo_client)
    assert response.status_code == 303 and after and after != before
    demo_client.cookies.clear()
    demo_client.cookies.set("emrex_session", before)
    assert demo_client.get("/me").status_code == 303  # back to the login page


def test_csrf_token_is_renewed_at_login(demo_client: TestClient) -> None:
    # Someone who planted the session before login knew its CSRF token; it must not keep working.
    planted = csrf(demo_client)
    demo_login(demo_client, "anna", ANNA_PW)
    assert demo_client.post("/logout", data={"csrf_token": planted}).status_code == 403
    assert csrf(demo_client, "/logout") != planted


def test_login_without_csrf_token_is_refused(demo_client: TestClient) -> None:
    csrf(demo_client)
    response = demo_client.post("/login", data={"username": "anna", "password": ANNA_PW})
    assert response.status_code == 403
    assert demo_client.get("/me").status_code == 303


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
    ],
)
def test_next_must_be_a_local_path(demo_client: TestClient, target: str) -> None:
    response = demo_login(demo_client, "anna", ANNA_PW, next_url=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_local_next_with_query_is_kept(demo_client: TestClient) -> None:
    response = demo_login(demo_client, "anna", ANNA_PW, next_url="/transfers/42?tab=pdf")
    assert response.headers["location"] == "/transfers/42?tab=pdf"


def test_protected_page_redirects_to_login_with_next(demo_client: TestClient) -> None:
    response = demo_client.get("/me?x=1")
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/login?")
    assert parse_qs(urlsplit(location).query)["next"] == ["/me?x=1"]


def test_staff_page_needs_the_staff_role(demo_client: TestClient) -> None:
    demo_login(demo_client, "anna", ANNA_PW)
    assert demo_client.get("/staff").status_code == 403
    demo_client.cookies.clear()
    demo_login(demo_client, "sven", SVEN_PW)
    assert demo_client.get("/staff").json() == {"subject": "sven"}


def test_logout_needs_csrf_and_ends_the_session(demo_client: TestClient) -> None:
    demo_login(demo_client, "anna", ANNA_PW)
    logged_in = cookie(demo_client)
    assert demo_client.post("/logout").status_code == 403
    assert demo_client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert demo_client.get("/me").status_code == 200
    token = csrf(demo_client, "/logout")
    response = demo_client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert demo_client.get("/me").status_code == 303
    demo_client.cookies.clear()
    demo_client.cookies.set("emrex_session", logged_in or "")
    assert demo_client.get("/me").status_code == 303


def test_rate_limit_triggers_with_retry_time(database: Database) -> None:
    config = {
        "method": "demo",
        "production": False,
        "demo": {"accounts": DEMO_ACCOUNTS},
        "rate_limit": {"max_attempts_per_user": 3, "window_seconds": 120},
    }
    with TestClient(make_app(database, config), base_url=BASE, follow_redirects=False) as client:
        for _ in range(3):
            assert demo_login(client, "anna", "guess").status_code == 401
        blocked = demo_login(client, "anna", ANNA_PW)  # even the right password now
        assert blocked.status_code == 429
        assert 0 < int(blocked.headers["retry-after"]) <= 120
        assert "Try again in 2 minutes." in blocked.text
        assert client.get("/me").status_code == 303
        assert demo_login(client, "sven", SVEN_PW).status_code == 303  # another user is not blocked


def test_demo_router_refused_in_production(database: Database) -> None:
    from emrex.web.login import LoginConfigError

    with pytest.raises(LoginConfigError, match="production"):
        make_app(database, {"method": "demo", "production": True, "demo": {"accounts": DEMO_ACCOUNTS}})


# --- trusted headers ---------------------------------------------------------------------------

SHIB = {
    "eppn": "anna@uni.example",
    "givenName": "Anna",
    "sn": "Berg",
    "schacDateOfBirth": "20000131",
    "eduPersonAffiliation": "staff;member",
}


def headers_client(database: Database, proxies: list[str]) -> TestClient:
    config = {
        "method": "headers",
        "headers": {"trusted_proxies": proxies},
        "role_rules": [{"role": "staff", "source": "eduPersonAffiliation", "values": ["staff"]}],
    }
    # TestClient's requests come from the address "testclient"; a real client has an IP.
    app = make_app(database, config)
    return TestClient(app, base_url=BASE, follow_redirects=False, client=("127.0.0.1", 50000))


def test_headers_from_the_trusted_proxy_log_in(database: Database) -> None:
    with headers_client(database, ["127.0.0.1"]) as client:
        response = client.get("/login?next=/staff", headers=SHIB)
        assert response.status_code == 303 and response.headers["location"] == "/staff"
        assert client.get("/staff").json() == {"subject": "anna@uni.example"}
        assert client.get("/me").json()["source"] == "headers"


def test_headers_from_an_untrusted_address_are_refused(database: Database) -> None:
    with headers_client(database, ["10.0.0.5"]) as client:
        response = client.get("/login", headers=SHIB | {"x-forwarded-for": "10.0.0.5"})
        assert response.status_code == 403
        assert "must come through your institution's identity provider" in response.text
        assert client.get("/me").status_code == 303


def test_missing_attributes_page_names_them(database: Database) -> None:
    with headers_client(database, ["127.0.0.1"]) as client:
        response = client.get("/login", headers={"eppn": "anna@uni.example"})
        assert response.status_code == 400
        assert "<code>givenName</code>" in response.text and "<code>sn</code>" in response.text


# --- OIDC ----------------------------------------------------------------------------------------


def oidc_client(database: Database, issuer: str) -> TestClient:
    config = {
        "method": "oidc",
        "oidc": {
            "issuer": issuer,
            "client_id": "emrex-emc",
            "client_secret": "not-so-secret",
            "identifiers": {"nationalIdentifier": "national_id"},
        },
        "role_rules": [{"role": "staff", "source": "groups", "values": ["emrex-staff"]}],
    }
    return TestClient(make_app(database, config), base_url=BASE, follow_redirects=False)


def at_provider(location: str, sub: str) -> str:
    """The person picks an account at the provider; returns our callback URL (path and query)."""
    answer = httpx.post(location, data={"sub": sub})
    assert answer.status_code == 302, answer.text
    callback = urlsplit(answer.headers["location"])
    assert f"{callback.scheme}://{callback.netloc}" == BASE
    return f"{callback.path}?{callback.query}"


def test_oidc_full_flow_through_the_app(database: Database, oidc_issuer: str) -> None:
    with oidc_client(database, oidc_issuer) as client:
        start = client.get("/login?next=/staff")
        assert start.status_code == 303
        location = start.headers["location"]
        assert location.startswith(oidc_issuer)
        before = cookie(client)
        done = client.get(at_provider(location, "sven"))
        assert done.status_code == 303 and done.headers["location"] == "/staff"
        assert cookie(client) != before  # rotated at login
        assert client.get("/staff").json() == {"subject": "sven"}


def test_oidc_callback_with_a_forged_state_is_refused(database: Database, oidc_issuer: str) -> None:
    with oidc_client(database, oidc_issuer) as client:
        callback = at_provider(client.get("/login").headers["location"], "anna")
        forged = callback.replace("state=", "state=x")
        response = client.get(forged)
        assert response.status_code == 400 and "state mismatch" in response.text
        assert client.get("/me").status_code == 303


def test_oidc_callback_in_another_browser_is_refused(database: Database, oidc_issuer: str) -> None:
    # Login CSRF: an attacker's callback URL (their code and state) opened in the victim's browser.
    with oidc_client(database, oidc_issuer) as attacker, oidc_client(database, oidc_issuer) as victim:
        callback = at_provider(attacker.get("/login").headers["location"], "anna")
        assert victim.get(callback).status_code == 400
        assert victim.get("/me").status_code == 303


def test_oidc_callback_cannot_be_replayed(database: Database, oidc_issuer: str) -> None:
    with oidc_client(database, oidc_issuer) as client:
        callback = at_provider(client.get("/login").headers["location"], "anna")
        assert client.get(callback).status_code == 303
        client.cookies.clear()
        assert client.get(callback).status_code == 400


def test_oidc_keeps_only_a_local_next(database: Database, oidc_issuer: str) -> None:
    with oidc_client(database, oidc_issuer) as client:
        start = client.get("/login?next=https://evil.example/")
        done = client.get(at_provider(start.headers["location"], "anna"))
        assert done.headers["location"] == "/"


def test_unreachable_provider_gives_a_page(database: Database) -> None:
    with oidc_client(database, "http://127.0.0.1:9") as client:
        response = client.get("/login")
        assert response.status_code == 502
        assert "cannot be reached" in response.text
