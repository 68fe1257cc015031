"""A data provider that serves several institutions: pages and the API name what the registry and the
document say, never only the first institution of the registry entry."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from emrex.elmo import model as m
from emrex.elmo.sample import sample_elmo
from emrex.emc.config import EmcSettings
from emrex.registry import Country, Emp, Registry, emreg_json
from tests.emc.conftest import API_TOKEN, NORDVIK, Keys, csrf, login, ok, start

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
FIRST, SECOND = "Nordvik University", "Söderby School of Music"
EMP_TITLE = f"NORDVIK ({FIRST}, {SECOND})"


@pytest.fixture
def two_institutions(
    tmp_path: Path, keys: Keys, make_settings: Callable[..., EmcSettings], make_emc: Callable[..., TestClient]
) -> Callable[[], TestClient]:
    registry = Registry(
        countries=(Country("SE", "Sweden", False),),
        emps=(Emp("NORDVIK", "SE", NORDVIK, (FIRST, SECOND), (keys.nordvik.certificate,)),),
    )
    path = tmp_path / "two-institutions.json"
    path.write_bytes(emreg_json(registry))
    settings = make_settings(registry={"sources": [str(path)]})
    return lambda: make_emc(settings)


def from_second_institution() -> m.Elmo:
    elmo = sample_elmo(1)  # one report, issued by the registry entry's first institution
    report = elmo.reports[0]
    issuer = dataclasses.replace(
        report.issuer,
        titles=(m.LangText(SECOND, "en"), m.LangText("Söderby musikhögskola", "sv")),
        identifiers=(m.Identifier("schac", "soderby.example"),),
    )
    return dataclasses.replace(elmo, reports=(dataclasses.replace(report, issuer=issuer),))


def text_of(client: TestClient, path: str) -> str:
    """The page's main content (not its title), unescaped."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return html.unescape(response.text.split('<main id="main"', 1)[1])


def test_results_of_the_second_institution_are_named_after_it(
    two_institutions: Callable[[], TestClient], keys: Keys
) -> None:
    student, staff = two_institutions(), two_institutions()
    login(student)
    login(staff, "staff")
    choose = text_of(student, "/choose?country=SE")
    assert FIRST in choose and SECOND in choose  # the student sees whom the provider serves

    transfer_id = ok(student, keys, start(student), from_second_institution())
    page = text_of(student, f"/transfers/{transfer_id}")
    assert f"Results from {SECOND}" in page and f"Results from {FIRST}" not in page
    assert f"signed by the data provider {EMP_TITLE}, as the EMREX registry lists it" in page
    home = text_of(student, "/")
    assert SECOND in home

    student.post(f"/transfers/{transfer_id}/confirm", data={"csrf_token": csrf(page)})
    for path in ("/staff", "/staff/student?subject=asa", f"/staff/transfers/{transfer_id}"):
        assert SECOND in text_of(staff, path), path
    stats = text_of(staff, "/staff/statistics")
    assert f"<td>{SECOND} (Sweden)</td><td>1</td>" in stats  # courses imported, by institution
    assert f"<td>{EMP_TITLE}</td>" in stats  # transfers, by data provider

    transfer = staff.get(f"/api/v1/transfers/{transfer_id}", headers=AUTH).json()
    assert transfer["emp"]["name"] == EMP_TITLE
    assert transfer["issuers"] == [{"name": SECOND, "id": "soderby.example", "country": "SE"}]


def test_a_waiting_transfer_names_the_provider_and_everything_it_serves(
    two_institutions: Callable[[], TestClient],
) -> None:
    student = two_institutions()
    login(student)
    start(student)
    home = text_of(student, "/")
    assert EMP_TITLE in home
