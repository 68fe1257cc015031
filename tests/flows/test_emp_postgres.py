"""One whole EMP transfer on PostgreSQL: single finish under a real transaction, statistics."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from emrex.db import Database, upgrade
from emrex.elmo import codec
from emrex.emp.app import create_emp_app
from emrex.emp.config import settings_from_mapping
from emrex.emp.stats import collect
from emrex.sis.format import parse_sis_json
from emrex.sis.importer import import_sis
from emrex.trust.ca import Issued
from emrex.trust.signer import Signer
from emrex.trust.verifier import verify
from tests.db.conftest import postgres_admin, postgres_schema
from tests.emp.conftest import config, emp_ca, emp_key, key_files, password_hash, signer
from tests.emp.data import document
from tests.emp.helpers import login, post, reply, start

__all__ = ["emp_ca", "emp_key", "key_files", "password_hash", "postgres_admin", "postgres_schema", "signer"]


@pytest.fixture
def pg_emp(
    postgres_schema: Callable[[], str], password_hash: str, key_files: tuple[Path, Path], signer: Signer
) -> Iterator[TestClient]:
    database = Database(postgres_schema())
    upgrade(database)
    import_sis(database, parse_sis_json(json.dumps(document()).encode()))
    settings = settings_from_mapping(config(password_hash, key_files))
    with TestClient(
        create_emp_app(settings, database=database, signer=signer, migrate=False),
        base_url=settings.base_url,
        follow_redirects=False,
    ) as client:
        yield client
    database.dispose()


def test_a_transfer_on_postgresql(pg_emp: TestClient, emp_key: Issued) -> None:
    flow = start(pg_emp)
    login(pg_emp, flow)
    post(pg_emp, f"{flow}/select", pg_emp.get(flow).text, item=["0:C1", "0:C3"], action="preview")
    preview = pg_emp.get(f"{flow}/preview").text
    sent = reply(post(pg_emp, f"{flow}/send", preview, action="send", consent="yes"))
    assert sent["returnCode"] == "NCP_OK"
    verify(codec.decode(sent["elmo"]), emp_key.certificate)
    assert post(pg_emp, f"{flow}/send", preview, action="send", consent="yes").status_code == 409
    stats = collect(pg_emp.app.state.emrex_emp.database)  # type: ignore[attr-defined]
    assert (stats.started, stats.finished, stats.items_sent, str(stats.credits_sent)) == (1, 1, 2, "13.50")


def test_a_request_pending_after_its_flow_ended_gets_no_second_answer(pg_emp: TestClient) -> None:
    flow = start(pg_emp)
    before_login = httpx.Cookies(pg_emp.cookies)  # the signed cookie that holds the request
    login(pg_emp, flow)
    assert reply(post(pg_emp, f"{flow}/select", pg_emp.get(flow).text, action="cancel"))["returnCode"] == (
        "NCP_CANCEL"
    )
    pg_emp.cookies = before_login
    login(pg_emp, flow)  # the request still pending: the stored flow is found, not stored again
    page = pg_emp.get(flow)
    assert page.status_code == 409
    assert "data-emrex-autosubmit" not in page.text
    stats = collect(pg_emp.app.state.emrex_emp.database)  # type: ignore[attr-defined]
    assert (stats.started, stats.finished) == (1, 1)
