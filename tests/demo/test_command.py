"""``emrex demo`` as a process: ready with every service answering, demo.json, Ctrl-C, reuse, errors."""

from __future__ import annotations

import signal
import socket
import sqlite3
from pathlib import Path

import httpx
import pytest

from emrex.demo.folder import MARKER
from emrex.trust.certs import load_certificate
from tests.demo.helpers import free_port_base, start_demo

ACCOUNT_KEYS = {"username", "password", "role", "purpose"}


def test_start_serve_stop_and_start_again(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    base = free_port_base()
    demo = start_demo(data, base)
    assert demo.facts, demo.stop()
    facts = demo.facts
    try:
        assert facts["registry"]["url"] == f"http://127.0.0.1:{base}/emp-list.json"
        emc = facts["emc"]
        assert emc["url"] == f"http://localhost:{base + 1}/"
        assert emc["return_url"] == f"http://localhost:{base + 1}/emrex/return"
        assert {a["role"] for a in emc["accounts"]} == {"student", "staff"}
        assert all(set(a) >= ACCOUNT_KEYS for e in [emc, *facts["emps"]] for a in e["accounts"])
        with httpx.Client(timeout=5, trust_env=False) as client:
            for port in range(base, base + 5 + len(facts["emps"])):  # then the SAML IdP and the OOTS pair
                assert client.get(f"http://127.0.0.1:{port}/health").status_code == 200
            (saml,) = [emp for emp in facts["emps"] if "saml_metadata" in emp]
            sp_metadata = client.get(saml["saml_metadata"])
            idp_metadata = client.get(saml["saml_idp_metadata"])
            listed = client.get(facts["registry"]["url"]).json()
            page = client.get(emc["url"].replace("localhost", "127.0.0.1"))
        assert "Lindholm University" in page.text
        by_url = {e["url"]: e for e in listed["emps"]}
        for emp in facts["emps"]:
            entry = by_url[emp["url"]]  # demo.json names each EMP by its registry URL
            assert (entry["acronym"], entry["countryCode"]) == (emp["acronym"], emp["country"])
            folder = next(p for p in data.glob("emp-*") if emp["acronym"].lower()[:4] in p.name)
            cert = load_certificate((folder / "cert.pem").read_bytes())
            assert load_certificate(entry["pubKey"]) == cert  # the registry publishes the EMP's key
    finally:
        code, out, err = demo.stop(signal.SIGINT)
    assert code == 0, err
    assert "Traceback" not in err
    assert saml["acronym"] == "OLYMPOS" and saml["saml_metadata"].startswith(saml["home"])
    assert (
        sp_metadata.status_code == 200
        and b'entityID="' + saml["saml_metadata"].encode() in sp_metadata.content
    )
    assert idp_metadata.status_code == 200 and b"SignatureValue>" in idp_metadata.content
    assert "log in as 'chloe'" in out and "demo.json" in out and "SAML IdP (demo)" in out
    assert not (data / "demo.json").exists()  # only while the network runs

    certificates = {p: p.read_bytes() for p in data.glob("*/cert.pem")}
    with sqlite3.connect(data / "emc" / "emc.db") as db:
        db.execute("CREATE TABLE kept_by_reuse (x)")
    demo = start_demo(data, base)
    assert demo.facts, demo.stop()
    code, _, err = demo.stop(signal.SIGTERM)
    assert code == 0, err
    assert {p: p.read_bytes() for p in data.glob("*/cert.pem")} == certificates
    with sqlite3.connect(data / "emc" / "emc.db") as db:
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'kept_by_reuse'").fetchone()


def test_a_taken_port_stops_the_start_with_a_clear_message(tmp_path: Path) -> None:
    base = free_port_base()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", base + 3))
        taken.listen()
        demo = start_demo(tmp_path / "demo", base)
        code, _, err = demo.stop()
    assert not demo.facts
    assert code == 1
    assert f"port {base + 3}" in err and "--port-base" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_reset_refuses_a_folder_the_demo_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    demo = start_demo(tmp_path, free_port_base(), "--reset")
    code, _, err = demo.stop()
    assert code == 1 and "not made by 'emrex demo'" in err
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert not (tmp_path / MARKER).exists()


@pytest.mark.parametrize("base", ["80", "x"])
def test_bad_port_base(tmp_path: Path, base: str) -> None:
    demo = start_demo(tmp_path / "demo", 0, "--port-base", base)
    code, _, err = demo.stop()
    assert code in (1, 2) and "--port-base" in err
    assert not (tmp_path / "demo").exists()


def test_a_deleted_database_is_made_and_seeded_again(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    for attempt in range(2):
        demo = start_demo(data, free_port_base())
        assert demo.facts, demo.stop()
        code, _, err = demo.stop()
        assert code == 0, err
        with sqlite3.connect(data / "emp-fjord" / "emp.db") as db:
            assert db.execute("SELECT count(*) FROM sis_person").fetchone()[0] == 3, attempt
        (data / "emp-fjord" / "emp.db").unlink()
        for suffix in ("-wal", "-shm"):
            (data / "emp-fjord" / f"emp.db{suffix}").unlink(missing_ok=True)
