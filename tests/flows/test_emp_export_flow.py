"""A student's own export at the EMP, end to end: they log in at the EMP directly (no EMREX client sent
them), tick results and download the signed ELMO (its signature checked by ``emrex.trust``), the PDF
transcript and the sealed EDC (checked by ``emrex.elm.edc``); then they add the results to a wallet
(``emrex.wallet.holder`` takes the offer from the EMP's issuer endpoints), the credential verifies with
the EMP's status list, and the wallet presents it to an EMC's "Import from my wallet", which verifies
it, the data provider's signature on the embedded ELMO included, and stores the transfer. Staff at the
EMP revoke it; the status list then says so. The statistics count each export.

Everything runs in one process: the EMP and the EMC are ASGI apps behind test clients, and a wallet's
HTTP client is the app it talks to."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlalchemy import select

from emrex.db import Database, upgrade
from emrex.elm.edc import verify_edc
from emrex.elm.from_elm import extract_original
from emrex.elmo.reader import read_elmo
from emrex.emc.config import EmcSettings
from emrex.emc.models import Source, Transfer
from emrex.emp.app import create_emp_app
from emrex.emp.config import settings_from_mapping
from emrex.emp.stats import collect
from emrex.seal import SealPolicy
from emrex.sis.format import parse_sis_json
from emrex.sis.importer import import_sis
from emrex.trust import Signer
from emrex.trust.ca import Issued, issue, make_ca
from emrex.trust.keys import certificate_pem, private_key_pem
from emrex.trust.verifier import verify
from emrex.wallet import (
    CredentialRevoked,
    Holder,
    TrustAnchors,
    VerifyPolicy,
    issue_certificate,
    verify_presentation,
)
from emrex.web.login import hash_password
from tests.emc.conftest import BASE_URL as EMC_URL
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
from tests.emc.wallet_network import start_import
from tests.emp.conftest import BASE_URL as EMP_URL
from tests.emp.conftest import SEAL_ID, config, seal_table
from tests.emp.data import document, student
from tests.emp.helpers import csrf, items
from tests.emp.helpers import login as emp_login
from tests.emp.test_export import export, offer_of, wallet_table

__all__ = ["keys", "make_emc", "make_settings", "migrated_template", "password_hash"]


@pytest.fixture
def issuer_ca() -> Issued:
    return make_ca("Nordvik issuers CA")


@pytest.fixture
def emp(tmp_path: Path, keys: Keys, issuer_ca: Issued) -> Iterator[Callable[[], TestClient]]:
    """Nordvik's EMP signing with the key the EMC's registry lists, sealing and issuing to wallets with
    its organisation's certificate; its SIS holds Åsa Lindqvist, as the EMC knows her."""
    database = Database(f"sqlite:///{tmp_path}/emp.db")
    upgrade(database)
    person = {**student(), "givenNames": "Åsa"}
    import_sis(database, parse_sis_json(json.dumps(document(person)).encode()))
    organisation = {"organization": "Nordvik University", "country": "SE", "organization_identifier": SEAL_ID}
    seal = issue(issuer_ca, "Nordvik University", **organisation)
    signing = tmp_path / "emp-key.pem", tmp_path / "emp-cert.pem"
    signing[0].write_bytes(private_key_pem(keys.nordvik.key))
    signing[1].write_bytes(certificate_pem(keys.nordvik.certificate))
    tables = {"seal": seal_table(tmp_path, seal), "wallet": wallet_table(tmp_path, seal)}
    settings = settings_from_mapping(config(hash_password("correct horse", log2_n=10), signing, **tables))
    signer = Signer(keys.nordvik.key, keys.nordvik.certificate)
    app = create_emp_app(settings, database=database, signer=signer, migrate=False)
    clients: list[TestClient] = []

    def client() -> TestClient:
        made = TestClient(app, base_url=EMP_URL, follow_redirects=False)
        clients.append(made)
        return made

    yield client
    for made in clients:
        made.close()
    database.dispose()


def verifier_table(directory: Path, issuer_ca: Issued) -> dict[str, object]:
    """The EMC's ``wallet_import``: its request-signing key (a certificate naming emc.example.org) and
    the EMP's issuer CA as the one trust anchor."""
    key = ec.generate_private_key(ec.SECP256R1())
    _, certificate = issue_certificate(
        make_ca("EMC CA"), "Lindholm EMC", dns_names=["emc.example.org"], key=key
    )
    key_file, cert_file = directory / "verifier-key.pem", directory / "verifier-cert.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert_file.write_bytes(certificate_pem(certificate))
    trust = directory / "issuer-ca.pem"
    trust.write_bytes(certificate_pem(issuer_ca.certificate))
    return {"key_file": str(key_file), "cert_file": str(cert_file), "trust": [str(trust)], "name": "Lindholm"}


def test_log_in_at_the_emp_export_add_to_a_wallet_present_to_an_emc_then_revoke(
    emp: Callable[[], TestClient],
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    keys: Keys,
    issuer_ca: Issued,
    tmp_path: Path,
) -> None:
    # The EMP's home page leads to the export; the student logs in there directly.
    browser = emp()
    assert 'href="/export"' in browser.get("/").text
    emp_login(browser, "/export")
    page = browser.get("/export").text
    assert {"0:C1", "0:C3", "1:GR-101"} <= set(items(page))

    # The signed ELMO of two ticked courses: the data provider's signature holds, only they are in it.
    elmo_xml = export(browser, "elmo", ["0:C1", "1:GR-101"]).content
    assert verify(elmo_xml, keys.nordvik.certificate)
    elmo = read_elmo(elmo_xml).elmo
    assert elmo.learner.given_names == "Åsa"
    assert len(elmo.reports) == 2

    pdf = export(browser, "pdf", ["0:C1"])
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")

    sealed = export(browser, "edc", ["0:C1"])
    checked = verify_edc(sealed.content, SealPolicy(trust=(issuer_ca.certificate,)))
    assert checked.accepted, [(c.name, c.status, c.summary) for c in checked.checks]
    assert verify(extract_original(dict(checked.credential)), keys.nordvik.certificate)

    # Add to my wallet: the wallet takes the credential from the EMP's own endpoints.
    offered = export(browser, "wallet", ["0:C1", "1:GR-101"])
    assert offered.status_code == 200, offered.text
    link, tx_code = offer_of(offered.text)
    anchors = TrustAnchors((issuer_ca.certificate,))
    phone = tmp_path / "phone"
    held = Holder(phone, client=emp(), issuer_anchors=anchors).accept_offer(link, tx_code)
    assert held.issuer == EMP_URL

    status_client = emp()

    def status_fetch(uri: str) -> str:
        assert uri.startswith(EMP_URL + "/")
        return status_client.get(uri).text

    policy = VerifyPolicy(anchors, status_fetch=status_fetch)
    verified = verify_presentation(held.credential, policy)
    courses = json.dumps(verified.claims["elm"]["credentialSubject"], ensure_ascii=False)
    assert "Linear Algebra" in courses and "Ancient Greek Philosophy" in courses
    assert "Probability" not in courses  # not ticked

    # The wallet presents it to an EMC that trusts the EMP's issuer: a transfer from the wallet.
    settings = make_settings(wallet_import=verifier_table(tmp_path, issuer_ca))
    student = make_emc(settings, wallet_status_fetch=status_fetch)
    login(student, "asa2")
    page_path, request_link = start_import(student)
    cookieless = TestClient(student.app, base_url=EMC_URL)
    Holder(phone, client=cookieless).present(request_link, credential=held.id)
    arrived = student.get(page_path, follow_redirects=False)
    assert arrived.status_code == 303, arrived.text
    transfer_id = int(re.fullmatch(r"/transfers/(\d+)", arrived.headers["location"]).group(1))  # type: ignore[union-attr]
    preview = student.get(f"/transfers/{transfer_id}").text
    assert "From your wallet" in preview and "Linear Algebra" in preview
    with database_of(student).session(readonly=True) as s:
        transfer = s.scalar(select(Transfer).where(Transfer.id == transfer_id))
        assert transfer is not None and transfer.source == Source.WALLET

    # Staff at the EMP revoke the student's wallet credentials: the status list says so.
    staff = emp()
    emp_login(staff, "/admin/wallet", "staff")
    form = staff.get("/admin/wallet").text
    assert (
        staff.post("/admin/wallet/revoke", data={"csrf_token": csrf(form), "login": "asa"}).status_code == 303
    )
    with pytest.raises(CredentialRevoked, match="revoked"):
        verify_presentation(held.credential, policy)

    # Each export counts once, under its format.
    stats = collect(status_client.app.state.emrex_emp.database)  # type: ignore[attr-defined]
    exported = {c.client_host: c.items_sent for c in stats.clients}
    assert exported == {"export:elmo": 2, "export:pdf": 1, "export:edc": 1, "export:wallet": 2}
