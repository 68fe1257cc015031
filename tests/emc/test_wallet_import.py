"""'Import from my wallet': the request page, the wallet's answer becoming a transfer whose source is the
wallet, and what is refused (another student's request, an untrusted issuer, a credential without its
original document, a bad configuration)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from emrex.emc.config import EmcConfigError, EmcSettings
from emrex.emc.models import Source, Status, Transfer
from emrex.emc.wallet_import import WalletImportError
from emrex.emc.wallet_store import WalletRequestRow
from emrex.wallet import HolderError
from tests.emc.conftest import Keys, database_of, login
from tests.emc.wallet_network import (
    WalletNet,
    converted_elm,
    make_net,
    plain_elm,
    start_import,
    wallet_settings,
)


@pytest.fixture
def net(tmp_path: Path) -> WalletNet:
    return make_net(tmp_path)


@pytest.fixture
def wallet_emc(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., EmcSettings], net: WalletNet
) -> TestClient:
    return make_emc(wallet_settings(make_settings, net), wallet_status_fetch=net.status_fetch)


def _transfers(client: TestClient) -> list[Transfer]:
    with database_of(client).session(readonly=True) as s:
        return list(s.scalars(select(Transfer).order_by(Transfer.id)))


def test_without_the_table_the_start_page_offers_no_wallet(emc: TestClient) -> None:
    login(emc)
    assert "/wallet-import/start" not in emc.get("/").text
    assert emc.post("/wallet-import/start").status_code in (403, 404)


def test_the_request_page_shows_a_qr_code_and_a_link_and_waits_without_refreshing(
    wallet_emc: TestClient,
) -> None:
    login(wallet_emc)
    page_path, link = start_import(wallet_emc)
    page = wallet_emc.get(page_path).text
    assert "<svg" in page and 'class="qr"' in page
    # No timed refresh (it disturbs screen readers): a script asks the status address, "Check now" without.
    assert 'http-equiv="refresh"' not in page
    assert '<script src="/static/emrex-wallet-wait.js">' in page
    assert f'data-emrex-wallet-status="{page_path}/status" data-emrex-interval="4000"' in page
    assert wallet_emc.get("/static/emrex-wallet-wait.js").status_code == 200
    status = wallet_emc.get(page_path + "/status")
    assert status.json() == {"pending": True} and status.headers["cache-control"] == "no-store"
    assert link.startswith("openid4vp://?client_id=x509_san_dns%3Aemc.example.org&request_uri=")
    with database_of(wallet_emc).session(readonly=True) as s:
        row = s.scalars(select(WalletRequestRow)).one()
    assert row.student == "asa" and row.status == "pending" and row.transfer_id is None


def test_starting_needs_a_login(wallet_emc: TestClient) -> None:
    response = wallet_emc.post("/wallet-import/start", follow_redirects=False)
    assert response.status_code in (303, 401, 403)
    with database_of(wallet_emc).session(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(WalletRequestRow)) == 0


def test_a_presented_credential_becomes_a_transfer_from_the_wallet(
    wallet_emc: TestClient, net: WalletNet, keys: Keys, tmp_path: Path
) -> None:
    login(wallet_emc)
    wallet = net.wallet(tmp_path / "wallet", wallet_emc)
    held = wallet.receive(converted_elm(keys))
    page_path, link = start_import(wallet_emc)
    presented = wallet.holder().present(link, credential=held.id)
    assert (
        presented.redirect_uri is not None and "/wallet-import/done?response_code=" in presented.redirect_uri
    )

    # Same device: the wallet sends the browser to the redirect, which leads to the transfer.
    done = wallet_emc.get(presented.redirect_uri, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == page_path
    shown = wallet_emc.get(page_path, follow_redirects=False)
    assert shown.status_code == 303, re.findall(r'role="alert">(.*?)</p>', shown.text, re.S)
    found = re.fullmatch(r"/transfers/(\d+)", shown.headers["location"])
    assert found
    (transfer,) = _transfers(wallet_emc)
    assert transfer.id == int(found.group(1))
    assert transfer.source == Source.WALLET and transfer.status == Status.RECEIVED
    assert transfer.vouched_by == f"CN=Nordvik University wallet issuer ({net.issuer.urls.base})"
    assert transfer.signer and "Nordvik EMP" in transfer.signer  # the original's data provider
    assert transfer.identity_verdict == "match" and transfer.courses > 0
    assert transfer.emp_acronym == "NORDVIK"

    # Polling again does not make a second transfer.
    assert wallet_emc.get(page_path, follow_redirects=False).headers["location"] == shown.headers["location"]
    assert len(_transfers(wallet_emc)) == 1
    page = wallet_emc.get(shown.headers["location"]).text
    assert "Nordvik University wallet issuer" in page and "Import these results" in page


def test_the_status_says_when_the_answer_is_there_and_only_to_its_student(
    make_emc: Callable[..., TestClient], wallet_emc: TestClient, net: WalletNet, keys: Keys, tmp_path: Path
) -> None:
    login(wallet_emc)
    wallet = net.wallet(tmp_path / "phone", wallet_emc)
    held = wallet.receive(converted_elm(keys))
    page_path, link = start_import(wallet_emc)
    intruder = make_emc(wallet_emc.app.state.emc_service.settings)
    login(intruder, "bo")
    assert intruder.get(page_path + "/status").status_code == 404
    wallet.holder().present(link, credential=held.id)
    assert wallet_emc.get(page_path + "/status").json() == {"pending": False}
    assert wallet_emc.get(page_path, follow_redirects=False).status_code == 303  # to the transfer
    assert wallet_emc.get("/wallet-import/no-such-request/status").status_code == 404


def test_another_students_request_is_not_shown_nor_taken(
    wallet_emc: TestClient, make_emc: Callable[..., TestClient], net: WalletNet, keys: Keys, tmp_path: Path
) -> None:
    login(wallet_emc)
    page_path, link = start_import(wallet_emc)
    other = make_emc(wallet_emc.app.state.emc_service.settings)  # type: ignore[attr-defined]
    login(other, "bo")
    refused = other.get(page_path)
    assert refused.status_code == 404 and "someone else" in refused.text
    assert "openid4vp://" not in refused.text
    # The owner's answer is still taken afterwards.
    wallet = net.wallet(tmp_path / "wallet", wallet_emc)
    wallet.holder().present(link, credential=wallet.receive(converted_elm(keys)).id)
    assert other.get(page_path).status_code == 404
    assert wallet_emc.get(page_path, follow_redirects=False).status_code == 303
    assert [t.student for t in _transfers(wallet_emc)] == ["asa"]


def test_a_credential_of_an_untrusted_issuer_is_refused(
    wallet_emc: TestClient, net: WalletNet, keys: Keys, tmp_path: Path
) -> None:
    login(wallet_emc)
    wallet = net.wallet(tmp_path / "wallet", wallet_emc)
    held = wallet.receive(converted_elm(keys), stranger=True)
    page_path, link = start_import(wallet_emc)
    with pytest.raises(HolderError, match="refused"):
        wallet.holder().present(link, credential=held.id)
    page = wallet_emc.get(page_path)
    assert page.status_code == 200 and "was not accepted" in page.text and "trust" in page.text
    assert "refresh" not in page.text
    assert _transfers(wallet_emc) == []


def test_a_credential_without_its_original_document_is_refused_and_nothing_stored(
    wallet_emc: TestClient, net: WalletNet, keys: Keys, tmp_path: Path
) -> None:
    login(wallet_emc)
    wallet = net.wallet(tmp_path / "wallet", wallet_emc)
    held = wallet.receive(plain_elm(keys))
    page_path, link = start_import(wallet_emc)
    wallet.holder().present(link, credential=held.id)  # the wallet layer accepts it
    page = wallet_emc.get(page_path)
    assert "carries no original ELMO" in page.text
    assert _transfers(wallet_emc) == []
    with database_of(wallet_emc).session(readonly=True) as s:
        assert s.scalars(select(WalletRequestRow.status)).one() == "refused"


def test_a_revoked_credential_is_refused(
    wallet_emc: TestClient, net: WalletNet, keys: Keys, tmp_path: Path
) -> None:
    login(wallet_emc)
    wallet = net.wallet(tmp_path / "wallet", wallet_emc)
    held = wallet.receive(converted_elm(keys), subject="revoke-me")
    assert net.issuer.revoke_subject("revoke-me") == 1
    page_path, link = start_import(wallet_emc)
    with pytest.raises(HolderError, match="revoked"):
        wallet.holder().present(link, credential=held.id)
    assert "revoked" in wallet_emc.get(page_path).text
    assert _transfers(wallet_emc) == []


def test_the_same_results_twice_are_refused_the_second_time(
    wallet_emc: TestClient, net: WalletNet, keys: Keys, tmp_path: Path
) -> None:
    login(wallet_emc)
    wallet = net.wallet(tmp_path / "wallet", wallet_emc)
    held = wallet.receive(converted_elm(keys))
    for _ in range(2):
        page_path, link = start_import(wallet_emc)
        wallet.holder().present(link, credential=held.id)
        wallet_emc.get(page_path, follow_redirects=False)
    first, second = _transfers(wallet_emc)
    assert first.status == Status.RECEIVED
    assert second.status == Status.FAILED and "received already" in str(second.failure)


def test_an_unknown_request_or_response_code_is_a_clear_404(wallet_emc: TestClient) -> None:
    login(wallet_emc)
    assert "no such wallet request" in wallet_emc.get("/wallet-import/nothing-here").text
    done = wallet_emc.get("/wallet-import/done?response_code=guess")
    assert done.status_code == 404 and "no such wallet answer" in done.text


def test_the_configuration_is_checked(
    make_settings: Callable[..., EmcSettings],
    make_emc: Callable[..., TestClient],
    net: WalletNet,
    tmp_path: Path,
) -> None:
    tables = net.tables()
    with pytest.raises(EmcConfigError, match="trust"):
        make_settings(wallet_import={**tables["wallet_import"], "trust": []})
    missing = make_settings(wallet_import={**tables["wallet_import"], "key_file": str(tmp_path / "none.pem")})
    with pytest.raises(WalletImportError, match="cannot be read"):
        make_emc(missing)
    # A certificate for another host cannot make x509_san_dns:emc.example.org requests.
    wrong = {**tables["wallet_import"], "cert_file": tables["wallet_import"]["trust"][0]}
    with pytest.raises(WalletImportError, match="wallet_import"):
        make_emc(make_settings(wallet_import=wrong))


def test_a_web_wallet_is_offered_the_same_request(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., EmcSettings], net: WalletNet
) -> None:
    tables = net.tables()
    tables["wallet_import"]["web_wallet_url"] = "https://wallet.example/vp/authorize"
    client = make_emc(make_settings(**tables), wallet_status_fetch=net.status_fetch)
    login(client)
    page_path, link = start_import(client)
    page = client.get(page_path).text
    web = re.search(r'href="(https://wallet\.example/[^"]+)"', page)
    assert web and "Open in my web wallet" in page
    query = link.split("?", 1)[1]
    assert web.group(1).replace("&amp;", "&") == "https://wallet.example/vp/authorize?" + query
    assert "Öppna i min webbplånbok" in client.get(page_path + "?lang=sv").text


def test_without_a_web_wallet_only_the_wallet_scheme_is_linked(wallet_emc: TestClient) -> None:
    login(wallet_emc)
    page_path, _ = start_import(wallet_emc)
    page = wallet_emc.get(page_path).text
    assert "Open in my web wallet" not in page and "openid4vp://" in page


@pytest.mark.parametrize(
    "url",
    ["http://wallet.example/vp", "https://wallet.example/vp?x=1", "https://wallet.example/vp#f", "ftp://w/"],
)
def test_a_web_wallet_url_must_be_https_without_query(
    make_settings: Callable[..., EmcSettings], net: WalletNet, url: str
) -> None:
    tables = net.tables()
    tables["wallet_import"]["web_wallet_url"] = url
    with pytest.raises(EmcConfigError, match=r"^emc\.wallet_import\.web_wallet_url: expected an https URL"):
        make_settings(**tables)
def test_an_answer_that_finds_every_verification_slot_taken_waits_and_is_stored_later(
    wallet_emc: TestClient, net: WalletNet, keys: Keys, tmp_path: Path
) -> None:
    from emrex.emc.gate import VerificationGate

    service = wallet_emc.app.state.emc_service  # type: ignore[attr-defined]
    service.gate = VerificationGate(1, wait_seconds=0.05)
    login(wallet_emc)
    wallet = net.wallet(tmp_path / "wallet", wallet_emc)
    held = wallet.receive(converted_elm(keys))
    page_path, link = start_import(wallet_emc)
    wallet.holder().present(link, credential=held.id)
    with service.gate.slot():  # another verification holds the only slot
        busy = wallet_emc.get(page_path, follow_redirects=False)
        assert busy.status_code == 200 and "The service is busy" in busy.text
        assert "data-emrex-wallet-status=" in busy.text and "openid4vp://" not in busy.text
        status = wallet_emc.get(page_path + "/status")
        assert status.json() == {"pending": False}  # the script reloads the page, which tries again
        assert _transfers(wallet_emc) == []
    assert wallet_emc.get(page_path, follow_redirects=False).status_code == 303  # the next reload
    assert [t.status for t in _transfers(wallet_emc)] == [Status.RECEIVED]
