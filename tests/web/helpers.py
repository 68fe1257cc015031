from __future__ import annotations

import re

from fastapi.testclient import TestClient


def csrf_token(client: TestClient) -> str:
    """The token from the demo home page's form (creates the session when needed)."""
    page = client.get("/")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the home page has no CSRF field"
    return match.group(1)


def save_name(client: TestClient, name: str) -> None:
    response = client.post("/data", data={"name": name, "csrf_token": csrf_token(client)})
    assert response.status_code == 200, response.text


def set_cookies(response_headers: list[str]) -> dict[str, str]:
    """Set-Cookie header values by cookie name."""
    return {value.split("=", 1)[0]: value for value in response_headers}


def log_in(client: TestClient) -> None:
    """The demo app's stand-in for a login: the session is rotated, and kept in the database from now on."""
    response = client.post("/login", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 200, response.text
