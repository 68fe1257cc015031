"""The EMC compares each report's issuer with the institutions pinned when the transfer started."""

from __future__ import annotations

import dataclasses
import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from emrex.elmo import model as m
from emrex.emc.models import Status, Transfer
from tests.emc.conftest import NORDVIK_INSTITUTIONS, Keys, csrf, database_of, fresh, login, ok, start

ELSEWHERE = m.Issuer(
    identifiers=(m.Identifier("schac", "elsewhere.example"),),
    titles=(m.LangText("Elsewhere College", "en"),),
    url="https://elsewhere.example",
    country="SE",
)


def _with_issuer(issuer: m.Issuer) -> m.Elmo:
    sample = fresh(courses=3)
    return dataclasses.replace(sample, reports=(dataclasses.replace(sample.reports[0], issuer=issuer),))


def _confirm(client: TestClient, transfer_id: int) -> Status:
    page = client.get(f"/transfers/{transfer_id}")
    client.post(f"/transfers/{transfer_id}/confirm", data={"csrf_token": csrf(page.text)})
    with database_of(client).session() as s:
        transfer = s.get(Transfer, transfer_id)
        assert transfer is not None
        return Status(transfer.status)


def test_the_institutions_are_pinned_when_the_transfer_starts(emc: TestClient) -> None:
    login(emc)
    session_id = start(emc)
    with database_of(emc).session() as s:
        transfer = s.scalars(select(Transfer).where(Transfer.session_id == session_id)).one()
        assert json.loads(transfer.emp_institutions or "") == list(NORDVIK_INSTITUTIONS)


def test_an_unlisted_institution_in_the_emps_country_waits_for_staff(emc: TestClient, keys: Keys) -> None:
    login(emc)
    transfer_id = ok(emc, keys, start(emc), _with_issuer(ELSEWHERE))
    page = emc.get(f"/transfers/{transfer_id}").text
    assert "is not one of the institutions the registry lists for NORDVIK" in page
    assert "(Nordvik University; music.nordvik.example)" in page
    assert _confirm(emc, transfer_id) is Status.REVIEW


def test_a_transfer_started_before_institutions_were_pinned_is_not_compared(
    emc: TestClient, keys: Keys
) -> None:
    login(emc)
    session_id = start(emc)
    with database_of(emc).session() as s:  # as a row from before the migration
        transfer = s.scalars(select(Transfer).where(Transfer.session_id == session_id)).one()
        transfer.emp_institutions = None
    transfer_id = ok(emc, keys, session_id, _with_issuer(ELSEWHERE))
    assert "issuer-problem" not in emc.get(f"/transfers/{transfer_id}").text
    assert _confirm(emc, transfer_id) is Status.IMPORTED
