"""Staff pages: review queue decisions, per-student overview, statistics; closed to students."""

from __future__ import annotations

import html
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from emrex.emc.models import ForeignCredential, Status, Transfer
from tests.emc.conftest import Keys, csrf, database_of, login, ok, start


def review_case(make_emc: Callable[..., TestClient], keys: Keys) -> tuple[TestClient, TestClient, int]:
    student, staff = make_emc(), make_emc()
    login(student, "asa2")
    transfer_id = ok(student, keys, start(student))
    page = student.get(f"/transfers/{transfer_id}")
    student.post(f"/transfers/{transfer_id}/confirm", data={"csrf_token": csrf(page.text)})
    login(staff, "staff")
    return student, staff, transfer_id


def decide(staff: TestClient, transfer_id: int, decision: str, reason: str) -> object:
    page = staff.get("/logout")  # any page with a form holds the session's token
    data = {"decision": decision, "reason": reason, "csrf_token": csrf(page.text)}
    return staff.post(f"/staff/transfers/{transfer_id}/review", data=data, follow_redirects=False)


def test_students_cannot_open_staff_pages(emc: TestClient) -> None:
    login(emc)
    for path in ("/staff", "/staff/statistics", "/staff/student?subject=asa", "/staff/transfers/1"):
        assert emc.get(path).status_code == 403


def test_staff_approve_a_review_case_and_the_decision_is_recorded(
    make_emc: Callable[..., TestClient], keys: Keys
) -> None:
    student, staff, transfer_id = review_case(make_emc, keys)
    queue = staff.get("/staff").text
    assert f'href="/staff/transfers/{transfer_id}"' in queue
    detail = html.unescape(staff.get(f"/staff/transfers/{transfer_id}").text)
    assert "Learner in the document: Åsa Žofie Lindqvist-Dvořáková, born 1999-03-14" in detail
    # told about the student, not to them
    assert "the name is close to the student's but not the same" in detail
    assert "yours" not in detail and "After you confirm" not in detail
    assert "could not be matched to the student with certainty" in detail
    response = decide(staff, transfer_id, "approve", "Passport checked at the desk")
    assert response.status_code == 303  # type: ignore[attr-defined]
    with database_of(staff).session() as s:
        transfer = s.get(Transfer, transfer_id)
        assert transfer is not None
        assert transfer.status == Status.IMPORTED
        assert (transfer.review_decision, transfer.reviewed_by) == ("approved", "staff")
        assert transfer.review_reason == "Passport checked at the desk"
        assert transfer.reviewed_at is not None
        assert len(list(s.scalars(select(ForeignCredential)))) == 8
    assert "Staff decision: approved" in student.get(f"/transfers/{transfer_id}").text


def test_staff_reject_a_review_case(make_emc: Callable[..., TestClient], keys: Keys) -> None:
    _, staff, transfer_id = review_case(make_emc, keys)
    assert decide(staff, transfer_id, "reject", "  ").status_code == 400  # type: ignore[attr-defined]
    assert decide(staff, transfer_id, "maybe", "x").status_code == 400  # type: ignore[attr-defined]
    decide(staff, transfer_id, "reject", "Different person")
    with database_of(staff).session() as s:
        transfer = s.get(Transfer, transfer_id)
        assert transfer is not None
        assert (transfer.status, transfer.review_decision) == (Status.REJECTED, "rejected")
        assert s.scalars(select(ForeignCredential)).first() is None
    assert decide(staff, transfer_id, "approve", "changed my mind").status_code == 409  # type: ignore[attr-defined]


def test_the_student_overview_lists_transfers_and_credentials(
    make_emc: Callable[..., TestClient], keys: Keys
) -> None:
    student, staff = make_emc(), make_emc()
    login(student)
    transfer_id = ok(student, keys, start(student))
    page = student.get(f"/transfers/{transfer_id}")
    student.post(f"/transfers/{transfer_id}/confirm", data={"csrf_token": csrf(page.text)})
    login(staff, "staff")
    overview = staff.get("/staff/student?subject=asa").text
    assert "Italian Language B1" in overview
    assert "Nordvik School of Music (Sweden)" in overview
    assert f'href="/staff/transfers/{transfer_id}"' in overview
    assert '<td data-label="Signature">valid</td>' in overview
    assert '<td data-label="Identity">Matches</td>' in overview
    assert staff.get(f"/staff/transfers/{transfer_id}/transcript.pdf").content.startswith(b"%PDF-")


def test_statistics_count_transfers_and_imported_credits(
    make_emc: Callable[..., TestClient], keys: Keys
) -> None:
    student, staff = make_emc(), make_emc()
    login(student)
    transfer_id = ok(student, keys, start(student))
    page = student.get(f"/transfers/{transfer_id}")
    student.post(f"/transfers/{transfer_id}/confirm", data={"csrf_token": csrf(page.text)})
    start(student, "IT", "https://emp.monte.example/emrex")
    login(staff, "staff")
    stats = staff.get("/staff/statistics").text
    assert "2 transfers started, 8 courses imported, 67.5 ECTS credits imported (passed courses)." in stats
    assert "<td>Sweden</td><td>Imported</td><td>1</td>" in stats
    assert "<td>Italy</td><td>Waiting for the data provider</td><td>1</td>" in stats
