"""Hostile input to the staff pages: the student search, the unknown-student page, a refused decision."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from emrex.emc.models import Status, Transfer
from tests.emc.conftest import (
    Keys,
    csrf,
    database_of,
    keys,
    login,
    make_emc,
    make_settings,
    migrated_template,
    password_hash,
    start,
)
from tests.emc.test_staff import review_case
from tests.hostile.cases import exercised
from tests.hostile.checks import MARKER, logs_clean, no_traceback, nothing_stored, watch_logs

__all__ = ["keys", "make_emc", "make_settings", "migrated_template", "password_hash", "watch_logs"]
EVIL = f'"><script>alert("{MARKER}")</script>'
exercised("emc-staff-search-hostile", "emc-staff-unknown-subject-markup", "emc-staff-refused-decision-markup")


@pytest.fixture
def staff(make_emc: Callable[..., TestClient]) -> TestClient:
    student = make_emc()
    login(student, "asa")
    start(student)
    client = make_emc()
    login(client, "staff")
    return client


def test_hostile_searches_find_nobody_and_echo_nothing(
    staff: TestClient, watch_logs: pytest.LogCaptureFixture
) -> None:
    with nothing_stored(database_of(staff)):
        responses = [
            staff.get("/staff/students", params={"q": q}) for q in (EVIL, "x" * 60_000, "%", "_", "'")
        ]
    for response in responses:
        assert response.status_code in (200, 414, 431), response.status_code
        assert "<script>" not in response.text
        assert "asa" not in response.text.split("<main", 1)[-1].split("</form>", 1)[-1]  # nobody found
        no_traceback(response.text)
    assert "x" * 201 not in responses[1].text  # at most 200 characters are used and shown
    logs_clean(watch_logs)


def test_an_unknown_subject_with_markup_is_escaped(
    staff: TestClient, watch_logs: pytest.LogCaptureFixture
) -> None:
    with nothing_stored(database_of(staff)):
        response = staff.get("/staff/student", params={"subject": EVIL})
    assert response.status_code == 404
    assert "<script>" not in response.text and "is not known here" in response.text
    no_traceback(response.text)
    logs_clean(watch_logs)


def test_a_refused_decision_shows_its_reason_escaped_and_stores_nothing(
    make_emc: Callable[..., TestClient], keys: Keys, watch_logs: pytest.LogCaptureFixture
) -> None:
    _, staff, transfer_id = review_case(make_emc, keys)
    token = csrf(staff.get(f"/staff/transfers/{transfer_id}").text)
    with nothing_stored(database_of(staff)):
        response = staff.post(
            f"/staff/transfers/{transfer_id}/review",
            data={"decision": EVIL, "reason": EVIL * 1000, "csrf_token": token},
        )
    assert response.status_code == 400
    assert "<script>" not in response.text and "Choose approve or reject." in response.text
    assert f'action="/staff/transfers/{transfer_id}/review#decision"' in response.text  # the form again
    assert "&lt;script&gt;alert(" in response.text.split('<textarea id="reason"', 1)[1]  # the reason kept
    with database_of(staff).session() as s:
        transfer = s.get(Transfer, transfer_id)
        assert transfer is not None and transfer.status == Status.REVIEW and transfer.review_reason is None
    logs_clean(watch_logs)
