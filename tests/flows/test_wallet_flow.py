"""Whole wallet exchanges between real services on localhost: the EMP and the EMC each issue a
student's results into the same wallet, the student presents them back to the EMC, which sees who
vouched for each; once the EMP revokes (a deleted transfer), presenting its credential fails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI

from emrex.trust.ca import make_ca
from emrex.wallet import (
    CredentialIssuer,
    Holder,
    HolderError,
    IssuerConfig,
    MemoryStore,
    PresentationVerifier,
    TrustAnchors,
    VerifierConfig,
    http_fetch,
    issue_certificate,
)
from emrex.wallet.jose import Json
from emrex.web.wallet import issuer_router, verifier_router
from tests.wallet.helpers import listening, serving


@dataclass
class Network:
    emp: CredentialIssuer
    emc: CredentialIssuer
    verifier: PresentationVerifier


@pytest.fixture
def network() -> Iterator[Network]:
    ca = make_ca("Flow CA")
    anchors = TrustAnchors((ca.certificate,))
    emp_key, _ = issue_certificate(ca, "Fjordby University EMP", dns_names=["localhost"])
    emc_key, _ = issue_certificate(ca, "Lindholm University EMC", dns_names=["localhost"])
    with listening() as (emp_sockets, emp_port), listening() as (emc_sockets, emc_port):
        emp = CredentialIssuer(
            IssuerConfig(f"http://localhost:{emp_port}", emp_key, "Fjordby University"), MemoryStore()
        )
        emc_url = f"http://localhost:{emc_port}"
        emc_store = MemoryStore()
        emc = CredentialIssuer(IssuerConfig(emc_url, emc_key, "Lindholm University"), emc_store)
        verifier = PresentationVerifier(
            VerifierConfig(emc_url, emc_key, anchors, "Lindholm University", status_fetch=http_fetch()),
            emc_store,
        )
        emp_app, emc_app = FastAPI(), FastAPI()
        emp_app.include_router(issuer_router(emp))
        emc_app.include_router(issuer_router(emc))
        emc_app.include_router(verifier_router(verifier))
        with serving(emp_app, emp_sockets), serving(emc_app, emc_sockets):
            yield Network(emp, emc, verifier)


def _elm(shared_dir: Path, name: str) -> Json:
    data: Json = json.loads(
        (shared_dir / "samples-elm" / "converter-dc4eu" / name).read_text(encoding="utf-8")
    )
    return data


def test_issue_from_both_services_present_back_and_revoke(
    network: Network, shared_dir: Path, tmp_path: Path
) -> None:
    wallet = Holder(tmp_path / "wallet")
    from_emp = wallet.accept_offer(
        *_offer(network.emp, _elm(shared_dir, "uio-tor.elm.json"), "emp-transfer-1")
    )
    from_emc = wallet.accept_offer(
        *_offer(network.emc, _elm(shared_dir, "se-courses-hierarchy.elm.json"), "emc-1")
    )
    assert {c.id for c in wallet.credentials()} == {from_emp.id, from_emc.id}

    vouched = {}
    for held in (from_emp, from_emc):
        request = network.verifier.start()
        wallet.present(request.link, credential=held.id)
        result = network.verifier.result(request.session_id)
        assert result is not None and result.status == "verified", result
        assert result.result is not None and result.result["status"] == "valid"
        vouched[held.id] = (result.result["vouched_by"], result.result["issuer"])
        assert len(result.result["elm"]["credentialSubject"]["hasClaim"]) == len(held.courses)
    assert vouched[from_emp.id] == ("CN=Fjordby University EMP", network.emp.urls.base)
    assert vouched[from_emc.id] == ("CN=Lindholm University EMC", network.emc.urls.base)

    assert network.emp.revoke_subject("emp-transfer-1") == 1
    request = network.verifier.start()
    with pytest.raises(HolderError, match="revoked"):
        wallet.present(request.link, credential=from_emp.id)
    refused = network.verifier.result(request.session_id)
    assert refused is not None and refused.status == "refused" and "revoked" in str(refused.reason)

    still = network.verifier.start()
    wallet.present(still.link, credential=from_emc.id)
    assert network.verifier.result(still.session_id).status == "verified"  # type: ignore[union-attr]


def _offer(issuer: CredentialIssuer, elm: Json, transfer: str) -> tuple[str, str | None]:
    offer = issuer.create_offer(elm, subject_ref=transfer)
    return offer.link, offer.tx_code
