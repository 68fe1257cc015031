"""At most a few verifications at once per process, and a bounded number of open transfers per student."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from emrex.db import Database
from emrex.db.scope import request_scope
from emrex.emc.config import EmcSettings
from emrex.emc.gate import Busy, VerificationGate
from emrex.emc.models import Status, Transfer
from tests.emc.conftest import NORDVIK, csrf, database_of, login, start


def test_a_gate_lets_as_many_through_as_it_has_slots_and_turns_the_next_away() -> None:
    gate = VerificationGate(2, wait_seconds=0.05)
    with gate.slot(), gate.slot():
        started = time.monotonic()
        with pytest.raises(Busy, match="busy checking other results"), gate.slot():
            pass
        assert time.monotonic() - started >= 0.05
    with gate.slot():  # the slots were given back
        pass


def test_a_waiting_answer_gets_the_slot_as_soon_as_it_is_free() -> None:
    gate = VerificationGate(1, wait_seconds=5)
    entered = threading.Event()
    order: list[str] = []

    def first() -> None:
        with gate.slot():
            entered.set()
            time.sleep(0.1)
            order.append("first")

    thread = threading.Thread(target=first)
    thread.start()
    entered.wait(5)
    with gate.slot():
        order.append("second")
    thread.join(5)
    assert order == ["first", "second"]


def open_transfers(client: TestClient) -> int:
    with database_of(client).session() as s:
        return int(
            s.scalar(select(func.count()).select_from(Transfer).where(Transfer.status == Status.STARTED)) or 0
        )


def test_a_student_has_at_most_the_configured_number_of_open_transfers(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., EmcSettings]
) -> None:
    emc = make_emc(make_settings(limits={"max_open_transfers": 3}))
    login(emc)
    for _ in range(3):
        start(emc)
    page = emc.get("/choose?country=SE")
    refused = emc.post("/start", data={"country": "SE", "emp": NORDVIK, "csrf_token": csrf(page.text)})
    assert refused.status_code == 429
    assert "3 transfers waiting for their data provider" in refused.text
    assert open_transfers(emc) == 3
    with database_of(emc).session() as s:
        oldest = s.scalars(select(Transfer.id).order_by(Transfer.id)).first()
    page = emc.get(f"/transfers/{oldest}")
    emc.post(f"/transfers/{oldest}/delete", data={"csrf_token": csrf(page.text)})
    start(emc)  # one was deleted: room for another
    assert open_transfers(emc) == 3


def test_a_request_that_waits_gives_back_its_database_connection(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path}/gate.db")
    gate = VerificationGate(1, wait_seconds=0.05)
    with request_scope() as scope:
        with database.session(readonly=True) as s:
            s.execute(select(1))
        with gate.slot():  # free: the request keeps its connection
            assert scope.holds_connections
        with gate.slot(), pytest.raises(Busy), gate.slot():  # taken: it lets go before waiting
            pass
        assert not scope.holds_connections
    database.dispose()
