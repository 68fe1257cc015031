"""The wallet routers mounted in an app built like the EMC and EMP (create_web_app): wallets post
cross-site without a CSRF token to the paths the issuer and verifier name, bodies are bounded, and a
full issuance and presentation run through the middleware."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from emrex.db import Database
from emrex.trust.ca import make_ca
from emrex.wallet import (
    CredentialIssuer,
    Holder,
    IssuerConfig,
    MemoryStore,
    PresentationVerifier,
    TrustAnchors,
    VerifierConfig,
    issue_certificate,
)
from emrex.web import create_web_app
from emrex.web.wallet import issuer_router, verifier_router
from tests.web.conftest import settings

BASE = "https://emc.example.org"


@pytest.fixture(scope="module")
def keys() -> tuple[object, object, TrustAnchors]:
    ca = make_ca("Web wallet CA")
    issuer, _ = issue_certificate(ca, "Issuer", dns_names=["emc.example.org"])
    verifier, _ = issue_certificate(ca, "Verifier", dns_names=["emc.example.org"])
    return issuer, verifier, TrustAnchors((ca.certificate,))


@pytest.fixture
def services(keys: tuple[object, object, TrustAnchors]) -> tuple[CredentialIssuer, PresentationVerifier]:
    issuer_key, verifier_key, anchors = keys
    store = MemoryStore()
    issuer = CredentialIssuer(IssuerConfig(BASE, issuer_key, "Lindholm"), store)  # type: ignore[arg-type]
    verifier = PresentationVerifier(VerifierConfig(BASE, verifier_key, anchors, "Lindholm EMC"), store)  # type: ignore[arg-type]
    return issuer, verifier


@pytest.fixture
def client(
    database: Database, services: tuple[CredentialIssuer, PresentationVerifier]
) -> Iterator[TestClient]:
    issuer, verifier = services
    app = create_web_app(
        settings(max_form_bytes=16 * 1024, max_protocol_bytes=2 * 1024 * 1024),
        database,
        title="Wallet test",
        exempt_paths=[*issuer.post_paths, *verifier.post_paths],
    )
    app.include_router(issuer_router(issuer))
    app.include_router(verifier_router(verifier))
    with TestClient(app, base_url=BASE) as test_client:
        yield test_client


def test_well_known_documents_are_served(client: TestClient) -> None:
    metadata = client.get("/.well-known/openid-credential-issuer")
    assert metadata.status_code == 200 and metadata.json()["credential_issuer"] == BASE
    assert (
        client.get("/.well-known/oauth-authorization-server").json()["token_endpoint"]
        == f"{BASE}/wallet/token"
    )
    assert client.get("/wallet/types/elm").json()["vct"] == "urn:eudi:elm:1"
    status = client.get("/wallet/status/1")
    assert status.headers["content-type"] == "application/statuslist+jwt"


def test_a_wallet_runs_issuance_and_presentation_through_the_middleware(
    client: TestClient,
    services: tuple[CredentialIssuer, PresentationVerifier],
    uio: dict[str, object],
    tmp_path: Path,
) -> None:
    issuer, verifier = services
    offer = issuer.create_offer(uio, subject_ref="t")
    holder = Holder(tmp_path, client=client)  # type: ignore[arg-type]
    held = holder.accept_offer(offer.link, offer.tx_code)
    assert held.courses == ["Testing", "Fire Safety"]
    request = verifier.start()
    holder.present(request.link, courses=[0])
    result = verifier.result(request.session_id)
    assert result is not None and result.status == "verified", result


def test_forms_must_be_urlencoded_bounded_and_without_repeated_fields(client: TestClient) -> None:
    as_json = client.post("/wallet/token", json={"grant_type": "x"})
    assert as_json.status_code == 400 and "x-www-form-urlencoded" in as_json.json()["error_description"]
    twice = client.post(
        "/wallet/token", content="a=1&a=2", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert twice.json()["error_description"] == "a form field is given twice"
    large = client.post("/wallet/token", data={"pre-authorized_code": "x" * 20_000})
    assert large.status_code == 413
    assert client.post("/wallet/nonce").status_code == 200


def test_the_credential_endpoint_bounds_its_body(client: TestClient) -> None:
    reply = client.post(
        "/wallet/credential", content=b"{" + b" " * 70_000 + b"}", headers={"authorization": "Bearer x"}
    )
    assert reply.status_code == 413
    assert reply.json()["error"] == "invalid_credential_request"


def test_a_vp_response_may_be_large_but_not_larger_than_the_limit(client: TestClient) -> None:
    reply = client.post("/wallet/vp/response?session=unknown", data={"response": "x" * 1_500_000})
    assert reply.status_code == 400 and "answered or expired" in reply.json()["error_description"]


def test_other_posts_still_need_the_csrf_token(client: TestClient) -> None:
    assert client.post("/wallet/elsewhere", data={"a": "b"}).status_code == 403


@pytest.fixture(scope="module")
def uio() -> dict[str, object]:
    from tests.conftest import SHARED

    path = SHARED / "samples-elm" / "converter-dc4eu" / "uio-tor.elm.json"
    if not path.is_file():
        pytest.skip(f"reference data not found at {path}")
    data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return data
