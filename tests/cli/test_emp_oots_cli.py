"""``emrex emp oots-poll``: the EMP's OOTS backend answers what waits at its access point, with the
exchanges in the EMP's database; a configuration without a usable [oots] table, or an access point
that cannot be reached, is one line and an exit code."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from emrex.cli import main
from emrex.db import Database
from emrex.demo.config_files import write_config
from emrex.oots import EvidenceRequester, Network, WsClient
from emrex.oots.access_point import HttpWsPlugin, create_access_point
from emrex.oots.tables import DatabaseExchangeStore
from tests.emp.conftest import config, emp_ca, emp_key, key_files, password_hash
from tests.flows.test_oots_emp_flow import ASA, OOTS_TABLE, PROVIDER, PROVIDER_AP, TRANSCRIPT_ID
from tests.oots.support import REQUESTER_AP, make_request

__all__ = ["emp_ca", "emp_key", "key_files", "password_hash"]


def _config(tmp_path: Path, password_hash: str, key_files: tuple[Path, Path], **oots: Any) -> Path:
    data = config(password_hash, key_files, database_url=f"sqlite:///{tmp_path}/emp.db")
    if oots:
        data["oots"] = {**OOTS_TABLE, **oots}
    return write_config(tmp_path / "emp.toml", data, "test")


def test_the_poller_answers_a_waiting_request_with_preview_required(
    tmp_path: Path,
    password_hash: str,
    key_files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = _config(tmp_path, password_hash, key_files, access_point="https://ap.nordvik.example/wsplugin")
    network = Network([REQUESTER_AP.id, PROVIDER_AP.id])
    with TestClient(create_access_point(network)) as ap:
        requester = EvidenceRequester(
            WsClient(HttpWsPlugin(f"/{REQUESTER_AP.id}/wsplugin", ap)), party=REQUESTER_AP
        )
        request = make_request(provider=PROVIDER, person=ASA, issued=dt.datetime.now(dt.UTC))
        kind = dataclasses.replace(request.evidence_type, identifier=TRANSCRIPT_ID)  # type: ignore[arg-type]
        _, conversation = requester.send(dataclasses.replace(request, evidence_type=kind), to=PROVIDER_AP)
        # The configured URL is the provider's plugin; here it is served in-process.
        monkeypatch.setattr(
            "emrex.oots.access_point.HttpWsPlugin",
            lambda url, **_: HttpWsPlugin(f"/{PROVIDER_AP.id}/wsplugin", ap),
        )
        assert main(["emp", "oots-poll", "--once", "--config", str(path)]) == 0
        assert capsys.readouterr().out == "answered 1 request(s)\n"
        (answer,) = requester.receive(conversation)
    assert answer.code == "EDM:ERR:0002" and answer.preview_location is not None
    database = Database(f"sqlite:///{tmp_path}/emp.db")
    try:
        assert len(DatabaseExchangeStore(database)) == 1  # where emrex emp serve's pages find it
    finally:
        database.dispose()


def test_without_an_oots_table(
    tmp_path: Path, password_hash: str, key_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["emp", "oots-poll", "--once", "--config", str(_config(tmp_path, password_hash, key_files))])
        == 1
    )
    assert (
        capsys.readouterr().err.strip() == "emrex: oots: the configuration has no [oots] table (docs/OOTS.md)"
    )


def test_without_an_access_point(
    tmp_path: Path, password_hash: str, key_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path, password_hash, key_files, country="SE")
    assert main(["emp", "oots-poll", "--once", "--config", str(path)]) == 1
    assert "oots.access_point: missing" in capsys.readouterr().err


def test_an_access_point_that_cannot_be_reached(
    tmp_path: Path, password_hash: str, key_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path, password_hash, key_files, access_point="http://127.0.0.1:9/wsplugin")
    assert main(["emp", "oots-poll", "--once", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "the access point cannot be reached" in err and len(err.strip().splitlines()) == 1


def test_a_broken_oots_table_names_the_setting(
    tmp_path: Path, password_hash: str, key_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path, password_hash, key_files, preview_minutes=0)
    assert main(["emp", "oots-poll", "--once", "--config", str(path)]) == 1
    assert "oots.preview_minutes" in capsys.readouterr().err
