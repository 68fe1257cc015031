"""Hostile EMREX requests at the EMP's entry point: a 400 page saying what is wrong, nothing stored."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from emrex.db import Database
from tests.emp.conftest import (
    CLIENT_RETURN,
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
from tests.emp.helpers import SESSION_ID
from tests.hostile.cases import exercised
from tests.hostile.checks import MARKER, logs_clean, no_traceback, nothing_stored, watch_logs

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

# case id -> (fields replacing the good request's, words the page must say)
ENTRY_ATTACKS: dict[str, tuple[dict[str, str], str]] = {
    "emp-entry-return-url-data-scheme": (
        {"returnUrl": "data:text/html,<script>alert(1)</script>"},
        "returnUrl) is not valid",
    ),
    "emp-entry-return-url-file-scheme": ({"returnUrl": "file:///etc/passwd"}, "returnUrl) is not valid"),
    "emp-entry-return-url-protocol-relative": (
        {"returnUrl": "//evil.example/return"},
        "returnUrl) is not valid",
    ),
    "emp-entry-return-url-backslash": (
        {"returnUrl": "https://evil.example\\@emc.home.example/return"},
        "returnUrl) is not valid",
    ),
    "emp-entry-return-url-credentials": (
        {"returnUrl": f"https://{MARKER}:secret@emc.home.example/return"},
        "user name or password",
    ),
    "emp-entry-return-url-idn-lookalike": (
        {"returnUrl": "https://emc.h\u043eme.example/emrex/return"},  # Cyrillic o
        "returnUrl) is not valid",
    ),
    "emp-entry-return-url-very-long": (
        {"returnUrl": "https://emc.home.example/return?x=" + "A" * 100_000},
        "returnUrl) is not valid",
    ),
    "emp-entry-return-url-newline": (
        {"returnUrl": "https://emc.home.example/return\r\nSet-Cookie: a=b"},
        "returnUrl) is not valid",
    ),
    "emp-entry-return-url-fragment": (
        {"returnUrl": "https://emc.home.example/return#<img src=x onerror=alert(1)>"},
        "returnUrl) is not valid",
    ),
    "emp-entry-return-url-decimal-ip": (
        {"returnUrl": "https://2130706433/emrex/return"},
        "disguised",
    ),
    "emp-entry-return-url-hex-ip": ({"returnUrl": "https://0x7f000001/emrex/return"}, "disguised"),
    "emp-entry-return-url-octal-ip": ({"returnUrl": "https://0177.0.0.1/emrex/return"}, "disguised"),
    "emp-entry-return-url-short-ip": ({"returnUrl": "https://127.1:8443/emrex/return"}, "disguised"),
    "emp-entry-return-url-ipv6-zone-id": (
        {"returnUrl": "https://[fe80::1%25eth0]/emrex/return"},
        "returnUrl) is not valid",
    ),
    "emp-entry-return-url-ipv6-long-form": (
        {"returnUrl": "https://[0:0:0:0:0:ffff:7f00:1]/emrex/return"},
        "disguised",
    ),
    "emp-entry-return-url-percent-host": (
        {"returnUrl": "https://emc.home%2eexample/emrex/return"},
        "returnUrl) is not valid",
    ),
    "emp-entry-session-id-markup": (
        {"sessionId": f"<script>alert('{MARKER}')</script>"},
        "invalid transfer identifier",
    ),
    "emp-entry-session-id-huge": ({"sessionId": "A" * 1_000_000}, "invalid transfer identifier"),
}
exercised(*ENTRY_ATTACKS, "emp-entry-query-markup", "emp-entry-file-fields", "emp-entry-oversized-post")
exercised("emp-entry-idn-punycode-shown")


def _stored(client: TestClient) -> Database:
    db: Database = client.app.state.emrex_emp.database  # type: ignore[attr-defined]
    return db


def _refused(client: TestClient, response: object, words: str, caplog: pytest.LogCaptureFixture) -> None:
    assert response.status_code == 400, response.text  # type: ignore[attr-defined]
    body: str = response.text  # type: ignore[attr-defined]
    assert words in body
    assert "Nothing was stored" in body
    assert "<script>" not in body and "<img src=x" not in body
    no_traceback(body)
    logs_clean(caplog)


@pytest.mark.parametrize("case_id", sorted(ENTRY_ATTACKS))
def test_hostile_entry_parameters(
    emp: TestClient, watch_logs: pytest.LogCaptureFixture, case_id: str
) -> None:
    fields, words = ENTRY_ATTACKS[case_id]
    with nothing_stored(_stored(emp)):
        response = emp.post("/emrex", data={"sessionId": SESSION_ID, "returnUrl": CLIENT_RETURN, **fields})
    _refused(emp, response, words, watch_logs)
    assert "set-cookie" not in response.headers


def test_markup_in_query_parameters_of_a_get_entry(
    emp: TestClient, watch_logs: pytest.LogCaptureFixture
) -> None:
    params = {"sessionId": f'"><script>alert("{MARKER}")</script>', "returnUrl": "javascript:alert(1)"}
    with nothing_stored(_stored(emp)):
        response = emp.get("/emrex", params=params)
    _refused(emp, response, "invalid transfer identifier", watch_logs)
    assert MARKER not in response.text


def test_parameters_sent_as_file_uploads_are_missing(
    emp: TestClient, watch_logs: pytest.LogCaptureFixture
) -> None:
    files = {"sessionId": ("s.txt", SESSION_ID.encode()), "returnUrl": ("u.txt", CLIENT_RETURN.encode())}
    with nothing_stored(_stored(emp)):
        response = emp.post("/emrex", files=files)
    _refused(emp, response, "sessionId is missing", watch_logs)


def test_an_oversized_entry_post_is_refused_before_it_is_read(
    make_emp: Callable[..., TestClient], watch_logs: pytest.LogCaptureFixture
) -> None:
    emp = make_emp()
    limit: int = emp.app.state.emrex_settings.max_protocol_bytes  # type: ignore[attr-defined]
    body = b"sessionId=" + SESSION_ID.encode() + b"&returnUrl=" + b"A" * (limit + 1)
    with nothing_stored(_stored(emp)):
        response = emp.post(
            "/emrex", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
        )
    assert response.status_code == 413
    assert "too large" in response.text.lower() or "larger than" in response.text.lower()
    no_traceback(response.text)
    logs_clean(watch_logs)


def test_a_punycode_host_is_accepted_and_shown_as_punycode_before_consent(emp: TestClient) -> None:
    # The look-alike in Unicode is refused (above); its ASCII form is served, and the student sees
    # the xn-- name, never the glyphs that imitate the real client.
    url = "https://emc.xn--hme-qdd.example/emrex/return"
    response = emp.post("/emrex", data={"sessionId": SESSION_ID, "returnUrl": url})
    assert response.status_code == 303
    page = emp.get(response.headers["location"])
    assert "emc.xn--hme-qdd.example" in page.text
    assert "emc.h\u043eme.example" not in page.text


exercised(
    "emp-entry-anonymous-flood",
    "emp-entry-image-get-flood",
    "emp-entry-invented-client-hosts",
    "emp-entry-request-rate",
    "emp-entry-cancel-before-login",
)


def _unlimited(make_emp: Callable[..., TestClient], password_hash: str, key_files: object) -> TestClient:
    from tests.emp.conftest import config

    login = config(password_hash, key_files)["login"]  # type: ignore[arg-type]
    return make_emp(login={**login, "rate_limit": {"requests_per_minute": 0}})


def _fresh(emp: TestClient, address: str = "198.51.100.7") -> TestClient:
    return TestClient(emp.app, base_url=str(emp.base_url), follow_redirects=False, client=(address, 40000))


def test_a_flood_of_valid_entries_stores_nothing(
    make_emp: Callable[..., TestClient],
    password_hash: str,
    key_files: object,
    watch_logs: pytest.LogCaptureFixture,
) -> None:
    emp = _unlimited(make_emp, password_hash, key_files)
    _fresh(emp).post("/emrex", data={"sessionId": SESSION_ID, "returnUrl": CLIENT_RETURN})  # the cookie key
    with nothing_stored(_stored(emp)):
        for index in range(300):
            visitor = _fresh(emp)
            response = visitor.post("/emrex", data={"sessionId": f"s{index}", "returnUrl": CLIENT_RETURN})
            assert response.status_code == 303
            page = visitor.get(response.headers["location"])  # the start page, with its cancel form
            assert page.status_code == 200 and "Log in" in page.text
            visitor.get("/login")
    logs_clean(watch_logs)


def test_entries_by_get_as_images_of_any_page_store_nothing(
    make_emp: Callable[..., TestClient], password_hash: str, key_files: object
) -> None:
    emp = _unlimited(make_emp, password_hash, key_files)
    _fresh(emp).get("/emrex", params={"sessionId": SESSION_ID, "returnUrl": CLIENT_RETURN})
    with nothing_stored(_stored(emp)):
        for index in range(300):
            response = _fresh(emp).get(
                "/emrex",
                params={"sessionId": f"img{index}", "returnUrl": CLIENT_RETURN},
                headers={"sec-fetch-dest": "image", "referer": "https://any.site.example/"},
            )
            assert response.status_code == 303


def test_invented_client_hosts_never_reach_the_statistics(
    make_emp: Callable[..., TestClient], password_hash: str, key_files: object
) -> None:
    from tests.emp.helpers import login

    emp = _unlimited(make_emp, password_hash, key_files)
    for index in range(50):
        _fresh(emp).post(
            "/emrex", data={"sessionId": SESSION_ID, "returnUrl": f"https://invented{index}.example/r"}
        )
    staff = _fresh(emp, "203.0.113.9")
    entry = {"sessionId": SESSION_ID, "returnUrl": CLIENT_RETURN}
    flow = staff.post("/emrex", data=entry).headers["location"]
    login(staff, flow, "staff")
    staff.get(flow)
    page = staff.get("/admin/stats")
    assert page.status_code == 200 and "emc.home.example" in page.text
    assert "invented" not in page.text


class _StillClock:
    """The limiter's clock held still: the flood below is 61 requests within one instant however slow
    the machine (at one request a second refilled, a loaded machine let the 61st through)."""

    @staticmethod
    def monotonic() -> float:
        return 1_000.0


def test_too_many_entries_from_one_address_get_a_429_page(
    emp: TestClient, watch_logs: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from emrex.web import ratelimit

    monkeypatch.setattr(ratelimit, "time", _StillClock)
    flood = _fresh(emp, "198.51.100.66")
    statuses = [
        flood.post("/emrex", data={"sessionId": f"r{index}", "returnUrl": CLIENT_RETURN}).status_code
        for index in range(60)
    ]
    assert statuses == [303] * 60  # the default: 60 a minute per address and worker
    with nothing_stored(_stored(emp)):
        refused = flood.post("/emrex", data={"sessionId": "r60", "returnUrl": CLIENT_RETURN})
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert "Too many requests" in refused.text
        no_traceback(refused.text)
        assert flood.get("/login").status_code == 429  # the login pages count with the entry
    # Another address, and another subscriber's IPv6 network, are served.
    assert _fresh(emp, "198.51.100.67").post(
        "/emrex", data={"sessionId": "x", "returnUrl": CLIENT_RETURN}
    ).status_code == 303
    logs_clean(watch_logs)


def test_a_cancel_before_login_answers_the_client_and_stores_nothing(
    emp: TestClient, watch_logs: pytest.LogCaptureFixture
) -> None:
    from tests.emp.helpers import csrf, reply

    visitor = _fresh(emp)
    entry = {"sessionId": SESSION_ID, "returnUrl": CLIENT_RETURN}
    flow = visitor.post("/emrex", data=entry).headers["location"]
    with nothing_stored(_stored(emp)):
        page = visitor.get(flow)
        sent = reply(visitor.post(f"{flow}/cancel", data={"csrf_token": csrf(page.text)}))
        assert sent["returnCode"] == "NCP_CANCEL" and sent["sessionId"] == SESSION_ID
        assert visitor.get(flow).status_code == 404  # gone from the browser's session
    logs_clean(watch_logs)
