"""Reading a registry from a file or an http(s) URL, the format detected by content."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from emrex.registry.builder import LOOPBACK_HOSTS
from emrex.registry.catalogue import read_catalogue
from emrex.registry.config import load_server_config
from emrex.registry.emreg import read_emreg_json
from emrex.registry.errors import RegistryError, RegistrySourceError
from emrex.registry.model import Registry

if TYPE_CHECKING:
    import httpx

MAX_REGISTRY_BYTES = 16 * 1024 * 1024
_LEADING_NOISE = b"\xef\xbb\xbf \t\r\n"


def load_registry(source: str, *, timeout: float = 10.0, max_bytes: int = MAX_REGISTRY_BYTES) -> Registry:
    """The registry at ``source`` (a file path or an http(s) URL): EMREG JSON or an EWP catalogue, or,
    from a file, the TOML configuration of our registry server (``emrex registry serve``)."""
    data = read_source(source, timeout=timeout, max_bytes=max_bytes)
    if looks_like_server_config(data):
        if is_url(source):
            raise RegistryError(
                f"{source}: a registry server's TOML configuration names certificate files beside it; "
                "give its path, or the URL of the list it serves"
            )
        return load_server_config(source).registry
    return parse_registry(data, source=source)


# A TOML file of our registry server: comments, settings or its [[countries]] / [[emps]] tables
# (a JSON list starts with "[" too, but never with "[[emps]]" or a "name =" line).
_SERVER_CONFIG = re.compile(
    rb"^(?:\s*#[^\n]*\n)*\s*(?:#|[A-Za-z_][\w-]*\s*=|\[\[\s*(?:countries|emps)\s*\]\])"
)


def looks_like_server_config(data: bytes) -> bool:
    return _SERVER_CONFIG.match(data.lstrip(b"\xef\xbb\xbf")) is not None


def parse_registry(data: bytes, *, source: str = "") -> Registry:
    """An EMREG JSON list (current or legacy) or an EWP catalogue, told apart by the first character."""
    where = f"{source}: " if source else ""
    if looks_like_server_config(data):
        raise RegistryError(
            f"{where}this is a registry server's TOML configuration, not a list: read the list it serves "
            "(its /emp-list.json), or give the file to `emrex registry show` or `emrex verify --registry`"
        )
    head = data.lstrip(_LEADING_NOISE)[:1]
    if head == b"{" or head == b"[":
        return read_emreg_json(data, source=source)
    if head == b"<":
        return read_catalogue(data, source=source)
    if not head:
        raise RegistryError(f"{where}the registry is empty")
    raise RegistryError(f"{where}neither an EMREG JSON list nor an EWP catalogue (it is not JSON or XML)")


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def read_source(source: str, *, timeout: float = 10.0, max_bytes: int = MAX_REGISTRY_BYTES) -> bytes:
    if is_url(source):
        return fetch_url(source, timeout=timeout, max_bytes=max_bytes)
    path = Path(source)
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise RegistrySourceError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise RegistrySourceError(f"{source}: is a directory, not a file") from None
    except OSError as exc:
        raise RegistrySourceError(f"{source}: cannot read ({exc.strerror})") from None
    if len(data) > max_bytes:
        raise RegistryError(f"{source}: larger than the limit of {max_bytes} bytes for a registry")
    return data


def url_refusal(url: str) -> str | None:
    """Why a registry may not be fetched from ``url``: certificates must not travel over plain HTTP."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "is not a valid URL"
    if not host or parts.scheme.lower() not in ("https", "http"):
        return "is not an absolute http(s) URL"
    if parts.scheme.lower() == "http" and host not in LOOPBACK_HOSTS:
        return (
            "uses plain HTTP; a registry carries the certificates clients trust, so it must come over HTTPS"
        )
    return None


def fetch_url(
    url: str,
    *,
    timeout: float = 10.0,
    max_bytes: int = MAX_REGISTRY_BYTES,
    transport: httpx.BaseTransport | None = None,
) -> bytes:
    """The body of a GET of ``url`` (redirects followed, size bounded), or RegistrySourceError."""
    import httpx  # lazy: httpx is +74 modules here, needed only when fetching

    refusal = url_refusal(url)
    if refusal:
        raise RegistrySourceError(f"{url}: {refusal}")
    headers = {"Accept": "application/json, application/xml;q=0.9, */*;q=0.1", "User-Agent": "emrex-registry"}
    try:
        with (
            httpx.Client(
                timeout=timeout, follow_redirects=True, max_redirects=5, transport=transport, headers=headers
            ) as client,
            client.stream("GET", url) as response,
        ):
            final = str(response.url)
            if final != url:
                refusal = url_refusal(final)
                if (
                    refusal is None
                    and urlsplit(url).scheme.lower() == "https"
                    and response.url.scheme != "https"
                ):
                    refusal = "leaves HTTPS"
                if refusal:
                    raise RegistrySourceError(f"{url}: redirected to {final}, which {refusal}")
            if response.status_code != 200:
                raise RegistrySourceError(
                    f"{url}: HTTP {response.status_code} {response.reason_phrase}".rstrip()
                )
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise RegistryError(f"{url}: {declared} bytes is larger than the limit of {max_bytes} bytes")
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise RegistryError(f"{url}: larger than the limit of {max_bytes} bytes for a registry")
            return bytes(body)
    except httpx.TimeoutException:
        raise RegistrySourceError(f"{url}: no answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RegistrySourceError(f"{url}: cannot fetch ({reason})") from None
    except httpx.InvalidURL as exc:
        raise RegistrySourceError(f"{url}: is not a valid URL ({exc})") from None
