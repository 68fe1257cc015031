from __future__ import annotations

import re

from fastapi.testclient import TestClient

from .helpers import save_name


def test_flash_messages_show_once(client: TestClient) -> None:
    save_name(client, "Anna")
    first = client.get("/").text
    assert '<p class="message message-success" role="status">Saved Anna</p>' in first
    assert "Saved Anna" not in client.get("/").text


def test_everything_from_outside_is_escaped(client: TestClient) -> None:
    save_name(client, "<script>alert(1)</script>")
    page = client.get("/").text
    assert "<script>alert(1)</script>" not in page
    assert "Signed in as &lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_context_processors_fill_the_person_slot(client: TestClient) -> None:
    assert "Signed in as" not in client.get("/").text
    save_name(client, "Bo")
    assert '<p class="person">Signed in as Bo</p>' in client.get("/").text


def test_layout_landmarks_and_skip_link(client: TestClient) -> None:
    page = client.get("/").text
    assert '<html lang="en">' in page
    assert '<a class="skip-link" href="#main">' in page
    for landmark in ('<header class="site-header">', '<main id="main"', '<footer class="site-footer">'):
        assert landmark in page
    assert '<link rel="stylesheet" href="/static/emrex.css">' in page


def test_every_control_in_the_layout_has_a_label(client: TestClient) -> None:
    page = client.get("/").text
    ids = set(re.findall(r'<(?:select|input)[^>]* id="([^"]+)"', page))
    labels = set(re.findall(r'<label for="([^"]+)"', page))
    assert ids and ids <= labels


def test_autopost_page_works_with_and_without_javascript(client: TestClient) -> None:
    page = client.get("/go")
    text = page.text
    assert '<form method="post" action="https://emp.example.org/emrex" data-emrex-autosubmit>' in text
    assert '<input type="hidden" name="sessionId" value="0123456789abcdef0123456789abcdef">' in text
    assert '<input type="hidden" name="returnUrl" value="https://emc.example.org/emrex/return">' in text
    assert '<button type="submit">Continue</button>' in text
    assert '<script src="/static/emrex-autosubmit.js"></script>' in text
    assert "<script>" not in text
    assert "https:" in page.headers["content-security-policy"].split("form-action")[1]
