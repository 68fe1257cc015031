"""The demo wallet's pages on their own: it says it is a simulation, refuses posts without the CSRF token,
bounds what it is given, and tells plainly why a link cannot be used, changing nothing. (The exchanges
with the demo EMCs run in test_wallet_demo.py over real HTTP.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from emrex.db import Database, upgrade
from emrex.demo.wallet_web import MAX_LINK, create_wallet_app
from emrex.trust.ca import make_ca

BASE = "http://127.0.0.1:30008"
OFFER = "openid-credential-offer://?credential_offer_uri=http%3A%2F%2Flocalhost%3A1%2Fwallet%2Foffers%2Fx"
FOREIGN_REQUEST = "openid4vp://?client_id=redirect_uri%3Ahttps%3A%2F%2Fx&request_uri=https%3A%2F%2Fx"


@pytest.fixture
def wallet(tmp_path: Path) -> Iterator[TestClient]:
    database = Database(f"sqlite:///{tmp_path / 'web.db'}")
    upgrade(database)
    app = create_wallet_app(BASE, tmp_path / "wallet", database, [make_ca("Demo CA").certificate])
    with TestClient(app, base_url=BASE) as client:
        yield client
    database.dispose()


def _csrf(client: TestClient) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(f"/offer?link={OFFER}").text)
    assert token
    return token.group(1)


def _held(tmp_path: Path) -> list[Path]:
    return list((tmp_path / "wallet").glob("credentials/*.json"))


def test_the_page_says_it_is_a_simulation_and_holds_nothing_yet(wallet: TestClient) -> None:
    page = wallet.get("/")
    assert page.status_code == 200
    assert "A simulated wallet for the EMREX demo, not a real EU Digital Identity wallet" in page.text
    assert "language-picker" not in page.text  # English only: no choice offered
    assert "holds no credential yet" in page.text
    assert 'action="/offer"' in page.text and 'action="/present"' in page.text
    assert "frame-ancestors" in page.headers["content-security-policy"]


def test_an_offer_link_from_the_emc_or_pasted_shows_the_issuer_and_asks_for_the_code(
    wallet: TestClient,
) -> None:
    for page in (wallet.get(f"/offer?link={OFFER}"), wallet.get("/offer?" + OFFER.split("?", 1)[1])):
        assert page.status_code == 200
        assert "localhost:1 offers a credential" in page.text
        assert 'name="tx_code"' in page.text and "Accept the credential" in page.text


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("link=https%3A%2F%2Fevil.example%2F", "not a link that starts with openid-credential-offer://"),
        ("link=", "Paste a link first"),
        ("", "Paste a link first"),
        ("link=" + "openid-credential-offer://?" + "a" * MAX_LINK, "of at most 4000 characters"),
    ],
)
def test_an_unusable_offer_link_is_one_clear_line(wallet: TestClient, query: str, said: str) -> None:
    page = wallet.get(f"/offer?{query}")
    assert page.status_code == 400 and said in page.text
    assert "Traceback" not in page.text


def test_posts_need_the_csrf_token(wallet: TestClient, tmp_path: Path) -> None:
    assert wallet.post("/offer", data={"link": OFFER, "tx_code": "123456"}).status_code == 403
    assert wallet.post("/present", data={"link": FOREIGN_REQUEST}).status_code == 403
    assert _held(tmp_path) == []


def test_an_offer_that_cannot_be_fetched_is_refused_and_nothing_kept(
    wallet: TestClient, tmp_path: Path
) -> None:
    token = _csrf(wallet)
    answer = wallet.post("/offer", data={"csrf_token": token, "link": OFFER, "tx_code": "123456"})
    assert answer.status_code == 409
    assert "The credential was not taken: " in answer.text and "cannot be reached" in answer.text
    too_long = {"csrf_token": token, "link": OFFER + "a" * MAX_LINK, "tx_code": "1"}
    assert wallet.post("/offer", data=too_long).status_code == 400
    code_too_long = {"csrf_token": token, "link": OFFER, "tx_code": "1" * 33}
    assert wallet.post("/offer", data=code_too_long).status_code == 400
    assert _held(tmp_path) == []


def test_a_request_the_holder_does_not_answer_is_explained(wallet: TestClient) -> None:
    page = wallet.get("/present", params={"link": FOREIGN_REQUEST})
    assert page.status_code == 409
    assert "The request cannot be answered: " in page.text and "x509_san_dns" in page.text
    assert wallet.get("/present", params={"link": OFFER}).status_code == 400  # not a request link


def test_a_presentation_post_is_bounded(wallet: TestClient) -> None:
    token = _csrf(wallet)
    request = "openid4vp://?client_id=x509_san_dns%3Alocalhost&request_uri=http%3A%2F%2Flocalhost%3A1%2Fr"
    bad_course = wallet.post(
        "/present", data={"csrf_token": token, "link": request, "some": "1", "course": "x"}
    )
    assert bad_course.status_code == 400 and "not readable" in bad_course.text
    superscript = {"csrf_token": token, "link": request, "some": "1", "course": "²"}
    assert wallet.post("/present", data=superscript).status_code == 400  # a digit to isdigit, not to int
    none_ticked = wallet.post("/present", data={"csrf_token": token, "link": request, "some": "1"})
    assert none_ticked.status_code == 400 and "Tick at least one course" in none_ticked.text
    unreachable = wallet.post("/present", data={"csrf_token": token, "link": request})
    assert unreachable.status_code == 409 and "did not go through" in unreachable.text
    offer = wallet.post("/present", data={"csrf_token": token, "link": OFFER})
    assert offer.status_code == 400


def test_a_damaged_credential_file_is_said_not_a_crash(wallet: TestClient, tmp_path: Path) -> None:
    folder = tmp_path / "wallet" / "credentials"
    folder.mkdir(parents=True)
    (folder / "1-broken.json").write_text("{not json")
    page = wallet.get("/")
    assert page.status_code == 500 and "folder cannot be read: " in page.text
