from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from emrex.web.security import content_security_policy, script_hash

from .conftest import INLINE_SCRIPT, settings


def _directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in policy.split(";"):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("GET", "/data"), ("GET", "/missing"), ("POST", "/data"), ("GET", "/health")],
)
def test_every_response_has_the_security_headers(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    headers = response.headers
    policy = _directives(headers["content-security-policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'", "https:"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"
    assert headers["strict-transport-security"].startswith("max-age=")


def test_no_inline_code_is_allowed_except_registered_hashes(client: TestClient) -> None:
    policy = client.get("/").headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert _directives(policy)["script-src"] == ["'self'", script_hash(INLINE_SCRIPT)]


def test_script_hash_is_the_csp_sha256_of_the_text() -> None:
    # Known value: CSP level 2 hash of "alert('Hello, world.');" from the specification's example.
    assert script_hash("alert('Hello, world.');") == "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"


def test_development_hosts_may_receive_form_posts_over_http() -> None:
    dev = settings(base_url="http://localhost:8000", dev_http_hosts=("localhost",), secure_cookies=False)
    form_action = _directives(content_security_policy(dev))["form-action"]
    assert "http://localhost:*" in form_action and "https:" in form_action
    assert "http:" not in form_action


def test_an_ipv6_development_host_is_written_in_brackets() -> None:
    # Browsers refuse `http://::1` in a policy (a console error on every page) and so the form target.
    hosts = ("localhost", "::1", "127.0.0.1")
    dev = settings(base_url="http://localhost:8000", dev_http_hosts=hosts, secure_cookies=False)
    form_action = _directives(content_security_policy(dev))["form-action"]
    assert "http://[::1]:*" in form_action and "http://[::1]" in form_action
    assert not any(source.startswith("http://::") for source in form_action), form_action


def test_static_files_are_served_and_cacheable(client: TestClient) -> None:
    response = client.get("/static/emrex.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "max-age" in response.headers["cache-control"]
    assert "set-cookie" not in response.headers
    assert client.get("/static/emrex-autosubmit.js").status_code == 200


def test_the_layout_loads_no_external_assets(client: TestClient) -> None:
    page = client.get("/").text
    assert "http://" not in page and "https://" not in page and "<script>" not in page
