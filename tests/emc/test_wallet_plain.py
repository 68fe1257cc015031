"""Importing a wallet credential without its data provider's signed ELMO (plain ELM), as
``[emc.wallet_import] accept_without_signed_elmo = true`` allows: converted to ELMO, matched against the
student, stored with the source "wallet-elm" and no signer, shown as vouched for by the wallet issuer
alone; imported like any transfer; never "verified again" as a signed document. Off by default."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from emrex.emc.config import EmcSettings
from emrex.emc.models import ForeignCredential, Source, Status, Transfer
from emrex.emc.returns import ReturnRefused
from emrex.emc.service import verify_stored
from emrex.wallet.jose import Json
from tests.emc.conftest import Keys, SealKeys, config, csrf, database_of, login, seal_keys
from tests.emc.test_wallet_issue import wallet_table
from tests.emc.wallet_network import WalletNet, converted_elm, make_net, plain_elm, start_import

__all__ = ["seal_keys"]
POLICY = {"accept_without_signed_elmo": True}


@pytest.fixture
def net(tmp_path: Path) -> WalletNet:
    return make_net(tmp_path)


def accounts_with_testesen(tmp_path: Path, keys: Keys, password_hash: str) -> dict[str, Any]:
    """The ``login`` table of the test EMC plus the learner of the DC4EU sample (Test Testesen)."""
    login_table: dict[str, Any] = config(tmp_path, keys, password_hash)["login"]
    testesen = {
        "username": "testesen",
        "given_names": "Test",
        "family_name": "Testesen",
        "birth_date": "1991-01-20",
        "password_hash": password_hash,
    }
    accounts = [*login_table["demo"]["accounts"], testesen]
    return {**login_table, "demo": {"accounts": accounts}}


@pytest.fixture
def plain_emc(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    net: WalletNet,
    tmp_path: Path,
    keys: Keys,
    password_hash: str,
    seal_keys: SealKeys,
) -> TestClient:
    settings = make_settings(
        **net.tables(**POLICY),
        login=accounts_with_testesen(tmp_path, keys, password_hash),
        wallet=wallet_table(tmp_path, seal_keys),  # the EMC issues too: nothing unsigned is reissued
    )
    return make_emc(settings, wallet_status_fetch=net.status_fetch)


def _transfers(client: TestClient) -> list[Transfer]:
    with database_of(client).session(readonly=True) as s:
        return list(s.scalars(select(Transfer).order_by(Transfer.id)))


def _present(client: TestClient, net: WalletNet, elm: Json, folder: Path) -> str:
    """The student presents a credential of ``elm`` from the trusted issuer; the request page path."""
    wallet = net.wallet(folder, client)
    held = wallet.receive(elm)
    page_path, link = start_import(client)
    wallet.holder().present(link, credential=held.id)
    return page_path


def test_the_policy_is_off_unless_set(make_settings: Callable[..., EmcSettings], net: WalletNet) -> None:
    settings = make_settings(**net.tables())
    assert settings.wallet_import is not None and not settings.wallet_import.accept_without_signed_elmo
    assert make_settings(**net.tables(**POLICY)).wallet_import.accept_without_signed_elmo  # type: ignore[union-attr]


def test_a_plain_elm_credential_becomes_a_transfer_vouched_for_by_the_wallet_issuer_alone(
    plain_emc: TestClient, net: WalletNet, keys: Keys, tmp_path: Path, make_emc: Callable[..., TestClient]
) -> None:
    login(plain_emc)
    page_path = _present(plain_emc, net, plain_elm(keys), tmp_path / "wallet")
    arrived = plain_emc.get(page_path, follow_redirects=False)
    assert arrived.status_code == 303, arrived.text
    (transfer,) = _transfers(plain_emc)
    assert (transfer.source, transfer.status, transfer.student) == (Source.WALLET_ELM, Status.RECEIVED, "asa")
    assert transfer.signer is None and transfer.signer_fingerprint is None
    assert transfer.identity_verdict == "match" and transfer.courses > 0
    assert transfer.vouched_by == f"CN=Nordvik University wallet issuer ({net.issuer.urls.base})"
    assert transfer.emp_url == net.issuer.urls.base and "BEGIN CERTIFICATE" in transfer.emp_certificates
    assert (
        transfer.elmo_xml is not None
        and b"<elmo" in transfer.elmo_xml
        and b"Signature" not in transfer.elmo_xml
    )

    preview = html.unescape(plain_emc.get(arrived.headers["location"]).text)
    assert "No data provider's signature backs these results" in preview
    assert "Signature: valid" not in preview and "Import these results" in preview
    confirmed = plain_emc.post(
        f"/transfers/{transfer.id}/confirm", data={"csrf_token": csrf(preview)}, follow_redirects=False
    )
    assert confirmed.status_code == 303
    with database_of(plain_emc).session(readonly=True) as s:
        stored = s.get(Transfer, transfer.id)
        assert stored is not None and stored.status == Status.IMPORTED
        credentials = s.scalars(select(ForeignCredential).where(ForeignCredential.transfer_id == transfer.id))
        assert len(list(credentials)) == transfer.courses
    imported = plain_emc.get(f"/transfers/{transfer.id}").text
    assert "Add to my wallet" not in imported  # not offered: it would carry no data provider's signature
    refused = plain_emc.get(f"/transfers/{transfer.id}/wallet")
    assert refused.status_code == 409 and "only the wallet issuer vouched" in html.unescape(refused.text)

    staff = make_emc(plain_emc.app.state.emc_service.settings)  # type: ignore[attr-defined]
    login(staff, "staff")
    staff_page = staff.get(f"/staff/transfers/{transfer.id}").text
    assert "none from a data provider: a plain ELM credential" in staff_page
    assert "Nordvik University wallet issuer" in staff_page
    assert "Wallet: Nordvik University wallet issuer" in staff.get("/staff").text  # the transfers' list

    # Never verified again as a signed document: what needs that says why, in one line.
    service = plain_emc.app.state.emc_service  # type: ignore[attr-defined]
    with database_of(plain_emc).session(readonly=True) as s:
        again = s.get(Transfer, transfer.id)
        assert again is not None
        with pytest.raises(ReturnRefused, match="only the wallet issuer vouched"):
            verify_stored(service, again)


def test_a_dc4eu_elm_is_converted_and_matched_to_its_learner(
    plain_emc: TestClient, net: WalletNet, tmp_path: Path, shared_dir: Path
) -> None:
    sample = shared_dir / "samples-elm" / "converter-dc4eu" / "uio-tor.elm.json"
    elm: Json = json.loads(sample.read_text(encoding="utf-8"))
    login(plain_emc, "testesen")
    page_path = _present(plain_emc, net, elm, tmp_path / "wallet")
    assert plain_emc.get(page_path, follow_redirects=False).status_code == 303
    (transfer,) = _transfers(plain_emc)
    assert (transfer.source, transfer.identity_verdict) == (Source.WALLET_ELM, "match")
    assert transfer.elmo_xml is not None
    assert b"INF4000" in transfer.elmo_xml and b"HMS0507" in transfer.elmo_xml  # the sample's two courses
    assert transfer.courses >= 2
    assert json.loads(transfer.issuers)[0]["name"]  # type: ignore[arg-type]


def test_the_results_of_someone_else_are_refused_and_nothing_stored(
    plain_emc: TestClient, net: WalletNet, keys: Keys, tmp_path: Path
) -> None:
    login(plain_emc, "bo")  # the credential is about Åsa
    page_path = _present(plain_emc, net, plain_elm(keys), tmp_path / "wallet")
    page = plain_emc.get(page_path)
    assert page.status_code == 200 and "was not accepted" in page.text
    assert "belong to someone else" in page.text
    assert _transfers(plain_emc) == []


def test_a_credential_with_its_signed_original_still_takes_the_signed_path(
    plain_emc: TestClient, net: WalletNet, keys: Keys, tmp_path: Path
) -> None:
    login(plain_emc)
    page_path = _present(plain_emc, net, converted_elm(keys), tmp_path / "wallet")
    assert plain_emc.get(page_path, follow_redirects=False).status_code == 303
    (transfer,) = _transfers(plain_emc)
    assert transfer.source == Source.WALLET and transfer.signer and "Nordvik EMP" in transfer.signer


def test_without_the_policy_the_page_says_why(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    net: WalletNet,
    keys: Keys,
    tmp_path: Path,
) -> None:
    client = make_emc(make_settings(**net.tables()), wallet_status_fetch=net.status_fetch)
    login(client)
    page_path = _present(client, net, plain_elm(keys), tmp_path / "wallet")
    page = client.get(page_path).text
    assert "carries no original ELMO signed by its data provider" in page
    assert re.search(r"refresh", page) is None
    assert _transfers(client) == []
