from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import hashes

from emrex.cli import main
from emrex.registry import read_catalogue
from emrex.registry.config import load_server_config
from tests.registry.helpers import Switchable, emp_entry, emreg_document, make_cert, pem, serve, write_config


@pytest.fixture
def listing(tmp_path: Path) -> Path:
    path = tmp_path / "emp-list.json"
    path.write_bytes(
        emreg_document(
            emp_entry("LADOK", "SE", institutions=["All"]),
            emp_entry("OLD", "SE", pubKey=pem(make_cert("OLD", days_left=-3))),
            emp_entry("SOON", "FI", pubKey=pem(make_cert("SOON", days_left=20))),
            emp_entry(
                "BROKEN", "SE", pubKey="-----BEGIN CERTIFICATE-----\nMIIB(......)\n-----END CERTIFICATE-----"
            ),
            countries=[{"countryCode": "SE", "countryName": "Sweden", "singleFetch": True}],
        )
    )
    return path


def test_show_lists_countries_emps_and_certificates(
    listing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["registry", "show", str(listing)]) == 0
    out, err = capsys.readouterr()
    assert f"{listing}: 1 country, 3 EMPs" in out
    assert "SE  Sweden (single fetch)" in out
    assert "FI  (country not listed)" in out
    fingerprint = make_cert("LADOK").fingerprint(hashes.SHA256())
    assert fingerprint.hex(":").upper() in out
    assert "subject CN=OLD" in out and "EXPIRED" in out
    assert "EXPIRES SOON" in out
    assert "BROKEN" not in out
    assert "emrex: warning: emps[3] (BROKEN): no usable certificate" in err
    assert "emrex: warning: OLD: certificate CN=OLD expired on" in err
    assert re.search(r"emrex: warning: SOON: certificate CN=SOON expires on \S+ \(in 1[89] days\)", err)


def test_show_json_is_for_programs(listing: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["registry", "show", "--json", str(listing)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [e["acronym"] for e in report["emps"]] == ["LADOK", "OLD", "SOON"]
    assert [c["status"] for e in report["emps"] for c in e["certificates"]] == [
        "valid",
        "expired",
        "expiring",
    ]
    assert report["countries"] == [{"countryCode": "SE", "countryName": "Sweden", "singleFetch": True}]
    assert len(report["warnings"]) == 4


def test_show_reads_a_catalogue_from_a_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from emrex.registry import catalogue_xml

    state = Switchable()
    state.body = catalogue_xml(load_server_config(write_config(tmp_path)).registry)
    server, base = serve(state)
    try:
        assert main(["registry", "show", f"{base}/catalogue-v1.xml"]) == 0
    finally:
        server.shutdown()
        server.server_close()
    out = capsys.readouterr().out
    assert "PL  Poland (single fetch)" in out
    assert out.count("certificate SHA-256") == 4


def test_show_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str], interop_dir: Path) -> None:
    legacy = interop_dir / "registry" / "emrex-client__emreg.json"
    assert main(["registry", "show", str(legacy)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "line 24" in err and "not UTF-8" in err
    assert main(["registry", "show", str(tmp_path / "missing.json")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["registry", "show", "http://127.0.0.1:9/emp-list.json", "--timeout", "2"]) == 2
    assert "cannot fetch" in capsys.readouterr().err
    assert main(["registry", "show", "http://emreg.example.org/emp-list.json"]) == 2
    assert "plain HTTP" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["registry", "show"])
    assert exited.value.code == 2
    assert main(["registry"]) == 2


def test_serve_refuses_a_bad_config_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("port = 8080", "port = -1"))
    assert main(["registry", "serve", str(path)]) == 1
    err = capsys.readouterr().err
    assert err == f"emrex: {path}: port: must be a whole number from 1 to 65535\n"
    assert main(["registry", "serve", str(tmp_path / "nope.toml")]) == 2
    assert "nope.toml: no such file" in capsys.readouterr().err


def test_serve_reports_a_port_in_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert main(["registry", "serve", str(write_config(tmp_path)), "--port", str(port)]) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


@pytest.fixture
def running_server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    command = "import sys; from emrex.cli import main; sys.exit(main())"
    process = subprocess.Popen(
        [sys.executable, "-c", command, "registry", "serve", str(write_config(tmp_path)), "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        found = re.search(r"at (http://127\.0\.0\.1:\d+)/", line)
        assert found, line
        base = found.group(1)
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.05)
        yield process, base
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=15)


def test_serve_runs_uvicorn_and_stops_cleanly(
    running_server: tuple[subprocess.Popen[str], str], tmp_path: Path
) -> None:
    process, base = running_server
    assert httpx.get(f"{base}/health").json()["emps"] == 3
    registry = read_catalogue(httpx.get(f"{base}/catalogue-v1.xml").content)
    assert registry == load_server_config(tmp_path / "registry.toml").registry
    process.terminate()
    # uvicorn shuts down gracefully, then lets SIGTERM end the process as the signal asks.
    assert process.wait(timeout=15) in (0, -signal.SIGTERM)
    assert process.stderr is not None
    assert "Finished server process" in process.stderr.read()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/health", timeout=1)
