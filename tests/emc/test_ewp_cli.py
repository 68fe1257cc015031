"""``[emc.ewp]`` settings and ``emrex emc ewp fetch``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from emrex.cli import main
from emrex.emc import settings_from_mapping
from emrex.emc.config import EmcConfigError, EmcSettings
from tests.emc.conftest import Keys, config
from tests.emc.ewp_partner import partner
from tests.ewp.network import ESI, catalogue_bytes, rsa_key


def test_ewp_settings_are_read_relative_to_the_file(tmp_path: Path, keys: Keys, password_hash: str) -> None:
    values = config(tmp_path, keys, password_hash, ewp={"client_key": "ewp/key.pem", "catalogue": "cat.xml"})
    settings = settings_from_mapping(values, {}, base_dir=tmp_path)
    assert settings.ewp is not None
    assert settings.ewp.client_key == tmp_path / "ewp" / "key.pem"
    assert (settings.ewp.catalogue, settings.ewp.timeout_seconds) == (str(tmp_path / "cat.xml"), 30.0)
    url = {"client_key": "k.pem", "catalogue": "https://registry.example/catalogue-v1.xml"}
    assert (
        settings_from_mapping(config(tmp_path, keys, password_hash, ewp=url), {}).ewp.catalogue
        == url["catalogue"]
    )  # type: ignore[union-attr]
    assert settings_from_mapping(config(tmp_path, keys, password_hash), {}).ewp is None
    for bad, words in [
        ({"client_key": "k.pem"}, "emc.ewp.catalogue"),
        ({"client_key": "k.pem", "catalogue": "c", "timeout_seconds": 0}, "emc.ewp.timeout_seconds"),
        ({"client_key": "k.pem", "catalogue": "c", "key": "x"}, "emc.ewp.key: unknown setting"),
    ]:
        with pytest.raises(EmcConfigError, match=words):
            settings_from_mapping(config(tmp_path, keys, password_hash, ewp=bad), {})


def _files(tmp_path: Path) -> dict[str, str]:
    key = tmp_path / "ewp-client-key.pem"
    key.write_bytes(
        rsa_key("lindholm-client").private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (tmp_path / "catalogue-v1.xml").write_bytes(catalogue_bytes())
    return {"client_key": str(key), "catalogue": str(tmp_path / "catalogue-v1.xml")}


def _toml(tmp_path: Path, settings: EmcSettings, ewp: dict[str, str]) -> Path:
    path = tmp_path / "emc.toml"
    lines = [
        "[emc]",
        'base_url = "https://emc.example.org"',
        f'database_url = "{settings.database_url}"',
        "[emc.registry]",
        f'sources = ["{settings.registry_sources[0]}"]',
        "[emc.login]",
        'method = "oidc"',
        "[emc.login.oidc]",
        'issuer = "https://idp.example.org"',
        'client_id = "emc"',
        "[emc.ewp]",
        *(f'{k} = "{v}"' for k, v in ewp.items()),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_emc_ewp_fetch_stores_the_transcript(
    tmp_path: Path,
    make_settings: Callable[..., EmcSettings],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fjordby = partner()
    monkeypatch.setattr("emrex.emc.ewp_fetch.http_client", lambda timeout: fjordby.http)
    path = _toml(tmp_path, make_settings(), _files(tmp_path))
    args = ["emc", "ewp", "fetch", "--config", str(path), "--partner", "fjordby.example"]
    student = ["--student", "asa", "--given-names", "Åsa Žofie", "--family-name", "Lindqvist-Dvořáková"]
    assert main([*args, "--mobility", "m-approved-1", *student, "--esi", ESI, "--staff", "sven"]) == 0
    out = capsys.readouterr().out
    assert (
        out.startswith("transfer 1: ")
        and "from Fjordby University (fjordby.example) over EWP, imported" in out
    )
    # again: a duplicate, refused with exit 1; an unknown mobility too; bad input exit 2
    assert main([*args, "--mobility", "m-approved-1", *student, "--esi", ESI]) == 1
    assert "not stored: these results were received already" in capsys.readouterr().err
    assert main([*args, "--mobility", "m-pending", *student]) == 1
    assert main([*args, "--mobility", "m 1", *student]) == 2
    assert main([*args, "--mobility", "m-approved-2", *student, "--birth-date", "1999"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "--birth-date: expected YYYY-MM-DD" in err


def test_emc_ewp_fetch_without_ewp_settings_or_key_is_exit_2(
    tmp_path: Path, make_settings: Callable[..., EmcSettings], capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings()
    files = _files(tmp_path)
    path = _toml(tmp_path, settings, {**files, "client_key": str(tmp_path / "missing.pem")})
    args = ["--partner", "fjordby.example", "--mobility", "m1", "--student", "asa", "--given-names", "Å"]
    assert main(["emc", "ewp", "fetch", "--config", str(path), *args]) == 2
    assert "the EWP client key" in capsys.readouterr().err
    path.write_text(path.read_text().split("[emc.ewp]")[0])
    assert main(["emc", "ewp", "fetch", "--config", str(path), *args]) == 2
    assert "EWP is not configured" in capsys.readouterr().err


def test_emc_ewp_poll_lists_what_it_fetched(
    tmp_path: Path,
    make_settings: Callable[..., EmcSettings],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fjordby = partner()
    monkeypatch.setattr("emrex.emc.ewp_fetch.http_client", lambda timeout: fjordby.http)
    path = _toml(tmp_path, make_settings(), _files(tmp_path))
    args = ["emc", "ewp", "poll", "--config", str(path), "--partner", "fjordby.example"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "m-approved-1: no student (no student here has the transcript's ESI" in out
    assert out.rstrip().endswith("2 new transcript(s) listed by fjordby.example")
    assert main([*args, "--modified-since", "2026-07-01T10:00:00+00:00"]) == 0  # approved before that
    assert capsys.readouterr().out.strip() == "0 new transcript(s) listed by fjordby.example"
    assert main([*args, "--modified-since", "yesterday"]) == 2
    assert main([*args[:-1], "nowhere.example"]) == 2  # not in the catalogue
    assert "nothing fetched" in capsys.readouterr().err
