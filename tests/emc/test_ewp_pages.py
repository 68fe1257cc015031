"""The staff page that fetches over EWP: staff only, CSRF-protected, one-line refusals that store
nothing, and the fetched transfer shown with its source."""

from __future__ import annotations

import html
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from emrex.emc.config import EmcSettings
from emrex.emc.ewp_fetch import EwpFetcher
from emrex.emc.models import ForeignCredential, Status, Transfer
from emrex.emc.service import Service
from tests.emc.conftest import csrf, database_of, login
from tests.emc.ewp_partner import partner
from tests.ewp.network import ESI, catalogue, signing_key

FORM = {
    "partner": "fjordby.example",
    "mobility_id": "m-approved-1",
    "student": "asa",
    "given_names": "Åsa Žofie",
    "family_name": "Lindqvist-Dvořáková",
    "birth_date": "1999-03-14",
    "esi": ESI,
}


def _staff_emc(make_emc: Callable[..., TestClient], make_settings: Callable[..., EmcSettings]) -> TestClient:
    fjordby = partner()

    def make(service: Service) -> EwpFetcher:
        return EwpFetcher(service, catalogue=catalogue, key=signing_key("lindholm-client"), http=fjordby.http)

    client = make_emc(make_settings(), ewp_fetcher=make)
    login(client, "staff")
    return client


def _post(client: TestClient, **changes: str) -> object:
    page = client.get("/staff/ewp")
    assert page.status_code == 200
    return client.post(
        "/staff/ewp/fetch", data={**FORM, **changes, "csrf_token": csrf(page.text)}, follow_redirects=False
    )


def test_staff_fetch_a_transcript_and_see_it_with_its_source(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., EmcSettings]
) -> None:
    staff = _staff_emc(make_emc, make_settings)
    assert 'href="/staff/ewp"' in staff.get("/staff").text
    response = _post(staff)
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    target = response.headers["location"]  # type: ignore[attr-defined]
    page = html.unescape(staff.get(target).text)
    assert "The transcript was fetched over EWP and verified." in page
    assert "EWP: fetched from Fjordby University (fjordby.example), mobility m-approved-1, by staff" in page
    assert "EWP: Fjordby University" in staff.get("/staff/student?subject=asa").text
    with database_of(staff).session(readonly=True) as s:
        transfer = s.scalars(select(Transfer)).one()
        assert (transfer.status, transfer.source) == (Status.IMPORTED, "ewp")
        assert s.scalar(select(func.count()).select_from(ForeignCredential)) == transfer.courses


def test_a_refused_fetch_shows_why_keeps_the_form_and_stores_nothing(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., EmcSettings]
) -> None:
    staff = _staff_emc(make_emc, make_settings)
    for changes, status, words in [
        ({"mobility_id": "m-pending"}, 404, "has no approved transcript of mobility m-pending"),
        ({"partner": "no such <b>"}, 400, "SCHAC code"),
        ({"birth_date": "14.3.1999"}, 400, "YYYY-MM-DD"),
        ({"student": "", "given_names": ""}, 400, "login name"),
        ({"esi": ESI.replace("482913", "1")}, 409, "belongs to someone else"),
    ]:
        response = _post(staff, **changes)
        assert response.status_code == status, (changes, response.text)  # type: ignore[attr-defined]
        text = html.unescape(response.text)  # type: ignore[attr-defined]
        assert words in text and "<b>" not in response.text  # type: ignore[attr-defined]
        assert 'value="m-' in text or changes.get("mobility_id") is None
    with database_of(staff).session(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Transfer)) == 0


def test_students_cannot_fetch_and_a_post_without_the_csrf_token_is_refused(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., EmcSettings]
) -> None:
    staff = _staff_emc(make_emc, make_settings)
    assert staff.post("/staff/ewp/fetch", data=FORM, follow_redirects=False).status_code == 403
    student = make_emc(make_settings())
    login(student, "asa")
    assert student.get("/staff/ewp").status_code == 403
    page = student.get("/choose?country=SE")
    data = {**FORM, "csrf_token": csrf(page.text)}
    assert student.post("/staff/ewp/fetch", data=data, follow_redirects=False).status_code == 403
    with database_of(staff).session(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Transfer)) == 0


def test_without_ewp_settings_the_page_is_not_there(emc: TestClient) -> None:
    login(emc, "staff")
    assert emc.get("/staff/ewp").status_code == 404
    assert 'href="/staff/ewp"' not in emc.get("/staff").text
