"""Hostile input to the EMC's "Add to my wallet": someone else's transfer, forged posts, nonsense course
choices, a student playing staff; and its issuer endpoints on the database, abused at two workers (two
apps on one database): a code redeemed twice, transaction codes guessed, an offer redeemed after
revoking."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from emrex.emc import create_emc_app
from emrex.emc.config import EmcSettings
from emrex.emc.store import wallet_subject
from emrex.wallet.jose import new_ec_key, sign_jwt, signing_key
from emrex.wallet.metadata import CONFIGURATION_ID, PRE_AUTHORIZED
from emrex.web.wallet_store import issued_count
from tests.emc.conftest import (
    BASE_URL,
    Keys,
    csrf,
    database_of,
    keys,
    login,
    make_emc,
    make_settings,
    migrated_template,
    ok,
    password_hash,
    seal_keys,
    start,
)
from tests.emc.test_credential import imported_transfer
from tests.emc.test_wallet_issue import offer_of, offer_page, wallet_table
from tests.hostile.cases import exercised
from tests.hostile.checks import logs_clean, no_traceback, nothing_stored, watch_logs

__all__ = [
    "keys",
    "make_emc",
    "make_settings",
    "migrated_template",
    "password_hash",
    "seal_keys",
    "watch_logs",
]
exercised(
    "emc-wallet-other-students-transfer",
    "emc-wallet-offer-csrf",
    "emc-wallet-not-imported",
    "emc-wallet-course-choice",
    "emc-wallet-revoke-as-student",
    "emc-wallet-code-used-twice-workers",
    "emc-wallet-tx-code-guessing-workers",
    "emc-wallet-offer-after-revoke",
)


@pytest.fixture
def issuing(make_settings: Callable[..., EmcSettings], tmp_path: Path, seal_keys: Any) -> EmcSettings:
    return make_settings(wallet=wallet_table(tmp_path, seal_keys))


@pytest.fixture
def second_worker(issuing: EmcSettings) -> Iterator[TestClient]:
    """Another app on the same database, as a second worker process would be."""
    app = create_emc_app(issuing, background=False, migrate=False)
    with TestClient(app, base_url=BASE_URL) as client:
        yield client
    app.state.emc_service.database.dispose()


def test_another_students_transfer_is_not_offered(
    make_emc: Callable[..., TestClient], issuing: EmcSettings, keys: Keys, watch_logs: Any
) -> None:
    owner = make_emc(issuing)
    transfer_id = imported_transfer(owner, keys)
    other = make_emc(issuing)
    login(other, "bo")
    token = csrf(other.get("/choose?country=SE").text)
    with nothing_stored(database_of(other)):
        shown = other.get(f"/transfers/{transfer_id}/wallet")
        posted = other.post(f"/transfers/{transfer_id}/wallet", data={"csrf_token": token, "scope": "all"})
        forged = owner.post(f"/transfers/{transfer_id}/wallet", data={"scope": "all", "csrf_token": "x" * 40})
        bare = owner.post(f"/transfers/{transfer_id}/wallet", data={"scope": "all"})
    assert (shown.status_code, posted.status_code) == (404, 404)
    assert (forged.status_code, bare.status_code) == (403, 403)
    for response in (shown, posted, forged, bare):
        no_traceback(response.text)
    logs_clean(watch_logs)


@pytest.mark.parametrize(
    "course", [[], ["99"], ["-1"], ["x"], ["1e3"], ["0"] * 500, ["0", "0", "0", "0", "0", "0", "0", "0", "0"]]
)
def test_nonsense_course_choices_store_nothing(
    make_emc: Callable[..., TestClient], issuing: EmcSettings, keys: Keys, course: list[str]
) -> None:
    student = make_emc(issuing)
    transfer_id = imported_transfer(student, keys)
    page = student.get(f"/transfers/{transfer_id}/wallet")
    token = csrf(page.text)
    listed = page.text.count('name="course"')
    with nothing_stored(database_of(student)):
        response = student.post(
            f"/transfers/{transfer_id}/wallet", data={"csrf_token": token, "scope": "some", "course": course}
        )
    if len(course) > listed or not course or course[0] not in [str(i) for i in range(listed)]:
        assert response.status_code == 409, response.text
        assert "choose at least one of the listed courses" in response.text
    no_traceback(response.text)


def test_results_not_imported_are_not_offered(
    make_emc: Callable[..., TestClient], issuing: EmcSettings, keys: Keys
) -> None:
    student = make_emc(issuing)
    login(student)
    transfer_id = ok(student, keys, start(student))
    token = csrf(student.get("/choose?country=SE").text)
    with nothing_stored(database_of(student)):
        response = student.post(f"/transfers/{transfer_id}/wallet", data={"csrf_token": token})
    assert response.status_code == 409
    assert "only imported results can be added to a wallet" in response.text


def test_a_student_cannot_revoke(
    make_emc: Callable[..., TestClient], issuing: EmcSettings, keys: Keys
) -> None:
    student = make_emc(issuing)
    transfer_id = imported_transfer(student, keys)
    token = csrf(student.get(f"/transfers/{transfer_id}/wallet").text)
    with nothing_stored(database_of(student)):
        response = student.post(f"/staff/transfers/{transfer_id}/wallet/revoke", data={"csrf_token": token})
    assert response.status_code == 403


def _code(client: TestClient, link: str) -> str:
    uri = parse_qs(urlsplit(link).query)["credential_offer_uri"][0]
    offer = client.get(uri).json()
    return str(offer["grants"][PRE_AUTHORIZED]["pre-authorized_code"])


def _token(client: TestClient, code: str, tx: str) -> Any:
    form = {"grant_type": PRE_AUTHORIZED, "pre-authorized_code": code, "tx_code": tx}
    return client.post("/wallet/token", data=form)


def _credential(client: TestClient, token: str) -> Any:
    holder = signing_key(new_ec_key())
    nonce = client.post("/wallet/nonce").json()["c_nonce"]
    import time

    proof = sign_jwt(
        {"typ": "openid4vci-proof+jwt", "jwk": holder.public_jwk},
        {"aud": BASE_URL, "iat": int(time.time()), "nonce": nonce},
        holder,
    )
    body = json.dumps({"credential_configuration_id": CONFIGURATION_ID, "proofs": {"jwt": [proof]}})
    return client.post("/wallet/credential", content=body, headers={"Authorization": f"Bearer {token}"})


def test_a_code_redeemed_at_two_workers_is_refused_and_spoils_the_first_token(
    make_emc: Callable[..., TestClient], issuing: EmcSettings, keys: Keys, second_worker: TestClient
) -> None:
    student = make_emc(issuing)
    transfer_id = imported_transfer(student, keys)
    link, tx = offer_of(offer_page(student, transfer_id, scope="all").text)
    code = _code(student, link)
    first = _token(student, code, tx)
    assert first.status_code == 200, first.text
    again = _token(second_worker, code, tx)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    refused = _credential(second_worker, first.json()["access_token"])
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
    with database_of(student).session(readonly=True) as s:
        assert issued_count(s, wallet_subject(transfer_id)) == (0, 0)


def test_transaction_codes_guessed_at_two_workers_all_count(
    make_emc: Callable[..., TestClient], issuing: EmcSettings, keys: Keys, second_worker: TestClient
) -> None:
    student = make_emc(issuing)
    transfer_id = imported_transfer(student, keys)
    link, tx = offer_of(offer_page(student, transfer_id, scope="all").text)
    code = _code(student, link)
    wrong = [f"{(int(tx) + n) % 1_000_000:06d}" for n in range(1, 6)]
    answers = [_token(second_worker if i % 2 else student, code, guess) for i, guess in enumerate(wrong)]
    assert [a.json()["error_description"] for a in answers[:2]] == [
        "wrong transaction code (4 attempts left)",
        "wrong transaction code (3 attempts left)",
    ]
    assert "now locked" in answers[4].json()["error_description"]
    right = _token(student, code, tx)
    assert (right.status_code, right.json()["error"]) == (400, "invalid_grant")
    for answer in answers:
        no_traceback(answer.text)


def test_an_offer_redeemed_after_revoking_gets_nothing(
    make_emc: Callable[..., TestClient], issuing: EmcSettings, keys: Keys
) -> None:
    student = make_emc(issuing)
    transfer_id = imported_transfer(student, keys)
    link, tx = offer_of(offer_page(student, transfer_id, scope="all").text)
    code = _code(student, link)
    staff = make_emc(issuing)
    login(staff, "staff")
    page = staff.get(f"/staff/transfers/{transfer_id}")
    assert "Revoke the wallet credentials" not in page.text  # nothing issued yet: nothing to revoke
    token = csrf(staff.get("/choose?country=SE").text)
    revoked = staff.post(f"/staff/transfers/{transfer_id}/wallet/revoke", data={"csrf_token": token})
    assert revoked.status_code == 200
    refused = _token(student, code, tx)
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")
    with database_of(student).session(readonly=True) as s:
        assert issued_count(s, wallet_subject(transfer_id)) == (0, 0)
