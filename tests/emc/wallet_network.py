"""An EMC with "Import from my wallet" configured, a credential issuer its trust file names, a stranger
issuer it does not trust, and wallets (``emrex.wallet.holder``) holding credentials of either.

Everything runs in one process: the issuers and the EMC are ASGI apps behind test clients, and a
wallet's HTTP client is the app it talks to (a wallet's posts carry no cookie of the student)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from fastapi.testclient import TestClient

from emrex.elm import elmo_to_elm
from emrex.elm.to_elm import Sealer
from emrex.elmo import model as m
from emrex.elmo.reader import read_elmo
from emrex.emc.config import EmcSettings
from emrex.trust.ca import Issued, make_ca
from emrex.trust.keys import certificate_pem
from emrex.wallet import (
    CredentialIssuer,
    HeldCredential,
    Holder,
    IssuerConfig,
    MemoryStore,
    issue_certificate,
)
from emrex.wallet.jose import Json
from emrex.web.wallet import issuer_router
from tests.emc.conftest import BASE_URL, Keys, signed

ISSUER_URL = "https://wallet-issuer.nordvik.example"
STRANGER_URL = "https://issuer.stranger.example"
SEALER = Sealer({"en": "Nordvik University"}, "SE", "NTRSE-2021001111")


@dataclasses.dataclass
class WalletNet:
    directory: Path
    ca: Issued  # the CA of the trusted issuer (and of the EMC's verifier certificate)
    issuer: CredentialIssuer
    issuer_client: TestClient
    stranger: CredentialIssuer
    stranger_client: TestClient

    def tables(
        self, host: str = "emc.example.org", trust: Issued | None = None, **extra: Any
    ) -> dict[str, Any]:
        """The ``wallet_import`` table of an EMC verifying as ``host``, trusting ``ca`` (or ``trust``)."""
        key = ec.generate_private_key(ec.SECP256R1())
        _, certificate = issue_certificate(self.ca, "Lindholm EMC verifier", dns_names=[host], key=key)
        key_file, cert_file = self.directory / "verifier-key.pem", self.directory / "verifier-cert.pem"
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        cert_file.write_bytes(certificate_pem(certificate))
        anchor = self.directory / "issuers-ca.pem"
        anchor.write_bytes(certificate_pem((trust or self.ca).certificate))
        return {
            "wallet_import": {
                "key_file": str(key_file),
                "cert_file": str(cert_file),
                "trust": [str(anchor)],
                "name": "Lindholm University",
                **extra,
            }
        }

    def status_fetch(self, uri: str) -> str:
        client = self.issuer_client if uri.startswith(ISSUER_URL) else self.stranger_client
        return client.get(uri, headers={"Accept": "application/statuslist+jwt"}).text

    def wallet(self, folder: Path, emc: TestClient) -> Wallet:
        return Wallet(self, folder, emc)


def make_net(directory: Path) -> WalletNet:
    ca = make_ca("Wallet issuers CA")
    issuer_key, _ = issue_certificate(
        ca, "Nordvik University wallet issuer", dns_names=["wallet-issuer.nordvik.example"]
    )
    issuer = CredentialIssuer(IssuerConfig(ISSUER_URL, issuer_key, "Nordvik University"), MemoryStore())
    other_ca = make_ca("Nobody's CA")
    stranger_key, _ = issue_certificate(other_ca, "Stranger issuer", dns_names=["issuer.stranger.example"])
    stranger = CredentialIssuer(IssuerConfig(STRANGER_URL, stranger_key, "Stranger"), MemoryStore())
    return WalletNet(
        directory, ca, issuer, _client(issuer, ISSUER_URL), stranger, _client(stranger, STRANGER_URL)
    )


def _client(issuer: CredentialIssuer, url: str) -> TestClient:
    app = FastAPI()
    app.include_router(issuer_router(issuer))
    return TestClient(app, base_url=url)


def converted_elm(keys: Keys, elmo: m.Elmo | None = None) -> Json:
    """An ELM credential converted from a document Nordvik's EMP signed, the original embedded."""
    original = signed(keys.nordvik, elmo)
    credential: Json = elmo_to_elm(read_elmo(original).elmo, SEALER, original=original).credential
    return credential


def plain_elm(keys: Keys) -> Json:
    """The same results as ELM without the original document."""
    original = signed(keys.nordvik)
    credential: Json = elmo_to_elm(read_elmo(original).elmo, SEALER).credential
    return credential


class Wallet:
    """A student's wallet: credentials from the issuers, presented to the EMC without cookies."""

    def __init__(self, net: WalletNet, folder: Path, emc: TestClient) -> None:
        self.net = net
        self.folder = folder
        self.cookieless = TestClient(emc.app, base_url=BASE_URL)

    def receive(self, elm: Json, *, stranger: bool = False, subject: str = "t-1") -> HeldCredential:
        issuer = self.net.stranger if stranger else self.net.issuer
        client = self.net.stranger_client if stranger else self.net.issuer_client
        offer = issuer.create_offer(elm, subject_ref=subject)
        return Holder(self.folder, client=client).accept_offer(offer.link, offer.tx_code)

    def holder(self) -> Holder:
        return Holder(self.folder, client=self.cookieless)


def start_import(client: TestClient) -> tuple[str, str]:
    """Start "Import from my wallet" as the logged-in student: the request's page path and its link."""
    home = client.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert token and "/wallet-import/start" in home.text
    started = client.post("/wallet-import/start", data={"csrf_token": token.group(1)}, follow_redirects=False)
    assert started.status_code == 303, started.text
    page_path = started.headers["location"]
    page = client.get(page_path)
    assert page.status_code == 200, page.text
    link = re.search(r'href="(openid4vp://[^"]+)"', page.text)
    assert link, page.text
    return page_path, link.group(1).replace("&amp;", "&")


MakeWalletEmc = Callable[..., TestClient]


def wallet_settings(make_settings: Callable[..., EmcSettings], net: WalletNet, **tables: Any) -> EmcSettings:
    return make_settings(**net.tables(), **tables)
