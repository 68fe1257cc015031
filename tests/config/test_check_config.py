"""``emrex <service> check-config``: the effective settings with their sources; one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from emrex.cli import main
from tests.registry.helpers import write_config

EMP_TOML = """
base_url = "https://emp.uni.example"
key_file = "k.pem"
certificate_file = "c.pem"
[login]
method = "oidc"
[login.oidc]
issuer = "https://idp.uni.example"
client_id = "emp"
"""
EMC_TOML = """
[emc]
base_url = "https://emc.uni.example"
[emc.registry]
sources = ["https://emreg.example/emp-list.json"]
[emc.login]
method = "oidc"
[emc.login.oidc]
issuer = "https://idp.uni.example"
client_id = "emc"
"""


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(("EMREX_EMP_", "EMREX_EMC_", "EMREX_REGISTRY_")):
            monkeypatch.delenv(name)


def test_emp_prints_each_setting_with_its_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "emp.toml"
    path.write_text(EMP_TOML, encoding="utf-8")
    secret = tmp_path / "secret"
    secret.write_text("the-oidc-secret\n", encoding="utf-8")
    monkeypatch.setenv("EMREX_EMP_LOGIN__OIDC__CLIENT_SECRET_FILE", str(secret))
    monkeypatch.setenv("EMREX_EMP_KEY_PASSWORD", "the-key-password")
    monkeypatch.setenv("EMREX_EMP_SERVER__WORKERS", "3")
    assert main(["emp", "check-config", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "the-oidc-secret" not in out and "the-key-password" not in out
    assert "# environment EMREX_EMP_LOGIN__OIDC__CLIENT_SECRET_FILE" in out
    lines = {line.split(" = ")[0]: line for line in out.splitlines() if " = " in line}
    assert lines["key_password"].startswith("key_password = ********")
    assert lines["server.workers"].startswith("server.workers = 3")
    assert lines["base_url"].endswith(f"# file {path}")
    assert lines["entry_path"].endswith("# default")


def test_emp_errors_are_one_line_with_exit_1_or_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "emp.toml"
    path.write_text(EMP_TOML, encoding="utf-8")
    monkeypatch.setenv("EMREX_EMP_DATABSE_URL", "sqlite://")
    assert main(["emp", "check-config", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean EMREX_EMP_DATABASE_URL?" in err
    monkeypatch.delenv("EMREX_EMP_DATABSE_URL")
    monkeypatch.setenv("EMREX_EMP_SESSION_MINUTES", "0")
    assert main(["emp", "check-config", "--config", str(path)]) == 1
    assert "EMREX_EMP_SESSION_MINUTES: session_minutes:" in capsys.readouterr().err
    assert main(["emp", "check-config", "--config", str(tmp_path / "none.toml")]) == 2
    assert "no such configuration file" in capsys.readouterr().err


def test_emc_summarises_then_lists_its_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "emc.toml"
    path.write_text(EMC_TOML, encoding="utf-8")
    monkeypatch.setenv("EMREX_EMC_DATABASE_URL", "postgresql://emc:db-secret@db/emc")
    monkeypatch.setenv("EMREX_EMC_LOGIN__OIDC__CLIENT_SECRET", "oidc-secret")
    assert main(["emc", "check-config", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "login:         oidc" in out
    assert "db-secret" not in out and "oidc-secret" not in out
    assert "emc.login.oidc.client_secret = ********" in out
    assert "# environment EMREX_EMC_LOGIN__OIDC__CLIENT_SECRET" in out
    monkeypatch.setenv("EMREX_EMC_LIMITS__MAX_POST_MB", "0")
    assert main(["emc", "check-config", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(
        "emrex: EMREX_EMC_LIMITS__MAX_POST_MB: emc.limits.max_post_mb"
    )


def test_registry_check_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(tmp_path)
    monkeypatch.setenv("EMREX_REGISTRY_PORT", "9090")
    assert main(["registry", "check-config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "3 EMPs in 2 countries" in out
    assert "port = 9090" in out and "# environment EMREX_REGISTRY_PORT" in out
    assert "emps = 3 [[emps]] table(s)" in out
    monkeypatch.setenv("EMREX_REGISTRY_PORT", "70000")
    assert main(["registry", "check-config", str(path)]) == 1
    assert "EMREX_REGISTRY_PORT: port: must be a whole number" in capsys.readouterr().err
    monkeypatch.delenv("EMREX_REGISTRY_PORT")
    path.write_text("prot = 1\n" + path.read_text())
    assert main(["registry", "check-config", str(path)]) == 1
    assert "prot: unknown setting (did you mean port?)" in capsys.readouterr().err
    assert main(["registry", "check-config", str(tmp_path / "none.toml")]) == 2


def test_emp_shows_derived_values_as_derived(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "emp.toml"
    path.write_text("production = false\n" + EMP_TOML, encoding="utf-8")
    assert main(["emp", "check-config", "--config", str(path)]) == 0
    lines = {line.split(" = ")[0]: line for line in capsys.readouterr().out.splitlines() if " = " in line}
    redirect = lines["login.oidc.redirect_uri"]
    assert redirect.startswith('login.oidc.redirect_uri = "https://emp.uni.example/login/callback"')
    assert redirect.endswith("# derived")
    assert lines["login.production"].startswith("login.production = false")
    assert lines["login.production"].endswith("# derived")
    assert lines["production"].endswith(f"# file {path}")


def test_emp_a_given_value_is_not_called_derived(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "emp.toml"
    given = EMP_TOML.replace('client_id = "emp"', 'client_id = "emp"\nredirect_uri = "https://x.example/cb"')
    path.write_text(given, encoding="utf-8")
    assert main(["emp", "check-config", "--config", str(path)]) == 0
    lines = {line.split(" = ")[0]: line for line in capsys.readouterr().out.splitlines() if " = " in line}
    assert lines["login.oidc.redirect_uri"].startswith('login.oidc.redirect_uri = "https://x.example/cb"')
    assert lines["login.oidc.redirect_uri"].endswith(f"# file {path}")


def test_emc_shows_its_default_language_as_derived(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "emc.toml"
    path.write_text(EMC_TOML.replace("[emc.registry]", 'languages = ["sv", "en"]\n[emc.registry]'))
    monkeypatch.setenv("EMREX_EMC_DATABASE_URL", "sqlite:///emc.db")
    assert main(["emc", "check-config", "--config", str(path)]) == 0
    lines = {line.split(" = ")[0]: line for line in capsys.readouterr().out.splitlines() if " = " in line}
    assert lines["emc.default_language"].startswith('emc.default_language = "sv"')
    assert lines["emc.default_language"].endswith("# derived")
