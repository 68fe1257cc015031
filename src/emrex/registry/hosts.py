"""The EWP hosts of a registry catalogue: their APIs, the institutions they cover and their keys.

This is what EWP servers and clients ask the registry (ewp-specs-api-registry, "XPath queries"):
which public key a ``keyId`` names, which institutions a client key covers, which API a host serves
for an institution, and whether a response key belongs to the host that was called.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import rsa

CLIAUTH_HTTPSIG = "https://github.com/erasmus-without-paper/ewp-specs-sec-cliauth-httpsig/tree/stable-v1"
CLIAUTH_TLSCERT = "https://github.com/erasmus-without-paper/ewp-specs-sec-cliauth-tlscert/tree/stable-v1"
SRVAUTH_HTTPSIG = "https://github.com/erasmus-without-paper/ewp-specs-sec-srvauth-httpsig/tree/stable-v1"
SRVAUTH_TLSCERT = "https://github.com/erasmus-without-paper/ewp-specs-sec-srvauth-tlscert/tree/stable-v1"


@dataclass(frozen=True)
class EwpApi:
    """One entry of a host's ``apis-implemented``: its simple fields (urls, limits) in document order,
    and the security methods it accepts (the sec-intro defaults when it names none)."""

    name: str
    namespace: str
    version: str
    fields: tuple[tuple[str, str], ...] = ()
    client_auth: tuple[str, ...] = (CLIAUTH_TLSCERT,)
    server_auth: tuple[str, ...] = (SRVAUTH_TLSCERT,)

    def field(self, name: str) -> str | None:
        return next((value for key, value in self.fields if key == name), None)

    @property
    def version_key(self) -> tuple[int, ...]:
        try:
            return tuple(int(part) for part in self.version.split("."))
        except ValueError:
            return (0,)


@dataclass(frozen=True)
class EwpHost:
    apis: tuple[EwpApi, ...] = ()
    hei_ids: tuple[str, ...] = ()
    client_key_ids: frozenset[str] = frozenset()
    server_key_ids: frozenset[str] = frozenset()
    admin_emails: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hei:
    id: str
    names: tuple[tuple[str, str], ...] = ()  # (text, language or "")
    other_ids: tuple[tuple[str, str], ...] = ()  # (type, value), e.g. ("erasmus", "PL WARSZAW01")

    @property
    def name(self) -> str:
        english = [text for text, lang in self.names if lang.lower().startswith("en")]
        return (english or [text for text, _ in self.names] or [self.id])[0]


@dataclass(frozen=True)
class EwpCatalogue:
    """The catalogue's hosts, institutions and public keys (by their SHA-256 as computed here)."""

    hosts: tuple[EwpHost, ...] = ()
    keys: Mapping[str, rsa.RSAPublicKey] = field(default_factory=dict)
    heis: Mapping[str, Hei] = field(default_factory=dict)
    source: str = field(default="", compare=False)
    warnings: tuple[str, ...] = field(default=(), compare=False)
    _covered: dict[str, frozenset[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        covered: dict[str, set[str]] = {}
        for host in self.hosts:
            for key in host.client_key_ids:
                covered.setdefault(key, set()).update(host.hei_ids)
        object.__setattr__(self, "_covered", {key: frozenset(heis) for key, heis in covered.items()})

    def client_key(self, key_id: str) -> rsa.RSAPublicKey | None:
        """The public key of a client: listed by a host as a client credential, and in the binaries."""
        return self.keys.get(key_id) if key_id in self._covered else None

    def heis_covered_by(self, key_id: str) -> frozenset[str]:
        """Every institution covered by a host that lists ``key_id`` as a client key (may be none)."""
        return self._covered.get(key_id, frozenset())

    def server_key(self, key_id: str, host: EwpHost) -> rsa.RSAPublicKey | None:
        """The key, if ``host`` lists it among its server credentials."""
        return self.keys.get(key_id) if key_id in host.server_key_ids else None

    def find_api(self, hei_id: str, name: str, namespace: str) -> tuple[EwpHost, EwpApi] | None:
        """The highest version of an API that a host covering ``hei_id`` implements."""
        found = [
            (host, api)
            for host in self.hosts
            if hei_id in host.hei_ids
            for api in host.apis
            if api.name == name and api.namespace == namespace
        ]
        return max(found, key=lambda pair: pair[1].version_key, default=None)

    def hosts_covering(self, hei_id: str) -> Iterable[EwpHost]:
        return (host for host in self.hosts if hei_id in host.hei_ids)
