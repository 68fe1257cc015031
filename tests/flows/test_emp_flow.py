"""Whole EMP sessions over HTTP: every way a transfer can end, and what the client receives."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from emrex.elmo import codec
from emrex.elmo.reader import read_elmo
from emrex.elmo.schema import validate_xsd
from emrex.trust.ca import Issued
from emrex.trust.verifier import verify
from tests.emp.conftest import (
    CLIENT_RETURN,
    database,
    emp,
    emp_ca,
    emp_key,
    key_files,
    make_emp,
    password_hash,
    signer,
)
from tests.emp.helpers import SESSION_ID, items, login, post, reply, start

__all__ = ["database", "emp", "emp_ca", "emp_key", "key_files", "make_emp", "password_hash", "signer"]


def test_ok_sends_a_signed_valid_document_of_the_selection(
    emp: TestClient, emp_key: Issued, schema_dir: Path
) -> None:
    flow = start(emp)
    login(emp, flow)
    page = emp.get(flow)
    assert page.status_code == 200
    offered = items(page.text)
    assert "0:C2" not in offered  # failed: hidden
    picked = ["0:C1", "1:GR-101"]
    response = post(emp, f"{flow}/select", page.text, item=picked, action="preview")
    assert response.headers["location"] == f"{flow}/preview"
    preview = emp.get(f"{flow}/preview")
    assert "emc.home.example" in preview.text
    sent = reply(post(emp, f"{flow}/send", preview.text, action="send", consent="yes"))
    assert sent["action"] == CLIENT_RETURN
    assert sent["sessionId"] == SESSION_ID
    assert sent["returnCode"] == "NCP_OK"
    xml = codec.decode(sent["elmo"])
    verified = verify(xml, emp_key.certificate)
    assert validate_xsd(verified.signed_xml, schema_dir).valid
    elmo = read_elmo(verified.signed_xml).elmo
    titles = [los.title("en") for _, _, los in elmo.iter_los()]
    assert titles == [
        "Master of Science in Engineering Physics",
        "Mathematics",
        "Linear Algebra",
        "Ancient Greek Philosophy",
    ]
