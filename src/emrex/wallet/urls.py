"""Where an issuer's or verifier's endpoints live, from the one URL that identifies the service.

Everything sits under ``<url>/wallet/…``; the well-known documents sit at the origin with the path
appended (``https://host/.well-known/openid-credential-issuer/path``), as RFC 8414 and OpenID4VCI say.
Plain HTTP is accepted only for loopback hosts (development and tests).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from emrex.wallet.errors import WalletError

LOOPBACK = ("localhost", "127.0.0.1", "::1")
PREFIX = "/wallet"


def check_url(url: str, what: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "https" and not (parts.scheme == "http" and host in LOOPBACK):
        raise WalletError(f"{what} must be an https URL (plain http only on localhost), not {url[:100]!r}")
    if parts.username or parts.password:
        raise WalletError(f"{what} must not carry a user name or password: {url[:100]!r}")
    return url


class ServiceUrls:
    def __init__(self, url: str) -> None:
        parts = urlsplit(check_url(url, "the service URL"))
        if parts.query or parts.fragment:
            raise WalletError(f"the service URL must not carry a query or fragment: {url[:100]!r}")
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.path = parts.path.rstrip("/")
        self.base = self.origin + self.path
        self.host = parts.hostname or ""

    def endpoint(self, name: str) -> str:
        return f"{self.base}{PREFIX}/{name}"

    def well_known(self, name: str) -> str:
        return f"{self.origin}/.well-known/{name}{self.path}"

    def route(self, url: str) -> str:
        """The path part of one of these URLs, as a router sees it."""
        return urlsplit(url).path


def at_wallet(link: str, endpoint: str) -> str:
    """The wallet link ``link`` (``openid-credential-offer://?…``, ``openid4vp://?…``) addressed to a web
    wallet's ``endpoint`` instead: the same query, as OpenID4VCI and OpenID4VP let a wallet publish an
    https endpoint in place of the custom scheme."""
    return f"{endpoint}?{urlsplit(link).query}"
