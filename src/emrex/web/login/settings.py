"""Login configuration, read from a deployment's config mapping (for example a TOML table).

Every bad value raises ``LoginConfigError`` naming the setting, e.g. ``login.oidc.client_id``; unknown
keys are refused (``emrex.config.services.LOGIN`` lists the known ones).
"""

from __future__ import annotations

import ipaddress
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal, cast

from emrex.config.reader import refuse_unknown
from emrex.config.services import LOGIN
from emrex.web.login.demo import check_hash_format
from emrex.web.login.table import ROLES, LoginConfigError, TableReader

Method = Literal["oidc", "headers", "demo", "saml"]
METHODS: tuple[Method, ...] = ("oidc", "headers", "demo", "saml")
ATTRIBUTES = ("subject", "given_names", "family_name", "birth_date", "email")
OIDC_CLAIMS = {
    "subject": "sub",
    "given_names": "given_name",
    "family_name": "family_name",
    "birth_date": "birthdate",
    "email": "email",
}


@dataclass(frozen=True)
class RoleRule:
    """Grant ``role`` when the claim or attribute ``source`` has one of ``values``."""

    role: str
    source: str
    values: frozenset[str]


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str
    discovery_url: str = ""
    scopes: tuple[str, ...] = ("openid", "profile", "email")
    redirect_uri: str = ""  # empty: <this service>/login/callback
    # Which claim gives each person attribute.
    claims: Mapping[str, str] = field(default_factory=lambda: dict(OIDC_CLAIMS))
    birth_date_format: str = "%Y-%m-%d"
    identifiers: Mapping[str, str] = field(default_factory=dict)  # identifier type -> claim
    timeout_seconds: float = 10.0

    @property
    def metadata_url(self) -> str:
        return self.discovery_url or self.issuer.rstrip("/") + "/.well-known/openid-configuration"


@dataclass(frozen=True)
class HeaderSettings:
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    attributes: Mapping[str, str] = field(
        default_factory=lambda: {
            "subject": "eppn",
            "given_names": "givenName",
            "family_name": "sn",
            "birth_date": "schacDateOfBirth",
            "email": "mail",
        }
    )
    birth_date_format: str = "%Y%m%d"
    identifiers: Mapping[str, str] = field(
        default_factory=lambda: {
            "eppn": "eppn",
            "schacPersonalUniqueCode": "schacPersonalUniqueCode",
            "nationalIdentifier": "norEduPersonNIN",
        }
    )
    required: tuple[str, ...] = ("subject", "given_names", "family_name")
    separator: str = ";"


SAML_ATTRIBUTES = {
    "subject": "eduPersonPrincipalName",
    "given_names": "givenName",
    "family_name": "sn",
    "birth_date": "schacDateOfBirth",
    "email": "mail",
}
SAML_IDENTIFIERS = {
    "eppn": "eduPersonPrincipalName",
    "schacPersonalUniqueCode": "schacPersonalUniqueCode",
    "nationalIdentifier": "norEduPersonNIN",
}
NAME_ID_TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
NAME_ID_FORMATS = (
    NAME_ID_TRANSIENT,
    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
)
MAX_CLOCK_SKEW = 300


@dataclass(frozen=True)
class SamlSettings:
    """The SAML service provider (``emrex.web.login.saml``); attribute names are friendly names
    (``eduPersonPrincipalName``), matched to their ``urn:oid:`` names by ``saml_attributes``."""

    entity_id: str
    base_url: str  # this service's public address: the ACS is <base_url>/login/saml/acs
    key_file: Path
    certificate_file: Path
    idp_metadata: str  # a file or an http(s) URL
    idp_metadata_certificate: Path | None = None  # who signs the metadata (the federation)
    allow_unsigned_metadata: bool = False  # development only
    idp_entity_id: str = ""  # empty: the only identity provider in the metadata
    encryption_key_file: Path | None = None  # empty: the signing key decrypts as well
    encryption_certificate_file: Path | None = None
    require_encrypted_assertions: bool = False
    want_response_signed: bool = False  # the assertion must always be signed
    attributes: Mapping[str, str] = field(default_factory=lambda: dict(SAML_ATTRIBUTES))
    identifiers: Mapping[str, str] = field(default_factory=lambda: dict(SAML_IDENTIFIERS))
    required: tuple[str, ...] = ("subject", "given_names", "family_name")
    birth_date_format: str = "%Y%m%d"
    clock_skew_seconds: int = 60
    metadata_refresh_minutes: int = 60
    metadata_timeout_seconds: float = 10.0
    max_metadata_bytes: int = 50 * 1024 * 1024
    max_response_bytes: int = 256 * 1024
    name_id_format: str = NAME_ID_TRANSIENT
    entity_categories: tuple[str, ...] = ()
    organization_name: str = ""
    organization_url: str = ""
    privacy_statement_url: str = ""  # mdui:PrivacyStatementURL, which federations ask for
    information_url: str = ""
    technical_contact: str = ""
    support_contact: str = ""
    security_contact: str = ""  # REFEDS security contact (Sirtfi)
    xmlsec_binary: str = ""  # found on PATH when empty

    @property
    def acs_url(self) -> str:
        return self.base_url + "/login/saml/acs"

    @property
    def slo_url(self) -> str:
        return self.base_url + "/login/saml/slo"

    @property
    def metadata_url(self) -> str:
        return self.base_url + "/login/saml/metadata"

    @property
    def metadata_is_url(self) -> bool:
        return self.idp_metadata.startswith(("https://", "http://"))


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password_hash: str
    given_names: str
    family_name: str
    birth_date: date | None = None
    email: str = ""
    identifiers: Mapping[str, str] = field(default_factory=dict)
    roles: frozenset[str] = frozenset({"student"})


@dataclass(frozen=True)
class RateLimit:
    max_attempts_per_user: int = 5
    max_attempts_per_address: int = 20
    window_seconds: int = 300
    # Requests per client address and minute to the login pages (and the EMP's protocol entry), per
    # worker process; 0 leaves it to the reverse proxy.
    requests_per_minute: int = 60


@dataclass(frozen=True)
class LoginSettings:
    method: Method
    production: bool = True
    oidc: OidcSettings | None = None
    headers: HeaderSettings | None = None
    saml: SamlSettings | None = None
    demo_accounts: tuple[DemoAccount, ...] = ()
    role_rules: tuple[RoleRule, ...] = ()
    default_roles: frozenset[str] = frozenset({"student"})
    # Roles granted by configuration to named subjects (e.g. {"staff": {"eppn@uni.example"}}).
    subject_roles: Mapping[str, frozenset[str]] = field(default_factory=dict)
    rate_limit: RateLimit = RateLimit()
    # Where /logout sends the browser: "/" or, e.g., the SAML SP's or provider's logout URL.
    logout_url: str = "/"

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise LoginConfigError(f"login.method: {self.method!r} is not one of {', '.join(METHODS)}")
        if self.method == "demo" and self.production:
            raise LoginConfigError(
                "login.method: demo accounts are refused when login.production is true "
                "(use oidc or headers, or set production = false on a demo network)"
            )
        if self.method == "oidc" and self.oidc is None:
            raise LoginConfigError("login.oidc: the oidc method needs an [oidc] table")
        if self.method == "headers" and self.headers is None:
            raise LoginConfigError("login.headers: the headers method needs a [headers] table")
        if self.method == "saml" and self.saml is None:
            raise LoginConfigError("login.saml: the saml method needs a [saml] table")
        if self.method == "demo" and not self.demo_accounts:
            raise LoginConfigError("login.demo.accounts: the demo method needs at least one account")

    def roles_for(self, subject: str, values: Mapping[str, Sequence[str]]) -> frozenset[str]:
        """The roles of a person from the configured defaults, rules and subject lists."""
        roles = set(self.default_roles)
        for rule in self.role_rules:
            if rule.values.intersection(values.get(rule.source, ())):
                roles.add(rule.role)
        for role, subjects in self.subject_roles.items():
            if subject in subjects:
                roles.add(role)
        return frozenset(roles)

    @classmethod
    def from_mapping(cls, config: Mapping[str, object], prefix: str = "login") -> LoginSettings:
        r = TableReader(config, prefix)
        refuse_unknown(config, LOGIN, f"{prefix}.", "", LoginConfigError)
        method = r.string("method")
        production = r.boolean("production", True)
        oidc = headers = saml = None
        demo: tuple[DemoAccount, ...] = ()
        if method == "oidc":
            oidc = _oidc(r.table("oidc"))
        elif method == "headers":
            headers = _headers(r.table("headers"))
        elif method == "saml":
            saml = _saml(r.table("saml"), production)
        elif method == "demo":
            demo = _demo(r.table("demo"))
        rules = tuple(_role_rule(t) for t in r.tables("role_rules"))
        default_roles = r.roles("default_roles", frozenset({"student"}))
        subject_roles: dict[str, frozenset[str]] = {}
        if "subject_roles" in r.config:
            sr = r.table("subject_roles")
            for role in sr.config:
                if role not in ROLES:
                    raise LoginConfigError(f"{sr.name(role)}: unknown role (use {', '.join(sorted(ROLES))})")
                subject_roles[role] = frozenset(sr.strings(role))
        limits = RateLimit()
        if "rate_limit" in r.config:
            rl = r.table("rate_limit")
            limits = RateLimit(
                max_attempts_per_user=rl.positive("max_attempts_per_user", limits.max_attempts_per_user),
                max_attempts_per_address=rl.positive(
                    "max_attempts_per_address", limits.max_attempts_per_address
                ),
                window_seconds=rl.positive("window_seconds", limits.window_seconds),
                requests_per_minute=rl.not_negative("requests_per_minute", limits.requests_per_minute),
            )
        logout_url = r.string("logout_url", "/")
        if not (
            logout_url.startswith("https://")
            or (logout_url.startswith("/") and not logout_url.startswith("//"))
        ):
            raise LoginConfigError(f"{r.name('logout_url')}: use a path on this site or an https URL")
        try:
            return cls(
                method=cast(Method, method),
                logout_url=logout_url,
                production=production,
                oidc=oidc,
                headers=headers,
                saml=saml,
                demo_accounts=demo,
                role_rules=rules,
                default_roles=default_roles,
                subject_roles=subject_roles,
                rate_limit=limits,
            )
        except LoginConfigError as error:
            if prefix == "login":
                raise
            raise LoginConfigError(str(error).replace("login.", f"{prefix}.", 1)) from None


def with_service_base_url(config: Mapping[str, object], base_url: object) -> Mapping[str, object]:
    """``config`` with ``saml.base_url`` taken from the service's ``base_url`` when not set: behind a
    proxy the app cannot tell its public address from the request."""
    saml = config.get("saml")
    if config.get("method") != "saml" or not isinstance(saml, Mapping) or "base_url" in saml:
        return config
    if not isinstance(base_url, str):
        return config
    return {**config, "saml": {**saml, "base_url": base_url.strip().rstrip("/")}}


def _oidc(r: TableReader) -> OidcSettings:
    issuer = r.url("issuer")
    claims = dict(OIDC_CLAIMS)
    claims.update(r.string_map("claims", ATTRIBUTES))
    scopes = tuple(r.strings("scopes", ("openid", "profile", "email")))
    if "openid" not in scopes:
        raise LoginConfigError(f"{r.name('scopes')}: must include 'openid'")
    return OidcSettings(
        issuer=issuer,
        client_id=r.string("client_id"),
        client_secret=r.string("client_secret", ""),
        discovery_url=r.url("discovery_url", ""),
        scopes=scopes,
        redirect_uri=r.url("redirect_uri", ""),
        claims=claims,
        birth_date_format=r.date_format("birth_date_format", "%Y-%m-%d"),
        identifiers=r.string_map("identifiers"),
        timeout_seconds=float(r.positive("timeout_seconds", 10)),
    )


def _headers(r: TableReader) -> HeaderSettings:
    proxies = []
    for i, value in enumerate(r.strings("trusted_proxies")):
        try:
            proxies.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise LoginConfigError(
                f"{r.name('trusted_proxies')}[{i}]: {value!r} is not an IP address or network"
            ) from None
    if not proxies:
        raise LoginConfigError(
            f"{r.name('trusted_proxies')}: list the address of the SAML service provider in front "
            "of this service; headers from anywhere else are refused"
        )
    defaults = HeaderSettings(trusted_proxies=())
    attributes = dict(defaults.attributes)
    attributes.update(r.string_map("attributes", ATTRIBUTES))
    required = tuple(r.strings("required", defaults.required))
    for name in required:
        if name not in ATTRIBUTES:
            raise LoginConfigError(f"{r.name('required')}: {name!r} is not one of {', '.join(ATTRIBUTES)}")
    separator = r.string("separator", ";")
    return HeaderSettings(
        trusted_proxies=tuple(proxies),
        attributes=attributes,
        birth_date_format=r.date_format("birth_date_format", "%Y%m%d"),
        identifiers=r.string_map("identifiers") if "identifiers" in r.config else defaults.identifiers,
        required=required,
        separator=separator,
    )


def _saml(r: TableReader, production: bool) -> SamlSettings:
    base_url = r.url("base_url").rstrip("/")
    if production and not base_url.startswith("https://"):
        raise LoginConfigError(f"{r.name('base_url')}: {base_url!r} must be https in production")
    entity_id = r.string("entity_id")
    if len(entity_id) > 1024 or not entity_id.startswith(("https://", "http://", "urn:")):
        raise LoginConfigError(f"{r.name('entity_id')}: use a URL or a urn: of at most 1024 characters")
    metadata = r.string("idp_metadata")
    certificate = r.file("idp_metadata_certificate", optional=True)
    allow_unsigned = r.boolean("allow_unsigned_metadata", False)
    if allow_unsigned and production:
        raise LoginConfigError(
            f"{r.name('allow_unsigned_metadata')}: refused when login.production is true "
            "(configure idp_metadata_certificate, the key that signs the federation's metadata)"
        )
    if metadata.startswith(("https://", "http://")):
        if production and not metadata.startswith("https://"):
            raise LoginConfigError(f"{r.name('idp_metadata')}: {metadata!r} must be https in production")
        if certificate is None and not allow_unsigned:
            raise LoginConfigError(
                f"{r.name('idp_metadata_certificate')}: metadata from a URL must be signed; name the "
                "certificate that signs it (or set allow_unsigned_metadata = true on a development network)"
            )
    elif not Path(metadata).is_file():
        raise LoginConfigError(f"{r.name('idp_metadata')}: {metadata!r} is neither an http(s) URL nor a file")
    defaults = SamlSettings(entity_id, base_url, Path(), Path(), metadata)
    attributes = dict(defaults.attributes)
    attributes.update(r.string_map("attributes", ATTRIBUTES))
    required = tuple(r.strings("required", defaults.required))
    for name in required:
        if name not in ATTRIBUTES:
            raise LoginConfigError(f"{r.name('required')}: {name!r} is not one of {', '.join(ATTRIBUTES)}")
    skew = r.not_negative("clock_skew_seconds", defaults.clock_skew_seconds)
    if skew > MAX_CLOCK_SKEW:
        raise LoginConfigError(f"{r.name('clock_skew_seconds')}: at most {MAX_CLOCK_SKEW} seconds")
    name_id_format = r.string("name_id_format", defaults.name_id_format)
    if name_id_format not in NAME_ID_FORMATS:
        raise LoginConfigError(f"{r.name('name_id_format')}: use one of {', '.join(NAME_ID_FORMATS)}")
    categories = tuple(r.strings("entity_categories", ()))
    for i, category in enumerate(categories):
        if not category.startswith(("https://", "http://", "urn:")):
            raise LoginConfigError(f"{r.name('entity_categories')}[{i}]: {category!r} is not a URI")
    encryption_key = r.file("encryption_key_file", optional=True)
    encryption_certificate = r.file("encryption_certificate_file", optional=True)
    if (encryption_key is None) != (encryption_certificate is None):
        raise LoginConfigError(
            f"{r.name('encryption_key_file')}: give both the encryption key and its certificate, or neither"
        )
    return SamlSettings(
        entity_id=entity_id,
        base_url=base_url,
        key_file=cast(Path, r.file("key_file")),
        certificate_file=cast(Path, r.file("certificate_file")),
        idp_metadata=metadata,
        idp_metadata_certificate=certificate,
        allow_unsigned_metadata=allow_unsigned,
        idp_entity_id=r.string("idp_entity_id", ""),
        encryption_key_file=encryption_key,
        encryption_certificate_file=encryption_certificate,
        require_encrypted_assertions=r.boolean("require_encrypted_assertions", False),
        want_response_signed=r.boolean("want_response_signed", False),
        attributes=attributes,
        identifiers=r.string_map("identifiers") if "identifiers" in r.config else defaults.identifiers,
        required=required,
        birth_date_format=r.date_format("birth_date_format", defaults.birth_date_format),
        clock_skew_seconds=skew,
        metadata_refresh_minutes=r.positive("metadata_refresh_minutes", defaults.metadata_refresh_minutes),
        metadata_timeout_seconds=float(r.positive("metadata_timeout_seconds", 10)),
        max_metadata_bytes=r.positive("max_metadata_mb", 50) * 1024 * 1024,
        max_response_bytes=r.positive("max_response_kb", 256) * 1024,
        name_id_format=name_id_format,
        entity_categories=categories,
        organization_name=r.string("organization_name", ""),
        organization_url=r.url("organization_url", ""),
        privacy_statement_url=r.url("privacy_statement_url", ""),
        information_url=r.url("information_url", ""),
        technical_contact=_contact(r, "technical_contact"),
        support_contact=_contact(r, "support_contact"),
        security_contact=_contact(r, "security_contact"),
        xmlsec_binary=_xmlsec(r),
    )


def _contact(r: TableReader, key: str) -> str:
    value = r.string(key, "").removeprefix("mailto:")
    if value and ("@" not in value or any(c.isspace() for c in value)):
        raise LoginConfigError(f"{r.name(key)}: {value!r} is not an e-mail address")
    return value


def _xmlsec(r: TableReader) -> str:
    configured = r.string("xmlsec_binary", "")
    found = shutil.which(configured or "xmlsec1")
    if found is None:
        where = f"{configured!r} is not an executable program" if configured else "xmlsec1 is not on PATH"
        raise LoginConfigError(
            f"{r.name('xmlsec_binary')}: {where}; SAML login needs the xmlsec1 program to sign and check "
            "messages (on Debian/Ubuntu: apt-get install xmlsec1)"
        )
    return found


def _demo(r: TableReader) -> tuple[DemoAccount, ...]:
    accounts = []
    seen: set[str] = set()
    for a in r.tables("accounts"):
        username = a.string("username")
        if username in seen:
            raise LoginConfigError(f"{a.name('username')}: {username!r} is listed twice")
        seen.add(username)
        password_hash = a.string("password_hash")
        problem = check_hash_format(password_hash)
        if problem:
            raise LoginConfigError(f"{a.name('password_hash')}: {problem}")
        birth = a.string("birth_date", "")
        try:
            birth_date = date.fromisoformat(birth) if birth else None
        except ValueError:
            raise LoginConfigError(f"{a.name('birth_date')}: {birth!r} is not a date (YYYY-MM-DD)") from None
        accounts.append(
            DemoAccount(
                username=username,
                password_hash=password_hash,
                given_names=a.string("given_names"),
                family_name=a.string("family_name"),
                birth_date=birth_date,
                email=a.string("email", ""),
                identifiers=a.string_map("identifiers"),
                roles=a.roles("roles", frozenset({"student"})),
            )
        )
    return tuple(accounts)


def _role_rule(r: TableReader) -> RoleRule:
    role = r.string("role")
    if role not in ROLES:
        raise LoginConfigError(f"{r.name('role')}: {role!r} is not one of {', '.join(sorted(ROLES))}")
    values = frozenset(r.strings("values"))
    if not values:
        raise LoginConfigError(f"{r.name('values')}: give at least one value")
    return RoleRule(role=role, source=r.string("source"), values=values)
