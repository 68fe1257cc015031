"""Fixtures of the wallet tests: a CA, an issuer and a verifier with their certificates, a holder key,
ELM samples from ../shared, and issuer/verifier services on a live localhost port."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from fastapi import FastAPI

from emrex.trust.ca import Issued, make_ca
from emrex.trust.keys import certificate_pem
from emrex.wallet import (
    CredentialIssuer,
    IssuerConfig,
    MemoryStore,
    PresentationVerifier,
    SigningKey,
    TrustAnchors,
    VerifierConfig,
    issue_certificate,
    signing_key,
)
from emrex.wallet.jose import Json, new_ec_key
from emrex.web.wallet import issuer_router, verifier_router
from tests.wallet.helpers import listening, serving


@dataclass(frozen=True)
class Pki:
    ca: Issued
    issuer: SigningKey
    issuer_cert: x509.Certificate
    verifier: SigningKey
    verifier_cert: x509.Certificate

    @property
    def anchors(self) -> TrustAnchors:
        return TrustAnchors((self.ca.certificate,))

    @property
    def ca_pem(self) -> str:
        return certificate_pem(self.ca.certificate).decode("ascii")


@pytest.fixture(scope="session")
def pki() -> Pki:
    ca = make_ca("Wallet test CA")
    issuer, issuer_cert = issue_certificate(
        ca, "Lindholm University credential issuer", dns_names=["localhost"]
    )
    verifier, verifier_cert = issue_certificate(ca, "Lindholm University EMC", dns_names=["localhost"])
    return Pki(ca, issuer, issuer_cert, verifier, verifier_cert)


@pytest.fixture
def holder_key() -> SigningKey:
    return signing_key(new_ec_key())


@pytest.fixture(scope="session")
def elm_dir(shared_dir: Path) -> Path:
    return shared_dir / "samples-elm" / "converter-dc4eu"


@pytest.fixture(scope="session")
def uio_elm(elm_dir: Path) -> Json:
    data: Json = json.loads((elm_dir / "uio-tor.elm.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def hierarchy_elm(elm_dir: Path) -> Json:
    data: Json = json.loads((elm_dir / "se-courses-hierarchy.elm.json").read_text(encoding="utf-8"))
    return data


@dataclass
class Live:
    """An issuer and a verifier sharing one store, served at ``url`` (http://localhost:PORT)."""

    url: str
    store: MemoryStore
    issuer: CredentialIssuer
    verifier: PresentationVerifier


@pytest.fixture
def live(pki: Pki) -> Iterator[Live]:
    with listening() as (sockets, port):
        url = f"http://localhost:{port}"
        store = MemoryStore()
        issuer = CredentialIssuer(IssuerConfig(url, pki.issuer, "Lindholm University"), store)

        def status_fetch(uri: str) -> str:
            reply = issuer.status_list_reply(uri.rsplit("/", 1)[1])
            assert isinstance(reply.body, str)
            return reply.body

        verifier = PresentationVerifier(
            VerifierConfig(
                url, pki.verifier, pki.anchors, "Lindholm University EMC", status_fetch=status_fetch
            ),
            store,
        )
        app = FastAPI()
        app.include_router(issuer_router(issuer))
        app.include_router(verifier_router(verifier))
        with serving(app, sockets):
            yield Live(url, store, issuer, verifier)
