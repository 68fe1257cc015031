"""The demo's data folder: made once, reused, reset only when it is ours, keys renewed when unusable."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from emrex.demo.folder import MARKER, DemoCa, DemoError, emp_key, open_folder, seed_once
from emrex.demo.network import EMPS
from emrex.trust.ca import issue, make_ca
from emrex.trust.certs import load_certificate
from emrex.trust.keys import save_issued


def test_a_folder_with_other_files_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "thesis.tex").write_text("precious")
    for reset in (False, True):
        with pytest.raises(DemoError, match="not made by 'emrex demo'"):
            open_folder(tmp_path, reset=reset)
    assert (tmp_path / "thesis.tex").read_text() == "precious"
    assert not (tmp_path / MARKER).exists()


def test_a_file_is_not_a_data_folder(tmp_path: Path) -> None:
    (tmp_path / "demo").write_text("x")
    with pytest.raises(DemoError, match="is a file"):
        open_folder(tmp_path / "demo")


def test_reuse_keeps_the_data_and_reset_removes_it(tmp_path: Path) -> None:
    root = tmp_path / "var" / "demo"
    folder = open_folder(root)
    (folder.emc_dir).mkdir()
    (folder.emc_dir / "emc.db").write_text("transfers")
    assert (open_folder(root).emc_dir / "emc.db").read_text() == "transfers"
    folder = open_folder(root, reset=True)
    assert not folder.emc_dir.exists()
    assert (root / MARKER).is_file()


def test_keys_are_made_once_and_reused(tmp_path: Path) -> None:
    folder = open_folder(tmp_path / "demo")
    ca = DemoCa(folder)
    key, cert = emp_key(folder, ca, EMPS[0])
    first = (key.read_bytes(), cert.read_bytes(), (folder.ca_dir / "ca-cert.pem").read_bytes())
    again = DemoCa(folder)
    assert emp_key(folder, again, EMPS[0]) == (key, cert)
    assert (key.read_bytes(), cert.read_bytes(), (folder.ca_dir / "ca-cert.pem").read_bytes()) == first
    certificate = load_certificate(cert.read_bytes())
    certificate.verify_directly_issued_by(ca.certificate)
    assert key.stat().st_mode & 0o077 == 0  # the private key is the owner's only


def test_a_certificate_of_another_ca_or_near_its_end_is_replaced(tmp_path: Path) -> None:
    folder = open_folder(tmp_path / "demo")
    ca = DemoCa(folder)
    directory = folder.emp_dir(EMPS[1])
    save_issued(directory, issue(make_ca("Someone else"), "intruder"), force=True)
    _, cert = emp_key(folder, ca, EMPS[1])
    load_certificate(cert.read_bytes()).verify_directly_issued_by(ca.certificate)

    soon = dt.datetime.now(dt.UTC) - dt.timedelta(days=363)
    save_issued(directory, issue(ca.issued(), "old", not_before=soon), force=True)
    _, cert = emp_key(folder, ca, EMPS[1])
    renewed = load_certificate(cert.read_bytes())
    assert renewed.not_valid_after_utc > dt.datetime.now(dt.UTC) + dt.timedelta(days=300)


def test_seed_data_is_loaded_once_per_content(tmp_path: Path) -> None:
    calls: list[int] = []
    assert seed_once(tmp_path, b"one", lambda: calls.append(1))
    assert not seed_once(tmp_path, b"one", lambda: calls.append(2))
    assert seed_once(tmp_path, b"two", lambda: calls.append(3))
    assert calls == [1, 3]


def test_a_failed_load_is_tried_again_at_the_next_start(tmp_path: Path) -> None:
    def fail() -> None:
        raise DemoError("database locked")

    with pytest.raises(DemoError):
        seed_once(tmp_path, b"one", fail)
    calls: list[int] = []
    assert seed_once(tmp_path, b"one", lambda: calls.append(1))
    assert calls == [1]


def test_a_folder_in_use_by_a_running_demo_is_refused(tmp_path: Path) -> None:
    folder = open_folder(tmp_path / "demo")
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        folder.demo_json.write_text(json.dumps({"pid": other.pid}))
        for reset in (False, True):
            with pytest.raises(DemoError, match=f"process {other.pid}"):
                open_folder(folder.root, reset=reset)
    finally:
        other.kill()
        other.wait()
    assert open_folder(folder.root).root == folder.root  # a stale demo.json does not block
