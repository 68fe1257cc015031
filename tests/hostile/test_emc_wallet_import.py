"""Hostile input to the EMC's "Import from my wallet": a replayed answer, a key binding for another
verifier, a credential of an issuer the EMC does not trust, another student's request, a forged start.
Each is refused with one line and no transfer is stored."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from joserfc import jwe
from joserfc.jwk import ECKey
from sqlalchemy import select

from emrex.emc.config import EmcSettings
from emrex.emc.models import Transfer
from emrex.emc.wallet_store import WalletRequestRow
from emrex.wallet import HeldCredential, present
from emrex.wallet.jose import Json, dumps, parse_jwt
from emrex.wallet.typemeta import COURSES, SUBJECT
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
)
from tests.emc.wallet_network import Wallet, WalletNet, converted_elm, make_net, start_import, wallet_settings
from tests.hostile.cases import exercised
from tests.hostile.checks import logs_clean, no_traceback, nothing_stored, one_line, watch_logs

__all__ = ["keys", "make_emc", "make_settings", "migrated_template", "password_hash", "watch_logs"]
exercised(
    "emc-wallet-replayed-answer",
    "emc-wallet-wrong-aud",
    "emc-wallet-untrusted-issuer",
    "emc-wallet-other-students-request",
    "emc-wallet-forged-start",
)
PATHS = [
    (*SUBJECT, "givenName"),
    (*SUBJECT, "familyName"),
    (*SUBJECT, "dateOfBirth"),
    COURSES,
    ("elm", "evidence"),
]


@pytest.fixture
def net(tmp_path: Path) -> WalletNet:
    return make_net(tmp_path)


@pytest.fixture
def student(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., EmcSettings], net: WalletNet
) -> TestClient:
    client = make_emc(wallet_settings(make_settings, net), wallet_status_fetch=net.status_fetch)
    login(client)
    return client


def _request(wallet: Wallet, link: str) -> Json:
    uri = parse_qs(urlsplit(link).query)["request_uri"][0]
    return parse_jwt(wallet.cookieless.get(uri).text, "request").payload


def _post(wallet: Wallet, request: Json, presentation: str) -> Any:
    jwk = request["client_metadata"]["jwks"]["keys"][0]
    key = ECKey.import_key({k: jwk[k] for k in ("kty", "crv", "x", "y")})
    payload = {"vp_token": {"elm": [presentation]}, "state": request["state"]}
    encrypted = jwe.encrypt_compact({"alg": "ECDH-ES", "enc": "A128GCM"}, dumps(payload), key)
    return wallet.cookieless.post(request["response_uri"], data={"response": encrypted})


def _presentation(wallet: Wallet, held: HeldCredential, request: Json, audience: str | None = None) -> str:
    key = wallet.holder().key()
    return present(
        held.credential, PATHS, holder=key, audience=audience or request["client_id"], nonce=request["nonce"]
    )


def _refused(student: TestClient, page_path: str, reply: Any, words: str) -> None:
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"] == "invalid_request"
    one_line(reply.json()["error_description"])
    assert words in reply.json()["error_description"]
    page = student.get(page_path)
    assert page.status_code == 200 and "was not accepted" in page.text and words in html.unescape(page.text)
    no_traceback(page.text)
    with database_of(student).session(readonly=True) as s:
        assert list(s.scalars(select(Transfer))) == []


def test_an_answer_replayed_to_a_new_request_is_refused(
    student: TestClient, net: WalletNet, keys: Keys, tmp_path: Path, watch_logs: pytest.LogCaptureFixture
) -> None:
    wallet = net.wallet(tmp_path / "wallet", student)
    held = wallet.receive(converted_elm(keys))
    _, first_link = start_import(student)
    first = _request(wallet, first_link)
    answered = _presentation(wallet, held, first)
    assert _post(wallet, first, answered).status_code == 200
    # Whoever captured that answer posts it to a new request of the same student: the old nonce.
    page_path, link = start_import(student)
    second = _request(wallet, link)
    with database_of(student).session(readonly=True) as s:
        before = len(list(s.scalars(select(Transfer))))
    reply = _post(wallet, second, answered)
    assert reply.status_code == 400 and "wrong nonce" in reply.json()["error_description"]
    assert "wrong nonce" in student.get(page_path).text
    with database_of(student).session(readonly=True) as s:
        assert len(list(s.scalars(select(Transfer)))) == before  # the first one is not stored twice
    logs_clean(watch_logs)


def test_a_key_binding_for_another_verifier_is_refused(
    student: TestClient, net: WalletNet, keys: Keys, tmp_path: Path
) -> None:
    wallet = net.wallet(tmp_path / "wallet", student)
    held = wallet.receive(converted_elm(keys))
    page_path, link = start_import(student)
    request = _request(wallet, link)
    elsewhere = _presentation(wallet, held, request, audience="x509_san_dns:evil.example")
    _refused(student, page_path, _post(wallet, request, elsewhere), "made for 'x509_san_dns:evil.example'")


def test_a_credential_of_an_untrusted_issuer_is_refused(
    student: TestClient, net: WalletNet, keys: Keys, tmp_path: Path
) -> None:
    wallet = net.wallet(tmp_path / "wallet", student)
    held = wallet.receive(converted_elm(keys), stranger=True)
    page_path, link = start_import(student)
    request = _request(wallet, link)
    _refused(student, page_path, _post(wallet, request, _presentation(wallet, held, request)), "trust anchor")


def test_another_students_request_stays_theirs(
    student: TestClient, make_emc: Callable[..., TestClient], net: WalletNet, keys: Keys, tmp_path: Path
) -> None:
    page_path, link = start_import(student)
    intruder = make_emc(student.app.state.emc_service.settings)  # type: ignore[attr-defined]
    login(intruder, "bo")
    wallet = net.wallet(tmp_path / "wallet", student)
    held = wallet.receive(converted_elm(keys))
    presented = wallet.holder().present(link, credential=held.id)
    assert presented.redirect_uri
    with nothing_stored(database_of(student)):
        for path in (page_path, presented.redirect_uri):
            page = intruder.get(path, follow_redirects=True)
            assert page.status_code == 404 and "someone else" in page.text
            assert "openid4vp://" not in page.text and "/transfers/" not in page.text
    assert student.get(page_path, follow_redirects=False).status_code == 303


def test_a_forged_start_is_refused(student: TestClient) -> None:
    with nothing_stored(database_of(student)):
        response = student.post("/wallet-import/start", data={"csrf_token": "forged"})
        assert response.status_code == 403
        assert student.post("/wallet-import/start").status_code == 403
    token = csrf(student.get("/").text)
    assert (
        student.post("/wallet-import/start", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    with database_of(student).session(readonly=True) as s:
        assert len(list(s.scalars(select(WalletRequestRow)))) == 1
