"""The EMC on PostgreSQL, and a sessionId answered twice at the same moment (on both databases)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from emrex.elmo.codec import encode
from emrex.emc.config import EmcSettings
from emrex.emc.models import ForeignCredential, Status, Transfer
from emrex.emc.store import TransferError
from emrex.emc.student import _handle_return
from tests.db.conftest import postgres_admin, postgres_schema  # noqa: F401  (PostgreSQL fixtures)
from tests.emc.conftest import Keys, csrf, database_of, login, ok, other_results, signed, start


def race(client: TestClient, session_id: str, value: str) -> list[str]:
    """Two answers for one sessionId handled at once; what each of them ended in."""
    service = client.app.state.emc_service  # type: ignore[attr-defined]
    fields = {"sessionId": session_id, "returnCode": "NCP_OK", "returnMessage": "", "elmo": value}
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def answer() -> None:
        barrier.wait()
        try:
            _, refusal = _handle_return(service, dict(fields), None, "en")
            outcomes.append("refused" if refusal else "stored")
        except TransferError as error:
            outcomes.append(error.kind)

    threads = [threading.Thread(target=answer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return sorted(outcomes)


def test_a_session_id_answered_twice_at_once_is_stored_once(emc: TestClient, keys: Keys) -> None:
    login(emc)
    session_id = start(emc)
    assert race(emc, session_id, encode(signed(keys.nordvik))) == ["stored", "used"]


@pytest.mark.postgres
def test_a_whole_transfer_on_postgresql(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    postgres_schema: Callable[[], str],  # noqa: F811
    keys: Keys,
) -> None:
    emc = make_emc(make_settings(database_url=postgres_schema()))
    login(emc)
    transfer_id = ok(emc, keys, start(emc))
    page = emc.get(f"/transfers/{transfer_id}")
    emc.post(f"/transfers/{transfer_id}/confirm", data={"csrf_token": csrf(page.text)})
    with database_of(emc).session() as s:
        transfer = s.get(Transfer, transfer_id)
        assert transfer is not None and transfer.status == Status.IMPORTED
        assert transfer.elmo_xml == emc.get(f"/transfers/{transfer_id}/elmo.xml").content
        assert len(list(s.scalars(select(ForeignCredential)))) == 8
    assert race(emc, start(emc), encode(signed(keys.nordvik, other_results("b")))) == ["stored", "used"]
