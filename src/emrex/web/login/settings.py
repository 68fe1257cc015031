"""Login configuration, read from a deployment's config mapping (for example a TOML table).

Every bad value raises ``LoginConfigError`` naming the setting, e.g. ``login.oidc.client_id``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, cast

from emrex.errors import EmrexError

Method = Literal["oidc", "headers", "demo"]
METHODS: tuple[Method, ...] = ("oidc", "headers", "demo")
ROLES = frozenset({"student", "staff", "admin"})
ATTRIBUTES = ("subject", "given_names", "family_name", "birth_date", "email")
ESI_PREFIX = "urn:schac:personalUniqueCode:int:esi:"
OIDC_CLAIMS = {
    "subject": "sub",
    "given_names": "given_name",
    "family_name": "family_name",
    "birth_date": "birthdate",
    "email": "email",
}


class LoginConfigError(EmrexError):
    """A login setting is missing or has a value we cannot use."""


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
        r = _Reader(config, prefix)
        method = r.string("method")
        production = r.boolean("production", True)
        oidc = headers = None
        demo: tuple[DemoAccount, ...] = ()
        if method == "oidc":
            oidc = _oidc(r.table("oidc"))
        elif method == "headers":
            headers = _headers(r.table("headers"))
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


def _oidc(r: _Reader) -> OidcSettings:
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


def _headers(r: _Reader) -> HeaderSettings:
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


def _demo(r: _Reader) -> tuple[DemoAccount, ...]:
    from emrex.web.login.demo import check_hash_format

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


def _role_rule(r: _Reader) -> RoleRule:
    role = r.string("role")
    if role not in ROLES:
        raise LoginConfigError(f"{r.name('role')}: {role!r} is not one of {', '.join(sorted(ROLES))}")
    values = frozenset(r.strings("values"))
    if not values:
        raise LoginConfigError(f"{r.name('values')}: give at least one value")
    return RoleRule(role=role, source=r.string("source"), values=values)


class _Reader:
    """Typed access to one table of the config, naming the setting in every error."""

    def __init__(self, config: Mapping[str, object], prefix: str) -> None:
        if not isinstance(config, Mapping):
            raise LoginConfigError(f"{prefix}: expected a table of settings")
        self.config = config
        self.prefix = prefix

    def name(self, key: str) -> str:
        return f"{self.prefix}.{key}"

    def _get(self, key: str, default: object) -> object:
        if key in self.config:
            return self.config[key]
        if default is _MISSING:
            raise LoginConfigError(f"{self.name(key)}: missing")
        return default

    def string(self, key: str, default: object = None) -> str:
        value = self._get(key, _MISSING if default is None else default)
        if not isinstance(value, str):
            raise LoginConfigError(f"{self.name(key)}: expected text, got {type(value).__name__}")
        if not value.strip() and default is None:
            raise LoginConfigError(f"{self.name(key)}: must not be empty")
        return value.strip()

    def url(self, key: str, default: object = None) -> str:
        value = self.string(key, default)
        if value and not value.startswith(("https://", "http://")):
            raise LoginConfigError(f"{self.name(key)}: {value!r} is not an http(s) URL")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise LoginConfigError(f"{self.name(key)}: expected true or false, got {value!r}")
        return value

    def positive(self, key: str, default: int) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise LoginConfigError(f"{self.name(key)}: expected a positive whole number, got {value!r}")
        return value

    def not_negative(self, key: str, default: int) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise LoginConfigError(f"{self.name(key)}: expected a whole number of 0 or more, got {value!r}")
        return value

    def strings(self, key: str, default: Sequence[str] | None = None) -> list[str]:
        value = self._get(key, _MISSING if default is None else list(default))
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise LoginConfigError(f"{self.name(key)}: expected a list of text values")
        return [v.strip() for v in value]

    def roles(self, key: str, default: frozenset[str]) -> frozenset[str]:
        roles = frozenset(self.strings(key, sorted(default)))
        unknown = roles - ROLES
        if unknown:
            raise LoginConfigError(
                f"{self.name(key)}: unknown role {sorted(unknown)[0]!r} (use {', '.join(sorted(ROLES))})"
            )
        return roles

    def string_map(self, key: str, allowed: Sequence[str] | None = None) -> dict[str, str]:
        value = self._get(key, {})
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
        ):
            raise LoginConfigError(f"{self.name(key)}: expected a table of names to non-empty text")
        if allowed is not None:
            for k in value:
                if k not in allowed:
                    raise LoginConfigError(f"{self.name(key)}.{k}: unknown (use {', '.join(allowed)})")
        return dict(value)

    def date_format(self, key: str, default: str) -> str:
        fmt = self.string(key, default)
        try:
            datetime.strptime(date(2001, 2, 3).strftime(fmt), fmt)
        except ValueError:
            raise LoginConfigError(f"{self.name(key)}: {fmt!r} is not a usable date format") from None
        return fmt

    def table(self, key: str) -> _Reader:
        return _Reader(cast(Mapping[str, object], self._get(key, _MISSING)), self.name(key))

    def tables(self, key: str) -> list[_Reader]:
        value = self._get(key, [])
        if not isinstance(value, list | tuple):
            raise LoginConfigError(f"{self.name(key)}: expected a list of tables")
        return [_Reader(cast(Mapping[str, object], v), f"{self.name(key)}[{i}]") for i, v in enumerate(value)]


_MISSING = object()
