from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from emrex.db import Database, utcnow
from emrex.web.store import WebSessionRow, hash_key

from .conftest import settings
from .helpers import csrf_token, log_in, save_name, set_cookies

COOKIE = "__Host-emrex_session"


def _session_rows(database: Database) -> list[WebSessionRow]:
    with database.session() as db:
        return list(db.scalars(select(WebSessionRow)))


def test_no_session_is_stored_for_a_visitor_who_stores_nothing(
    client: TestClient, database: Database
) -> None:
    response = client.get("/data")
    assert response.json() == {"name": None, "visits": 0}
    assert "set-cookie" not in response.headers
    assert _session_rows(database) == []


def test_cookie_flags(client: TestClient) -> None:
    response = client.get("/")
    cookie = set_cookies(response.headers.get_list("set-cookie"))[COOKIE]
    value = cookie.split(";")[0].split("=", 1)[1]
    assert len(value) >= 43
    attributes = {part.strip() for part in cookie.split(";")[1:]}
    assert {"Path=/", "HttpOnly", "SameSite=Lax", "Secure"} <= attributes
    assert not any(part.lower().startswith("domain") for part in attributes)


def test_insecure_cookies_only_for_a_development_host(make_client: Callable[..., TestClient]) -> None:
    dev = settings(base_url="http://localhost:8000", dev_http_hosts=("localhost",), secure_cookies=False)
    response = make_client(dev).get("/")
    cookie = set_cookies(response.headers.get_list("set-cookie"))["emrex_session_8000"]
    assert "Secure" not in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_only_a_hash_of_the_cookie_is_stored(client: TestClient, database: Database) -> None:
    log_in(client)
    save_name(client, "Åsa")
    key = client.cookies[COOKIE]
    rows = _session_rows(database)
    assert [row.id_hash for row in rows] == [hash_key(key)]
    assert key not in rows[0].id_hash and key not in rows[0].data
    assert '"name":"Åsa"' in rows[0].data


def test_data_persists_across_requests(client: TestClient) -> None:
    save_name(client, "Anna")
    save_name(client, "Anna")
    assert client.get("/data").json() == {"name": "Anna", "visits": 2}


def test_two_app_instances_share_sessions_through_the_database(
    make_client: Callable[..., TestClient],
) -> None:
    first, second = make_client(), make_client()
    log_in(first)
    save_name(first, "Bertil")
    second.cookies.set(COOKIE, first.cookies[COOKIE], domain="emc.example.org")
    assert second.get("/data").json() == {"name": "Bertil", "visits": 1}


def test_a_session_cookie_from_nowhere_is_not_adopted(client: TestClient, database: Database) -> None:
    planted = "A" * 43
    client.cookies.set(COOKIE, planted, domain="emc.example.org")
    save_name(client, "Cecilia")
    assert client.cookies[COOKIE] != planted
    assert hash_key(planted) not in {row.id_hash for row in _session_rows(database)}


def test_malformed_cookie_values_are_ignored(client: TestClient) -> None:
    client.cookies.set(COOKIE, "'; DROP TABLE web_session; --", domain="emc.example.org")
    assert client.get("/data").json() == {"name": None, "visits": 0}


def test_rotate_gives_a_new_id_and_the_old_one_stops_working(
    make_client: Callable[..., TestClient], database: Database
) -> None:
    client = make_client()
    log_in(client)
    save_name(client, "Dan")
    old_key = client.cookies[COOKIE]
    old_token = csrf_token(client)
    response = client.post("/login", data={"csrf_token": old_token})
    assert response.status_code == 200
    new_key = client.cookies[COOKIE]
    assert new_key != old_key
    assert client.get("/data").json()["name"] == "Dan"
    assert [row.id_hash for row in _session_rows(database)] == [hash_key(new_key)]

    attacker = make_client()
    attacker.cookies.set(COOKIE, old_key, domain="emc.example.org")
    assert attacker.get("/data").json() == {"name": None, "visits": 0}
    # The CSRF token is renewed with the id: whoever planted the old session knew the old token.
    assert csrf_token(client) != old_token


def test_login_moves_the_visitors_cookie_session_into_the_database(
    make_client: Callable[..., TestClient], database: Database
) -> None:
    client = make_client()
    save_name(client, "Dora")
    assert _session_rows(database) == []
    anonymous = client.cookies[COOKIE]
    log_in(client)
    key = client.cookies[COOKIE]
    assert key != anonymous and [row.id_hash for row in _session_rows(database)] == [hash_key(key)]
    assert client.get("/data").json() == {"name": "Dora", "visits": 1}


def test_clear_deletes_the_session_and_its_cookie(client: TestClient, database: Database) -> None:
    log_in(client)
    save_name(client, "Eva")
    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert "Max-Age=0" in set_cookies(response.headers.get_list("set-cookie"))[COOKIE]
    assert _session_rows(database) == []
    assert client.get("/data").json() == {"name": None, "visits": 0}


def test_a_failing_request_saves_none_of_its_changes(make_client: Callable[..., TestClient]) -> None:
    client = make_client(raise_server_exceptions=False)
    save_name(client, "Fredrik")
    response = client.post("/fail", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 500
    assert client.get("/data").json()["name"] == "Fredrik"


def _age_session(database: Database, *, seen: timedelta, created: timedelta | None = None) -> None:
    with database.session() as db:
        row = db.scalars(select(WebSessionRow)).one()
        now = utcnow()
        row.seen_at = now - seen
        row.created_at = now - (created or seen)
        lifetimes = settings()
        row.expires_at = min(
            row.seen_at + lifetimes.session_idle, row.created_at + lifetimes.session_absolute
        )


def test_idle_expiry(client: TestClient, database: Database) -> None:
    log_in(client)
    save_name(client, "Gun")
    _age_session(database, seen=settings().session_idle + timedelta(seconds=1))
    assert client.get("/data").json() == {"name": None, "visits": 0}
    assert _session_rows(database) == []


def test_activity_extends_the_idle_expiry(client: TestClient, database: Database) -> None:
    log_in(client)
    save_name(client, "Hans")
    _age_session(database, seen=settings().session_idle - timedelta(minutes=2))
    assert client.get("/data").json()["name"] == "Hans"
    (row,) = _session_rows(database)
    assert row.expires_at > utcnow() + settings().session_idle - timedelta(minutes=1)


def test_absolute_expiry_despite_activity(client: TestClient, database: Database) -> None:
    log_in(client)
    save_name(client, "Ida")
    _age_session(
        database, seen=timedelta(minutes=1), created=settings().session_absolute + timedelta(seconds=1)
    )
    assert client.get("/data").json() == {"name": None, "visits": 0}


def test_expired_sessions_are_purged(client: TestClient, database: Database) -> None:
    from emrex.web.store import Lifetimes, SessionStore

    log_in(client)
    save_name(client, "Jan")
    _age_session(database, seen=timedelta(days=2))
    store = SessionStore(database, Lifetimes(timedelta(minutes=5), timedelta(hours=1)))
    assert store.purge_expired() == 1
    with database.session() as db:
        assert db.scalar(select(func.count()).select_from(WebSessionRow)) == 0


def test_reading_does_not_rewrite_the_session(client: TestClient, database: Database) -> None:
    log_in(client)
    save_name(client, "Kim")
    (before,) = _session_rows(database)
    for _ in range(3):
        response = client.get("/data")
        assert "set-cookie" not in response.headers
    (after,) = _session_rows(database)
    assert (after.seen_at, after.expires_at, after.data) == (before.seen_at, before.expires_at, before.data)


def test_the_first_save_purges_even_just_after_the_machine_booted(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The monotonic clock counts from boot: a worker started on a fresh machine must still purge.
    from emrex.web import store as store_module

    monkeypatch.setattr(store_module.time, "monotonic", lambda: 12.0)
    store = store_module.SessionStore(
        database, store_module.Lifetimes(timedelta(minutes=5), timedelta(hours=1))
    )
    expired = "e" * 43
    store.save(expired, '{"a":1}', created_at=utcnow() - timedelta(hours=2))
    store.save("f" * 43, '{"b":2}', created_at=utcnow())
    assert [row.id_hash for row in _session_rows(database)] == [hash_key("f" * 43)]
