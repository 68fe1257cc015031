"""``emrex emc``: configuration errors as one line, token hashes, purge of old documents."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from emrex.cli import main
from emrex.emc.config import hash_token
from emrex.emc.models import Status, Transfer
from emrex.emc.store import purge_raw
from tests.emc.conftest import Keys, csrf, database_of, login, ok, other_results, start


def write_config(tmp_path: Path, **extra: str) -> Path:
    lines = [
        "[emc]",
        'base_url = "https://emc.uni.example"',
        f'database_url = "sqlite:///{tmp_path}/cli.db"',
        "[emc.registry]",
        'sources = ["registry.json"]',
        "[emc.login]",
        'method = "oidc"',
        "[emc.login.oidc]",
        'issuer = "https://idp.uni.example"',
        'client_id = "emc"',
        *extra.values(),
    ]
    path = tmp_path / "emc.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_check_config_summarises(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emc", "check-config", "--config", str(write_config(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "return URL https://emc.uni.example/emrex/return" in out
    assert "login:         oidc" in out
    assert "recognition:   case numbers CR-YYYY-NNNNN, appeals within 3 weeks, attachments up to 10 MB" in out
    assert (
        "limits:        post 24 MB, document 16 MB, ratio 200, 200000 elements; "
        "2 verifications at once, 5 open transfers per student"
    ) in out
    assert "clock skew:    5 minutes" in out


def test_a_bad_configuration_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, x="[emc.identity]\ntolerance = -1")
    assert main(["emc", "serve", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "emc.identity.tolerance" in err
    assert main(["emc", "check-config", "--config", str(tmp_path / "nothing.toml")]) == 2


def test_hash_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emc", "hash-token", "a-token-of-some-length"]) == 0
    assert capsys.readouterr().out.strip() == hash_token("a-token-of-some-length")
    assert main(["emc", "hash-token", "short"]) == 2
    assert main(["emc", "hash-token", "--new"]) == 0
    out = capsys.readouterr().out.splitlines()
    token = out[-2].removeprefix("token: ")
    assert out[-1] == f"hash:  {hash_token(token)}"


def test_purge_needs_a_retention(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emc", "purge", "--config", str(write_config(tmp_path))]) == 2
    assert "raw_days" in capsys.readouterr().err
    path = write_config(tmp_path, r="[emc.retention]\nraw_days = 7")
    assert main(["db", "upgrade", "--database", f"sqlite:///{tmp_path}/cli.db"]) == 0
    assert main(["emc", "purge", "--config", str(path)]) == 0
    assert "0 transfer(s)" in capsys.readouterr().out


def test_retention_drops_old_documents_but_keeps_imported_evidence(emc: TestClient, keys: Keys) -> None:
    login(emc)
    kept = ok(emc, keys, start(emc))
    page = emc.get(f"/transfers/{kept}")
    emc.post(f"/transfers/{kept}/confirm", data={"csrf_token": csrf(page.text)})
    undecided = ok(emc, keys, start(emc), other_results("later"))
    db = database_of(emc)
    assert purge_raw(db, dt.timedelta(days=30)) == 0  # too young
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    assert purge_raw(db, dt.timedelta(days=30), later) == 1
    with db.session() as s:
        old = s.get(Transfer, undecided)
        evidence = s.get(Transfer, kept)
        assert old is not None and evidence is not None
        assert (old.elmo_xml, old.pdf) == (None, None) and old.raw_purged_at is not None
        assert evidence.status == Status.IMPORTED and evidence.elmo_xml is not None
    assert emc.get(f"/transfers/{undecided}/elmo.xml").status_code == 404
    assert "Import these results" not in emc.get(f"/transfers/{undecided}").text


def test_serve_refuses_bad_options_before_starting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path)
    assert main(["emc", "serve", "--config", str(path), "--workers", "0"]) == 2
    assert "--workers" in capsys.readouterr().err
    unreachable = write_config(tmp_path, x="")
    text = unreachable.read_text().replace(
        f"sqlite:///{tmp_path}/cli.db", "postgresql://nobody@127.0.0.1:1/none"
    )
    unreachable.write_text(text)
    assert main(["emc", "serve", "--config", str(unreachable)]) == 2
    assert "database not reachable" in capsys.readouterr().err


def test_serve_runs_the_service(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "registry.json").write_text('{"countries": [], "emps": []}')
    path = write_config(tmp_path)
    emrex = str(Path(sys.executable).parent / "emrex")
    command = [emrex, "emc", "serve", "--config", str(path), "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "the EMC did not start within 30 s"
                time.sleep(0.2)
        assert response.status_code == 200
        home = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert "Fetch your results from abroad" in home.text
    finally:
        process.terminate()
        process.wait(10)


def test_stats_prints_the_export_of_a_period(
    emc: TestClient, keys: Keys, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv
    import io
    import json

    login(emc)
    transfer_id = ok(emc, keys, start(emc))
    token = csrf(emc.get(f"/transfers/{transfer_id}").text)
    emc.post(f"/transfers/{transfer_id}/confirm", data={"csrf_token": token})
    config = write_config(tmp_path)
    text = config.read_text().replace(f"sqlite:///{tmp_path}/cli.db", str(database_of(emc).url))
    config.write_text(text)
    month = dt.datetime.now(dt.UTC).strftime("%Y-%m")
    assert main(["emc", "stats", "--config", str(config), "--from", month]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["service"], data["institution"]["id"]) == ("emc", "emc.uni.example")
    assert data["period"] == {"from": month, "to": month, "timeZone": "UTC"}
    assert {"figure": "courses_imported", "month": month, "country": None, "client": None, "outcome": None,
            "value": 8, "unit": "courses"} in data["rows"]  # fmt: skip
    assert main(["emc", "stats", "--config", str(config), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {(r["figure"], r["country"], r["outcome"], r["value"]) for r in rows} >= {
        ("transfers", "SE", "imported", "1"),
        ("credits_imported", "", "", "67.5"),
    }
    assert main(["emc", "stats", "--config", str(config), "--from", "2026-13"]) == 2
    assert capsys.readouterr().err.strip().endswith("--from: expected a month like 2026-03, got '2026-13'")
    assert main(["emc", "stats", "--config", str(config), "--from", "2020-01", "--to", "2026-01"]) == 2
    assert "more than 36 months" in capsys.readouterr().err
