"""Hostile plain ELM credentials (no data provider's signed ELMO) presented to the EMC's "Import from my
wallet": with the policy off; from an issuer the EMC does not trust; crafted so the converter refuses
them; about another person. Each is refused with one line on the student's page and nothing is stored."""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from emrex.emc.config import EmcSettings
from emrex.emc.models import Transfer
from emrex.emc.wallet_store import WalletRequestRow
from emrex.wallet import HolderError
from emrex.wallet.jose import Json
from tests.emc.conftest import (
    Keys,
    database_of,
    keys,
    login,
    make_emc,
    make_settings,
    migrated_template,
    password_hash,
)
from tests.emc.wallet_network import WalletNet, make_net, plain_elm, start_import
from tests.hostile.cases import exercised
from tests.hostile.checks import logs_clean, no_traceback, one_line, watch_logs

__all__ = ["keys", "make_emc", "make_settings", "migrated_template", "password_hash", "watch_logs"]
exercised(
    "emc-wallet-plain-elm-policy-off",
    "emc-wallet-plain-elm-untrusted",
    "emc-wallet-plain-elm-unconvertible",
    "emc-wallet-plain-elm-someone-else",
)


@pytest.fixture
def net(tmp_path: Path) -> WalletNet:
    return make_net(tmp_path)


def _emc(make_emc: Callable[..., TestClient], settings: EmcSettings, net: WalletNet, user: str) -> TestClient:
    client = make_emc(settings, wallet_status_fetch=net.status_fetch)
    login(client, user)
    return client


def _refused_on_the_page(client: TestClient, page_path: str, words: str) -> None:
    page = client.get(page_path, follow_redirects=False)
    assert page.status_code == 200 and "was not accepted" in page.text
    no_traceback(page.text)
    shown = re.search(r'role="alert">(.*?)</p>', page.text, re.S)
    assert shown, page.text
    reason = html.unescape(shown.group(1)).strip()
    one_line(reason)
    assert words in reason
    with database_of(client).session(readonly=True) as s:
        assert list(s.scalars(select(Transfer))) == []
        assert s.scalars(select(WalletRequestRow.status)).one() == "refused"


def _present(client: TestClient, net: WalletNet, elm: Json, folder: Path, *, stranger: bool = False) -> str:
    wallet = net.wallet(folder, client)
    held = wallet.receive(elm, stranger=stranger)
    page_path, link = start_import(client)
    wallet.holder().present(link, credential=held.id)
    return page_path


def test_with_the_policy_off_a_plain_elm_credential_is_refused(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    net: WalletNet,
    keys: Keys,
    tmp_path: Path,
    watch_logs: pytest.LogCaptureFixture,
) -> None:
    client = _emc(make_emc, make_settings(**net.tables()), net, "asa")
    page_path = _present(client, net, plain_elm(keys), tmp_path / "wallet")
    _refused_on_the_page(client, page_path, "carries no original ELMO signed by its data provider")
    logs_clean(watch_logs)


def test_a_plain_elm_credential_of_an_untrusted_issuer_is_refused(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    net: WalletNet,
    keys: Keys,
    tmp_path: Path,
) -> None:
    settings = make_settings(**net.tables(accept_without_signed_elmo=True))
    client = _emc(make_emc, settings, net, "asa")
    with pytest.raises(HolderError, match="trust anchor"):
        _present(client, net, plain_elm(keys), tmp_path / "wallet", stranger=True)
    with database_of(client).session(readonly=True) as s:
        session_id = s.scalars(select(WalletRequestRow.session_id)).one()  # the request just started
    _refused_on_the_page(client, f"/wallet-import/{session_id}", "trust anchor")


def test_an_elm_the_converter_refuses_is_refused_and_nothing_stored(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    net: WalletNet,
    keys: Keys,
    tmp_path: Path,
    watch_logs: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings(**net.tables(accept_without_signed_elmo=True))
    client = _emc(make_emc, settings, net, "asa")
    crafted = copy.deepcopy(plain_elm(keys))
    for claim in crafted["credentialSubject"]["hasClaim"]:
        claim.pop("awardedBy", None)  # no awarding body: ELMO has no issuer for the report
    page_path = _present(client, net, crafted, tmp_path / "wallet")
    _refused_on_the_page(client, page_path, "cannot be converted to ELMO")
    logs_clean(watch_logs)


def test_a_plain_elm_credential_about_someone_else_is_refused(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    net: WalletNet,
    keys: Keys,
    tmp_path: Path,
) -> None:
    settings = make_settings(**net.tables(accept_without_signed_elmo=True))
    client = _emc(make_emc, settings, net, "bo")  # the credential is about Åsa
    page_path = _present(client, net, plain_elm(keys), tmp_path / "wallet")
    _refused_on_the_page(client, page_path, "belong to someone else")
