"""SAML login in the real services: a transfer at the EMP and the student's and staff pages at the EMC,
each logged in through the test identity provider (pysaml2) with its signed metadata."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from emrex.db import Database
from emrex.demo.saml_idp import IdpAccount
from emrex.elmo import codec
from emrex.elmo.reader import read_elmo
from emrex.emc import create_emc_app
from emrex.emc import settings_from_mapping as emc_settings
from emrex.emp.app import create_emp_app
from emrex.emp.config import settings_from_mapping as emp_settings
from emrex.trust.ca import Issued
from emrex.trust.signer import Signer
from emrex.trust.verifier import verify
from tests.emc.conftest import config as emc_config
from tests.emc.conftest import keys as emc_keys
from tests.emp.conftest import (
    CLIENT_RETURN,
    config,
    database,
    emp_ca,
    emp_key,
    key_files,
    password_hash,
    seeded_template,
    signer,
)
from tests.emp.data import STUDENT_ID
from tests.emp.helpers import items, post, reply, start
from tests.web.login.saml.support import Federation, Keys, connect, new_federation, new_keys

__all__ = [
    "database",
    "emc_keys",
    "emp_ca",
    "emp_key",
    "key_files",
    "password_hash",
    "seeded_template",
    "signer",
]

EMP_BASE = "https://emp.nordvik.example"
EMC_BASE = "https://emc.example.org"
ASA = IdpAccount(
    "asa",
    "pw",
    {
        "eduPersonPrincipalName": ["asa@nordvik.example"],
        "givenName": ["Åsa"],
        "sn": ["Lindqvist"],
        "schacDateOfBirth": ["19990314"],
        "norEduPersonNIN": [STUDENT_ID],
        "eduPersonAffiliation": ["student"],
    },
)
REGISTRAR = IdpAccount(
    "registrar",
    "pw",
    {
        "eduPersonPrincipalName": ["registrar@home.example"],
        "givenName": ["Karin"],
        "sn": ["Registrar"],
        "eduPersonAffiliation": ["staff", "employee"],
    },
)


@pytest.fixture(scope="module")
def saml_keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return new_keys(tmp_path_factory.mktemp("flow-saml-keys"))


@pytest.fixture
def federation(saml_keys: Keys, tmp_path: Path) -> Federation:
    return new_federation(saml_keys, tmp_path, accounts=[ASA, REGISTRAR])


def _login_table(federation: Federation, base: str) -> dict[str, Any]:
    table = federation.login_config(base)
    del table["saml"]["base_url"]  # the service fills in its own base_url
    return table


def test_a_transfer_at_the_emp_with_saml_login(
    federation: Federation,
    database: Database,
    password_hash: str,
    key_files: tuple[Path, Path],
    signer: Signer,
    emp_key: Issued,
) -> None:
    settings = emp_settings(config(password_hash, key_files, login=_login_table(federation, EMP_BASE)))
    app = create_emp_app(settings, database=database, signer=signer)
    with TestClient(app, base_url=EMP_BASE, follow_redirects=False) as browser:
        site = connect(app, browser, federation, EMP_BASE)
        flow = start(browser)
        assert f'href="/login?next={flow}"' in browser.get(flow).text
        request_id = site.request_id(site.start(next_url=flow))
        answer = federation.idp.authn_response(request_id, site.acs, site.sp_entity, ASA)
        assert site.finish(site.post(answer)).headers["location"] == flow
        page = browser.get(flow)
        assert page.status_code == 200 and "0:C1" in items(page.text)
        response = post(browser, f"{flow}/select", page.text, item=["0:C1"], action="preview")
        preview = browser.get(response.headers["location"])
        sent = reply(post(browser, f"{flow}/send", preview.text, action="send", consent="yes"))
    assert sent["action"] == CLIENT_RETURN and sent["returnCode"] == "NCP_OK"
    elmo = read_elmo(verify(codec.decode(sent["elmo"]), emp_key.certificate).signed_xml).elmo
    assert elmo.learner.family_name == "Lindqvist"
    assert [los.title("en") for _, _, los in elmo.iter_los()][-1] == "Linear Algebra"


def test_emc_students_and_staff_log_in_with_saml(
    federation: Federation, tmp_path: Path, emc_keys: Any, password_hash: str
) -> None:
    values = emc_config(tmp_path, emc_keys, password_hash)
    values["login"] = _login_table(federation, EMC_BASE)
    app = create_emc_app(emc_settings(values, {}), background=False)
    with TestClient(app, base_url=EMC_BASE, follow_redirects=False) as browser:
        site = connect(app, browser, federation, EMC_BASE)
        assert browser.get("/staff").status_code == 303  # to the login page
        request_id = site.request_id(site.start(next_url="/"))
        answer = federation.idp.authn_response(request_id, site.acs, site.sp_entity, ASA)
        assert site.finish(site.post(answer)).headers["location"] == "/"
        home = browser.get("/")
        assert home.status_code == 200 and "Åsa Lindqvist" in home.text
        assert browser.get("/staff").status_code == 403
        browser.cookies.clear()
        request_id = site.request_id(site.start(next_url="/staff"))
        answer = federation.idp.authn_response(request_id, site.acs, site.sp_entity, REGISTRAR)
        assert site.finish(site.post(answer)).headers["location"] == "/staff"
        assert browser.get("/staff").status_code == 200
    app.state.emc_service.database.dispose()
