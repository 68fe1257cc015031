"""check-config's listing: every setting once, its source, secrets masked."""

from __future__ import annotations

from pathlib import Path

from emrex.config import from_mapping, read, report
from emrex.config.services import EMC, EMP

EMP_FILE = """
base_url = "https://emp.uni.example"
key_file = "k"
certificate_file = "c"
key_password = "file-password"
database_url = "postgresql://emp:db-password@db/emp"
[source]
type = "rest"
url = "https://sis.example"
[login]
method = "oidc"
[login.oidc]
issuer = "https://idp.example"
client_id = "emp"
"""


def _lines(text: str) -> dict[str, str]:
    return {line.split(" = ", 1)[0]: line for line in text.splitlines()}


def test_each_setting_with_its_source_and_secrets_masked(tmp_path: Path) -> None:
    path = tmp_path / "emp.toml"
    path.write_text(EMP_FILE, encoding="utf-8")
    secret = tmp_path / "client-secret"
    secret.write_text("oidc-secret-value\n", encoding="utf-8")
    environ = {"EMREX_EMP_SERVER__PORT": "8443", "EMREX_EMP_LOGIN__OIDC__CLIENT_SECRET_FILE": str(secret)}
    text = report(read(EMP, path, environ))
    for hidden in ("file-password", "db-password", "oidc-secret-value"):
        assert hidden not in text
    lines = _lines(text)
    assert lines["base_url"].endswith(f"# file {path}")
    assert lines["server.port"].startswith("server.port = 8443 ") and lines["server.port"].endswith(
        "# environment EMREX_EMP_SERVER__PORT"
    )
    assert lines["server.workers"].startswith("server.workers = 1 ") and lines["server.workers"].endswith(
        "# default"
    )
    assert "= ********" in lines["key_password"] and "= ********" in lines["login.oidc.client_secret"]
    assert lines["login.oidc.client_secret"].endswith(
        "# environment EMREX_EMP_LOGIN__OIDC__CLIENT_SECRET_FILE"
    )
    assert 'database_url = "postgresql://emp:***@db/emp"' in lines["database_url"]
    assert lines["source.url"].startswith('source.url = "https://sis.example"')
    # Only the login method in use is listed; tables that are absent and optional are left out.
    assert "login.oidc.issuer" in lines and not any(name.startswith("login.saml") for name in lines)
    # The sources line up: one column.
    assert len({line.index("  # ") for line in text.splitlines()}) == 1


def test_unset_required_settings_and_empty_secrets() -> None:
    values = {
        "webhook": {"url": "https://x.example"},
        "login": {"method": "oidc", "oidc": {"client_secret": ""}},
    }
    lines = _lines(report(from_mapping(EMC, values, {})))
    assert lines["emc.database_url"].startswith("emc.database_url = (not set)")
    assert lines["emc.webhook.secret"].startswith("emc.webhook.secret = (not set)")
    assert lines["emc.login.oidc.client_secret"].startswith('emc.login.oidc.client_secret = ""')
    assert lines["emc.title"].startswith('emc.title = "EMREX"') and lines["emc.title"].endswith("# default")
    # A value given as a mapping (no file) says so.
    assert lines["emc.webhook.url"].endswith("# given")


def test_secrets_of_the_results_source_are_masked_and_may_come_from_files(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("sis-bearer-token\n", encoding="utf-8")
    values = {"source": {"type": "rest", "url": "https://sis.example", "headers": {"X-Key": "abc"}}}
    loaded = from_mapping(EMP, values, {"EMREX_EMP_SOURCE__TOKEN_FILE": str(token)})
    assert loaded.data["source"]["token"] == "sis-bearer-token"
    text = report(loaded)
    assert "sis-bearer-token" not in text and "abc" not in text
    lines = _lines(text)
    assert lines["source.token"].startswith("source.token = ********")
    assert lines["source.headers"].startswith("source.headers = ********")
    assert lines["source.url"].startswith('source.url = "https://sis.example"')
