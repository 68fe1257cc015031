"""The [login.saml] table: good tables build settings, bad ones name the setting that is wrong."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from emrex.emc.config import EmcConfigError
from emrex.emc.config import settings_from_mapping as emc_settings
from emrex.web.login.saml import ServiceProvider
from emrex.web.login.settings import LoginSettings
from emrex.web.login.table import LoginConfigError
from tests.web.login.saml.support import Federation


def _config(federation: Federation, **saml: Any) -> dict[str, Any]:
    config = federation.login_config(**saml)
    config["saml"] = {k: v for k, v in config["saml"].items() if v is not None}
    return config


def test_defaults(federation: Federation) -> None:
    settings = LoginSettings.from_mapping(_config(federation))
    saml = settings.saml
    assert saml is not None
    assert saml.acs_url == "http://testserver/login/saml/acs"
    assert saml.attributes["subject"] == "eduPersonPrincipalName"
    assert saml.birth_date_format == "%Y%m%d" and saml.clock_skew_seconds == 60
    assert saml.name_id_format.endswith(":transient") and not saml.require_encrypted_assertions
    assert os.access(saml.xmlsec_binary, os.X_OK)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"entity_id": None}, r"login\.saml\.entity_id: missing"),
        ({"entity_id": "sp"}, r"login\.saml\.entity_id: use a URL or a urn:"),
        ({"base_url": "ftp://x"}, r"login\.saml\.base_url: 'ftp://x' is not an http\(s\) URL"),
        (
            {"key_file": "/nonexistent/key.pem"},
            r"login\.saml\.key_file: '/nonexistent/key\.pem' is not a file",
        ),
        ({"certificate_file": None}, r"login\.saml\.certificate_file: missing"),
        ({"clock_skew_seconds": 3600}, r"login\.saml\.clock_skew_seconds: at most 300 seconds"),
        ({"clock_skew_seconds": -1}, r"login\.saml\.clock_skew_seconds: expected a whole number"),
        ({"name_id_format": "urn:x"}, r"login\.saml\.name_id_format: use one of"),
        (
            {"entity_categories": ["research"]},
            r"login\.saml\.entity_categories\[0\]: 'research' is not a URI",
        ),
        ({"technical_contact": "nobody"}, r"login\.saml\.technical_contact: 'nobody' is not an e-mail"),
        ({"attributes": {"nick": "x"}}, r"login\.saml\.attributes\.nick: unknown"),
        ({"required": ["shoe_size"]}, r"login\.saml\.required: 'shoe_size' is not one of"),
        ({"birth_date_format": "%Q"}, r"login\.saml\.birth_date_format: '%Q' is not a usable date format"),
        (
            {"xmlsec_binary": "/nonexistent/xmlsec1"},
            r"login\.saml\.xmlsec_binary: '/nonexistent/xmlsec1' is not an",
        ),
        (
            {"encryption_key_file": "KEY"},
            r"login\.saml\.encryption_key_file: give both the encryption key and its certificate",
        ),
        ({"max_response_kb": 0}, r"login\.saml\.max_response_kb: expected a positive whole number"),
    ],
)
def test_bad_values_name_the_setting(federation: Federation, change: dict[str, Any], message: str) -> None:
    config = _config(federation)
    for key, value in change.items():
        if value is None:
            config["saml"].pop(key)
        else:
            config["saml"][key] = config["saml"]["key_file"] if value == "KEY" else value
    with pytest.raises(LoginConfigError, match=message):
        LoginSettings.from_mapping(config)


def test_missing_xmlsec1_is_a_clear_configuration_error(
    federation: Federation, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(
        LoginConfigError, match=r"xmlsec1 is not on PATH; SAML login needs the xmlsec1 program"
    ):
        LoginSettings.from_mapping(_config(federation))


def test_production_refuses_what_development_may_do(federation: Federation) -> None:
    config = _config(federation, allow_unsigned_metadata=True)
    config["production"] = True
    with pytest.raises(LoginConfigError, match=r"login\.saml\.base_url: 'http://testserver' must be https"):
        LoginSettings.from_mapping(config)
    config["saml"]["base_url"] = "https://emp.uni.example"
    with pytest.raises(
        LoginConfigError, match=r"login\.saml\.allow_unsigned_metadata: refused when login\.production"
    ):
        LoginSettings.from_mapping(config)
    del config["saml"]["allow_unsigned_metadata"]
    config["saml"]["idp_metadata"] = "http://md.federation.example/md.xml"
    with pytest.raises(LoginConfigError, match=r"login\.saml\.idp_metadata: .* must be https in production"):
        LoginSettings.from_mapping(config)


def test_the_saml_method_needs_its_table() -> None:
    with pytest.raises(LoginConfigError, match=r"login\.saml: missing"):
        LoginSettings.from_mapping({"method": "saml", "production": False})


def test_a_key_that_is_not_the_certificates_is_refused(federation: Federation) -> None:
    _, other_cert = federation.keys.pair("rogue")
    settings = LoginSettings.from_mapping(_config(federation, certificate_file=str(other_cert)))
    with pytest.raises(
        LoginConfigError, match=r"login\.saml\.key_file: the key does not belong to the certificate"
    ):
        ServiceProvider(settings)


def test_the_emc_fills_in_its_base_url(federation: Federation, tmp_path: Path) -> None:
    login = _config(federation)
    del login["saml"]["base_url"]
    emc = {
        "base_url": "http://localhost:8100",
        "dev_http_hosts": ["localhost"],
        "database_url": f"sqlite:///{tmp_path}/emc.db",
        "registry": {"sources": ["https://registry.example/emp-list.json"]},
        "login": login,
    }
    settings = emc_settings(emc, {})
    assert settings.login.saml is not None
    assert settings.login.saml.acs_url == "http://localhost:8100/login/saml/acs"
    emc["login"]["saml"]["clock_skew_seconds"] = 9999
    with pytest.raises(EmcConfigError, match=r"emc\.login\.saml\.clock_skew_seconds: at most 300"):
        emc_settings(emc, {})
