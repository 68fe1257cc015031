"""EWP in the running demo: Fjordby (FjordNet's EMP) serves chloe's incoming mobility from Lindholm;
anyone with demo.json's client key can call it, and Lindholm's staff fetch it from the EMC."""

from __future__ import annotations

import html
import re
import signal
from pathlib import Path

import httpx

from emrex.ewp import EwpClient, SigningKey, partner_emp_certificates
from emrex.registry import read_ewp_catalogue
from emrex.trust import load_private_key, verify
from emrex.trust.certs import load_certificate
from tests.demo.helpers import free_port_base, start_demo


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF field"
    return found.group(1)


def test_a_client_with_demo_json_fetches_and_staff_import_over_ewp(tmp_path: Path) -> None:
    demo = start_demo(tmp_path / "demo", free_port_base())
    assert demo.facts, demo.stop()
    try:
        ewp = demo.facts["ewp"]
        manifests = {k: v for k, v in ewp.items() if "manifest" in k}
        with httpx.Client(timeout=10, trust_env=False) as http:
            for url in manifests.values():
                answer = http.get(url)
                assert answer.status_code == 200 and b"imobility-tors" in answer.content
            catalogue = read_ewp_catalogue(http.get(ewp["catalogue"]).content)
            key = SigningKey(load_private_key(Path(ewp["client_key"]).read_bytes()))
            assert load_certificate(Path(ewp["client_cert"]).read_bytes()).public_key() == key.public_key
            client = EwpClient(key, lambda: catalogue, http=http)
            mobility = ewp["mobility"]
            assert client.index_tors(mobility["partner"]) == [mobility["omobility_id"]]
            (tor,) = client.get_tors(mobility["partner"], [mobility["omobility_id"]])
            assert verify(tor.elmo, partner_emp_certificates(catalogue, mobility["partner"])).signer

            emc = demo.facts["emc"]["url"].replace("localhost", "127.0.0.1")
            with httpx.Client(base_url=emc, timeout=30, trust_env=False) as staff:
                login = staff.get("/login")
                data = {"username": "staff", "password": "demo", "csrf_token": _csrf(login.text), "next": "/"}
                assert staff.post("/login", data=data).status_code == 303
                form = staff.get(ewp["staff_page"])
                assert form.status_code == 200
                esi = "urn:schac:personalUniqueCode:int:esi:lindholm.example.se:S20-0191"
                fields = {
                    "partner": mobility["partner"],
                    "mobility_id": mobility["omobility_id"],
                    "student": mobility["student"],
                    "esi": esi,
                    "csrf_token": _csrf(form.text),
                }
                fetched = staff.post("/staff/ewp/fetch", data=fields)
                assert fetched.status_code == 303, fetched.text
                page = html.unescape(staff.get(fetched.headers["location"]).text)
        assert "EWP: fetched from Fjordby University (fjordby.example.no), mobility FJ-2024-LH-0007" in page
        assert "Imported" in page or "imported" in page
    finally:
        code, _out, err = demo.stop(signal.SIGINT)
    assert code == 0 and "Traceback" not in err, err
