"""Whole EMP sessions over HTTP: every way a transfer can end, and what the client receives."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch

import httpx
import pytest
from fastapi.testclient import TestClient

from emrex.db import Database, utcnow
from emrex.elmo import codec
from emrex.elmo.reader import read_elmo
from emrex.elmo.schema import validate_xsd
from emrex.emp.runtime import build_source
from emrex.emp.sources.base import LearnerResults, PersonQuery, ResultsSource, SourceUnavailable
from emrex.trust.ca import Issued
from emrex.trust.verifier import verify
from tests.emp.conftest import (
    CLIENT_RETURN,
    PASSWORD,
    database,
    emp,
    emp_ca,
    emp_key,
    key_files,
    make_emp,
    password_hash,
    seeded_template,
    signer,
)
from tests.emp.helpers import SESSION_ID, items, login, post, reply, start

__all__ = [
    "database",
    "emp",
    "emp_ca",
    "emp_key",
    "key_files",
    "make_emp",
    "password_hash",
    "seeded_template",
    "signer",
]


def test_ok_sends_a_signed_valid_document_of_the_selection(
    emp: TestClient, emp_key: Issued, schema_dir: Path
) -> None:
    flow = start(emp)
    login(emp, flow)
    page = emp.get(flow)
    assert page.status_code == 200
    offered = items(page.text)
    assert "0:C2" not in offered  # failed: hidden
    picked = ["0:C1", "1:GR-101"]
    response = post(emp, f"{flow}/select", page.text, item=picked, action="preview")
    assert response.headers["location"] == f"{flow}/preview"
    preview = emp.get(f"{flow}/preview")
    assert "emc.home.example" in preview.text
    sent = reply(post(emp, f"{flow}/send", preview.text, action="send", consent="yes"))
    assert sent["action"] == CLIENT_RETURN
    assert sent["sessionId"] == SESSION_ID
    assert sent["returnCode"] == "NCP_OK"
    xml = codec.decode(sent["elmo"])
    verified = verify(xml, emp_key.certificate)
    assert validate_xsd(verified.signed_xml, schema_dir).valid
    elmo = read_elmo(verified.signed_xml).elmo
    titles = [los.title("en") for _, _, los in elmo.iter_los()]
    assert titles == [
        "Master of Science in Engineering Physics",
        "Mathematics",
        "Linear Algebra",
        "Ancient Greek Philosophy",
    ]


def _stored(client: TestClient) -> tuple[int, int]:
    """(provider sessions, statistics records) in the EMP's database."""
    from emrex.emp.store import EmpEventRow, EmpSessionRow

    db = client.app.state.emrex_emp.database  # type: ignore[attr-defined]
    with db.session() as s:
        return s.query(EmpSessionRow).count(), s.query(EmpEventRow).count()


def _answer(client: TestClient, path: str, page: str, **fields: str) -> dict[str, str]:
    sent = reply(post(client, path, page, **fields))
    assert sent["sessionId"] == SESSION_ID
    assert sent["action"] == CLIENT_RETURN
    return sent


def test_cancel_before_login(emp: TestClient) -> None:
    flow = start(emp)
    page = emp.get(flow)
    assert "emc.home.example" in page.text
    sent = _answer(emp, f"{flow}/cancel", page.text)
    assert (sent["returnCode"], sent["elmo"]) == ("NCP_CANCEL", "")


def test_cancel_on_the_selection_page(emp: TestClient) -> None:
    flow = start(emp)
    login(emp, flow)
    page = emp.get(flow)
    sent = _answer(emp, f"{flow}/select", page.text, action="cancel", item="0:C1")
    assert (sent["returnCode"], sent["elmo"]) == ("NCP_CANCEL", "")


def test_cancel_on_the_preview_page(emp: TestClient) -> None:
    flow = start(emp)
    login(emp, flow)
    post(emp, f"{flow}/select", emp.get(flow).text, item="0:C1", action="preview")
    preview = emp.get(f"{flow}/preview")
    sent = _answer(emp, f"{flow}/send", preview.text, action="cancel", consent="yes")
    assert (sent["returnCode"], sent["elmo"]) == ("NCP_CANCEL", "")


def test_no_results_for_an_unknown_person(emp: TestClient) -> None:
    flow = start(emp)
    login(emp, flow, "nobody")
    page = emp.get(flow)
    assert page.status_code == 200
    assert "No study records were found" in page.text
    sent = _answer(emp, f"{flow}/no-results", page.text)
    assert (sent["returnCode"], sent["elmo"]) == ("NCP_NO_RESULTS", "")


def test_cancel_on_the_no_results_page(emp: TestClient) -> None:
    flow = start(emp)
    login(emp, flow, "nobody")
    sent = _answer(emp, f"{flow}/cancel", emp.get(flow).text)
    assert sent["returnCode"] == "NCP_CANCEL"


class _BrokenSource:
    def fetch(self, person: PersonQuery) -> LearnerResults:
        raise SourceUnavailable("the SIS did not answer within 5 s")


def test_a_failing_source_answers_ncp_error(make_emp: Callable[..., TestClient]) -> None:
    emp = make_emp(source=_BrokenSource())
    flow = start(emp)
    login(emp, flow)
    sent = reply(emp.get(flow))
    assert sent["returnCode"] == "NCP_ERROR"
    assert sent["elmo"] == ""
    assert "student information system" in sent["returnMessage"]
    assert emp.get(flow).status_code == 409  # finished: no second answer


def test_an_expired_session_gets_a_clear_page(emp: TestClient) -> None:
    flow = start(emp)
    login(emp, flow)
    emp.get(flow)
    later = utcnow() + timedelta(minutes=31)
    with patch("emrex.emp.flows._now", return_value=later):
        page = emp.get(flow)
        assert page.status_code == 410
        assert "expired" in page.text
        response = post(emp, f"{flow}/send", emp.get("/logout").text, action="send", consent="yes")
        assert response.status_code == 410
        assert "data-emrex-autosubmit" not in response.text


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"sessionId": ""}, "sessionId is missing"),
        ({"sessionId": "a" * 65}, "invalid transfer identifier"),
        ({"sessionId": "has space"}, "invalid transfer identifier"),
        ({"sessionId": "<script>"}, "invalid transfer identifier"),
        ({"returnUrl": ""}, "returnUrl is missing"),
        ({"returnUrl": "http://emc.home.example/return"}, "must use https"),
        ({"returnUrl": "javascript:alert(1)"}, "is not valid"),
        ({"returnUrl": "https://user:pw@emc.home.example/return"}, "user name or password"),
        ({"returnUrl": "https://emc.home.example/" + "x" * 2100}, "is not valid"),
        ({"returnUrl": "/relative/return"}, "is not valid"),
        ({"allowToPickCourses": "maybe"}, "invalid option"),
    ],
)
def test_bad_entry_parameters_get_a_400_page_and_store_nothing(
    emp: TestClient, params: dict[str, str], problem: str
) -> None:
    data = {"sessionId": SESSION_ID, "returnUrl": CLIENT_RETURN, **params}
    response = emp.post("/emrex", data=data)
    assert response.status_code == 400
    assert problem in response.text
    assert "Traceback" not in response.text
    assert "set-cookie" not in response.headers
    assert _stored(emp) == (0, 0)


def test_entry_by_get_and_unknown_parameters_are_accepted(emp: TestClient) -> None:
    response = emp.get(
        "/emrex", params={"sessionId": SESSION_ID, "returnUrl": CLIENT_RETURN, "lang": "xx", "foo": "1"}
    )
    assert response.status_code == 303
    assert _stored(emp) == (0, 0)  # nothing until someone logs in
    login(emp, response.headers["location"])
    emp.get(response.headers["location"])
    assert _stored(emp) == (1, 1)


def test_only_listed_clients_are_served(make_emp: Callable[..., TestClient]) -> None:
    emp = make_emp(client_hosts=["emc.other.example"])
    response = emp.post("/emrex", data={"sessionId": SESSION_ID, "returnUrl": CLIENT_RETURN})
    assert response.status_code == 400
    assert "not allowed to receive results" in response.text


def test_plain_http_clients_only_on_configured_development_hosts(make_emp: Callable[..., TestClient]) -> None:
    emp = make_emp()
    ok = emp.post("/emrex", data={"sessionId": SESSION_ID, "returnUrl": "http://localhost:8080/return"})
    assert ok.status_code == 303  # production = false allows localhost
    refused = emp.post("/emrex", data={"sessionId": SESSION_ID, "returnUrl": "http://emc.home.example/r"})
    assert refused.status_code == 400


def test_a_second_send_gives_no_second_document(emp: TestClient) -> None:
    flow = start(emp)
    login(emp, flow)
    post(emp, f"{flow}/select", emp.get(flow).text, item="0:C1", action="preview")
    preview = emp.get(f"{flow}/preview")
    first = reply(post(emp, f"{flow}/send", preview.text, action="send", consent="yes"))
    assert first["returnCode"] == "NCP_OK"
    again = post(emp, f"{flow}/send", preview.text, action="send", consent="yes")
    assert again.status_code == 409
    assert "already sent" in again.text
    assert "data-emrex-autosubmit" not in again.text
    assert _stored(emp) == (1, 2)  # one START, one FINISH


def test_a_request_replayed_from_before_login_gets_no_second_answer(emp: TestClient) -> None:
    flow = start(emp)
    before_login = httpx.Cookies(emp.cookies)  # the signed cookie that holds the request
    login(emp, flow)
    first = _answer(emp, f"{flow}/select", emp.get(flow).text, action="cancel")
    assert first["returnCode"] == "NCP_CANCEL"
    emp.cookies = before_login
    page = emp.get(flow)  # nobody logged in: the stored flow has ended
    assert page.status_code == 409
    assert post(emp, f"{flow}/cancel", emp.get(f"/login?next={flow}").text).status_code == 409
    login(emp, flow)  # logged in with the request still pending: the stored flow is found, not stored again
    page = emp.get(flow)
    assert page.status_code == 409
    assert "data-emrex-autosubmit" not in page.text
    assert _stored(emp) == (1, 2)  # one START, one FINISH


def test_another_browser_cannot_use_the_flow(make_emp: Callable[..., TestClient]) -> None:
    victim, attacker = make_emp(), make_emp()
    flow = start(victim)
    login(victim, flow)
    login(attacker, flow)  # the attacker knows the flow address and has an account
    assert attacker.get(flow).status_code == 404
    assert attacker.get(f"{flow}/preview").status_code == 404
    response = post(attacker, f"{flow}/cancel", attacker.get("/logout").text)
    assert response.status_code == 404
    assert victim.get(flow).status_code == 200


def test_a_flow_started_by_someone_else_in_the_same_browser_is_refused(emp: TestClient) -> None:
    flow = start(emp)
    login(emp, flow, "asa")
    assert emp.get(flow).status_code == 200
    # A second login in the same browser (keeps the web session's data, as login does).
    response = post(emp, "/login", emp.get("/logout").text, username="nobody", password=PASSWORD, next=flow)
    assert response.status_code == 303
    page = emp.get(flow)
    assert page.status_code == 403
    assert "belongs to someone else" in page.text
    assert post(emp, f"{flow}/cancel", page.text).status_code == 403


def test_logout_forgets_the_flow(emp: TestClient) -> None:
    flow = start(emp)
    login(emp, flow)
    post(emp, "/logout", emp.get("/logout").text)
    login(emp, flow)
    assert emp.get(flow).status_code == 404


def test_login_rotates_the_session_and_keeps_the_flow(emp: TestClient) -> None:
    flow = start(emp)
    before = emp.cookies.get("__Host-emrex_session")
    login(emp, flow)
    assert emp.cookies.get("__Host-emrex_session") != before
    assert emp.get(flow).status_code == 200


def test_without_picking_everything_offered_is_sent(emp: TestClient, emp_key: Issued) -> None:
    flow = start(emp, allowToPickCourses="false")
    login(emp, flow)
    response = emp.get(flow)
    assert response.headers["location"] == f"{flow}/preview"
    preview = emp.get(f"{flow}/preview")
    assert 'value="change"' not in preview.text
    sent = reply(post(emp, f"{flow}/send", preview.text, action="send", consent="yes"))
    elmo = read_elmo(verify(codec.decode(sent["elmo"]), emp_key.certificate).signed_xml).elmo
    local = {los.identifier("local") for _, _, los in elmo.iter_los()}
    assert local == {"TTF2Y", "M1", "C1", "C3", "GR-101"}  # not the failed C2, not the thesis in progress
    assert elmo.total_ects() == 19.5


def test_not_passed_results_are_offered_when_the_client_allows(emp: TestClient) -> None:
    flow = start(emp, allowNotPassedCourses="true")
    login(emp, flow)
    offered = items(emp.get(flow).text)
    assert {"0:C2", "0:C4", "0:TTF2Y"} <= set(offered)


def test_whole_programme_rule(make_emp: Callable[..., TestClient], emp_key: Issued) -> None:
    emp = make_emp(whole_programme_only=True)
    flow = start(emp)
    login(emp, flow)
    page = emp.get(flow).text
    assert items(page) == ["0:TTF2Y", "1:GR-101"]
    post(emp, f"{flow}/select", page, item="0:TTF2Y", action="preview")
    preview = emp.get(f"{flow}/preview")
    sent = reply(post(emp, f"{flow}/send", preview.text, action="send", consent="yes"))
    elmo = read_elmo(verify(codec.decode(sent["elmo"]), emp_key.certificate).signed_xml).elmo
    assert {los.identifier("local") for _, _, los in elmo.iter_los()} == {"TTF2Y", "M1", "C1", "C3"}
    assert len(elmo.reports) == 1


def test_signing_impossible_answers_ncp_error(make_emp: Callable[..., TestClient], emp_ca: Issued) -> None:
    import datetime as dt

    from emrex.trust.ca import issue
    from emrex.trust.signer import Signer

    old = issue(emp_ca, "EMP Nordvik", not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), days=30)
    emp = make_emp(with_signer=Signer(old.key, old.certificate))
    flow = start(emp)
    login(emp, flow)
    post(emp, f"{flow}/select", emp.get(flow).text, item="0:C1", action="preview")
    sent = reply(post(emp, f"{flow}/send", emp.get(f"{flow}/preview").text, action="send", consent="yes"))
    assert (sent["returnCode"], sent["elmo"]) == ("NCP_ERROR", "")
    assert "could not be made" in sent["returnMessage"]


class _CountingSource:
    def __init__(self, inner: ResultsSource) -> None:
        self.inner = inner
        self.calls = 0

    def fetch(self, person: PersonQuery) -> LearnerResults:
        self.calls += 1
        return self.inner.fetch(person)


@pytest.mark.parametrize(("minutes", "calls"), [(10, 1), (0, 4)])
def test_a_session_asks_the_source_once_unless_the_cache_is_off(
    make_emp: Callable[..., TestClient], database: Database, minutes: int, calls: int
) -> None:
    source = _CountingSource(build_source({"type": "sql"}, database))
    emp = make_emp(source=source, results_cache_minutes=minutes)
    flow = start(emp)
    login(emp, flow)
    page = emp.get(flow)
    post(emp, f"{flow}/select", page.text, item=["0:C1"], action="preview")
    preview = emp.get(f"{flow}/preview")
    sent = reply(post(emp, f"{flow}/send", preview.text, action="send", consent="yes"))
    assert sent["returnCode"] == "NCP_OK"
    assert source.calls == calls
    second = start(emp)  # the student's next session (still logged in) asks again
    assert "0:C1" in items(emp.get(second).text)
    assert source.calls == calls + 1


def test_an_expired_request_before_login_gets_a_clear_page(emp: TestClient) -> None:
    flow = start(emp)
    later = utcnow() + timedelta(minutes=31)
    with patch("emrex.emp.flows._now", return_value=later):
        page = emp.get(flow)
    assert page.status_code == 410 and "expired" in page.text
    assert _stored(emp) == (0, 0)
