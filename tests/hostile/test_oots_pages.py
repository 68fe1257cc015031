"""Hostile use of the EMP's OOTS pages (the PreviewLocation): someone else's login, invented tokens,
posts from other sites, markup from the requester, unsafe ReturnLocations."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient

from emrex.oots import Agent, Identifier, State, Text
from tests.emp.conftest import emp_ca, emp_key, key_files, password_hash, seal_key
from tests.emp.helpers import csrf, post
from tests.flows.test_oots_emp_flow import (
    BASE,
    PREVIEW,
    World,
    asking,
    log_in,
    oots_sis,
    preview_required,
    state,
    world,
)
from tests.hostile.cases import exercised
from tests.hostile.checks import MARKER, logs_clean, no_traceback, watch_logs

__all__ = ["emp_ca", "emp_key", "key_files", "oots_sis", "password_hash", "seal_key", "watch_logs", "world"]

exercised(
    "oots-pages-other-person",
    "oots-pages-forged-token",
    "oots-pages-cross-site-post",
    "oots-pages-markup-in-requester",
    "oots-unsafe-return-location",
)


def test_another_person_cannot_open_agree_to_or_cancel_a_bound_preview(
    world: World, watch_logs: pytest.LogCaptureFixture
) -> None:
    request = asking()
    location, path = preview_required(world, request)
    log_in(world.emp, path, "asa")
    page = world.emp.get(path)
    with TestClient(world.emp.app, base_url=BASE, follow_redirects=False) as thief:
        log_in(thief, path, "karl")
        opened = thief.get(path)
        assert opened.status_code == 403 and "Linear Algebra" not in opened.text
        for action in ("send", "cancel"):
            assert post(thief, f"{path}/send", opened.text, action=action, consent="yes").status_code == 403
        assert post(thief, f"{path}/cancel", opened.text).status_code == 403
        assert post(thief, f"{path}/no-results", opened.text).status_code in (303, 403)  # Karl has results
        no_traceback(opened.text)
    with TestClient(world.emp.app, base_url=BASE, follow_redirects=False) as anonymous:
        start = anonymous.get(path)
        assert "Linear Algebra" not in start.text
        assert post(anonymous, f"{path}/cancel", start.text).status_code == 403
    assert state(world, path) is State.PREVIEW
    assert (
        'data-outcome="approved"'
        in post(world.emp, f"{path}/send", page.text, action="send", consent="yes").text
    )
    assert world.repeat(request, location).response is not None
    logs_clean(watch_logs)


def test_invented_tokens_open_nothing(world: World) -> None:
    request = asking()
    location, path = preview_required(world, request)
    log_in(world.emp, path, "asa")
    own = world.emp.get(path)
    for token in ("A" * 43, "x" * 300, "..%2f..%2fadmin", "%00"):
        forged = "/oots/preview/" + token
        page = world.emp.get(forged)
        assert page.status_code == 404, (token, page.status_code)
        assert post(world.emp, f"{forged}/send", own.text, action="send", consent="yes").status_code == 404
        no_traceback(page.text)
    assert state(world, path) is State.PREVIEW
    forged_return = world.repeat(request, PREVIEW + "A" * 43)
    assert forged_return.code == "EDM:ERR:0003"
    assert "EMREX-OOTS-008" in (forged_return.error.exception.detail or "")  # type: ignore[union-attr]
    assert world.repeat(request, location).code == "EDM:ERR:0002"


def test_agreeing_or_cancelling_needs_the_csrf_token(world: World) -> None:
    _, path = preview_required(world, asking())
    log_in(world.emp, path, "asa")
    world.emp.get(path)
    for action in ("send", "cancel"):
        response = world.emp.post(f"{path}/send", data={"action": action, "consent": "yes"})
        assert response.status_code == 403
    assert world.emp.post(f"{path}/cancel").status_code == 403
    assert world.emp.post(f"{path}/send", data={"csrf_token": "forged", "action": "send"}).status_code == 403
    assert state(world, path) is State.PREVIEW


def test_markup_from_the_requester_is_escaped(world: World, watch_logs: pytest.LogCaptureFixture) -> None:
    hostile = f"<script>alert(1)</script> {MARKER}"
    requester = Agent(
        Identifier("00000000000002", "urn:cef.eu:names:identifier:EAS:0009"), (Text(hostile),), "FR", "ER"
    )
    request = asking(requesters=(requester,))
    evidence_type = dataclasses.replace(request.evidence_type, titles=(Text(hostile),))  # type: ignore[arg-type]
    _, path = preview_required(world, dataclasses.replace(request, evidence_type=evidence_type))
    pages = [world.emp.get(path)]
    log_in(world.emp, path, "asa")
    pages.append(world.emp.get(path))
    pages.append(post(world.emp, f"{path}/send", pages[-1].text, action="cancel"))
    for page in pages:
        assert "<script>alert(1)</script>" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    logs_clean(watch_logs)
    assert csrf(pages[1].text)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "http://evil.example/return",
        'https://admissions.example/"><script>alert(1)</script>',
        "https://user:secret@admissions.example/return",
        "https://admissions.example/return#fragment",
    ],
)
def test_an_unsafe_return_location_is_refused(world: World, url: str) -> None:
    received = world.ask(asking(return_location=url))
    assert received.code == "EDM:ERR:0003"
    assert (received.error.exception.detail or "").startswith("EMREX-OOTS-011")  # type: ignore[union-attr]
    assert received.preview_location is None
