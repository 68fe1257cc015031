"""Configuration: every bad setting stops start-up with one line naming it; environment overrides."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from emrex.emc.config import EmcConfigError, load_settings, settings_from_mapping
from tests.emc.conftest import Keys, config

TOML = """
[emc]
base_url = "https://emc.uni.example"
database_url = "sqlite:///emc.db"
transfer_minutes = 20

[emc.registry]
sources = ["registry.json", "https://emreg.example/emp-list.json"]

[emc.verification]
sha1 = "reject"

[emc.identity]
tolerance = 0.15
review_tolerance = 0.4

[emc.retention]
raw_days = 30

[emc.login]
method = "oidc"
[emc.login.oidc]
issuer = "https://idp.uni.example"
client_id = "emc"
client_secret = "s"
"""


def test_a_full_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "emc.toml"
    path.write_text(TOML)
    settings = load_settings(path, environ={})
    assert settings.return_url == "https://emc.uni.example/emrex/return"
    assert settings.registry_sources == (
        str(tmp_path / "registry.json"),
        "https://emreg.example/emp-list.json",
    )
    assert settings.verify_policy.sha1 == "reject"
    assert (settings.identity_policy.tolerance, settings.identity_policy.review_tolerance) == (0.15, 0.4)
    assert settings.transfer_lifetime == dt.timedelta(minutes=20)
    assert settings.raw_retention == dt.timedelta(days=30)
    assert settings.login.method == "oidc"
    assert settings.webhook is None and settings.web.secure_cookies


def test_the_limits_are_one_set_with_documented_defaults(tmp_path: Path) -> None:
    path = tmp_path / "emc.toml"
    path.write_text(TOML)
    settings = load_settings(path, environ={})
    mb = 1024 * 1024
    limits = settings.codec_limits
    assert (limits.max_encoded_bytes, limits.max_decoded_bytes, limits.max_ratio, limits.max_elements) == (
        24 * mb,
        16 * mb,
        200,
        200_000,
    )
    assert settings.web.max_protocol_bytes == limits.max_encoded_bytes
    policy = settings.verify_policy
    assert (policy.max_bytes, policy.max_elements) == (limits.max_decoded_bytes, limits.max_elements)
    assert (settings.max_concurrent_verifications, settings.max_open_transfers) == (2, 5)
    assert settings.clock_skew == dt.timedelta(minutes=5)
    changed = load_settings(
        path,
        environ={
            "EMREX_EMC_LIMITS__MAX_DECODED_MB": "8",
            "EMREX_EMC_LIMITS__MAX_ELEMENTS": "5000",
            "EMREX_EMC_LIMITS__MAX_CONCURRENT_VERIFICATIONS": "4",
            "EMREX_EMC_VERIFICATION__CLOCK_SKEW_MINUTES": "0",
        },
    )
    assert changed.verify_policy.max_bytes == changed.codec_limits.max_decoded_bytes == 8 * mb
    assert changed.verify_policy.max_elements == 5000
    assert changed.max_concurrent_verifications == 4 and changed.clock_skew == dt.timedelta(0)


def test_environment_variables_override_the_file(tmp_path: Path) -> None:
    path = tmp_path / "emc.toml"
    path.write_text(TOML)
    environ = {
        "EMREX_EMC_DATABASE_URL": "postgresql://emc@db/emc",
        "EMREX_EMC_VERIFICATION__SHA1": "allow",
        "EMREX_EMC_IDENTITY__TOLERANCE": "0.05",
        "EMREX_EMC_WEBHOOK__URL": "https://sis.uni.example/hook",
        "EMREX_EMC_WEBHOOK__SECRET": "a-long-enough-secret",
        "EMREX_EMC_REGISTRY__SOURCES": "a.json, b.json",
    }
    settings = load_settings(path, environ=environ)
    assert settings.database_url == "postgresql://emc@db/emc"
    assert settings.verify_policy.sha1 == "allow"
    assert settings.identity_policy.tolerance == 0.05
    assert settings.webhook is not None and settings.webhook.secret == "a-long-enough-secret"
    assert settings.registry_sources == (str(tmp_path / "a.json"), str(tmp_path / "b.json"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"base_url": "ftp://emc"}, "emc.base_url"),
        ({"base_url": "http://emc.uni.example"}, "plain http"),
        ({"registry": {"sources": []}}, "emc.registry.sources"),
        ({"verification": {"sha1": "sometimes"}}, "emc.verification.sha1"),
        ({"identity": {"tolerance": 0.5, "review_tolerance": 0.1}}, "emc.identity"),
        ({"identity": {"tolerance": "high"}}, "emc.identity.tolerance"),
        ({"limits": {"max_post_mb": 0}}, "emc.limits.max_post_mb"),
        ({"limits": {"max_elements": 0}}, "emc.limits.max_elements"),
        ({"limits": {"max_concurrent_verifications": 0}}, "emc.limits.max_concurrent_verifications"),
        ({"limits": {"max_open_transfers": -1}}, "emc.limits.max_open_transfers"),
        ({"verification": {"clock_skew_minutes": -5}}, "emc.verification.clock_skew_minutes"),
        ({"api": {"token_hashes": ["secret-in-clear"]}}, "emc.api.token_hashes[0]"),
        ({"webhook": {"url": "http://sis.example/hook", "secret": "x" * 20}}, "emc.webhook.url"),
        ({"webhook": {"url": "https://sis.example/hook", "secret": "short"}}, "emc.webhook.secret"),
        ({"retention": {"raw_days": -1}}, "emc.retention.raw_days"),
        ({"server": {"header_timeout_seconds": 0}}, "emc.server: header_seconds"),
        ({"server": {"idle_seconds": 3}}, "emc.server.idle_seconds: unknown setting"),
        ({"colour": "blue"}, "emc.colour: unknown setting"),
        ({"identity": {"tolerence": 0.1}}, "emc.identity.tolerence: unknown setting"),
        ({"login": {"method": "demo", "production": True, "demo": {}}}, "emc.login"),
    ],
)
def test_bad_settings_are_named(
    tmp_path: Path, keys: Keys, password_hash: str, change: dict[str, Any], message: str
) -> None:
    values = config(tmp_path, keys, password_hash)
    values.update(change)
    with pytest.raises(EmcConfigError, match=message.replace("[", r"\[").replace("]", r"\]")) as caught:
        settings_from_mapping(values, {})
    assert "\n" not in str(caught.value)


def test_a_missing_database_url_is_named(tmp_path: Path, keys: Keys, password_hash: str) -> None:
    values = config(tmp_path, keys, password_hash)
    del values["database_url"]
    with pytest.raises(EmcConfigError, match=r"^emc\.database_url: missing$"):
        settings_from_mapping(values, {})


def test_bad_environment_values_are_named(tmp_path: Path, keys: Keys, password_hash: str) -> None:
    with pytest.raises(EmcConfigError, match="EMREX_EMC_LIMITS__MAX_POST_MB"):
        settings_from_mapping(
            config(tmp_path, keys, password_hash), {"EMREX_EMC_LIMITS__MAX_POST_MB": "lots"}
        )


def test_unreadable_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(EmcConfigError, match="cannot read"):
        load_settings(tmp_path / "missing.toml", environ={})
    broken = tmp_path / "broken.toml"
    broken.write_text("[emc\n")
    with pytest.raises(EmcConfigError, match="not valid TOML"):
        load_settings(broken, environ={})
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    with pytest.raises(EmcConfigError, match=r"\[emc\] table"):
        load_settings(empty, environ={})


def test_the_recognition_settings_are_read_and_checked(
    tmp_path: Path, keys: Keys, password_hash: str
) -> None:
    values = config(tmp_path, keys, password_hash)
    default = settings_from_mapping(values, {}).recognition
    assert (default.case_prefix, default.appeal_weeks, default.max_attachment_bytes) == (
        "CR",
        3,
        10 * 1024 * 1024,
    )
    values["recognition"] = {
        "case_prefix": "TG",
        "institution": "Lindholm  University",
        "appeal_weeks": 4,
        "appeal_address": "Registrar, Box 100",
        "legal_basis": "Higher Education Ordinance (1993:100) ch. 6 §§ 6–8",
        "max_attachment_mb": 5,
    }
    settings = settings_from_mapping(values, {"EMREX_EMC_RECOGNITION__APPEAL_WEEKS": "5"}).recognition
    assert (settings.case_prefix, settings.institution, settings.appeal_weeks) == (
        "TG",
        "Lindholm University",
        5,
    )
    assert settings.max_attachment_bytes == 5 * 1024 * 1024
    for change, message in (
        ({"case_prefix": "T G"}, "emc.recognition.case_prefix"),
        ({"appeal_weeks": 0}, "emc.recognition.appeal_weeks"),
        ({"appeal_weeks": 60}, "emc.recognition.appeal_weeks: at most 52"),
        ({"max_attachment_mb": 48}, "must be less than emc.limits.max_post_mb"),
        ({"colour": "red"}, "emc.recognition.colour: unknown setting"),
    ):
        values["recognition"] = change
        with pytest.raises(EmcConfigError, match=message):
            settings_from_mapping(values, {})


def test_server_timeouts_are_read(tmp_path: Path, keys: Keys, password_hash: str) -> None:
    values = config(tmp_path, keys, password_hash)
    values["server"] = {"read_timeout_seconds": 12.5}
    settings = settings_from_mapping(values, {"EMREX_EMC_SERVER__BODY_TIMEOUT_SECONDS": "600"})
    timeouts = settings.server_timeouts
    assert (timeouts.header_seconds, timeouts.read_seconds, timeouts.body_seconds) == (10.0, 12.5, 600.0)
