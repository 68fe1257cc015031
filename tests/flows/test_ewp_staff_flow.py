"""EWP between the real EMP and the real EMC, in one process, signed both ways: Nordvik's EMP serves
the transcript of Chloé, an incoming student from Lindholm; Lindholm's staff fetch it on the EMC's
staff page, and it is stored as her foreign credentials with the source EWP and the partner named."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from emrex.db import Database
from emrex.emc import create_emc_app, settings_from_mapping
from emrex.emc.ewp_fetch import EwpFetcher
from emrex.emc.models import ForeignCredential, Source, Status, Transfer
from emrex.emc.service import Service
from emrex.registry import catalogue_from_manifests
from tests.emp.conftest import (
    PASSWORD,
    database,
    emp_ca,
    emp_key,
    key_files,
    make_emp,
    password_hash,
    seeded_template,
    signer,
)
from tests.emp.ewp_host import CHLOE_ESI, HOST, ewp_table, import_chloe, lindholm_manifest, pem

__all__ = [
    "database",
    "emp_ca",
    "emp_key",
    "key_files",
    "make_emp",
    "password_hash",
    "seeded_template",
    "signer",
]
EMC_URL = "https://emc.lindholm.example"


def _token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_staff_fetch_an_incoming_students_transcript_from_the_partners_emp(
    make_emp: Callable[..., TestClient], database: Database, tmp_path: Path, password_hash: str
) -> None:
    import_chloe(database)  # the host's SIS: Chloé, her results, her approved mobility CH-1
    emp = make_emp(ewp=ewp_table(tmp_path))
    catalogue = tmp_path / "catalogue-v1.xml"
    catalogue.write_bytes(
        catalogue_from_manifests([emp.get("/ewp/manifest.xml").content, lindholm_manifest()])
    )
    (tmp_path / "lindholm-client.pem").write_bytes(pem("lindholm-client"))
    (tmp_path / "registry.json").write_text('{"countries": [], "emps": []}')
    settings = settings_from_mapping(
        {
            "base_url": EMC_URL,
            "database_url": f"sqlite:///{tmp_path}/emc.db",
            "registry": {"sources": [str(tmp_path / "registry.json")]},
            "ewp": {"client_key": str(tmp_path / "lindholm-client.pem"), "catalogue": str(catalogue)},
            "login": {
                "method": "demo",
                "production": False,
                "demo": {
                    "accounts": [
                        {"username": "karin", "password_hash": password_hash, "given_names": "Karin",
                         "family_name": "Registrar", "roles": ["staff"]},
                    ]
                },
            },
        },
        {},
    )  # fmt: skip

    def fetcher(service: Service) -> EwpFetcher:  # the configured key and catalogue; the EMP in process
        return EwpFetcher(service, http=emp)

    app = create_emc_app(settings, background=False, ewp_fetcher=fetcher)
    staff = TestClient(app, base_url=EMC_URL)
    try:
        page = staff.get("/login")
        data = {"username": "karin", "password": PASSWORD, "csrf_token": _token(page.text)}
        assert staff.post("/login", data=data, follow_redirects=False).status_code == 303
        form = staff.get("/staff/ewp")
        fields = {"partner": HOST, "mobility_id": "CH-1", "student": "chloe", "esi": CHLOE_ESI}
        fetched = staff.post(
            "/staff/ewp/fetch", data=fields | {"csrf_token": _token(form.text)}, follow_redirects=False
        )
        assert fetched.status_code == 303, fetched.text
        shown = html.unescape(staff.get(fetched.headers["location"]).text)
        assert "EWP: fetched from Nordvik University (nordvik.example), mobility CH-1, by karin" in shown
        again = staff.post(
            "/staff/ewp/fetch", data=fields | {"csrf_token": _token(form.text)}, follow_redirects=False
        )
        assert again.status_code == 409 and "not imported twice" in html.unescape(again.text)

        db: Database = app.state.emc_service.database
        with db.session(readonly=True) as s:
            transfer = s.scalars(select(Transfer)).one()
            assert (transfer.source, transfer.status, transfer.student) == (
                Source.EWP,
                Status.IMPORTED,
                "chloe",
            )
            assert (transfer.emp_acronym, transfer.emp_name, transfer.mobility_id) == (
                HOST,
                "Nordvik University",
                "CH-1",
            )
            credentials = list(s.scalars(select(ForeignCredential).order_by(ForeignCredential.id)))
        assert [(c.title, c.issuer_id, c.student) for c in credentials] == [
            ("Nordic Design", HOST, "chloe"),
            ("Swedish for Exchange Students", HOST, "chloe"),
        ]
    finally:
        staff.close()
        app.state.emc_service.database.dispose()
