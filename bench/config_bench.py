"""Configuration start-up: our reader against pydantic-settings, on a full EMP configuration.

Run one process per measurement (a tool that times whole processes, or /usr/bin/time -v):
  .venv/bin/python bench/config_bench.py own       # import + read + typo checks of emrex.config
  .venv/bin/python bench/config_bench.py full      # + the EMP's typed settings (emrex.emp.config)
  .venv/bin/python bench/config_bench.py pydantic  # the same settings as a pydantic-settings model
  .venv/bin/python bench/config_bench.py errors    # the error each gives for the same mistakes
pydantic-settings is not a dependency: install it into the venv to compare (pip install pydantic-settings).
The file and environment are written to a temporary folder; ``own`` also prints nothing, so that
only the start-up is timed.
"""

# ruff: noqa: RUF012  (pydantic copies a model field's list or dict default; it is not shared)
from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

EMP_TOML = """
name = "Nordvik University EMREX"
base_url = "https://emrex.nordvik.example"
database_url = "postgresql://emrex@db.nordvik.example/emrex"
key_file = "/etc/emrex/emp-key.pem"
certificate_file = "/etc/emrex/emp-cert.pem"
institutions = ["nordvik.example"]
languages = ["en", "sv"]
session_minutes = 30
timezone = "Europe/Stockholm"
[server]
host = "127.0.0.1"
port = 8000
workers = 2
[source]
type = "sql"
[login]
method = "oidc"
[login.oidc]
issuer = "https://idp.nordvik.example"
client_id = "emrex"
scopes = ["openid", "profile", "email"]
[login.rate_limit]
requests_per_minute = 120
"""
ENVIRON = {"EMREX_EMP_SERVER__WORKERS": "4", "EMREX_EMP_LOGIN__OIDC__CLIENT_SECRET": "s3cret"}
MISTAKES = [
    ("a mistyped variable", {"EMREX_EMP_SERVER__WORKRS": "4"}, ""),
    ("a bad number", {"EMREX_EMP_SERVER__WORKERS": "four"}, ""),
    ("a mistyped file key", {}, "[login.oidc]\nclient_idd = 'x'\n"),
]


def _file(folder: Path, extra: str = "") -> Path:
    path = folder / "emp.toml"
    text = EMP_TOML if not extra else EMP_TOML.replace("[login.oidc]\n", extra, 1)
    path.write_text(text, encoding="utf-8")
    return path


def own(path: Path, environ: dict[str, str]) -> Any:
    from emrex.config import read
    from emrex.config.services import EMP

    return read(EMP, path, environ)


def full(path: Path, environ: dict[str, str]) -> Any:
    from emrex.emp.config import load_settings

    return load_settings(path, environ)


def pydantic(path: Path, environ: dict[str, str]) -> Any:
    import os

    from pydantic import BaseModel, ConfigDict, SecretStr
    from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
    from pydantic_settings import TomlConfigSettingsSource as Toml

    class Strict(BaseModel):
        model_config = ConfigDict(extra="forbid")

    class Server(Strict):
        host: str = "127.0.0.1"
        port: int = 8000
        workers: int = 1
        header_timeout_seconds: float = 10.0
        read_timeout_seconds: float = 30.0
        body_timeout_seconds: float = 300.0

    class Oidc(Strict):
        issuer: str
        client_id: str
        client_secret: SecretStr = SecretStr("")
        discovery_url: str = ""
        scopes: list[str] = ["openid", "profile", "email"]
        redirect_uri: str = ""
        claims: dict[str, str] = {}
        birth_date_format: str = "%Y-%m-%d"
        identifiers: dict[str, str] = {}
        timeout_seconds: int = 10

    class Headers(Strict):
        trusted_proxies: list[str]
        attributes: dict[str, str] = {}
        birth_date_format: str = "%Y%m%d"
        identifiers: dict[str, str] = {}
        required: list[str] = ["subject", "given_names", "family_name"]
        separator: str = ";"

    class RateLimit(Strict):
        max_attempts_per_user: int = 5
        max_attempts_per_address: int = 20
        window_seconds: int = 300
        requests_per_minute: int = 60

    class Login(Strict):
        method: str
        production: bool = True
        oidc: Oidc | None = None
        headers: Headers | None = None
        default_roles: list[str] = ["student"]
        subject_roles: dict[str, list[str]] = {}
        rate_limit: RateLimit = RateLimit()
        logout_url: str = "/"

    class Emp(BaseSettings):
        model_config = SettingsConfigDict(
            env_prefix="EMREX_EMP_", env_nested_delimiter="__", extra="forbid", toml_file=path
        )
        name: str = "EMREX data provider"
        base_url: str
        entry_path: str = "/emrex"
        production: bool = True
        database_url: str = "sqlite:///emrex-emp.db"
        key_file: Path
        certificate_file: Path
        key_password: SecretStr = SecretStr("")
        institutions: list[str] = []
        languages: list[str] = ["en", "sv"]
        default_language: str = "en"
        session_minutes: int = 30
        dev_http_hosts: list[str] = []
        client_hosts: list[str] = []
        whole_programme_only: bool = False
        seal_transcript: bool = False
        results_cache_minutes: int = 10
        timezone: str = "UTC"
        server: Server = Server()
        source: dict[str, Any] = {"type": "sql"}
        login: Login

        @classmethod
        def settings_customise_sources(
            cls, settings_cls: type[BaseSettings], *sources: PydanticBaseSettingsSource, **named: Any
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return named["env_settings"], Toml(settings_cls)

    os.environ.update(environ)
    return Emp()  # type: ignore[call-arg]


def errors(folder: Path) -> None:
    import os

    for what, environ, extra in MISTAKES:
        print(f"## {what}")
        for name, load in (("own", full), ("pydantic", pydantic)):
            saved = dict(os.environ)
            try:
                load(_file(folder, extra), {**ENVIRON, **environ})
                print(f"{name}: accepted")
            except Exception as error:  # the message is what is compared
                print(f"{name}: {type(error).__name__}: {error}")
            finally:
                os.environ.clear()
                os.environ.update(saved)


def main(argv: list[str]) -> int:
    mode = argv[1] if len(argv) > 1 else "own"
    with tempfile.TemporaryDirectory() as folder:
        if mode == "errors":
            errors(Path(folder))
            return 0
        load = {"own": own, "full": full, "pydantic": pydantic}[mode]
        load(_file(Path(folder)), dict(ENVIRON))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
