"""Login configuration: good tables build settings, bad ones name the setting that is wrong."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from emrex.web.login.demo import hash_password
from emrex.web.login.settings import LoginSettings
from emrex.web.login.table import LoginConfigError

HASH = hash_password("correct horse", log2_n=10)


def demo(**overrides: Any) -> dict[str, Any]:
    account = {"username": "anna", "password_hash": HASH, "given_names": "Anna", "family_name": "Berg"}
    return {"method": "demo", "production": False, "demo": {"accounts": [account]}, **overrides}


def test_demo_accounts_are_refused_in_production() -> None:
    with pytest.raises(
        LoginConfigError, match=r"login\.method: demo accounts are refused when login\.production"
    ):
        LoginSettings.from_mapping(demo(production=True))


def test_production_is_the_default() -> None:
    config = demo()
    del config["production"]
    with pytest.raises(LoginConfigError, match="production"):
        LoginSettings.from_mapping(config)


def test_demo_account_is_read() -> None:
    settings = LoginSettings.from_mapping(demo())
    (account,) = settings.demo_accounts
    assert account.username == "anna" and account.roles == {"student"}
    assert not settings.production


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"method": "kerberos"}, r"login\.method: 'kerberos' is not one of oidc, headers, demo"),
        ({}, r"login\.method: missing"),
        ({"method": "oidc"}, r"login\.oidc: missing"),
        ({"method": "oidc", "oidc": {"issuer": "https://idp.example"}}, r"login\.oidc\.client_id: missing"),
        (
            {"method": "oidc", "oidc": {"issuer": "idp.example", "client_id": "x"}},
            r"login\.oidc\.issuer: 'idp\.example' is not an http\(s\) URL",
        ),
        (
            {
                "method": "oidc",
                "oidc": {"issuer": "https://i.example", "client_id": "x", "scopes": ["profile"]},
            },
            r"login\.oidc\.scopes: must include 'openid'",
        ),
        (
            {
                "method": "oidc",
                "oidc": {"issuer": "https://i.example", "client_id": "x", "claims": {"nick": "n"}},
            },
            r"login\.oidc\.claims\.nick: unknown",
        ),
        (
            {"method": "headers", "headers": {"trusted_proxies": ["10.0.0.300"]}},
            r"login\.headers\.trusted_proxies\[0\]: '10\.0\.0\.300' is not an IP address",
        ),
        ({"method": "headers", "headers": {"trusted_proxies": []}}, r"login\.headers\.trusted_proxies: list"),
        (
            {"method": "headers", "headers": {"trusted_proxies": ["127.0.0.1"], "birth_date_format": "%Q"}},
            r"login\.headers\.birth_date_format: '%Q' is not a usable date format",
        ),
        ({"method": "demo", "production": "no"}, r"login\.production: expected true or false"),
        (
            demo(role_rules=[{"role": "root", "source": "groups", "values": ["x"]}]),
            r"login\.role_rules\[0\]\.role: 'root' is not one of admin, staff, student",
        ),
        (demo(rate_limit={"window_seconds": 0}), r"login\.rate_limit\.window_seconds: expected a positive"),
        (
            demo(logout_url="http://idp.example/logout"),
            r"login\.logout_url: use a path on this site or an https",
        ),
        (demo(logout_url="//evil.example"), r"login\.logout_url: use a path"),
    ],
)
def test_bad_settings_name_the_setting(config: dict[str, Any], message: str) -> None:
    with pytest.raises(LoginConfigError, match=message):
        LoginSettings.from_mapping(config)


@pytest.mark.parametrize(
    ("account", "message"),
    [
        ({"password_hash": "plaintext"}, r"accounts\[0\]\.password_hash: expected scrypt"),
        ({"password_hash": "scrypt$30$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA=="}, "out of range"),
        ({"birth_date": "31.1.2000"}, r"accounts\[0\]\.birth_date: '31\.1\.2000' is not a date"),
        ({"roles": ["student", "god"]}, r"accounts\[0\]\.roles: unknown role 'god'"),
        ({"given_names": ""}, r"accounts\[0\]\.given_names: must not be empty"),
    ],
)
def test_bad_demo_accounts_name_the_setting(account: dict[str, Any], message: str) -> None:
    config = demo()
    config["demo"]["accounts"][0].update(account)
    with pytest.raises(LoginConfigError, match=message):
        LoginSettings.from_mapping(config)


def test_duplicate_demo_username_is_refused() -> None:
    config = demo()
    config["demo"]["accounts"].append(dict(config["demo"]["accounts"][0]))
    with pytest.raises(LoginConfigError, match=r"accounts\[1\]\.username: 'anna' is listed twice"):
        LoginSettings.from_mapping(config)


def test_headers_settings_with_networks_and_shibboleth_defaults() -> None:
    settings = LoginSettings.from_mapping(
        {"method": "headers", "headers": {"trusted_proxies": ["127.0.0.1", "10.1.0.0/16", "::1"]}}
    )
    assert settings.headers is not None
    assert ipaddress.ip_network("10.1.0.0/16") in settings.headers.trusted_proxies
    assert settings.headers.attributes["subject"] == "eppn"
    assert settings.headers.attributes["birth_date"] == "schacDateOfBirth"
    assert settings.headers.birth_date_format == "%Y%m%d"


def test_staff_role_from_rules_and_from_configured_subjects() -> None:
    settings = LoginSettings.from_mapping(
        demo(
            role_rules=[{"role": "staff", "source": "eduPersonAffiliation", "values": ["staff", "faculty"]}],
            subject_roles={"admin": ["boss@uni.example"]},
        )
    )
    assert settings.roles_for("a@uni.example", {"eduPersonAffiliation": ["student"]}) == {"student"}
    assert settings.roles_for("b@uni.example", {"eduPersonAffiliation": ["member", "faculty"]}) == {
        "student",
        "staff",
    }
    assert settings.roles_for("boss@uni.example", {}) == {"student", "admin"}


def test_prefix_is_used_in_messages() -> None:
    with pytest.raises(LoginConfigError, match=r"emc\.login\.method: missing"):
        LoginSettings.from_mapping({}, prefix="emc.login")
