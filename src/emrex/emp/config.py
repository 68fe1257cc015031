"""EMP configuration: a TOML file, every setting also from the environment (``emrex.config``).

Environment variables override the file: ``EMREX_EMP_<NAME>`` for a top-level setting (for example
``EMREX_EMP_DATABASE_URL``), with ``__`` between table levels for nested ones (for example
``EMREX_EMP_LOGIN__OIDC__CLIENT_SECRET``, ``EMREX_EMP_SERVER__WORKERS``); a secret also from a file
(``EMREX_EMP_KEY_PASSWORD_FILE``). ``emrex.config.services.EMP`` lists every setting. Every error
names the setting, and the file or variable it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from emrex.config import ConfigError, Loaded, from_mapping, read
from emrex.config.services import EMP
from emrex.elm.edc_seal import SealSettings, SealSetupError, seal_settings
from emrex.emp.ewp_settings import EwpServing, EwpSettingsError, ewp_serving
from emrex.emp.oots_settings import OotsConfigError, oots_settings
from emrex.web.look import Look, LookError, page_names, parse_look
from emrex.web.server import ServerTimeouts
from emrex.web.settings import LANGUAGES, LOCAL_HOSTS, WalletSettings

ENV_PREFIX = "EMREX_EMP_"
DEFAULT_DATABASE_URL = "sqlite:///emrex-emp.db"
PAGES = page_names(Path(__file__).parent / "templates" / "emp")  # the pages local texts may be given for


class EmpConfigError(ConfigError):
    """A setting is missing or unusable; the message names it."""


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    timeouts: ServerTimeouts = field(default_factory=ServerTimeouts)


@dataclass(frozen=True)
class EmpSettings:
    base_url: str
    key_file: Path
    certificate_file: Path
    login: Mapping[str, Any]
    source: Mapping[str, Any] = field(default_factory=lambda: {"type": "sql"})
    name: str = "EMREX data provider"
    entry_path: str = "/emrex"
    production: bool = True
    database_url: str = DEFAULT_DATABASE_URL
    key_password: str | None = field(default=None, repr=False)
    institutions: tuple[str, ...] = ()
    languages: tuple[str, ...] = LANGUAGES
    default_language: str = "en"
    session_lifetime: timedelta = timedelta(minutes=30)
    dev_http_hosts: tuple[str, ...] = ()
    client_hosts: tuple[str, ...] = ()
    # The EMREX clients' names by the host (or host:port) of their returnUrl, for the pages: "Cancel and
    # return to Lindholm University" rather than the host. The protocol does not carry a client's name.
    client_names: Mapping[str, str] = field(default_factory=dict)
    whole_programme_only: bool = False
    seal_transcript: bool = False  # a PAdES seal on the PDF transcript, with key_file and certificate_file
    results_cache: timedelta = timedelta(minutes=10)  # see emp.results_cache; 0 turns it off
    timezone: str = "UTC"
    server: ServerSettings = ServerSettings()
    oots: Mapping[str, Any] | None = None  # the [oots] table: an OOTS evidence provider (emp.oots_settings)
    ewp: EwpServing | None = None  # serving transcripts over EWP (emrex.emp.ewp_settings)
    seal: SealSettings | None = None  # [seal]: OOTS evidence and exports get a sealed EDC (elm.edc_seal)
    wallet: WalletSettings | None = None  # [wallet]: the EMP as a wallet issuer (emrex.emp.export)
    look: Look = field(
        default_factory=Look
    )  # [look]: the institution's name, logo, colours and local texts (emrex.web.look)

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.path not in ("", "/"):
            raise EmpConfigError(
                f"base_url: {self.base_url!r} must be the service's root URL, like https://emp.uni.example"
            )
        if parts.scheme == "http" and parts.hostname not in self.http_hosts:
            raise EmpConfigError(
                "base_url: plain http is only for development (production = false, localhost)"
            )
        if not self.entry_path.startswith("/") or self.entry_path.startswith(("//", "/static", "/login")):
            raise EmpConfigError(f"entry_path: {self.entry_path!r} must be a path like /emrex")
        if self.production and self.dev_http_hosts:
            raise EmpConfigError("dev_http_hosts: plain-http clients are refused when production is true")
        if self.default_language not in self.languages:
            raise EmpConfigError(f"default_language: {self.default_language!r} is not in languages")
        if self.session_lifetime <= timedelta(0):
            raise EmpConfigError("session_minutes: must be positive")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise EmpConfigError(
                f"timezone: {self.timezone!r} is not a known time zone (e.g. Europe/Stockholm)"
            ) from None

    @property
    def http_hosts(self) -> frozenset[str]:
        """Hosts reachable over plain http: the configured ones, plus localhost outside production."""
        hosts = {h.lower() for h in self.dev_http_hosts}
        if not self.production:
            hosts.update(LOCAL_HOSTS)
        return frozenset(hosts)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def client_name(self, return_url: str) -> str:
        """The client as students know it: its configured name, else the host of its returnUrl."""
        parts = urlsplit(return_url)
        host = (parts.hostname or "").lower()
        try:
            port = parts.port
        except ValueError:
            port = None
        named = self.client_names.get(f"{host}:{port}") if port else None
        return named or self.client_names.get(host) or host


def load_settings(path: str | Path | None, environ: Mapping[str, str] | None = None) -> EmpSettings:
    """Settings from the TOML file at ``path`` (optional) overridden by ``environ``."""
    return read_settings(path, environ)[0]


def read_settings(
    path: str | Path | None, environ: Mapping[str, str] | None = None
) -> tuple[EmpSettings, Loaded]:
    """The settings and what they were read from (for ``emrex emp check-config``)."""
    loaded = read(EMP, path, environ or {}, EmpConfigError)
    return settings_from_loaded(loaded), loaded


def settings_from_mapping(data: Mapping[str, Any]) -> EmpSettings:
    """Settings from an already parsed mapping (no environment)."""
    return settings_from_loaded(from_mapping(EMP, data, {}, EmpConfigError))


def settings_from_loaded(loaded: Loaded) -> EmpSettings:
    """The typed settings of what the reader merged; an error names its file or variable too."""
    try:
        return _settings(loaded.data)
    except ConfigError as error:
        raise loaded.locate(error) from None


def _settings(data: Mapping[str, Any]) -> EmpSettings:
    r = _Reader(data)
    production = r.boolean("production", True)
    login = data.get("login")
    if not isinstance(login, Mapping):
        raise EmpConfigError('login: missing table (method = "oidc", "headers" or "demo")')
    login = dict(login)
    login.setdefault("production", production)
    oidc = login.get("oidc")
    if login.get("method") == "oidc" and isinstance(oidc, Mapping) and not oidc.get("redirect_uri"):
        # Behind a proxy the app cannot tell its public address from the request: use base_url.
        base = data.get("base_url")
        if isinstance(base, str):
            login["oidc"] = {**oidc, "redirect_uri": base.strip().rstrip("/") + "/login/callback"}
    # Kept here: emrex.web.login brings in the whole login stack (this module alone 800 modules,
    # with it 1190); `emrex emp check-config` and the CLI's other config readers stay light.
    from emrex.web.login.settings import with_service_base_url

    login = dict(with_service_base_url(login, data.get("base_url")))
    source = data.get("source", {"type": "sql"})
    if not isinstance(source, Mapping):
        raise EmpConfigError("source: expected a table")
    server_data = data.get("server", {})
    if not isinstance(server_data, Mapping):
        raise EmpConfigError("server: expected a table")
    s = _Reader(server_data, "server.")
    server = ServerSettings(
        host=s.text("host", "127.0.0.1"),
        port=s.integer("port", 8000, 1, 65535),
        workers=s.integer("workers", 1, 1, 64),
        timeouts=ServerTimeouts(
            header_seconds=s.seconds("header_timeout_seconds", ServerTimeouts.header_seconds),
            read_seconds=s.seconds("read_timeout_seconds", ServerTimeouts.read_seconds),
            body_seconds=s.seconds("body_timeout_seconds", ServerTimeouts.body_seconds),
        ),
    )
    key_password = r.text("key_password", "") or None
    settings = EmpSettings(
        name=r.text("name", "EMREX data provider"),
        base_url=r.text("base_url"),
        entry_path=r.text("entry_path", "/emrex"),
        production=production,
        database_url=r.text("database_url", DEFAULT_DATABASE_URL),
        key_file=Path(r.text("key_file")),
        certificate_file=Path(r.text("certificate_file")),
        key_password=key_password,
        institutions=r.texts("institutions", ()),
        languages=r.texts("languages", LANGUAGES),
        default_language=r.text("default_language", "en"),
        session_lifetime=timedelta(minutes=r.integer("session_minutes", 30, 1, 24 * 60)),
        dev_http_hosts=tuple(h.lower() for h in r.texts("dev_http_hosts", ())),
        client_hosts=tuple(h.lower() for h in r.texts("client_hosts", ())),
        client_names=_client_names(data.get("client_names")),
        whole_programme_only=r.boolean("whole_programme_only", False),
        seal_transcript=r.boolean("seal_transcript", False),
        results_cache=timedelta(minutes=r.integer("results_cache_minutes", 10, 0, 24 * 60)),
        timezone=r.text("timezone", "UTC"),
        login=login,
        source=dict(source),
        server=server,
        oots=_oots_table(data.get("oots"), r.text("base_url"), sealed="seal" in data),
        ewp=_ewp(data.get("ewp"), data.get("base_url")),
        seal=_seal(data.get("seal")),
        wallet=_wallet(data.get("wallet")),
        look=_look(data.get("look"), r.texts("languages", LANGUAGES)),
    )
    from emrex.web.login import LoginConfigError, LoginSettings  # kept lazy: see with_service_base_url above

    try:
        LoginSettings.from_mapping(settings.login)
    except LoginConfigError as error:
        raise EmpConfigError(str(error)) from None
    return settings


def _client_names(table: Any) -> dict[str, str]:
    """[client_names]: host (or host:port) = the name students know the client by."""
    if table is None:
        return {}
    if not isinstance(table, Mapping):
        raise EmpConfigError('client_names: expected a table like "emc.uni.example" = "Lindholm University"')
    names: dict[str, str] = {}
    for host, name in table.items():
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise EmpConfigError(f"client_names.{host}: expected a name (1 to 200 characters), got {name!r}")
        names[str(host).strip().lower()] = name.strip()
    return names


def _oots_table(value: Any, base_url: str, *, sealed: bool) -> Mapping[str, Any] | None:
    """The [oots] table as given, after checking that it makes an evidence provider (``sealed``: with a
    [seal] table, whose EDC the evidence may carry)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise EmpConfigError("oots: expected a table")
    try:
        oots_settings(value, base_url, sealed=sealed)
    except OotsConfigError as error:
        raise EmpConfigError(str(error)) from None
    return dict(value)


def _look(table: Any, languages: tuple[str, ...]) -> Look:
    try:
        return parse_look(table, where="look", pages=PAGES, languages=languages)
    except LookError as error:
        raise EmpConfigError(str(error)) from None


def _seal(table: Any) -> SealSettings | None:
    """The [seal] table: the EDC seal's files and issuer (the certificate is checked at start)."""
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise EmpConfigError("seal: expected a table")
    r = _Reader(table, "seal.")
    try:
        return seal_settings(
            Path(r.text("key_file")),
            Path(r.text("cert_file")),
            r.text("issuer_name"),
            r.text("issuer_country"),
            r.text("issuer_id"),
            where="seal",
        )
    except SealSetupError as error:
        raise EmpConfigError(str(error)) from None


def _wallet(table: Any) -> WalletSettings | None:
    """The [wallet] table: the key and certificate that sign wallet credentials (checked at start)."""
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise EmpConfigError("wallet: expected a table")
    r = _Reader(table, "wallet.")
    name = " ".join(r.text("name", "").split())[:200]
    return WalletSettings(Path(r.text("key_file")), Path(r.text("cert_file")), name)


def _ewp(table: Any, base_url: Any) -> EwpServing | None:
    try:
        return ewp_serving(table, base_url if isinstance(base_url, str) else "")
    except EwpSettingsError as error:
        raise EmpConfigError(str(error)) from None


class _Reader:
    def __init__(self, data: Mapping[str, Any], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix

    def _get(self, key: str, default: Any) -> Any:
        if key in self.data:
            return self.data[key]
        if default is _REQUIRED:
            raise EmpConfigError(f"{self.prefix}{key}: missing")
        return default

    def text(self, key: str, default: Any = None) -> str:
        value = self._get(key, _REQUIRED if default is None else default)
        if not isinstance(value, str):
            raise EmpConfigError(f"{self.prefix}{key}: expected text, got {value!r}")
        if default is None and not value.strip():
            raise EmpConfigError(f"{self.prefix}{key}: must not be empty")
        return value.strip()

    def texts(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self._get(key, default)
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise EmpConfigError(f"{self.prefix}{key}: expected a list of text values")
        return tuple(v.strip() for v in value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise EmpConfigError(f"{self.prefix}{key}: expected true or false, got {value!r}")
        return value

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self._get(key, default)
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise EmpConfigError(f"{self.prefix}{key}: expected a whole number, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise EmpConfigError(
                f"{self.prefix}{key}: expected a whole number from {low} to {high}, got {value!r}"
            )
        return value

    def seconds(self, key: str, default: float) -> float:
        value = self._get(key, default)
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                value = None
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 86400:
            shown = self._get(key, default)
            raise EmpConfigError(f"{self.prefix}{key}: expected seconds (over 0, up to 86400), got {shown!r}")
        return float(value)


_REQUIRED = object()


EXAMPLE = """\
# EMREX data provider (emrex emp serve --config emp.toml). Every setting can also come from the
# environment: EMREX_EMP_BASE_URL, EMREX_EMP_LOGIN__OIDC__CLIENT_SECRET, ...
name = "Nordvik University EMREX"
base_url = "https://emrex.nordvik.example"
entry_path = "/emrex"
production = true
database_url = "postgresql://emrex@db.nordvik.example/emrex"
key_file = "/etc/emrex/emp-key.pem"
certificate_file = "/etc/emrex/emp-cert.pem"
institutions = ["nordvik.example"]
languages = ["en", "sv", "fi", "nb", "da"]
session_minutes = 30
client_hosts = []              # empty: any EMREX client may use this EMP
whole_programme_only = false
seal_transcript = false        # true: the PDF transcript carries a PAdES seal any PDF reader can check
results_cache_minutes = 10     # a session's results are fetched once and kept in memory; 0: every page
timezone = "Europe/Stockholm"

[server]
host = "127.0.0.1"
port = 8000
workers = 2
header_timeout_seconds = 10    # a request's headers must be complete within this
read_timeout_seconds = 30      # no read of a request body may wait longer
body_timeout_seconds = 300     # the whole body (a return with its PDF) must arrive within this

[client_names]                 # how the pages name a client (by its returnUrl's host), else the host
"emrex.lindholm.example" = "Lindholm University"

[source]
type = "sql"

[login]
method = "headers"
[login.headers]
trusted_proxies = ["127.0.0.1"]
"""
