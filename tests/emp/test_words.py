"""What the student's pages call things: the client by its name, citizenship and gender in words, the
identifier types explained, a cancel said as what it is; the running total's figures; the menu."""

from __future__ import annotations

import dataclasses
import html
import json
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from emrex.elmo import model as m
from emrex.emp.config import EmpConfigError, settings_from_mapping
from emrex.emp.runtime import build_source
from emrex.emp.sources.base import LearnerResults, PersonQuery
from tests.emp.conftest import PASSWORD
from tests.emp.helpers import csrf, login, post, reply, start

NAMES = {"client_names": {"emc.home.example": "Lindholm University"}}


def _preview(emp: TestClient, *picked: str) -> tuple[str, str]:
    flow = start(emp)
    login(emp, flow)
    post(emp, f"{flow}/select", emp.get(flow).text, item=list(picked), action="preview")
    return flow, emp.get(f"{flow}/preview").text


def test_the_client_is_named_as_configured_on_every_step(make_emp: Callable[..., TestClient]) -> None:
    emp = make_emp(**NAMES)
    flow = start(emp)
    first = emp.get(flow).text
    assert "The service at Lindholm University asks for your study results." in first
    assert "Cancel and return to Lindholm University" in first
    login(emp, flow)
    selection = emp.get(flow).text
    assert "will be sent to Lindholm University after you have checked them" in selection
    assert "Cancel and return to Lindholm University" in selection
    post(emp, f"{flow}/select", selection, item="0:C1", action="preview")
    preview = emp.get(f"{flow}/preview").text
    assert re.search(r'class="receiver-host">Lindholm University<', preview)
    assert "sent to Lindholm University." in preview
    assert "Cancel and return to Lindholm University" in preview
    assert "emc.home.example" not in preview.replace("https://emc.home.example", "")


def test_a_client_without_a_name_is_shown_by_its_host(emp: TestClient) -> None:
    assert "Cancel and return to emc.home.example" in emp.get(start(emp)).text


def test_a_host_and_port_name_wins_over_the_host_alone() -> None:
    settings = settings_from_mapping(
        {**_minimal(), "client_names": {"localhost": "Any port", "LOCALHOST:8701": "Lindholm University"}}
    )
    assert settings.client_name("http://localhost:8701/emrex/return") == "Lindholm University"
    assert settings.client_name("http://localhost:9000/emrex/return") == "Any port"
    assert settings.client_name("https://other.example/r") == "other.example"


@pytest.mark.parametrize("value", ["", "   ", 7, "x" * 201])
def test_a_client_name_must_be_a_short_text(value: object) -> None:
    with pytest.raises(EmpConfigError, match=r"client_names\.emc\.home\.example: expected a name"):
        settings_from_mapping({**_minimal(), "client_names": {"emc.home.example": value}})


def test_cancelling_says_so_on_the_way_back(make_emp: Callable[..., TestClient]) -> None:
    emp = make_emp(**NAMES)
    flow = start(emp)
    login(emp, flow)
    response = post(emp, f"{flow}/select", emp.get(flow).text, action="cancel")
    reply(response)
    assert "You cancelled: returning to Lindholm University" in response.text
    assert "<title>You cancelled: returning to Lindholm University" in response.text


class _WithGender:
    """The seeded SIS, with the learner's gender set (the seed has none)."""

    def __init__(self, inner: object, gender: m.Gender) -> None:
        self.inner, self.gender = inner, gender

    def fetch(self, person: PersonQuery) -> LearnerResults:
        found: LearnerResults = self.inner.fetch(person)  # type: ignore[attr-defined]
        return dataclasses.replace(found, learner=dataclasses.replace(found.learner, gender=self.gender))


@pytest.mark.parametrize(
    ("language", "gender", "words"),
    [
        ("en", m.Gender.FEMALE, ("Sweden", "female", "National identity number")),
        ("sv", m.Gender.MALE, ("Sverige", "man", "Personnummer")),
        ("fi", m.Gender.NOT_APPLICABLE, ("Ruotsi", "ei sovellu", "Henkilötunnus")),
    ],
)
def test_citizenship_gender_and_identifiers_are_said_in_words(
    make_emp: Callable[..., TestClient], language: str, gender: m.Gender, words: tuple[str, ...]
) -> None:
    emp = make_emp()
    source = build_source({"type": "sql"}, emp.app.state.emrex_emp.database)  # type: ignore[attr-defined]
    emp = make_emp(source=_WithGender(source, gender))
    emp.get("/", params={"lang": language})
    _, page = _preview(emp, "0:C1")
    for word in words:
        assert f"<dd>{word}</dd>" in page or f"<dt>{word}</dt>" in page, (word, page)
    assert "ISO 5218" not in page and "<dd>SE</dd>" not in page and "nationalIdentifier" not in page


def _boxes(page: str) -> list[tuple[str, bool, int, Decimal, list[str]]]:
    found = []
    for tag in re.findall(r"<input type=\"checkbox\" name=\"item\"[^>]*>", page):
        value = html.unescape(re.search(r'value="([^"]*)"', tag).group(1))  # type: ignore[union-attr]
        count = int(re.search(r'data-count="(\d+)"', tag).group(1))  # type: ignore[union-attr]
        credits = Decimal(re.search(r'data-credits="([^"]*)"', tag).group(1))  # type: ignore[union-attr]
        covered = re.search(r'data-covered-by="([^"]*)"', tag)
        covering = json.loads(html.unescape(covered.group(1))) if covered else []
        found.append((value, " checked" in tag, count, credits, covering))
    return found


def _running_total(boxes: list[tuple[str, bool, int, Decimal, list[str]]]) -> tuple[int, Decimal]:
    """What emp-selection.js computes from the page's figures."""
    chosen = {key for key, ticked, *_ in boxes if ticked}
    count = sum(n for _, ticked, n, _, _ in boxes if ticked)
    credits = sum(
        (c for _, ticked, _, c, covering in boxes if ticked and not chosen.intersection(covering)), Decimal(0)
    )
    return count, credits


@pytest.mark.parametrize("settings", [{}, {"whole_programme_only": True}])
@pytest.mark.parametrize("action", ["all", "some"])
def test_the_running_total_agrees_with_the_server(
    make_emp: Callable[..., TestClient], settings: dict[str, object], action: str
) -> None:
    emp = make_emp(**settings)
    flow = start(emp)
    login(emp, flow)
    page = emp.get(flow).text
    keys = [key for key, *_ in _boxes(page)]
    if action == "all":
        post(emp, f"{flow}/select", page, action="all")
    else:
        post(emp, f"{flow}/select", page, action="update", item=keys[::2])
    page = emp.get(flow).text
    count, credits = _running_total(_boxes(page))
    assert count > 0
    figure = f"{credits.normalize():f}"
    assert f"Chosen: {count} results, {figure} credits (ECTS)." in page, page
    template = re.search(r'class="selection-total" role="status" data-template="([^"]*)"', page)
    assert (
        template and html.unescape(template.group(1)) == "Chosen: {count} results, {credits} credits (ECTS)."
    )


def test_the_script_is_served_from_this_site(emp: TestClient) -> None:
    flow = start(emp)
    login(emp, flow)
    page = emp.get(flow).text
    assert '<script src="/emp-selection.js"></script>' in page and "<script>" not in page
    script = emp.get("/emp-selection.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "script-src 'self'" in script.headers["content-security-policy"]
    assert "data-without-script" in page  # the server's "Update the total" stays for pages without it


def test_the_menu_has_log_out_and_staff_their_statistics(emp: TestClient) -> None:
    flow = start(emp)
    assert 'href="/logout"' not in emp.get(flow).text  # nobody is logged in yet
    login(emp, flow)
    page = emp.get(flow).text
    assert 'href="/logout"' in page and 'href="/admin/stats"' not in page


def test_staff_land_on_their_statistics(make_emp: Callable[..., TestClient]) -> None:
    staff = make_emp()
    page = staff.get("/login?next=/").text
    response = staff.post(
        "/login", data={"username": "staff", "password": PASSWORD, "next": "/", "csrf_token": csrf(page)}
    )
    assert response.status_code == 303 and response.headers["location"] == "/admin/stats"
    stats = staff.get("/admin/stats").text
    assert 'href="/admin/stats"' in stats and 'href="/logout"' in stats


def _minimal() -> dict[str, object]:
    return {
        "base_url": "https://emp.example",
        "key_file": "k.pem",
        "certificate_file": "c.pem",
        "login": {"method": "headers", "headers": {"trusted_proxies": ["127.0.0.1"]}},
    }
