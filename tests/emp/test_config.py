"""EMP settings: the TOML file, the environment over it, and errors that name the setting."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from emrex.emp.config import EmpConfigError, load_settings, settings_from_mapping

BASE: dict[str, Any] = {
    "base_url": "https://emp.uni.example",
    "key_file": "/etc/emrex/key.pem",
    "certificate_file": "/etc/emrex/cert.pem",
    "login": {"method": "headers", "headers": {"trusted_proxies": ["127.0.0.1"]}},
}


def _settings(**overrides: Any) -> Any:
    return settings_from_mapping({**BASE, **overrides})


def test_defaults() -> None:
    settings = _settings()
    assert settings.production is True
    assert settings.entry_path == "/emrex"
    assert settings.session_lifetime == timedelta(minutes=30)
    assert settings.http_hosts == frozenset()
    assert settings.languages == ("en", "sv", "fi", "nb", "da")
    assert settings.results_cache == timedelta(minutes=10)
    assert _settings(results_cache_minutes=0).results_cache == timedelta(0)


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"base_url": "ftp://x"}, "base_url"),
        ({"base_url": "http://emp.uni.example"}, "base_url"),
        ({"base_url": "https://emp.uni.example/sub"}, "base_url"),
        ({"entry_path": "emrex"}, "entry_path"),
        ({"dev_http_hosts": ["localhost"]}, "dev_http_hosts"),
        ({"session_minutes": 0}, "session_minutes"),
        ({"default_language": "de"}, "default_language"),
        ({"timezone": "Nowhere/Land"}, "timezone"),
        ({"whole_programme_only": "yes"}, "whole_programme_only"),
        ({"results_cache_minutes": -1}, "results_cache_minutes"),
        ({"colour": "blue"}, "colour"),
        ({"login": {"method": "demo", "demo": {"accounts": []}}}, "login."),
        ({"server": {"workers": 0}}, "server.workers"),
        ({"server": {"read_timeout_seconds": 0}}, "server.read_timeout_seconds"),
        ({"server": {"body_timeout_seconds": "long"}}, "server.body_timeout_seconds"),
    ],
)
def test_errors_name_the_setting(overrides: dict[str, Any], setting: str) -> None:
    with pytest.raises(EmpConfigError) as caught:
        _settings(**overrides)
    assert str(caught.value).startswith(setting)
    assert "\n" not in str(caught.value)


def test_key_file_is_required() -> None:
    data = {k: v for k, v in BASE.items() if k != "key_file"}
    with pytest.raises(EmpConfigError, match=r"^key_file: missing"):
        settings_from_mapping(data)


def test_demo_login_is_refused_in_production(password_hash: str) -> None:
    account = {"username": "a", "password_hash": password_hash, "given_names": "A", "family_name": "B"}
    demo = {"method": "demo", "demo": {"accounts": [account]}}
    assert _settings(login=demo, production=False).production is False
    with pytest.raises(EmpConfigError, match="production"):
        _settings(login=demo)


def test_outside_production_localhost_may_use_http() -> None:
    settings = _settings(production=False, base_url="http://localhost:8000")
    assert "localhost" in settings.http_hosts


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = tmp_path / "emp.toml"
    path.write_text(
        'base_url = "https://emp.uni.example"\nkey_file = "k"\ncertificate_file = "c"\n'
        'database_url = "sqlite:///file.db"\n[login]\nmethod = "headers"\n[login.headers]\n'
        'trusted_proxies = ["127.0.0.1"]\n'
    )
    env = {
        "EMREX_EMP_DATABASE_URL": "postgresql://db/emp",
        "EMREX_EMP_CLIENT_HOSTS": "emc.a.example, emc.b.example",
        "EMREX_EMP_WHOLE_PROGRAMME_ONLY": "true",
        "EMREX_EMP_SESSION_MINUTES": "45",
        "EMREX_EMP_SERVER__WORKERS": "4",
        "EMREX_EMP_SERVER__HEADER_TIMEOUT_SECONDS": "5",
        "EMREX_EMP_LOGIN__HEADERS__TRUSTED_PROXIES": '["10.0.0.0/8"]',
        "EMREX_EMP_KEY_PASSWORD": "1234",
        "EMREX_EMP_CONFIG": str(path),
        "OTHER": "ignored",
    }
    settings = load_settings(path, env)
    assert settings.database_url == "postgresql://db/emp"
    assert settings.client_hosts == ("emc.a.example", "emc.b.example")
    assert settings.whole_programme_only is True
    assert settings.session_lifetime == timedelta(minutes=45)
    assert settings.server.workers == 4
    assert settings.server.timeouts.header_seconds == 5.0 and settings.server.timeouts.body_seconds == 300.0
    assert settings.login["headers"]["trusted_proxies"] == ["10.0.0.0/8"]
    assert settings.key_password == "1234"
    assert "1234" not in repr(settings)


def test_environment_only_and_unknown_variables() -> None:
    env = {
        "EMREX_EMP_BASE_URL": "https://emp.uni.example",
        "EMREX_EMP_KEY_FILE": "k",
        "EMREX_EMP_CERTIFICATE_FILE": "c",
        "EMREX_EMP_LOGIN__METHOD": "headers",
        "EMREX_EMP_LOGIN__HEADERS__TRUSTED_PROXIES": '["127.0.0.1"]',
    }
    assert load_settings(None, env).base_url == "https://emp.uni.example"
    with pytest.raises(EmpConfigError, match=r"^EMREX_EMP_DATABSE_URL: unknown setting"):
        load_settings(None, {**env, "EMREX_EMP_DATABSE_URL": "x"})


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(EmpConfigError, match="no such configuration file"):
        load_settings(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("base_url = ")
    with pytest.raises(EmpConfigError, match="not valid TOML"):
        load_settings(bad)


def test_seal_transcript_is_off_unless_asked() -> None:
    assert _settings().seal_transcript is False
    assert _settings(seal_transcript=True).seal_transcript is True
    env = {
        "EMREX_EMP_BASE_URL": "https://emp.uni.example",
        "EMREX_EMP_KEY_FILE": "k",
        "EMREX_EMP_CERTIFICATE_FILE": "c",
        "EMREX_EMP_LOGIN__METHOD": "headers",
        "EMREX_EMP_LOGIN__HEADERS__TRUSTED_PROXIES": '["127.0.0.1"]',
        "EMREX_EMP_SEAL_TRANSCRIPT": "yes",
    }
    assert load_settings(None, env).seal_transcript is True
    with pytest.raises(EmpConfigError, match="seal_transcript: expected true or false"):
        _settings(seal_transcript="sometimes")


def test_the_edc_seal_table() -> None:
    assert _settings().seal is None
    seal = {
        "key_file": "/etc/emrex/seal-key.pem",
        "cert_file": "/etc/emrex/seal-cert.pem",
        "issuer_name": "  Nordvik   University ",
        "issuer_country": "se",
        "issuer_id": "NTRSE-2021005678",
    }
    read = _settings(seal=seal).seal
    assert read is not None and read.key_file == Path("/etc/emrex/seal-key.pem")
    assert (read.issuer_name, read.issuer_country, read.issuer_id) == (
        "Nordvik University",
        "SE",
        "NTRSE-2021005678",
    )
    env = {f"EMREX_EMP_SEAL__{key.upper()}": value for key, value in seal.items()}
    base = {
        "EMREX_EMP_BASE_URL": "https://emp.uni.example",
        "EMREX_EMP_KEY_FILE": "k",
        "EMREX_EMP_CERTIFICATE_FILE": "c",
        "EMREX_EMP_LOGIN__METHOD": "headers",
        "EMREX_EMP_LOGIN__HEADERS__TRUSTED_PROXIES": '["127.0.0.1"]',
    }
    from_env = load_settings(None, {**base, **env}).seal
    assert from_env is not None and from_env.issuer_id == "NTRSE-2021005678"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"issuer_id": "2021005678"}, "seal.issuer_id: '2021005678' is not an ETSI organisation identifier"),
        ({"issuer_country": "Sweden"}, "seal.issuer_country: a two-letter ISO 3166 code"),
        ({"issuer_name": " "}, "seal.issuer_name: must not be empty"),
        ({"cert_file": 7}, "seal.cert_file"),
        ({"colour": "blue"}, "seal.colour"),
    ],
)
def test_seal_errors_name_the_setting(change: dict[str, Any], message: str) -> None:
    seal = {
        "key_file": "k.pem",
        "cert_file": "c.pem",
        "issuer_name": "Nordvik University",
        "issuer_country": "SE",
        "issuer_id": "NTRSE-2021005678",
    }
    with pytest.raises(EmpConfigError, match=message):
        _settings(seal={**seal, **change})
    incomplete = dict(seal)
    del incomplete["issuer_id"]
    with pytest.raises(EmpConfigError, match=r"seal\.issuer_id"):
        _settings(seal=incomplete)


def test_the_wallet_table() -> None:
    assert _settings().wallet is None
    wallet = {"key_file": "/etc/emrex/wallet-key.pem", "cert_file": "/etc/emrex/wallet-cert.pem"}
    read = _settings(wallet={**wallet, "name": "  Nordvik   University "}).wallet
    assert read is not None and read.key_file == Path("/etc/emrex/wallet-key.pem")
    assert read.name == "Nordvik University"
    env = {
        "EMREX_EMP_BASE_URL": "https://emp.uni.example",
        "EMREX_EMP_KEY_FILE": "k",
        "EMREX_EMP_CERTIFICATE_FILE": "c",
        "EMREX_EMP_LOGIN__METHOD": "headers",
        "EMREX_EMP_LOGIN__HEADERS__TRUSTED_PROXIES": '["127.0.0.1"]',
        "EMREX_EMP_WALLET__KEY_FILE": "wk.pem",
        "EMREX_EMP_WALLET__CERT_FILE": "wc.pem",
    }
    from_env = load_settings(None, env).wallet
    assert from_env is not None and from_env.cert_file == Path("wc.pem") and from_env.name == ""


@pytest.mark.parametrize(
    ("wallet", "message"),
    [
        ({"cert_file": "c.pem"}, "wallet.key_file: missing"),
        ({"key_file": "k.pem", "cert_file": 7}, "wallet.cert_file"),
        ({"key_file": "k.pem", "cert_file": "c.pem", "colour": "blue"}, "wallet.colour"),
    ],
)
def test_wallet_errors_name_the_setting(wallet: dict[str, Any], message: str) -> None:
    with pytest.raises(EmpConfigError, match=re.escape(message)):
        _settings(wallet=wallet)


def test_the_look_is_read_and_a_colour_without_contrast_is_refused() -> None:
    look = _settings(look={"name": "Olympos Polytechnic", "accent": "#8a1c1c"}).look
    assert (look.name, dict(look.colours)) == ("Olympos Polytechnic", {"accent": "#8a1c1c"})
    assert _settings().look.colours == {}
    with pytest.raises(EmpConfigError, match=r"^look\.header: #ffd700 is too light: .* 1\.\d\d:1"):
        _settings(look={"header": "#ffd700"})
    with pytest.raises(
        EmpConfigError, match=r"^look\.texts\.selection: no such page; the pages are .*select"
    ):
        _settings(look={"texts": {"selection": "x"}})
