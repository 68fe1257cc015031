"""The demo is configured by files a newcomer can point every ``--config`` command at, its registry file
is read by ``registry show`` and ``verify --registry``, and its EMC has an API token named in demo.json."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from emrex.cli import main
from emrex.demo.config_files import api_token, toml_text
from emrex.demo.folder import DataFolder, open_folder
from emrex.demo.guide import facts
from emrex.demo.network import EMPS
from emrex.demo.services import Addresses, Service, build_services
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.trust.certs import load_certificate, load_private_key
from emrex.trust.signer import Signer
from tests.demo.helpers import free_port_base


@pytest.fixture(scope="module")
def network(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[DataFolder, Addresses, list[Service]]]:
    folder = open_folder(tmp_path_factory.mktemp("demo-config") / "demo")
    addresses = Addresses(free_port_base())
    yield folder, addresses, build_services(folder, addresses)


def test_toml_text_reads_back_as_written() -> None:
    data: dict[str, Any] = {
        "name": 'Fjord "Net" – å',
        "production": False,
        "port": 8000,
        "hosts": ["localhost", "127.0.0.1"],
        "login": {
            "method": "demo",
            "demo": {
                "accounts": [
                    {"username": "chloe", "identifiers": {"nationalIdentifier": "1"}, "roles": ["student"]},
                    {"username": "staff", "identifiers": {}, "roles": ["staff"]},
                ]
            },
        },
        "registry": {"sources": ["http://127.0.0.1:1/emp-list.json"], "max_age_minutes": 1},
    }
    assert tomllib.loads(toml_text(data, "a comment")) == data


def test_every_config_command_works_on_the_demo_files(
    network: tuple[DataFolder, Addresses, list[Service]], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _, _ = network
    emc_toml = folder.emc_dir / "emc.toml"
    assert main(["emc", "check-config", "--config", str(emc_toml)]) == 0
    out = capsys.readouterr().out
    assert "API tokens:    1" in out and "login:         demo" in out
    assert main(["emc", "purge", "--config", str(emc_toml)]) == 0
    assert "0 transfer(s)" in capsys.readouterr().out
    for plan in EMPS:
        emp_toml = folder.emp_dir(plan) / "emp.toml"
        assert main(["emp", "stats", "--config", str(emp_toml)]) == 0, capsys.readouterr().err
        assert "sessions started: 0" in capsys.readouterr().out
        assert emp_toml.stat().st_mode & 0o077 == 0  # password hashes inside: the owner's only


def test_the_demo_registry_file_is_read_by_show_and_verify(
    network: tuple[DataFolder, Addresses, list[Service]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _, _ = network
    registry = folder.registry_dir / "registry.toml"
    assert main(["registry", "show", str(registry)]) == 0
    out = capsys.readouterr().out
    assert all(plan.acronym in out for plan in EMPS)
    fjord = folder.emp_dir(EMPS[0])
    signer = Signer(
        load_private_key((fjord / "key.pem").read_bytes()),
        load_certificate((fjord / "cert.pem").read_bytes()),
    )
    document = tmp_path / "signed.xml"
    document.write_bytes(signer.sign(write_elmo(sample_elmo(2))))
    # The sample's institutions are not FJORDNET's: the signature is valid, the issuers are not listed.
    assert main(["verify", "--registry", str(registry), "--emp", "FJORDNET", str(document)]) == 1
    captured = capsys.readouterr()
    assert "signature valid for FJORDNET" in captured.out
    assert "issuers:      not all listed for FJORDNET in the registry" in captured.out
    assert main(["verify", "--registry", str(registry), "--emp", "KYKLADES", str(document)]) == 1


def test_demo_json_names_the_files_and_an_api_token_that_works(
    network: tuple[DataFolder, Addresses, list[Service]],
) -> None:
    folder, addresses, services = network
    content = facts(addresses, folder.root, api_token(folder.emc_dir))
    emc = content["emc"]
    assert emc["config"] == str((folder.emc_dir / "emc.toml").resolve())
    assert emc["api"]["url"] == addresses.emc + "api/v1/"
    assert content["registry"]["config"] == str((folder.registry_dir / "registry.toml").resolve())
    assert [e["config"] for e in content["emps"]] == [
        str((folder.emp_dir(plan) / "emp.toml").resolve()) for plan in EMPS
    ]
    assert {"url", "home", "title", "institutions", "accounts"} <= set(content["emps"][0])  # shape kept
    app = next(s.app for s in services if s.name == "EMC")
    with TestClient(app, base_url=addresses.emc) as client:
        headers = {"Authorization": f"Bearer {emc['api']['token']}"}
        assert client.get("/api/v1/transfers", headers=headers).status_code == 200
        assert client.get("/api/v1/transfers", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert api_token(folder.emc_dir) == emc["api"]["token"]  # the same at the next start


def test_the_demo_emc_honours_emrex_emc_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from emrex.demo.folder import DemoCa, DemoError
    from emrex.demo.services import _Databases, _emc_app
    from emrex.web.login.demo import hash_password

    stored = hash_password("demo", log2_n=10)

    folder = open_folder(tmp_path / "demo")
    addresses = Addresses(free_port_base())
    monkeypatch.setenv("EMREX_EMC_TITLE", "Lindholm under test")
    monkeypatch.setenv("EMREX_EMC_LIMITS__MAX_OPEN_TRANSFERS", "9")
    app = _emc_app(folder, addresses, _Databases(), lambda account: stored, DemoCa(folder))
    settings = app.state.emc_service.settings
    assert (settings.title, settings.max_open_transfers) == ("Lindholm under test", 9)
    monkeypatch.setenv("EMREX_EMC_TITEL", "a typo")
    with pytest.raises(DemoError, match="EMREX_EMC_TITEL: unknown setting"):
        _emc_app(folder, addresses, _Databases(), lambda account: stored, DemoCa(folder))
