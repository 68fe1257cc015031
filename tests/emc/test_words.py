"""What the EMC's pages call things: the signer in plain words with the certificate one click away,
identifier types in words, a transfer titled for what happened; staff land on their overview."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from emrex.emc.models import Transfer
from tests.emc.conftest import PASSWORD, Keys, answer, csrf, database_of, login, ok, start
from tests.emc.test_staff import review_case


def test_the_signer_is_named_in_plain_words_with_the_certificate_one_click_away(
    emc: TestClient, keys: Keys
) -> None:
    login(emc)
    transfer_id = ok(emc, keys, start(emc))
    page = html.unescape(emc.get(f"/transfers/{transfer_id}").text)
    with database_of(emc).session() as s:
        transfer = s.get(Transfer, transfer_id)
        assert transfer is not None
        name, signer, fingerprint = transfer.emp_name, transfer.signer, transfer.signer_fingerprint
    assert f"The results were signed by the data provider {name}, as the EMREX registry lists it" in page
    details = re.search(r"<details class=\"certificate\">(.*?)</details>", page, re.S)
    assert details, page
    assert "<summary>Certificate details</summary>" in details.group(1)
    assert signer and signer in details.group(1) and fingerprint and fingerprint in details.group(1)
    assert signer not in page.replace(details.group(1), "")  # the subject's technical form only there


def test_the_staff_page_speaks_about_the_student_and_says_esi_in_words(
    make_emc: Callable[..., TestClient], keys: Keys
) -> None:
    _, staff, transfer_id = review_case(make_emc, keys)
    page = html.unescape(staff.get(f"/staff/transfers/{transfer_id}").text)
    assert "the student's" in page and "yours" not in page
    assert " esi " not in page and "nationalIdentifier in" not in page
    for choice in ("approve", "reject"):  # each choice with its own label
        assert re.search(
            rf'<input type="radio" id="{choice}" name="decision"[^>]*> <label for="{choice}">', page
        )


def test_an_identifier_reason_names_the_identifier_in_words(emc: TestClient, keys: Keys) -> None:
    login(emc)
    transfer_id = ok(emc, keys, start(emc))
    page = html.unescape(emc.get(f"/transfers/{transfer_id}").text)
    assert "the European Student Identifier (ESI) in the results is yours" in page
    assert "the esi in" not in page


def test_a_transfer_that_ended_without_results_is_titled_for_what_happened(emc: TestClient) -> None:
    login(emc)
    session_id = start(emc)
    answer(emc, session_id, "NCP_CANCEL")
    with database_of(emc).session() as s:
        transfer_id = max(t.id for t in s.query(Transfer))
    page = emc.get(f"/transfers/{transfer_id}").text
    assert re.search(r"<title>You cancelled the transfer from [^<]+ – ", page)
    assert "<h1>You cancelled the transfer from " in page and "Results from" not in page
    assert "You cancelled at the data provider" in page
    sv = emc.get(f"/transfers/{transfer_id}", params={"lang": "sv"}).text
    assert "<h1>Du avbröt överföringen från " in sv and "Du avbröt hos dataleverantören" in sv


def test_staff_land_on_the_staff_overview_and_students_on_the_start_page(emc: TestClient) -> None:
    for username, landing in (("staff", "/staff"), ("asa", "/")):
        emc.cookies.clear()
        page = emc.get("/login")
        response = emc.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": csrf(page.text), "next": "/"},
            follow_redirects=False,
        )
        assert response.headers["location"] == landing, username
    emc.cookies.clear()
    page = emc.get("/login")
    response = emc.post(  # a page asked for is where staff go too
        "/login",
        data={"username": "staff", "password": PASSWORD, "csrf_token": csrf(page.text), "next": "/verify"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/verify"
