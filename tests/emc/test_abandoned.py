"""Transfers nobody answered: shown as expired when their time is up, and cancelled by the student."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from emrex.elmo.codec import encode
from emrex.emc.models import Status, Transfer
from tests.emc.conftest import API_TOKEN, Keys, answer, csrf, database_of, login, signed, start

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
WAITING = "Waiting for the data provider"
EXPIRED = "Expired: no answer came from the data provider in time"


def expire(client: TestClient, session_id: str) -> int:
    """Move the transfer's end into the past, as if the student had left the data provider's site."""
    with database_of(client).session() as s:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        s.execute(update(Transfer).where(Transfer.session_id == session_id).values(expires_at=past))
        return int(s.scalars(select(Transfer.id).where(Transfer.session_id == session_id)).one())


def test_an_abandoned_transfer_shows_as_expired_everywhere(
    make_emc: Callable[..., TestClient], keys: Keys
) -> None:
    student, staff = make_emc(), make_emc()
    login(student)
    login(staff, "staff")
    transfer_id = expire(student, start(student))
    waiting = start(student, "IT", "https://emp.monte.example/emrex")
    home = student.get("/").text
    assert EXPIRED in home and home.count(WAITING) == 1  # the other one still waits
    page = student.get(f"/transfers/{transfer_id}").text
    assert EXPIRED in page and "Cancel this transfer" not in page and "Delete this transfer" in page
    for path in ("/staff", "/staff/student?subject=asa"):
        listed = staff.get(path).text
        assert EXPIRED in listed and listed.count(WAITING) == 1, path
    stats = staff.get("/staff/statistics").text
    assert f"<td>Sweden</td><td>{EXPIRED}</td><td>1</td>" in stats
    assert f"<td>Italy</td><td>{WAITING}</td><td>1</td>" in stats
    api = staff.get("/api/v1/transfers?student=asa", headers=AUTH).json()["items"]
    assert [t["status"] for t in api] == ["expired", "started"]
    only = staff.get("/api/v1/transfers?status=expired", headers=AUTH).json()["items"]
    assert [t["id"] for t in only] == [transfer_id]
    assert len(staff.get("/api/v1/transfers?status=started", headers=AUTH).json()["items"]) == 1
    # a late answer is still refused as expired; nothing changes
    expire(student, waiting)
    assert answer(student, waiting, elmo=encode(signed(keys.nordvik))).status_code == 410


def test_the_student_cancels_a_waiting_transfer(emc: TestClient, keys: Keys) -> None:
    login(emc)
    session_id = start(emc)
    with database_of(emc).session() as s:
        transfer_id = int(s.scalars(select(Transfer.id).where(Transfer.session_id == session_id)).one())
    page = emc.get(f"/transfers/{transfer_id}").text
    assert WAITING in page and "Cancel this transfer" in page
    response = emc.post(
        f"/transfers/{transfer_id}/cancel", data={"csrf_token": csrf(page)}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == f"/transfers/{transfer_id}"
    page = emc.get(f"/transfers/{transfer_id}").text
    assert "Cancelled by you" in page and "Cancel this transfer" not in page
    with database_of(emc).session() as s:
        transfer = s.get(Transfer, transfer_id)
        assert transfer is not None and transfer.status == Status.WITHDRAWN
    # the data provider's answer after that is refused, and the transfer stays cancelled
    late = answer(emc, session_id, elmo=encode(signed(keys.nordvik)))
    assert late.status_code == 409 and "cancelled" in late.text
    again = emc.post(f"/transfers/{transfer_id}/cancel", data={"csrf_token": csrf(page)})
    assert again.status_code == 409
    assert emc.post(f"/transfers/{transfer_id}/delete", data={"csrf_token": csrf(page)}).status_code == 200


def test_only_the_owner_cancels(make_emc: Callable[..., TestClient]) -> None:
    asa, bo = make_emc(), make_emc()
    login(asa)
    login(bo, "bo")
    session_id = start(asa)
    with database_of(asa).session() as s:
        transfer_id = int(s.scalars(select(Transfer.id).where(Transfer.session_id == session_id)).one())
    token = csrf(bo.get("/logout").text)  # any page with a form holds the token
    assert bo.post(f"/transfers/{transfer_id}/cancel", data={"csrf_token": token}).status_code == 404
    with database_of(asa).session() as s:
        transfer = s.get(Transfer, transfer_id)
        assert transfer is not None and transfer.status == Status.STARTED
