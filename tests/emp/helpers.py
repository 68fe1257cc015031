"""Driving an EMP the way a browser does: entry post, demo login, forms, the auto-posted reply."""

from __future__ import annotations

import html
import re

import httpx
from fastapi.testclient import TestClient

from tests.emp.conftest import CLIENT_RETURN, PASSWORD

SESSION_ID = "0123456789abcdef0123456789abcdef"
_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def start(client: TestClient, **params: str) -> str:
    """POST the EMREX request; returns the flow page path."""
    data = {"sessionId": SESSION_ID, "returnUrl": CLIENT_RETURN, **params}
    response = client.post("/emrex", data=data)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/flow/")
    return location


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the page has no CSRF field"
    return match.group(1)


def login(client: TestClient, flow: str, username: str = "asa") -> None:
    page = client.get(f"/login?next={flow}")
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "next": flow, "csrf_token": csrf(page.text)},
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == flow


def post(client: TestClient, path: str, page: str, **fields: str | list[str]) -> httpx.Response:
    return client.post(path, data={"csrf_token": csrf(page), **fields})


def reply(response: httpx.Response) -> dict[str, str]:
    """The fields the page auto-posts to the client, and where (as ``action``)."""
    assert response.status_code == 200, response.text
    assert "data-emrex-autosubmit" in response.text
    action = re.search(r'<form method="post" action="([^"]+)" data-emrex-autosubmit>', response.text)
    assert action
    fields = {name: html.unescape(value) for name, value in _INPUT.findall(response.text)}
    fields["action"] = html.unescape(action.group(1))
    return fields


def items(page: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'name="item" value="([^"]+)"', page)]


def checked(page: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'name="item" value="([^"]+)" id="[^"]+" checked', page)]
