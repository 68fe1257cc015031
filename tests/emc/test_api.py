"""The SIS API: bearer tokens, filters, pages, OpenAPI."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from emrex.elmo.codec import encode
from emrex.emc.api import token_matches
from emrex.emc.config import hash_token
from tests.emc.conftest import API_TOKEN, Keys, answer, csrf, login, ok, other_results, signed, start

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
def imported(make_emc: Callable[..., TestClient], keys: Keys) -> TestClient:
    student = make_emc()
    login(student)
    for tag in ("a", "b"):
        transfer_id = ok(student, keys, start(student), other_results(tag))
        page = student.get(f"/transfers/{transfer_id}")
        student.post(f"/transfers/{transfer_id}/confirm", data={"csrf_token": csrf(page.text)})
    start(student)  # one still waiting
    return make_emc()


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {API_TOKEN}"}]
)
def test_calls_without_a_valid_token_are_refused(imported: TestClient, headers: dict[str, str]) -> None:
    response = imported.get("/api/v1/credentials", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_token_hashes_are_compared(imported: TestClient) -> None:
    assert token_matches(API_TOKEN, ("sha256:" + "0" * 64, hash_token(API_TOKEN)))
    assert not token_matches(API_TOKEN + "x", (hash_token(API_TOKEN),))


def test_credentials_are_listed_in_pages(imported: TestClient) -> None:
    first = imported.get("/api/v1/credentials?limit=10", headers=AUTH).json()
    assert len(first["items"]) == 10
    assert first["next_after"] == first["items"][-1]["id"]
    rest = imported.get(f"/api/v1/credentials?limit=10&after={first['next_after']}", headers=AUTH).json()
    assert len(rest["items"]) == 6 and rest["next_after"] is None
    ids = [c["id"] for c in first["items"] + rest["items"]]
    assert ids == sorted(set(ids))
    one = first["items"][0]
    assert set(one) >= {
        "issuer",
        "title",
        "code",
        "grade",
        "grading_scheme",
        "credits",
        "level",
        "start_date",
    }
    fetched = imported.get(f"/api/v1/credentials/{one['id']}", headers=AUTH).json()
    assert fetched == one
    assert imported.get("/api/v1/credentials/99999", headers=AUTH).status_code == 404


def test_filters_by_student_and_date(imported: TestClient) -> None:
    mine = imported.get("/api/v1/credentials?student=asa&limit=100", headers=AUTH).json()
    assert len(mine["items"]) == 16
    assert imported.get("/api/v1/credentials?student=bo", headers=AUTH).json()["items"] == []
    future = imported.get("/api/v1/credentials?since=2999-01-01T00:00:00Z", headers=AUTH).json()
    assert future["items"] == []
    past = imported.get("/api/v1/credentials?until=2000-01-01T00:00:00Z", headers=AUTH).json()
    assert past["items"] == []
    assert imported.get("/api/v1/credentials?limit=0", headers=AUTH).status_code == 422


def test_transfers_are_listed_and_fetched(imported: TestClient) -> None:
    listed = imported.get("/api/v1/transfers?student=asa", headers=AUTH).json()["items"]
    assert [t["status"] for t in listed] == ["imported", "imported", "started"]
    assert "session_id" not in listed[0] and "elmo_xml" not in listed[0]
    waiting = imported.get("/api/v1/transfers?status=started", headers=AUTH).json()["items"]
    assert len(waiting) == 1
    one = imported.get(f"/api/v1/transfers/{listed[0]['id']}", headers=AUTH).json()
    assert one["emp"]["acronym"] == "NORDVIK" and one["identity"]["verdict"] == "match"


def test_identity_reasons_are_told_about_the_student(imported: TestClient) -> None:
    listed = imported.get("/api/v1/transfers?student=asa&status=imported", headers=AUTH).json()["items"]
    assert [t["identity"]["reasons"] for t in listed] == [["the esi in the results is the student's"]] * 2


def test_a_refusal_for_another_persons_results_is_told_about_the_student(
    make_emc: Callable[..., TestClient], keys: Keys
) -> None:
    bo = make_emc()
    login(bo, "bo")
    response = answer(bo, start(bo), elmo=encode(signed(keys.nordvik)))
    assert response.status_code == 400 and "differs from yours" in response.text  # the student's page
    listed = bo.get("/api/v1/transfers?student=bo", headers=AUTH).json()["items"]
    assert "belong to someone else" in listed[0]["failure"]
    assert "the student's" in listed[0]["failure"] and "yours" not in listed[0]["failure"]


@pytest.mark.parametrize("status", ["bogus", "STARTED", "imported "])
def test_an_unknown_status_filter_is_refused(imported: TestClient, status: str) -> None:
    response = imported.get("/api/v1/transfers", params={"status": status}, headers=AUTH)
    assert response.status_code == 422
    assert "status" in response.text and "imported" in response.text  # names the parameter and the choices


def test_the_openapi_description_is_served(imported: TestClient) -> None:
    spec = imported.get("/api/v1/openapi.json").json()
    assert spec["info"]["title"] == "EMREX client (EMC) API"
    assert {"/credentials", "/credentials/{credential_id}", "/transfers", "/transfers/{transfer_id}"} <= set(
        spec["paths"]
    )


def test_api_calls_start_no_web_session(imported: TestClient) -> None:
    imported.cookies.clear()
    response = imported.get("/api/v1/transfers", headers=AUTH)
    assert response.status_code == 200
    assert "set-cookie" not in response.headers


def test_ids_beyond_64_bits_name_nothing(imported: TestClient) -> None:
    huge = "9" * 30
    assert imported.get(f"/api/v1/transfers/{huge}", headers=AUTH).status_code == 404
    assert imported.get(f"/api/v1/credentials/{huge}", headers=AUTH).status_code == 404
    page = imported.get(f"/api/v1/credentials?after={huge}", headers=AUTH)
    assert page.status_code == 200 and page.json() == {"items": [], "next_after": None}


def test_the_signed_document_and_pdf_of_a_transfer(imported: TestClient, keys: Keys) -> None:
    from emrex.trust import verify

    listed = imported.get("/api/v1/transfers?student=asa", headers=AUTH).json()["items"]
    done, waiting = listed[0]["id"], listed[2]["id"]
    xml = imported.get(f"/api/v1/transfers/{done}/elmo.xml", headers=AUTH)
    assert xml.status_code == 200 and xml.headers["content-type"] == "application/xml"
    assert verify(xml.content, keys.nordvik.certificate).signed_xml
    pdf = imported.get(f"/api/v1/transfers/{done}/transcript.pdf", headers=AUTH)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    assert imported.get(f"/api/v1/transfers/{waiting}/elmo.xml", headers=AUTH).status_code == 404
    assert imported.get(f"/api/v1/transfers/{done}/elmo.xml").status_code == 401
    spec = imported.get("/api/v1/openapi.json").json()
    assert "/transfers/{transfer_id}/elmo.xml" in spec["paths"]
