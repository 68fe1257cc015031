"""Whole transfers between the real EMC and the real EMP, in one process.

The browser is simulated: auto-submitted forms are parsed and their fields posted to their action,
each host routed to its app. The EMP's answer is posted WITHOUT the EMC's cookies, as a browser does
with a cross-site POST under SameSite=Lax; the logged-in student then follows the 303 to the EMC.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from emrex.emc import create_emc_app, settings_from_mapping
from emrex.emc.models import ForeignCredential, Status, Transfer
from emrex.emp.sources.base import LearnerResults, PersonQuery, SourceUnavailable
from emrex.registry import Country, Emp, Registry, emreg_json
from emrex.trust.ca import Issued
from tests.emp.conftest import (
    PASSWORD,
    database,
    emp_ca,
    emp_key,
    key_files,
    make_emp,
    password_hash,
    seeded_template,
    signer,
)
from tests.emp.helpers import login as emp_login
from tests.emp.helpers import post as emp_post

__all__ = [
    "database",
    "emp_ca",
    "emp_key",
    "key_files",
    "make_emp",
    "password_hash",
    "seeded_template",
    "signer",
]

EMC_URL = "https://emc.example.org"
EMP_ENTRY = "https://emp.nordvik.example/emrex"
_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
_FORM = re.compile(r'<form method="post" action="([^"]+)" data-emrex-autosubmit>')


def autoposted(page: str) -> tuple[str, dict[str, str]]:
    action = _FORM.search(page)
    assert action, page
    return html.unescape(action.group(1)), {n: html.unescape(v) for n, v in _INPUT.findall(page)}


@pytest.fixture
def make_emc(tmp_path: Path, emp_key: Issued, password_hash: str) -> Iterator[Callable[..., TestClient]]:
    registry = Registry(
        countries=(Country("SE", "Sweden", False),),
        emps=(Emp("NORDVIK", "SE", EMP_ENTRY, ("Nordvik University",), (emp_key.certificate,)),),
    )
    (tmp_path / "registry.json").write_bytes(emreg_json(registry))

    def account(username: str, given: str, family: str, **extra: Any) -> dict[str, Any]:
        return {
            "username": username,
            "password_hash": password_hash,
            "given_names": given,
            "family_name": family,
            **extra,
        }

    settings = settings_from_mapping(
        {
            "base_url": EMC_URL,
            "database_url": f"sqlite:///{tmp_path}/emc.db",
            "registry": {"sources": [str(tmp_path / "registry.json")]},
            "login": {
                "method": "demo",
                "production": False,
                "demo": {
                    "accounts": [
                        # The EMP's student, known here by the same national identifier.
                        account(
                            "asa", "Åsa", "Lindqvist", identifiers={"nationalIdentifier": "199903142389"}
                        ),
                        # Same person, no identifier, a shorter name: the match is uncertain.
                        account("asa-noid", "Åsa", "Lindqvist", birth_date="1999-03-14"),
                        # Somebody else with the same birth date.
                        account("eva", "Eva", "Holm", birth_date="1999-03-14"),
                        account("staff", "Sven", "Lund", roles=["staff"]),
                    ]
                },
            },
        },
        {},
    )
    app = create_emc_app(settings, background=False)
    clients: list[TestClient] = []

    def make() -> TestClient:
        client = TestClient(app, base_url=EMC_URL)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
    app.state.emc_service.database.dispose()


def emc_login(client: TestClient, username: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303


class Trip:
    """One student's browser: logged in at the EMC, sent to the EMP, and back."""

    def __init__(self, emc: TestClient, emc_cookieless: TestClient, emp: TestClient, username: str) -> None:
        self.emc, self.cookieless, self.emp = emc, emc_cookieless, emp
        emc_login(emc, username)
        page = emc.get("/choose?country=SE").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        redirect = emc.post("/start", data={"country": "SE", "emp": EMP_ENTRY, "csrf_token": token.group(1)})
        action, fields = autoposted(redirect.text)
        assert action == EMP_ENTRY and fields["returnUrl"] == f"{EMC_URL}/emrex/return"
        self.session_id = fields["sessionId"]
        entry = emp.post(urlsplit(action).path, data=fields)
        assert entry.status_code == 303, entry.text
        self.flow = entry.headers["location"]

    def back(self, emp_page: str) -> int:
        """Follow the EMP's auto-submitted answer to the EMC; the transfer id."""
        action, fields = autoposted(emp_page)
        assert action == f"{EMC_URL}/emrex/return" and fields["sessionId"] == self.session_id
        response = self.cookieless.post(urlsplit(action).path, data=fields, follow_redirects=False)
        assert response.status_code == 303, response.text
        location = response.headers["location"]
        assert self.emc.get(location).status_code == 200
        return int(location.rsplit("/", 1)[1])

    def send_all(self, username: str = "asa", reports: tuple[int, ...] | None = None) -> int:
        """Log in at the EMP and send every result offered (of the ``reports`` given by index)."""
        emp_login(self.emp, self.flow, username)
        page = self.emp.get(self.flow).text
        picked = [html.unescape(p) for p in re.findall(r'name="item" value="([^"]+)"', page)]
        picked = [p for p in picked if reports is None or int(p.split(":")[0]) in reports]
        emp_post(self.emp, f"{self.flow}/select", page, item=picked, action="preview")
        preview = self.emp.get(f"{self.flow}/preview").text
        assert "emc.example.org" in preview  # the EMP shows where the results go
        sent = emp_post(self.emp, f"{self.flow}/send", preview, action="send", consent="yes")
        return self.back(sent.text)

    def confirm(self, transfer_id: int) -> None:
        page = self.emc.get(f"/transfers/{transfer_id}").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token and "Import these results" in page
        self.emc.post(f"/transfers/{transfer_id}/confirm", data={"csrf_token": token.group(1)})


def stored(emc: TestClient, transfer_id: int) -> tuple[Transfer, list[ForeignCredential]]:
    with emc.app.state.emc_service.database.session() as s:  # type: ignore[attr-defined]
        transfer = s.get(Transfer, transfer_id)
        assert transfer is not None
        credentials = list(
            s.scalars(select(ForeignCredential).where(ForeignCredential.transfer_id == transfer_id))
        )
        s.expunge_all()
        return transfer, credentials


def test_ok_transfer_is_verified_previewed_and_imported(
    make_emc: Callable[..., TestClient], make_emp: Callable[..., TestClient]
) -> None:
    emc = make_emc()
    trip = Trip(emc, make_emc(), make_emp(), "asa")
    transfer_id = trip.send_all(reports=(0,))  # Nordvik University's own results
    page = emc.get(f"/transfers/{transfer_id}").text
    assert "Signature: valid" in page and "CN=EMP Nordvik" in page
    assert "the national identity number in the results is yours" in page
    assert "Linear Algebra" in page and "Ancient Greek Philosophy" not in page
    assert "<script>alert" not in page and "issuer-problem" not in page
    pdf = emc.get(f"/transfers/{transfer_id}/transcript.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    trip.confirm(transfer_id)
    transfer, credentials = stored(emc, transfer_id)
    assert transfer.status == Status.IMPORTED
    titles = {c.title: c for c in credentials}
    assert titles["Linear Algebra"].grade == "VG" and titles["Linear Algebra"].credits == "7.5"


def _results_shown(page: str) -> str:
    start, end = page.index("<h2>"), page.index('<ul class="downloads">')
    return page[start:end]


def test_the_page_and_confirm_use_what_the_return_verified_without_verifying_again(
    make_emc: Callable[..., TestClient],
    make_emp: Callable[..., TestClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emc = make_emc()
    trip = Trip(emc, make_emc(), make_emp(), "asa")
    transfer_id = trip.send_all()
    database = emc.app.state.emc_service.database  # type: ignore[attr-defined]
    shown = {
        lang: emc.get(f"/transfers/{transfer_id}", headers={"Accept-Language": lang}).text
        for lang in ("en", "sv")
    }
    assert "Linear Algebra" in shown["en"] and shown["en"] != shown["sv"]
    # A transfer stored without a view (before the column existed) is verified and read again: the
    # same results are shown in either language.
    with database.session() as s:
        kept = s.get_one(Transfer, transfer_id).results_view
        assert kept and "Linear Algebra" in kept
        s.get_one(Transfer, transfer_id).results_view = None
    for lang, page in shown.items():
        again = emc.get(f"/transfers/{transfer_id}", headers={"Accept-Language": lang}).text
        assert _results_shown(again) == _results_shown(page)
    with database.session() as s:
        s.get_one(Transfer, transfer_id).results_view = kept

    def verify_again(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the stored document was verified again")

    monkeypatch.setattr("emrex.emc.service.read_signed", verify_again)
    page = emc.get(f"/transfers/{transfer_id}").text
    assert _results_shown(page) == _results_shown(shown["en"])
    assert "issuer-problem" in page  # the institution the EMP does not serve, as the return found it
    trip.confirm(transfer_id)
    transfer, _credentials = stored(emc, transfer_id)
    assert transfer.status == Status.REVIEW


def test_results_of_an_institution_the_emp_does_not_serve_wait_for_staff(
    make_emc: Callable[..., TestClient], make_emp: Callable[..., TestClient]
) -> None:
    # Nordvik's SIS also holds a course taken at Athens, and its EMP signs it as Athens' report; the
    # registry lists only Nordvik University for that EMP.
    emc, staff = make_emc(), make_emc()
    trip = Trip(emc, make_emc(), make_emp(), "asa")
    transfer_id = trip.send_all()
    reason = "is in GR, but NORDVIK serves institutions in SE"
    page = emc.get(f"/transfers/{transfer_id}").text
    assert "Ancient Greek Philosophy" in page and reason in page
    trip.confirm(transfer_id)
    assert stored(emc, transfer_id)[0].status == Status.REVIEW
    emc_login(staff, "staff")
    page = staff.get(f"/staff/transfers/{transfer_id}").text
    assert reason in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    staff.post(
        f"/staff/transfers/{transfer_id}/review",
        data={"decision": "approve", "reason": "recognised at Nordvik", "csrf_token": token.group(1)},
    )
    transfer, credentials = stored(emc, transfer_id)
    assert transfer.status == Status.IMPORTED
    titles = {c.title: c for c in credentials}
    assert titles["Ancient Greek Philosophy"].issuer_country == "GR"


def test_cancel_at_the_emp(make_emc: Callable[..., TestClient], make_emp: Callable[..., TestClient]) -> None:
    emc = make_emc()
    trip = Trip(emc, make_emc(), make_emp(), "asa")
    page = trip.emp.get(trip.flow).text
    transfer_id = trip.back(emp_post(trip.emp, f"{trip.flow}/cancel", page).text)
    assert stored(emc, transfer_id)[0].status == Status.CANCELLED
    page = emc.get(f"/transfers/{transfer_id}").text
    assert "You cancelled at the data provider" in page
    assert (
        "<h1>You cancelled the transfer from " in page and "<title>You cancelled the transfer from " in page
    )


def test_no_results_at_the_emp(
    make_emc: Callable[..., TestClient], make_emp: Callable[..., TestClient]
) -> None:
    emc = make_emc()
    trip = Trip(emc, make_emc(), make_emp(), "asa")
    emp_login(trip.emp, trip.flow, "nobody")
    page = trip.emp.get(trip.flow).text
    transfer_id = trip.back(emp_post(trip.emp, f"{trip.flow}/no-results", page).text)
    assert stored(emc, transfer_id)[0].status == Status.NO_RESULTS
    assert "<h1>No results to fetch from " in emc.get(f"/transfers/{transfer_id}").text


class _BrokenSource:
    def fetch(self, person: PersonQuery) -> LearnerResults:
        raise SourceUnavailable("the SIS did not answer")


def test_an_emp_error_is_reported(
    make_emc: Callable[..., TestClient], make_emp: Callable[..., TestClient]
) -> None:
    emc = make_emc()
    trip = Trip(emc, make_emc(), make_emp(source=_BrokenSource()), "asa")
    emp_login(trip.emp, trip.flow)
    transfer_id = trip.back(trip.emp.get(trip.flow).text)
    transfer, _ = stored(emc, transfer_id)
    assert (transfer.status, transfer.return_code) == (Status.EMP_ERROR, "NCP_ERROR")
    assert "The data provider reported an error" in emc.get(f"/transfers/{transfer_id}").text


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_identity_review_decided_by_staff(
    make_emc: Callable[..., TestClient], make_emp: Callable[..., TestClient], decision: str
) -> None:
    emc, staff = make_emc(), make_emc()
    trip = Trip(emc, make_emc(), make_emp(), "asa-noid")
    transfer_id = trip.send_all()
    trip.confirm(transfer_id)
    assert stored(emc, transfer_id)[0].status == Status.REVIEW
    emc_login(staff, "staff")
    page = staff.get(f"/staff/transfers/{transfer_id}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    staff.post(
        f"/staff/transfers/{transfer_id}/review",
        data={"decision": decision, "reason": "checked the passport", "csrf_token": token.group(1)},
    )
    transfer, credentials = stored(emc, transfer_id)
    if decision == "approve":
        assert transfer.status == Status.IMPORTED
        assert {c.title for c in credentials} >= {"Linear Algebra", "Ancient Greek Philosophy"}
    else:
        assert transfer.status == Status.REJECTED and credentials == []
    assert transfer.reviewed_by == "staff"


def test_results_of_another_person_are_refused(
    make_emc: Callable[..., TestClient], make_emp: Callable[..., TestClient]
) -> None:
    emc = make_emc()
    trip = Trip(emc, make_emc(), make_emp(), "eva")
    emp_login(trip.emp, trip.flow, "asa")  # Eva logs in abroad as Åsa
    page = trip.emp.get(trip.flow).text
    picked = [html.unescape(p) for p in re.findall(r'name="item" value="([^"]+)"', page)]
    emp_post(trip.emp, f"{trip.flow}/select", page, item=picked, action="preview")
    preview = trip.emp.get(f"{trip.flow}/preview").text
    sent = emp_post(trip.emp, f"{trip.flow}/send", preview, action="send", consent="yes")
    action, fields = autoposted(sent.text)
    response = trip.cookieless.post(urlsplit(action).path, data=fields, follow_redirects=False)
    assert response.status_code == 400 and "belong to someone else" in response.text
    with emc.app.state.emc_service.database.session() as s:  # type: ignore[attr-defined]
        transfer = s.scalars(select(Transfer)).one()
        assert (transfer.status, transfer.elmo_xml) == (Status.FAILED, None)


_REPOST = re.compile(r'<form method="post" action="([^"]+)">(.*?)</form>', re.S)


def _repost_form(page: str) -> tuple[str, dict[str, str]] | None:
    for action, body in _REPOST.findall(page):
        if "/emrex/return" in action:
            return html.unescape(action), {n: html.unescape(v) for n, v in _INPUT.findall(body)}
    return None


def test_a_reload_of_the_sending_page_without_javascript_offers_the_same_answer_again(
    make_emc: Callable[..., TestClient], make_emp: Callable[..., TestClient]
) -> None:
    emc, emp = make_emc(), make_emp()
    trip = Trip(emc, make_emc(), emp, "asa")
    emp_login(emp, trip.flow, "asa")
    page = emp.get(trip.flow).text
    picked = [html.unescape(p) for p in re.findall(r'name="item" value="([^"]+)"', page)]
    picked = [p for p in picked if p.startswith("0:")]  # Nordvik University's own results
    emp_post(emp, f"{trip.flow}/select", page, item=picked, action="preview")
    preview = emp.get(f"{trip.flow}/preview").text
    sent = emp_post(emp, f"{trip.flow}/send", preview, action="send", consent="yes")
    form = re.search(r"<form [^>]*data-emrex-autosubmit>(.*?)</form>", sent.text, re.S)
    assert form
    answer = {n: html.unescape(v) for n, v in _INPUT.findall(form.group(1))}
    # JavaScript off, the student reloads: the browser posts the send form again.
    reloaded = emp_post(emp, f"{trip.flow}/send", preview, action="send", consent="yes")
    assert reloaded.status_code == 409
    found = _repost_form(reloaded.text)
    assert found is not None, "the page offers no way on"
    action, fields = found
    assert action == f"{EMC_URL}/emrex/return" and fields == answer
    assert f'href="{EMC_URL}/"' in reloaded.text  # and the way back
    assert _repost_form(emp.get(trip.flow).text) == found  # the flow's page offers the same
    # The answer reaches the EMC once; posted again, the EMC says it has it and imports nothing twice.
    first = trip.cookieless.post("/emrex/return", data=fields, follow_redirects=False)
    assert first.status_code == 303
    second = trip.cookieless.post("/emrex/return", data=fields, follow_redirects=False)
    assert second.status_code == 409
    transfer_id = int(first.headers["location"].rsplit("/", 1)[1])
    trip.confirm(transfer_id)
    _, credentials = stored(emc, transfer_id)
    assert credentials and len(credentials) == len({c.title for c in credentials})


def test_the_sent_answer_is_shown_only_to_its_student_and_only_until_expiry(
    make_emc: Callable[..., TestClient], make_emp: Callable[..., TestClient]
) -> None:
    from datetime import timedelta
    from unittest.mock import patch

    from emrex.db import utcnow

    emc, emp = make_emc(), make_emp()
    trip = Trip(emc, make_emc(), emp, "asa")
    trip.send_all()
    assert _repost_form(emp.get(trip.flow).text) is not None
    later = utcnow() + timedelta(minutes=31)
    with patch("emrex.emp.store.utcnow", return_value=later):
        expired = emp.get(trip.flow)
    assert _repost_form(expired.text) is None and f'href="{EMC_URL}/"' in expired.text
    # Another browser (or this one after logging out) has no key to the flow: nothing is shown.
    other = make_emp()
    emp_login(other, trip.flow, "asa")
    assert other.get(trip.flow).status_code == 404
    token = re.findall(r'name="csrf_token" value="([^"]+)"', emp.get("/logout").text)[0]
    emp.post("/logout", data={"csrf_token": token})
    page = emp.get(trip.flow)
    assert page.status_code == 404 and _repost_form(page.text) is None
