"""Login from attributes that a SAML service provider in front of us (Shibboleth) puts in headers.

The headers are believed only when the request comes straight from a configured proxy address: anyone
else could send an ``eppn`` header of their choosing.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Mapping, Sequence

from starlette.requests import HTTPConnection

from emrex.errors import EmrexError
from emrex.web.auth import Person
from emrex.web.login.attributes import build_person
from emrex.web.login.settings import HeaderSettings, LoginSettings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class UntrustedProxy(EmrexError):
    """Attribute headers came from an address that is not the configured SAML service provider."""


def is_trusted(address: str | None, networks: Sequence[Network]) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def client_address(peer: str | None, forwarded_for: str | None, networks: Sequence[Network]) -> str:
    """The browser's address: ``X-Forwarded-For`` counts only when ``peer`` is a trusted proxy, and
    then the right-most hop that is not itself a trusted proxy."""
    address = peer or "unknown"
    if forwarded_for and is_trusted(peer, networks):
        for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
            if not hop:
                break
            address = hop
            if not is_trusted(hop, networks):
                break
    return address


def request_address(settings: LoginSettings, request: HTTPConnection) -> str:
    """The browser's address for rate limits: the peer, or through the headers login's trusted proxies."""
    peer = request.client.host if request.client else None
    proxies = settings.headers.trusted_proxies if settings.headers else ()
    return client_address(peer, request.headers.get("x-forwarded-for"), proxies)


def split_values(raw: str, separator: str) -> list[str]:
    """Shibboleth joins multiple values with ``;`` and escapes a literal one as ``\\;``."""
    values: list[str] = []
    current: list[str] = []
    escaped = False
    for char in raw:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            values.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    values.append("".join(current))
    return [v.strip() for v in values if v.strip()]


def header_values(
    config: HeaderSettings, headers: Mapping[str, str], extra: Sequence[str] = ()
) -> dict[str, list[str]]:
    """The configured attributes found in ``headers`` (names compared without case)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    wanted = set(config.attributes.values()) | set(config.identifiers.values()) | set(extra)
    values: dict[str, list[str]] = {}
    for name in wanted:
        raw = lowered.get(name.lower())
        if raw:
            # Starlette decodes headers as latin-1; Shibboleth sends UTF-8 bytes.
            with contextlib.suppress(UnicodeError):
                raw = raw.encode("latin-1").decode("utf-8")
            values[name] = split_values(raw, config.separator)
    return values


def person_from_headers(settings: LoginSettings, peer: str | None, headers: Mapping[str, str]) -> Person:
    config = settings.headers
    if config is None:
        raise UntrustedProxy("login through headers is not configured")
    if not is_trusted(peer, config.trusted_proxies):
        raise UntrustedProxy(
            "this login must come through the institution's identity provider "
            "(the request did not come from the configured SAML service provider)"
        )
    return build_person(
        settings,
        header_values(config, headers, [rule.source for rule in settings.role_rules]),
        attributes=config.attributes,
        identifiers=config.identifiers,
        birth_date_format=config.birth_date_format,
        required=config.required,
        source="headers",
    )
