"""Hostile visitors of the EMP's own export (emrex.emp.export): nobody logged in, forged posts, another
student's result keys, formats not offered, a student playing staff; and the EMP's wallet issuer at two
workers (two apps on one database): a code redeemed twice, transaction codes guessed, an offer redeemed
after staff revoked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from emrex.db import Database
from emrex.emp.export import wallet_subject
from emrex.trust.ca import Issued
from emrex.web.wallet_store import issued_count
from tests.emp.conftest import (
    database,
    emp,
    emp_ca,
    emp_key,
    key_files,
    make_emp,
    password_hash,
    seal_key,
    seeded_template,
    signer,
)
from tests.emp.helpers import csrf, items, login
from tests.emp.test_export import export, offer_of, wallet_table
from tests.hostile.cases import exercised
from tests.hostile.checks import logs_clean, no_traceback, nothing_stored, watch_logs
from tests.hostile.test_emc_wallet import _code, _credential, _token

__all__ = [
    "database",
    "emp",
    "emp_ca",
    "emp_key",
    "key_files",
    "make_emp",
    "password_hash",
    "seal_key",
    "seeded_template",
    "signer",
    "watch_logs",
]
exercised(
    "emp-export-without-login",
    "emp-export-csrf",
    "emp-export-another-students-results",
    "emp-export-unknown-format",
    "emp-wallet-revoke-as-student",
    "emp-wallet-code-used-twice-workers",
    "emp-wallet-tx-code-guessing",
    "emp-wallet-offer-after-revoke",
)


@pytest.fixture
def issuing(
    make_emp: Callable[..., TestClient], tmp_path: Path, seal_key: Issued
) -> Callable[[], TestClient]:
    table = wallet_table(tmp_path, seal_key)
    return lambda: make_emp(wallet=table)


def test_an_export_without_login_makes_nothing(
    issuing: Callable[[], TestClient], database: Database, watch_logs: Any
) -> None:
    anyone = issuing()
    token = csrf(anyone.get("/login?next=/export").text)
    with nothing_stored(database):
        for action in ("elmo", "pdf", "wallet"):
            response = anyone.post("/export", data={"csrf_token": token, "action": action, "item": ["0:C1"]})
            assert response.status_code == 303 and response.headers["location"] == "/export"
        page = anyone.get("/export")
    assert 'name="item"' not in page.text and "Lindqvist" not in page.text
    logs_clean(watch_logs)


def test_forged_export_posts_are_refused(issuing: Callable[[], TestClient], database: Database) -> None:
    student = issuing()
    login(student, "/export")
    with nothing_stored(database):
        for data in ({"action": "elmo", "item": ["0:C1"]}, {"csrf_token": "x" * 40, "action": "wallet"}):
            response = student.post("/export", data=data)
            assert response.status_code == 403
            no_traceback(response.text)


def test_another_students_keys_give_only_ones_own_results(
    issuing: Callable[[], TestClient], database: Database, watch_logs: Any
) -> None:
    owner = issuing()
    login(owner, "/export")
    keys = items(owner.get("/export").text)
    nobody = issuing()
    login(nobody, "/export", "nobody")
    token = csrf(nobody.get("/logout").text)  # a page with this browser's CSRF token
    with nothing_stored(database):
        refused = nobody.post("/export", data={"csrf_token": token, "action": "elmo", "item": keys})
        unknown = export(owner, "elmo", ["9:C1", "0:nothing", "<script>"])
        many = export(owner, "wallet", [f"0:X{n}" for n in range(900)])
        flood = export(owner, "wallet", [f"0:X{n}" for n in range(20000)])
    assert refused.status_code == 404 and "No study records were found" in refused.text
    assert "Lindqvist" not in refused.text
    for response in (unknown, many):
        assert response.status_code == 400 and "Tick at least one result." in response.text
        no_traceback(response.text)
    assert flood.status_code == 403  # past the form's field limit: no token read, the page never runs
    logs_clean(watch_logs)


@pytest.mark.parametrize("action", ["zip", "", "edc", "elmo\x00"])
def test_formats_not_offered_make_nothing(
    issuing: Callable[[], TestClient], database: Database, action: str
) -> None:
    student = issuing()  # [wallet] but no [seal]: no sealed EDC
    login(student, "/export")
    with nothing_stored(database):
        response = export(student, action, ["0:C1"])
    assert response.status_code == 400 and "This export is not offered here." in response.text


def test_a_student_cannot_revoke(issuing: Callable[[], TestClient], database: Database) -> None:
    student = issuing()
    login(student, "/export")
    made = export(student, "wallet", ["0:C1"])
    assert made.status_code == 200
    token = csrf(student.get("/export").text)
    with nothing_stored(database):
        page = student.get("/admin/wallet")
        response = student.post("/admin/wallet/revoke", data={"csrf_token": token, "login": "asa"})
    assert (page.status_code, response.status_code) == (403, 403)


def _offer(issuing: Callable[[], TestClient]) -> tuple[TestClient, str, str]:
    student = issuing()
    login(student, "/export")
    link, tx = offer_of(export(student, "wallet", ["0:C1"]).text)
    return student, _code(student, link), tx


def test_a_code_redeemed_at_two_workers_is_refused_and_spoils_the_first_token(
    issuing: Callable[[], TestClient], database: Database
) -> None:
    student, code, tx = _offer(issuing)
    first = _token(student, code, tx)
    assert first.status_code == 200, first.text
    second_worker = issuing()
    again = _token(second_worker, code, tx)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    refused = _credential(second_worker, first.json()["access_token"])
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
    with database.session(readonly=True) as s:
        assert issued_count(s, wallet_subject("asa")) == (0, 0)


def test_transaction_codes_guessed_at_two_workers_all_count(issuing: Callable[[], TestClient]) -> None:
    student, code, tx = _offer(issuing)
    second_worker = issuing()
    wrong = [f"{(int(tx) + n) % 1_000_000:06d}" for n in range(1, 6)]
    answers = [_token(second_worker if i % 2 else student, code, guess) for i, guess in enumerate(wrong)]
    assert answers[0].json()["error_description"] == "wrong transaction code (4 attempts left)"
    assert "now locked" in answers[4].json()["error_description"]
    right = _token(student, code, tx)
    assert (right.status_code, right.json()["error"]) == (400, "invalid_grant")
    for answer in answers:
        no_traceback(answer.text)


def test_an_offer_redeemed_after_revoking_gets_nothing(
    issuing: Callable[[], TestClient], database: Database
) -> None:
    student, code, tx = _offer(issuing)
    staff = issuing()
    login(staff, "/admin/wallet", "staff")
    page = staff.get("/admin/wallet")
    assert page.status_code == 200
    revoked = staff.post("/admin/wallet/revoke", data={"csrf_token": csrf(page.text), "login": "asa"})
    assert revoked.status_code == 303
    refused = _token(student, code, tx)
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")
    with database.session(readonly=True) as s:
        assert issued_count(s, wallet_subject("asa")) == (0, 0)
