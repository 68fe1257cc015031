"""Reading and using the language picker of a page the way a browser without JavaScript does."""

from __future__ import annotations

import html
import re

import httpx
from fastapi.testclient import TestClient

_FORM = re.compile(r'<form class="language-picker" method="get" action="([^"]*)">(.*?)</form>', re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def picker(page: str) -> tuple[str, dict[str, str]]:
    """The picker form's action and its hidden fields."""
    found = _FORM.search(page)
    assert found, "the page has no language picker"
    fields = {name: html.unescape(value) for name, value in _HIDDEN.findall(found.group(2))}
    return html.unescape(found.group(1)), fields


def change_language(client: TestClient, page: str, language: str) -> httpx.Response:
    """Submit the picker with ``language`` and follow where it leads (without the client's own
    redirect following): the final response."""
    action, fields = picker(page)
    response = client.get(action, params={**fields, "lang": language}, follow_redirects=False)
    for _hop in range(5):
        if response.status_code not in (302, 303, 307):
            break
        location = response.headers["location"]
        assert location.startswith("/") and not location.startswith("//"), location
        response = client.get(location, follow_redirects=False)
    return response
