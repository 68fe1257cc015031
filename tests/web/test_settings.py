from __future__ import annotations

from datetime import timedelta

import pytest

from emrex.web import WebConfigError, WebSettings


def test_defaults_are_secure() -> None:
    settings = WebSettings(base_url="https://emp.uni.example")
    assert settings.secure_cookies
    assert settings.session_cookie.startswith("__Host-")
    assert settings.max_protocol_bytes >= 48 * 1024 * 1024 > settings.max_form_bytes
    assert settings.languages[:2] == ("en", "sv")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"base_url": "http://emp.uni.example"}, "plain http"),
        ({"base_url": "https://emp.uni.example", "secure_cookies": False}, "secure_cookies"),
        ({"base_url": "ftp://emp.uni.example"}, "http"),
        ({"base_url": "https://emp.uni.example", "default_language": "de"}, "default_language"),
        ({"base_url": "https://emp.uni.example", "session_idle": timedelta(0)}, "lifetimes"),
        (
            {
                "base_url": "https://e.example",
                "session_idle": timedelta(hours=9),
                "session_absolute": timedelta(hours=8),
            },
            "lifetimes",
        ),
        ({"base_url": "https://emp.uni.example", "max_form_bytes": 0}, "limits"),
    ],
)
def test_contradictions_are_named(options: dict[str, object], message: str) -> None:
    with pytest.raises(WebConfigError, match=message):
        WebSettings(**options)  # type: ignore[arg-type]


def test_http_only_for_listed_development_hosts() -> None:
    dev = WebSettings(base_url="http://localhost:8000", dev_http_hosts=("localhost",), secure_cookies=False)
    assert dev.session_cookie == "emrex_session_8000"
    assert "Secure" not in dev.cookie_attributes()


def test_development_services_on_one_host_keep_apart_cookies() -> None:
    emc = WebSettings(base_url="http://127.0.0.1:8701", dev_http_hosts=("127.0.0.1",), secure_cookies=False)
    emp = WebSettings(base_url="http://127.0.0.1:8702/", dev_http_hosts=("127.0.0.1",), secure_cookies=False)
    assert emc.session_cookie != emp.session_cookie
    assert emc.language_cookie != emp.language_cookie
    production = WebSettings(base_url="https://emc.example.org:8443")
    assert production.session_cookie == "__Host-emrex_session"
