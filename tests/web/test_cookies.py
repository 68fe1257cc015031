"""A visitor's session before login: signed into the cookie, nothing in the database."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from emrex.db import Database, utcnow
from emrex.web.cookies import MAX_VALUE_BYTES, SignedCookies
from emrex.web.store import Lifetimes, WebSecretRow, WebSessionRow

from .helpers import csrf_token, save_name, set_cookies

COOKIE = "__Host-emrex_session"
LIFETIMES = Lifetimes(timedelta(minutes=30), timedelta(hours=8))


def _rows(database: Database, table: type[object]) -> int:
    with database.session() as db:
        return int(db.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


def test_a_visitor_stores_no_row_and_gets_the_data_back_from_the_cookie(
    client: TestClient, database: Database
) -> None:
    save_name(client, "Åsa")
    save_name(client, "Åsa")
    assert client.get("/data").json() == {"name": "Åsa", "visits": 2}
    assert _rows(database, WebSessionRow) == 0
    assert client.cookies[COOKIE].startswith("1.")


def test_many_visitors_of_the_login_form_store_nothing_but_the_one_key(
    make_client: Callable[..., TestClient], database: Database
) -> None:
    for _visitor in range(30):
        csrf_token(make_client())
    assert _rows(database, WebSessionRow) == 0
    assert _rows(database, WebSecretRow) == 1


def test_a_changed_cookie_is_not_believed(client: TestClient) -> None:
    save_name(client, "Bo")
    version, body, mac = client.cookies[COOKIE].split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["d"]["name"] = "Mallory"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    client.cookies.set(COOKIE, f"{version}.{forged}.{mac}", domain="emc.example.org")
    assert client.get("/data").json() == {"name": None, "visits": 0}


def test_a_cookie_signed_for_another_database_is_not_believed(make_client: Callable[..., TestClient]) -> None:
    stranger = SignedCookies(b"k" * 32, LIFETIMES)
    value = stranger.encode({"name": "Mallory", "visits": 9}, utcnow(), utcnow())
    client = make_client()
    client.cookies.set(COOKIE, value, domain="emc.example.org")
    assert client.get("/data").json() == {"name": None, "visits": 0}


def test_two_processes_on_one_database_read_each_others_cookies(
    make_client: Callable[..., TestClient],
) -> None:
    first, second = make_client(), make_client()
    save_name(first, "Cecilia")
    second.cookies.set(COOKIE, first.cookies[COOKIE], domain="emc.example.org")
    assert second.get("/data").json() == {"name": "Cecilia", "visits": 1}


def test_cookies_expire_like_sessions() -> None:
    cookies = SignedCookies(b"s" * 32, LIFETIMES)
    now = utcnow()
    idle = cookies.encode({"a": 1}, now - timedelta(hours=1), now - timedelta(minutes=31))
    absolute = cookies.encode({"a": 1}, now - timedelta(hours=9), now - timedelta(minutes=1))
    live = cookies.encode({"a": 1}, now - timedelta(hours=1), now - timedelta(minutes=29))
    assert idle and absolute and live
    assert cookies.decode(idle, now) is None and cookies.decode(absolute, now) is None
    found = cookies.decode(live, now)
    assert found is not None and found.data == {"a": 1}


@pytest.mark.parametrize("value", ["1.e30.x", "1..", "1." + "A" * 5000 + "." + "B" * 43, "2.abc." + "c" * 43])
def test_malformed_values_are_nothing(value: str) -> None:
    assert SignedCookies(b"s" * 32, LIFETIMES).decode(value, utcnow()) is None


def test_data_too_large_for_a_cookie_is_not_kept(
    client: TestClient, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    response = client.post("/data", data={"name": "x" * MAX_VALUE_BYTES, "csrf_token": csrf_token(client)})
    assert response.status_code == 200
    assert "Max-Age=0" in set_cookies(response.headers.get_list("set-cookie"))[COOKIE]
    assert any("does not fit into a cookie" in record.getMessage() for record in caplog.records)
    assert _rows(database, WebSessionRow) == 0


def test_reading_does_not_reissue_a_fresh_cookie(client: TestClient) -> None:
    save_name(client, "Doris")
    for _ in range(3):
        assert "set-cookie" not in client.get("/data").headers
