"""The EMC's configuration: one TOML file (``[emc]`` and its tables), with environment overrides.

Every problem raises ``EmcConfigError`` naming the setting (``emc.identity.tolerance: ...``) and the
file or variable it came from. An environment variable ``EMREX_EMC_<KEY>`` or
``EMREX_EMC_<TABLE>__<KEY>`` (``EMREX_EMC_DATABASE_URL``, ``EMREX_EMC_WEBHOOK__SECRET``,
``EMREX_EMC_LOGIN__OIDC__CLIENT_SECRET``) replaces the file's value; a secret may come from a file
(``EMREX_EMC_WEBHOOK__SECRET_FILE``); lists are comma-separated. ``emrex.config.services.EMC`` and
docs/EMC.md list every setting.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from emrex.config import ConfigError, Loaded, from_mapping, read
from emrex.config.services import EMC
from emrex.elm.edc_seal import SealSettings, SealSetupError, seal_settings
from emrex.elmo.codec import DEFAULT_LIMITS, CodecLimits
from emrex.identity import DEFAULT_IDENTITY_POLICY, IdentityPolicy
from emrex.trust.policy import DEFAULT_POLICY, VerifyPolicy
from emrex.web.login.settings import LoginSettings, with_service_base_url
from emrex.web.login.table import LoginConfigError
from emrex.web.look import Look, LookError, page_names, parse_look
from emrex.web.server import ServerTimeouts
from emrex.web.settings import LANGUAGES, LOCAL_HOSTS, MB, WalletSettings, WebConfigError, WebSettings

ENV_PREFIX = "EMREX_EMC_"
# The pages local texts may be given for (emc.look.texts): the EMC's and credit recognition's.
PAGES = page_names(
    Path(__file__).parent / "templates" / "emc",
    Path(__file__).parent / "recognition" / "templates" / "recognition",
)
DEFAULT_POST_MB = DEFAULT_LIMITS.max_encoded_bytes // MB
_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")


class EmcConfigError(ConfigError):
    """A setting of the EMC is missing or unusable; the message names it."""


@dataclass(frozen=True)
class WebhookSettings:
    url: str
    secret: str
    max_attempts: int = 8
    backoff_seconds: float = 30.0
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class RecognitionSettings:
    """Credit recognition (``emrex.emc.recognition``): what its case numbers and decisions say."""

    case_prefix: str = "CR"  # case numbers: CR-2026-00042
    institution: str = ""  # named in decisions and the appeal notice; empty: the service title
    appeal_weeks: int = 3  # the time to appeal a refusal, counted from receiving the decision
    appeal_address: str = ""  # where an appeal is sent (postal or e-mail address), shown when given
    legal_basis: str = ""  # cited in decisions, e.g. "Higher Education Ordinance (1993:100) ch. 6 §§ 6–8"
    max_attachment_bytes: int = 10 * MB


@dataclass(frozen=True)
class EwpClientSettings:
    """Fetching transcripts over EWP (``emrex.emc.ewp_fetch``): our EWP client key (PEM file) and the
    EWP registry catalogue (a URL or a file) that lists the partners, their keys and certificates."""

    client_key: Path
    catalogue: str
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class WalletImportSettings:
    """ "Import from my wallet" (``emrex.emc.wallet_import``, OpenID4VP): the key that signs presentation
    requests and its certificate (naming the EMC's host in subjectAltName), and the CA certificates of
    the credential issuers whose credentials are accepted."""

    key_file: Path
    cert_file: Path
    trust: tuple[Path, ...]
    name: str = ""  # shown to the student in the wallet; default: the EMC's title
    web_wallet_url: str = ""  # a web wallet's authorization endpoint: the request page links there too
    # A credential that carries no original ELMO signed by its data provider (plain ELM, as DC4EU
    # issues): refused (False), or converted to ELMO and stored marked as vouched for by the wallet
    # issuer alone (True).
    accept_without_signed_elmo: bool = False


@dataclass(frozen=True)
class EmcSettings:
    web: WebSettings
    login: LoginSettings
    database_url: str
    registry_sources: tuple[str, ...]
    registry_cache_dir: Path | None = None
    registry_max_age: timedelta = timedelta(hours=1)
    registry_timeout: float = 10.0
    transfer_lifetime: timedelta = timedelta(minutes=60)
    verify_policy: VerifyPolicy = DEFAULT_POLICY
    identity_policy: IdentityPolicy = DEFAULT_IDENTITY_POLICY
    codec_limits: CodecLimits = DEFAULT_LIMITS
    clock_skew: timedelta = timedelta(minutes=5)  # how much older than its transfer a document may be
    max_concurrent_verifications: int = 2  # per process; more answers at once wait, then get a 503
    max_open_transfers: int = 5  # per student, waiting for their data provider
    api_token_hashes: tuple[str, ...] = ()  # "sha256:<hex>" of each token
    webhook: WebhookSettings | None = None
    raw_retention: timedelta | None = None  # None: raw documents are kept until deleted
    purge_at_start: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    server_timeouts: ServerTimeouts = field(default_factory=ServerTimeouts)
    title: str = "EMREX"
    recognition: RecognitionSettings = RecognitionSettings()
    ewp: EwpClientSettings | None = None  # None: no EWP fetching
    seal: SealSettings | None = None  # None: no sealed credentials are offered
    seal_trust: tuple[Path, ...] = ()  # CA certificates /verify accepts seals up to
    wallet_import: WalletImportSettings | None = None  # None: no "Import from my wallet"
    wallet: WalletSettings | None = None  # None: no "Add to my wallet"
    look: Look = field(default_factory=Look)  # name, logo, colours and local texts (emc.look)
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def return_url(self) -> str:
        return self.web.base_url.rstrip("/") + RETURN_PATH


RETURN_PATH = "/emrex/return"


def hash_token(token: str) -> str:
    """What goes into ``emc.api.token_hashes`` for an API token."""
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


def load_settings(path: str | Path, environ: Mapping[str, str] | None = None) -> EmcSettings:
    """The settings of the ``[emc]`` table of the file, the environment (default: this process's) over it."""
    return read_settings(path, environ)[0]


def read_settings(path: str | Path, environ: Mapping[str, str] | None = None) -> tuple[EmcSettings, Loaded]:
    """The settings and what they were read from (for ``emrex emc check-config``)."""
    path = Path(path)
    loaded = read(EMC, path, os.environ if environ is None else environ, EmcConfigError)
    return settings_from_loaded(loaded, base_dir=path.parent), loaded


def settings_from_mapping(
    config: Mapping[str, Any], environ: Mapping[str, str] | None = None, *, base_dir: Path | None = None
) -> EmcSettings:
    """Settings from an already parsed ``[emc]`` table with ``environ`` over it."""
    return settings_from_loaded(from_mapping(EMC, config, environ or {}, EmcConfigError), base_dir=base_dir)


def settings_from_loaded(loaded: Loaded, *, base_dir: Path | None = None) -> EmcSettings:
    """The typed settings of what the reader merged; an error names its file or variable too."""
    try:
        return _settings(loaded.data, base_dir)
    except ConfigError as error:
        raise loaded.locate(error) from None


def _settings(merged: Mapping[str, Any], base_dir: Path | None) -> EmcSettings:
    r = _Table(merged, "emc")
    base_url = r.string("base_url")
    languages = tuple(r.strings("languages", list(LANGUAGES)))
    dev_hosts = tuple(r.strings("dev_http_hosts", []))
    try:
        web = WebSettings(
            base_url=base_url,
            secure_cookies=urlsplit(base_url).scheme == "https",
            dev_http_hosts=dev_hosts,
            languages=languages,
            default_language=r.string("default_language", languages[0] if languages else "en"),
            max_protocol_bytes=r.sub("limits").positive("max_post_mb", DEFAULT_POST_MB) * MB,
        )
    except WebConfigError as error:
        raise EmcConfigError(f"emc.base_url/languages: {error}") from None
    if "login" not in merged:
        raise EmcConfigError("emc.login: missing; configure how students and staff log in")
    try:
        table = merged["login"]
        if isinstance(table, Mapping):
            table = with_service_base_url(table, base_url)
        login = LoginSettings.from_mapping(table, prefix="emc.login")
    except LoginConfigError as error:
        raise EmcConfigError(str(error)) from None

    reg = r.sub("registry")
    sources = tuple(reg.strings("sources"))
    if not sources:
        raise EmcConfigError("emc.registry.sources: name at least one registry (a URL or a file)")
    cache_dir = reg.string("cache_dir", "")
    verification = r.sub("verification")
    sha1 = verification.string("sha1", "allow")
    if sha1 not in ("allow", "reject"):
        raise EmcConfigError(f"emc.verification.sha1: {sha1!r} is neither 'allow' nor 'reject'")
    skew = verification.integer("clock_skew_minutes", 5)
    if skew < 0:
        raise EmcConfigError("emc.verification.clock_skew_minutes: must be 0 or more")
    ident = r.sub("identity")
    try:
        identity = IdentityPolicy(
            tolerance=ident.number("tolerance", 0.1), review_tolerance=ident.number("review_tolerance", 0.3)
        )
    except ValueError as error:
        raise EmcConfigError(f"emc.identity: {error}") from None
    limits = r.sub("limits")
    codec = CodecLimits(
        max_encoded_bytes=limits.positive("max_post_mb", DEFAULT_POST_MB) * MB,
        max_decoded_bytes=limits.positive("max_decoded_mb", DEFAULT_LIMITS.max_decoded_bytes // MB) * MB,
        max_ratio=limits.positive("max_ratio", DEFAULT_LIMITS.max_ratio),
        max_elements=limits.positive("max_elements", DEFAULT_LIMITS.max_elements),
    )
    hashes = tuple(r.sub("api").strings("token_hashes", []))
    for i, value in enumerate(hashes):
        if not _HASH.match(value):
            raise EmcConfigError(
                f"emc.api.token_hashes[{i}]: expected 'sha256:' and 64 hex digits (emrex emc hash-token)"
            )
    server = r.sub("server")
    try:
        timeouts = ServerTimeouts(
            header_seconds=server.number("header_timeout_seconds", ServerTimeouts.header_seconds),
            read_seconds=server.number("read_timeout_seconds", ServerTimeouts.read_seconds),
            body_seconds=server.number("body_timeout_seconds", ServerTimeouts.body_seconds),
        )
    except ValueError as error:
        raise EmcConfigError(f"emc.server: {error}") from None
    retention = r.sub("retention")
    raw_days = retention.integer("raw_days", 0)
    if raw_days < 0:
        raise EmcConfigError("emc.retention.raw_days: must be 0 (keep) or a number of days")
    return EmcSettings(
        web=web,
        login=login,
        database_url=r.string("database_url"),
        registry_sources=tuple(_resolve(s, base_dir) for s in sources),
        registry_cache_dir=Path(_resolve(cache_dir, base_dir)) if cache_dir else None,
        registry_max_age=timedelta(minutes=reg.positive("max_age_minutes", 60)),
        registry_timeout=reg.number("timeout_seconds", 10.0),
        transfer_lifetime=timedelta(minutes=r.positive("transfer_minutes", 60)),
        verify_policy=VerifyPolicy(
            sha1=sha1,  # type: ignore[arg-type]
            max_bytes=codec.max_decoded_bytes,
            max_elements=codec.max_elements,
        ),
        identity_policy=identity,
        codec_limits=codec,
        clock_skew=timedelta(minutes=skew),
        max_concurrent_verifications=limits.positive("max_concurrent_verifications", 2),
        max_open_transfers=limits.positive("max_open_transfers", 5),
        api_token_hashes=hashes,
        webhook=_webhook(r.sub("webhook"), dev_hosts) if "webhook" in merged else None,
        raw_retention=timedelta(days=raw_days) if raw_days else None,
        purge_at_start=retention.boolean("purge_at_start", False),
        host=r.string("host", "127.0.0.1"),
        port=r.integer("port", 8000),
        server_timeouts=timeouts,
        title=r.string("title", "EMREX"),
        recognition=_recognition(r.sub("recognition"), web.max_protocol_bytes),
        ewp=_ewp(r.sub("ewp"), base_dir) if "ewp" in merged else None,
        seal=_seal(r.sub("seal"), base_dir) if "seal" in merged else None,
        seal_trust=tuple(Path(_resolve(f, base_dir)) for f in verification.strings("seal_trust", [])),
        wallet_import=(
            _wallet_import(r.sub("wallet_import"), base_dir, dev_hosts) if "wallet_import" in merged else None
        ),
        wallet=_wallet(r.sub("wallet"), base_dir, dev_hosts) if "wallet" in merged else None,
        look=_look(merged.get("look"), languages, base_dir),
    )


def _look(table: Any, languages: tuple[str, ...], base_dir: Path | None) -> Look:
    try:
        return parse_look(table, where="emc.look", pages=PAGES, languages=languages, base_dir=base_dir)
    except LookError as error:
        raise EmcConfigError(str(error)) from None


def _wallet_import(r: _Table, base_dir: Path | None, dev_hosts: tuple[str, ...]) -> WalletImportSettings:
    trust = tuple(Path(_resolve(f, base_dir)) for f in r.strings("trust", []))
    if not trust:
        raise EmcConfigError("emc.wallet_import.trust: name at least one CA certificate file of an issuer")
    return WalletImportSettings(
        key_file=Path(_resolve(r.string("key_file"), base_dir)),
        cert_file=Path(_resolve(r.string("cert_file"), base_dir)),
        trust=trust,
        name=" ".join(r.string("name", "").split())[:200],
        web_wallet_url=_web_wallet(r, "emc.wallet_import", dev_hosts),
        accept_without_signed_elmo=r.boolean("accept_without_signed_elmo", False),
    )


def _wallet(r: _Table, base_dir: Path | None, dev_hosts: tuple[str, ...]) -> WalletSettings:
    return WalletSettings(
        key_file=Path(_resolve(r.string("key_file"), base_dir)),
        cert_file=Path(_resolve(r.string("cert_file"), base_dir)),
        name=" ".join(r.string("name", "").split())[:200],
        web_wallet_url=_web_wallet(r, "emc.wallet", dev_hosts),
    )


def _web_wallet(r: _Table, where: str, dev_hosts: tuple[str, ...]) -> str:
    """A web wallet's endpoint, to which the wallet links are also offered with their query (OpenID4VCI
    and OpenID4VP let a wallet publish an https endpoint instead of the custom scheme): an https URL
    without query or fragment; plain http only on a development host."""
    url = r.string("web_wallet_url", "")
    if not url:
        return ""
    parts = urlsplit(url)
    if (
        parts.scheme not in ("https", "http")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or (parts.scheme == "http" and parts.hostname not in dev_hosts)
    ):
        raise EmcConfigError(
            f"{where}.web_wallet_url: expected an https URL without query or fragment (plain http only on "
            f"a host of dev_http_hosts), got {url[:100]!r}"
        )
    return url


def _ewp(r: _Table, base_dir: Path | None) -> EwpClientSettings:
    timeout = r.number("timeout_seconds", 30.0)
    if not 0 < timeout <= 600:
        raise EmcConfigError("emc.ewp.timeout_seconds: expected more than 0 and at most 600")
    return EwpClientSettings(
        client_key=Path(_resolve(r.string("client_key"), base_dir)),
        catalogue=_resolve(r.string("catalogue"), base_dir),
        timeout_seconds=timeout,
    )


def _seal(r: _Table, base_dir: Path | None) -> SealSettings:
    try:
        return seal_settings(
            Path(_resolve(r.string("key_file"), base_dir)),
            Path(_resolve(r.string("cert_file"), base_dir)),
            r.string("issuer_name"),
            r.string("issuer_country"),
            r.string("issuer_id"),
            where="emc.seal",
        )
    except SealSetupError as error:
        raise EmcConfigError(str(error)) from None


_CASE_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,11}$")


def _recognition(r: _Table, max_post: int) -> RecognitionSettings:
    prefix = r.string("case_prefix", "CR")
    if not _CASE_PREFIX.match(prefix):
        raise EmcConfigError("emc.recognition.case_prefix: 1 to 12 letters or digits, starting with a letter")
    weeks = r.positive("appeal_weeks", 3)
    if weeks > 52:
        raise EmcConfigError("emc.recognition.appeal_weeks: at most 52")
    size = r.positive("max_attachment_mb", 10) * MB
    if size >= max_post:
        if "max_attachment_mb" in r.config:
            raise EmcConfigError(
                "emc.recognition.max_attachment_mb: must be less than emc.limits.max_post_mb"
            )
        size = max_post // 2  # the default, for a service whose posts are smaller than usual
    return RecognitionSettings(
        case_prefix=prefix,
        institution=" ".join(r.string("institution", "").split())[:200],
        appeal_weeks=weeks,
        appeal_address=" ".join(r.string("appeal_address", "").split())[:300],
        legal_basis=" ".join(r.string("legal_basis", "").split())[:300],
        max_attachment_bytes=size,
    )


def _webhook(r: _Table, dev_hosts: tuple[str, ...]) -> WebhookSettings:
    url = r.string("url")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise EmcConfigError(f"emc.webhook.url: {url!r} is not an http(s) URL")
    if parts.scheme == "http" and parts.hostname not in (*LOCAL_HOSTS, *dev_hosts):
        raise EmcConfigError("emc.webhook.url: use https (plain http only to this machine or dev_http_hosts)")
    secret = r.string("secret")
    if len(secret) < 16:
        raise EmcConfigError("emc.webhook.secret: use at least 16 characters")
    return WebhookSettings(
        url=url,
        secret=secret,
        max_attempts=r.positive("max_attempts", 8),
        backoff_seconds=r.number("backoff_seconds", 30.0),
        timeout_seconds=r.number("timeout_seconds", 10.0),
    )


def _resolve(source: str, base_dir: Path | None) -> str:
    if base_dir is None or "://" in source or Path(source).is_absolute():
        return source
    return str(base_dir / source)


class _Table:
    def __init__(self, config: Mapping[str, Any], name: str) -> None:
        self.config = config
        self.name = name

    def sub(self, key: str) -> _Table:
        value = self.config.get(key, {})
        if not isinstance(value, Mapping):
            raise EmcConfigError(f"{self.name}.{key}: expected a table of settings")
        return _Table(value, f"{self.name}.{key}")

    def _get(self, key: str, default: Any) -> Any:
        if key in self.config:
            return self.config[key]
        if default is _MISSING:
            raise EmcConfigError(f"{self.name}.{key}: missing")
        return default

    def string(self, key: str, default: Any = None) -> str:
        value = self._get(key, _MISSING if default is None else default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            raise EmcConfigError(f"{self.name}.{key}: expected a text value")
        return value.strip()

    def strings(self, key: str, default: list[str] | None = None) -> list[str]:
        value = self._get(key, _MISSING if default is None else default)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise EmcConfigError(f"{self.name}.{key}: expected a list of text values")
        return [v.strip() for v in value]

    def integer(self, key: str, default: int) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise EmcConfigError(f"{self.name}.{key}: expected a whole number")
        return value

    def positive(self, key: str, default: int) -> int:
        value = self.integer(key, default)
        if value <= 0:
            raise EmcConfigError(f"{self.name}.{key}: must be greater than 0")
        return value

    def number(self, key: str, default: float) -> float:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise EmcConfigError(f"{self.name}.{key}: expected a number of 0 or more")
        return float(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise EmcConfigError(f"{self.name}.{key}: expected true or false")
        return value


_MISSING = object()
