"""Recognition cases in the SIS API: listed and paged, filtered, one case, its decision document."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.emc.conftest import API_TOKEN, Keys, login
from tests.emc.recognition.helpers import (
    act,
    add_course,
    imported,
    item_ids,
    load_catalogue,
    refs,
    staff_act,
    start_case,
    submitted_case,
)

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


def test_cases_are_listed_filtered_and_paged_without_drafts(
    make_emc: Callable[..., TestClient], keys: Keys
) -> None:
    student, staff = make_emc(), make_emc()
    load_catalogue(student)
    login(student)
    login(staff, "staff")
    first = submitted_case(student, keys, "C00000")
    second = start_case(student, refs(student, "asa", "C00001"))  # a draft
    (item,) = item_ids(staff, first)
    staff_act(staff, first, "decide", {f"outcome_{item}": "granted"})

    everything = student.get("/api/v1/recognition/cases", headers=AUTH).json()
    assert [c["id"] for c in everything["items"]] == [first] and everything["next_after"] is None
    case = everything["items"][0]
    assert case["bases"][0]["ref"].isdigit() and case["bases"][0]["source"] == "emrex"
    assert case["bases"][0]["issuer"] == {
        "name": "Nordvik University",
        "id": "nordvik.example",
        "country": "SE",
    }
    assert case["items"][0]["basis_ids"] == [case["bases"][0]["id"]]
    assert student.get(f"/api/v1/recognition/cases/{second}", headers=AUTH).status_code == 404

    assert student.get("/api/v1/recognition/cases?status=submitted", headers=AUTH).json()["items"] == []
    assert (
        len(student.get("/api/v1/recognition/cases?student=asa&status=decided", headers=AUTH).json()["items"])
        == 1
    )
    assert (
        student.get("/api/v1/recognition/cases?since=2999-01-01T00:00:00Z", headers=AUTH).json()["items"]
        == []
    )
    assert student.get("/api/v1/recognition/cases?decided_since=2000-01-01", headers=AUTH).json()["items"]

    third = start_case(student, refs(student, "asa", "C00002"))
    add_course(student, third, "KO1001")
    act(student, third, "submit")
    paged = student.get("/api/v1/recognition/cases?limit=1", headers=AUTH).json()
    assert ([c["id"] for c in paged["items"]], paged["next_after"]) == ([first], first)
    rest = student.get(f"/api/v1/recognition/cases?limit=1&after={first}", headers=AUTH).json()
    assert ([c["id"] for c in rest["items"]], rest["next_after"]) == ([third], None)


def test_the_decision_document_and_refusals(make_emc: Callable[..., TestClient], keys: Keys) -> None:
    student, staff = make_emc(), make_emc()
    load_catalogue(student)
    login(student)
    login(staff, "staff")
    case_id = submitted_case(student, keys, "C00000")
    assert student.get(f"/api/v1/recognition/cases/{case_id}/decision.pdf", headers=AUTH).status_code == 404
    (item,) = item_ids(staff, case_id)
    staff_act(staff, case_id, "decide", {f"outcome_{item}": "refused", f"reason_{item}": "Other content."})
    english = student.get(f"/api/v1/recognition/cases/{case_id}/decision.pdf", headers=AUTH)
    assert english.status_code == 200 and english.content.startswith(b"%PDF-")
    swedish = student.get(f"/api/v1/recognition/cases/{case_id}/decision.pdf?language=sv", headers=AUTH)
    assert swedish.content.startswith(b"%PDF-") and swedish.content != english.content
    assert (
        student.get(f"/api/v1/recognition/cases/{case_id}/decision.pdf?language=fi", headers=AUTH).status_code
        == 422
    )
    assert student.get(f"/api/v1/recognition/cases/{case_id}").status_code == 401
    assert student.get("/api/v1/recognition/cases/" + "9" * 30, headers=AUTH).status_code in (404, 422)
    assert student.get("/api/v1/recognition/cases?after=" + "9" * 19, headers=AUTH).json()["items"] == []
    spec = student.get("/api/v1/openapi.json").json()
    assert {
        "/recognition/cases",
        "/recognition/cases/{case_id}",
        "/recognition/cases/{case_id}/decision.pdf",
    } <= set(spec["paths"])
    assert "grade" not in spec["components"]["schemas"]["Decision"]["properties"]


def test_imported_results_start_no_case_by_themselves(
    make_emc: Callable[..., TestClient], keys: Keys
) -> None:
    student = make_emc()
    login(student)
    imported(student, keys)
    assert student.get("/api/v1/recognition/cases", headers=AUTH).json() == {"items": [], "next_after": None}
