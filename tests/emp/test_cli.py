"""``emrex emp serve``, ``stats`` and ``import``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from emrex.cli import main
from tests.emp.conftest import config
from tests.emp.data import document
from tests.emp.helpers import login, post, reply, start


def _toml(data: dict[str, object]) -> str:
    """Just enough TOML for the test configurations (strings, booleans, lists, nested tables)."""

    def value(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, list) and v and isinstance(v[0], dict):
            raise TypeError("use _tables for arrays of tables")
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return json.dumps(v)

    lines: list[str] = []
    tables: list[tuple[str, dict[str, object]]] = []
    for k, v in data.items():
        if isinstance(v, dict):
            tables.append((k, v))
        else:
            lines.append(f"{k} = {value(v)}")
    for name, table in tables:
        lines.append(f"[{name}]")
        nested = []
        for k, v in table.items():
            if isinstance(v, dict):
                nested.append((f"{name}.{k}", v))
            else:
                lines.append(f"{k} = {value(v)}")
        for nested_name, nested_table in nested:
            for k, v in nested_table.items():
                if isinstance(v, list) and v and isinstance(v[0], dict):
                    for entry in v:
                        lines.append(f"[[{nested_name}.{k}]]")
                        lines.extend(
                            f"{ek} = {value(ev)}" for ek, ev in entry.items() if not isinstance(ev, dict)
                        )
                        for ek, ev in entry.items():
                            if isinstance(ev, dict):
                                lines.append(
                                    f"{ek} = {{ "
                                    + ", ".join(f"{a} = {value(b)}" for a, b in ev.items())
                                    + " }"
                                )
                else:
                    lines.append(f"[{nested_name}]")
                    lines.append(f"{k} = {value(v)}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def config_file(tmp_path: Path, password_hash: str, key_files: tuple[Path, Path]) -> Path:
    data = config(password_hash, key_files, database_url=f"sqlite:///{tmp_path}/served.db")
    path = tmp_path / "emp.toml"
    path.write_text(_toml(data))
    return path


def test_serve_refuses_a_bad_setting_with_one_line(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = config_file.read_text().replace('timezone = "Europe/Stockholm"', 'timezone = "Mars/Olympus"')
    config_file.write_text(text)
    assert main(["emp", "serve", "--config", str(config_file)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "timezone" in err


def test_serve_refuses_a_missing_key_file(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config_file.write_text(config_file.read_text().replace("emp-key.pem", "missing-key.pem"))
    assert main(["emp", "serve", "--config", str(config_file)]) == 1
    assert "key_file" in capsys.readouterr().err


def test_environment_overrides_the_file(
    config_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMREX_EMP_SESSION_MINUTES", "zero")
    assert main(["emp", "serve", "--config", str(config_file)]) == 1
    assert "session_minutes" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_migrates_and_serves(config_file: Path, tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "EMREX_EMP_SERVER__PORT": str(port),
        "EMREX_EMP_BASE_URL": "http://localhost",
        # Two worker processes: the read timeouts must reach them too.
        "EMREX_EMP_SERVER__WORKERS": "2",
        "EMREX_EMP_SERVER__HEADER_TIMEOUT_SECONDS": "1",
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "emrex"), "emp", "serve", "--config", str(config_file)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90  # two workers each import the app and load the key: slow under load
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.terminate()  # its stderr ends only when it (and its workers) have
                    _, error = process.communicate(timeout=30)
                    raise AssertionError(error.decode() if error else "no output") from None
                time.sleep(0.2)
        assert response.json() == {"status": "ok"}
        refused = httpx.post(f"http://127.0.0.1:{port}/emrex", data={"sessionId": "x"}, timeout=5)
        assert refused.status_code == 400
        for _connection in range(4):  # whichever worker takes it closes a silent connection
            with socket.create_connection(("127.0.0.1", port)) as silent:
                silent.settimeout(5)
                started = time.monotonic()
                assert silent.recv(1) == b""
                assert time.monotonic() - started < 3
    finally:
        process.terminate()
        process.wait(30)


def test_import_and_stats(emp: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flow = start(emp)
    login(emp, flow)
    post(emp, f"{flow}/select", emp.get(flow).text, item=["0:C1", "1:GR-101"], action="preview")
    preview = emp.get(f"{flow}/preview").text
    assert reply(post(emp, f"{flow}/send", preview, action="send", consent="yes"))["returnCode"] == "NCP_OK"
    emp.get(start(emp))  # opened by the logged-in student (counted), then abandoned
    anonymous = TestClient(emp.app, base_url=str(emp.base_url), follow_redirects=False)
    start(anonymous)  # nobody logged in: not stored, not counted
    url = str(emp.app.state.emrex_emp.database.url)  # type: ignore[attr-defined]
    assert main(["emp", "stats", "--database", url]) == 0
    out = capsys.readouterr().out
    assert "sessions started: 2" in out
    assert "NCP_OK: 1" in out
    assert "items sent: 2, credits sent: 13.5" in out
    assert "emc.home.example: started 2, sent 1" in out
    assert "nordvik.example: 1" in out and "uoa.example.gr: 1" in out
    assert main(["emp", "stats", "--database", url, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["outcomes"] == {"NCP_OK": 1}
    assert data["creditsSent"] == "13.50"

    source = tmp_path / "sis.json"
    source.write_text(json.dumps(document()))
    fresh = f"sqlite:///{tmp_path}/fresh.db"
    assert main(["emp", "import", str(source), "--database", fresh]) == 0
    assert "1 person(s)" in capsys.readouterr().out


def test_stats_without_a_database(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EMREX_EMP_CONFIG", raising=False)
    monkeypatch.delenv("EMREX_EMP_DATABASE_URL", raising=False)
    assert main(["emp", "stats"]) == 2
    assert "--database" in capsys.readouterr().err


def test_serve_with_an_unreachable_database(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = config_file.read_text()
    start = text.index("database_url")
    end = text.index("\n", start)
    config_file.write_text(text[:start] + 'database_url = "postgresql://emrex@127.0.0.1:1/none"' + text[end:])
    assert main(["emp", "serve", "--config", str(config_file)]) == 2
    assert "not reachable" in capsys.readouterr().err


def test_stats_exports_a_period(emp: TestClient, capsys: pytest.CaptureFixture[str]) -> None:
    import csv
    import io

    flow = start(emp)
    login(emp, flow)
    post(emp, f"{flow}/select", emp.get(flow).text, item=["0:C1", "1:GR-101"], action="preview")
    reply(post(emp, f"{flow}/send", emp.get(f"{flow}/preview").text, action="send", consent="yes"))
    url = str(emp.app.state.emrex_emp.database.url)  # type: ignore[attr-defined]
    assert main(["emp", "stats", "--database", url, "--format", "csv"]) == 2
    assert "--institution" in capsys.readouterr().err  # nothing names the institution
    command = ["emp", "stats", "--database", url, "--format", "csv", "--institution", "Nordvik.example"]
    assert main(command) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["institution_id"] for r in rows} == {"nordvik.example"}
    assert {(r["figure"], r["client"], r["outcome"], r["value"]) for r in rows} >= {
        ("sessions_started", "emc.home.example", "", "1"),
        ("sessions_finished", "emc.home.example", "NCP_OK", "1"),
        ("results_sent", "emc.home.example", "NCP_OK", "2"),
        ("credits_sent", "emc.home.example", "NCP_OK", "13.5"),
    }
    assert main([*command, "--to", "1999-01"]) == 2
    assert "--to: expected a month like 2026-03" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:  # one or the other
        main(["emp", "stats", "--database", url, "--json", "--format", "csv"])
    assert usage.value.code == 2 and "not allowed with" in capsys.readouterr().err
