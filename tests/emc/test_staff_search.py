"""Staff: a decision without a reason keeps the form, students are found by name, login name or
identifier, and an unknown student is said to be unknown."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from emrex.emc.config import EmcSettings
from emrex.emc.models import Status, Transfer
from tests.db.conftest import postgres_admin, postgres_schema  # noqa: F401  (PostgreSQL fixtures)
from tests.emc.conftest import Keys, csrf, database_of, login, start
from tests.emc.test_staff import review_case


def decide(staff: TestClient, transfer_id: int, data: dict[str, str]) -> object:
    token = csrf(staff.get(f"/staff/transfers/{transfer_id}").text)
    return staff.post(
        f"/staff/transfers/{transfer_id}/review", data={**data, "csrf_token": token}, follow_redirects=False
    )


@pytest.mark.parametrize(
    ("data", "message", "kept"),
    [
        (
            {"decision": "reject", "reason": "   "},
            "Give a reason for the decision.",
            'value="reject" checked',
        ),
        ({"reason": "Passport checked <b>at</b> the desk"}, "Choose approve or reject.", "Passport checked"),
        ({"decision": "maybe", "reason": "x"}, "Choose approve or reject.", ">x</textarea>"),
    ],
)
def test_an_incomplete_decision_shows_the_form_again_with_what_was_entered(
    make_emc: Callable[..., TestClient], keys: Keys, data: dict[str, str], message: str, kept: str
) -> None:
    _, staff, transfer_id = review_case(make_emc, keys)
    response = decide(staff, transfer_id, data)
    assert response.status_code == 400  # type: ignore[attr-defined]
    page = response.text  # type: ignore[attr-defined]
    assert message in page and 'role="alert"' in page
    assert f'action="/staff/transfers/{transfer_id}/review#decision"' in page  # the form, not a dead end
    assert kept in page
    assert "<b>at</b>" not in page  # the kept reason is escaped
    assert "Learner in the document" in page  # the evidence is still shown
    with database_of(staff).session() as s:
        transfer = s.get(Transfer, transfer_id)
        assert transfer is not None and transfer.status == Status.REVIEW and transfer.review_reason is None


def started_by(make_emc: Callable[..., TestClient], *usernames: str) -> TestClient:
    """Staff's client, after each student started a transfer (which makes them known here)."""
    for username in usernames:
        student = make_emc()
        login(student, username)
        start(student)
    staff = make_emc()
    login(staff, "staff")
    return staff


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("LINDQVIST", {"asa", "asa2"}),  # a family name, in another case
        ("asa lindqvist", {"asa", "asa2"}),  # every word counts, wherever it is in the name
        ("Lindqvist-Dvořáková", {"asa"}),
        ("åsa žofie", {"asa"}),
        ("ASA", {"asa", "asa2"}),  # login names and names, without diacritics
        ("ASA2", {"asa2"}),
        ("482913", {"asa"}),  # part of her ESI
        ("ek", {"bo"}),
        ("nobody", set()),
    ],
)
def test_staff_find_students_by_name_login_name_or_identifier(
    make_emc: Callable[..., TestClient], query: str, found: set[str]
) -> None:
    staff = started_by(make_emc, "asa", "asa2", "bo")
    response = staff.get("/staff/students", params={"q": query}, follow_redirects=False)
    if len(found) == 1:
        assert response.status_code == 303
        assert response.headers["location"] == f"/staff/student?subject={next(iter(found))}"
        return
    assert response.status_code == 200
    listed = {s for s in ("asa", "asa2", "bo") if f'href="/staff/student?subject={s}"' in response.text}
    assert listed == found
    if not found:
        assert "No student matches" in html.unescape(response.text)


def test_the_search_form_is_on_the_staff_home_page(make_emc: Callable[..., TestClient]) -> None:
    staff = make_emc()
    login(staff, "staff")
    page = staff.get("/staff").text
    assert 'action="/staff/students"' in page and 'name="q"' in page
    assert "name, login name or identifier" in page


def test_an_unknown_student_is_said_to_be_unknown(make_emc: Callable[..., TestClient]) -> None:
    staff = started_by(make_emc, "asa")
    for subject, words in (
        ("nobody", "has not used this service"),
        ("ASA", "ASA is not known"),
        ("", "named"),
    ):
        response = staff.get("/staff/student", params={"subject": subject})
        assert response.status_code == 404, subject
        assert words in html.unescape(response.text)
        assert "No transfers." not in response.text
        assert 'action="/staff/students"' in response.text  # a way on: the search
    assert staff.get("/staff/student?subject=asa").status_code == 200


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("query", "found"),
    [("LINDQVIST", {"asa", "asa2"}), ("åsa žofie", {"asa"}), ("Asa2", {"asa2"}), ("482913", {"asa"})],
)
def test_the_search_finds_the_same_students_on_postgresql(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    postgres_schema: Callable[[], str],  # noqa: F811
    query: str,
    found: set[str],
) -> None:
    settings = make_settings(database_url=postgres_schema())
    for username in ("asa", "asa2", "bo"):
        student = make_emc(settings)
        login(student, username)
        start(student)
    staff = make_emc(settings)
    login(staff, "staff")
    response = staff.get("/staff/students", params={"q": query}, follow_redirects=False)
    if len(found) == 1:
        assert response.headers["location"] == f"/staff/student?subject={next(iter(found))}"
    else:
        listed = {s for s in ("asa", "asa2", "bo") if f'href="/staff/student?subject={s}"' in response.text}
        assert listed == found
    unknown = staff.get("/staff/student", params={"subject": "ASA"})
    assert unknown.status_code == 404 and "ASA is not known" in html.unescape(unknown.text)
