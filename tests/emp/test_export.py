"""A student's own export at the EMP (emrex.emp.export): logged in directly, they tick results and take
them away as the signed ELMO, the PDF transcript, the sealed EDC or a wallet credential; each export is
counted; refused requests make and store nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from emrex.db import Database
from emrex.elmo.reader import read_elmo
from emrex.emp.export import wallet_subject
from emrex.emp.stats import collect
from emrex.trust.ca import Issued
from emrex.trust.keys import save_issued
from emrex.trust.verifier import verify
from emrex.wallet import Holder, TrustAnchors, VerifyPolicy, verify_presentation
from emrex.web.wallet_store import WalletOfferRow, issued_count
from tests.emp.conftest import seal_table
from tests.emp.helpers import csrf, items, login


def wallet_table(directory: Path, seal: Issued) -> dict[str, Any]:
    """The EMP's ``[wallet]`` table signing with ``seal`` (its certificate names the organisation)."""
    save_issued(directory / "wallet", seal, force=True)
    return {
        "key_file": str(directory / "wallet" / "key.pem"),
        "cert_file": str(directory / "wallet" / "cert.pem"),
        "name": "Nordvik University",
    }


def export(client: TestClient, action: str, picked: list[str] | None = None) -> Any:
    page = client.get("/export")
    assert page.status_code == 200, page.text
    chosen = items(page.text) if picked is None else picked
    return client.post("/export", data={"csrf_token": csrf(page.text), "action": action, "item": chosen})


def offer_of(html: str) -> tuple[str, str]:
    link = re.search(r'href="(openid-credential-offer://[^"]+)"', html)
    code = re.search(r"<strong>(\d{6})</strong>", html)
    assert link and code, html
    return link.group(1).replace("&amp;", "&"), code.group(1)


def offers(database: Database) -> int:
    with database.session(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(WalletOfferRow)) or 0)


@pytest.fixture
def issuing(
    make_emp: Callable[..., TestClient], tmp_path: Path, seal_key: Issued
) -> Callable[[], TestClient]:
    tables = {"wallet": wallet_table(tmp_path, seal_key), "seal": seal_table(tmp_path, seal_key)}
    return lambda: make_emp(**tables)


def test_the_home_page_leads_to_the_export_and_it_asks_to_log_in(emp: TestClient) -> None:
    assert 'href="/export"' in emp.get("/").text
    page = emp.get("/export")
    assert page.status_code == 200
    assert 'href="/login?next=/export"' in page.text
    assert 'name="item"' not in page.text


def test_the_signed_elmo_holds_exactly_the_ticked_results(emp: TestClient, emp_key: Issued) -> None:
    login(emp, "/export")
    page = emp.get("/export").text
    assert {"0:C1", "0:C3"} <= set(items(page))
    assert "Download the signed ELMO (XML)" in page
    assert "sealed European Digital Credential" not in page and "Add to my wallet" not in page
    response = export(emp, "elmo", ["0:C1"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    assert response.headers["content-disposition"].startswith('attachment; filename="results-')
    assert response.headers["cache-control"] == "no-store"
    verify(response.content, emp_key.certificate)
    elmo = read_elmo(response.content).elmo
    sent = [
        los.title("en")
        for report in elmo.reports
        for root in report.learning_opportunity_specifications
        for _, los in root.walk()
        if los.specifies is not None and los.specifies.result_label
    ]
    assert sent == ["Linear Algebra"]  # the ticked course; its programme only as context


def test_the_pdf_transcript_downloads(emp: TestClient) -> None:
    login(emp, "/export")
    response = export(emp, "pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_the_sealed_edc_downloads_with_a_seal(
    make_emp: Callable[..., TestClient], tmp_path: Path, seal_key: Issued, emp_ca: Issued
) -> None:
    from emrex.elm.edc import verify_edc
    from emrex.seal import SealPolicy

    client = make_emp(seal=seal_table(tmp_path, seal_key))
    login(client, "/export")
    response = export(client, "edc")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    result = verify_edc(response.content, SealPolicy(trust=(emp_ca.certificate,)))
    assert result.accepted, [(c.name, c.status, c.summary) for c in result.checks]
    assert result.organization_identifier == "NTRSE-2021005678"


def test_a_student_adds_ticked_results_to_a_wallet(
    issuing: Callable[[], TestClient], emp_ca: Issued, database: Database, tmp_path: Path
) -> None:
    client = issuing()
    login(client, "/export")
    response = export(client, "wallet", ["0:C1", "0:C3"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert "<svg" in response.text and "The credential holds the results you ticked (2)." in response.text
    link, tx_code = offer_of(response.text)
    anchors = TrustAnchors((emp_ca.certificate,))
    held = Holder(tmp_path / "holder", client=issuing(), issuer_anchors=anchors).accept_offer(link, tx_code)
    verified = verify_presentation(held.credential, VerifyPolicy(anchors))
    assert verified.issuer == "https://emp.nordvik.example"
    elm = verified.claims["elm"]
    assert elm["issuer"]["legalName"]["en"] == "Nordvik University"
    shown = str(elm["credentialSubject"])
    assert "Linear Algebra" in shown and "Statistics" in shown
    assert "Real Analysis" not in shown and "Ancient Greek" not in shown  # not ticked
    with database.session(readonly=True) as s:
        assert issued_count(s, wallet_subject("asa")) == (1, 0)
    swedish = client.get("/export?lang=sv").text
    assert "Lägg till i min plånbok" in swedish


@pytest.mark.parametrize(
    ("action", "picked", "message"),
    [
        ("elmo", [], "Tick at least one result."),
        ("wallet", ["9:nothing"], "Tick at least one result."),
        ("zip", ["0:C1"], "This export is not offered here."),
    ],
)
def test_a_refused_export_makes_and_counts_nothing(
    issuing: Callable[[], TestClient], database: Database, action: str, picked: list[str], message: str
) -> None:
    client = issuing()
    login(client, "/export")
    response = export(client, action, picked)
    assert response.status_code == 400
    assert message in response.text
    assert offers(database) == 0
    assert collect(database).finished == 0


def test_edc_and_wallet_are_refused_where_not_configured(emp: TestClient, database: Database) -> None:
    login(emp, "/export")
    for action in ("edc", "wallet"):
        response = export(emp, action, ["0:C1"])
        assert response.status_code == 400 and "This export is not offered here." in response.text
    assert emp.get("/.well-known/openid-credential-issuer").status_code == 404
    assert collect(database).finished == 0


def test_each_export_is_counted_under_its_format(emp: TestClient, database: Database) -> None:
    login(emp, "/export")
    export(emp, "elmo", ["0:C1"])
    export(emp, "pdf", ["0:C1", "0:C3"])
    stats = collect(database)
    assert stats.started == stats.finished == 2
    by_client = {c.client_host: c for c in stats.clients}
    assert by_client["export:elmo"].items_sent == 1
    assert by_client["export:pdf"].items_sent == 2
    assert stats.outcomes == {"NCP_OK": 2}


def test_a_person_without_records_is_told_so(emp: TestClient) -> None:
    login(emp, "/export", "nobody")
    page = emp.get("/export")
    assert page.status_code == 404
    assert "No study records were found" in page.text


def test_without_login_an_export_post_goes_to_the_login_page(emp: TestClient, database: Database) -> None:
    page = emp.get("/login?next=/export")  # a page with this browser's CSRF token
    response = emp.post("/export", data={"csrf_token": csrf(page.text), "action": "elmo", "item": ["0:C1"]})
    assert response.status_code == 303 and response.headers["location"] == "/export"
    assert collect(database).finished == 0
