"""Configuration shared by the web services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from emrex.errors import EmrexError

MB = 1024 * 1024
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")

# The page languages with complete catalogs (a test holds every catalog to the English source).
LANGUAGES = ("en", "sv", "fi", "nb", "da")


class WebConfigError(EmrexError):
    """The web settings contradict each other or a security rule."""


@dataclass(frozen=True)
class WebSettings:
    base_url: str
    secure_cookies: bool = True
    # Hosts that may be reached over plain http in development (form targets, insecure cookies).
    dev_http_hosts: tuple[str, ...] = ()
    session_idle: timedelta = timedelta(minutes=30)
    session_absolute: timedelta = timedelta(hours=8)
    # Ordinary forms; the protocol endpoints (elmo posts with PDFs inside) get the larger limit.
    max_form_bytes: int = 2 * MB
    max_protocol_bytes: int = 48 * MB
    languages: tuple[str, ...] = LANGUAGES
    default_language: str = "en"

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise WebConfigError(f"base_url must be an http(s) URL, got {self.base_url!r}")
        if parts.scheme == "http" and parts.hostname not in self.dev_http_hosts:
            raise WebConfigError(
                f"base_url {self.base_url} is plain http: use https, "
                f"or list {parts.hostname!r} in dev_http_hosts"
            )
        if not self.secure_cookies and parts.scheme != "http":
            raise WebConfigError("secure_cookies may be off only for an http development base_url")
        if self.default_language not in self.languages:
            raise WebConfigError(f"default_language {self.default_language!r} is not in languages")
        if self.session_idle <= timedelta(0) or self.session_absolute < self.session_idle:
            raise WebConfigError("session lifetimes must be positive, the absolute one at least the idle one")
        if min(self.max_form_bytes, self.max_protocol_bytes) <= 0:
            raise WebConfigError("body limits must be positive")

    @property
    def session_cookie(self) -> str:
        # The __Host- prefix makes browsers refuse the cookie unless Secure, Path=/ and without Domain.
        return "__Host-emrex_session" if self.secure_cookies else f"emrex_session{self._dev_suffix}"

    @property
    def language_cookie(self) -> str:
        return "__Host-emrex_lang" if self.secure_cookies else f"emrex_lang{self._dev_suffix}"

    @property
    def _dev_suffix(self) -> str:
        # Browsers share a host's cookies between its ports: development services on one host (the demo
        # network) would overwrite each other's session, so their cookie names carry the port.
        port = urlsplit(self.base_url).port
        return f"_{port}" if port else ""

    def cookie_attributes(self, max_age: int | None = None) -> str:
        attributes = "Path=/; HttpOnly; SameSite=Lax"
        if self.secure_cookies:
            attributes += "; Secure"
        if max_age is not None:
            attributes += f"; Max-Age={max_age}"
        return attributes


@dataclass(frozen=True)
class WalletSettings:
    """A service as an OpenID4VCI credential issuer (``[emc.wallet]``, the EMP's ``[wallet]``; used by
    ``emrex.web.wallet_issuing``): the key that signs the SD-JWT VCs and the status list, and its
    certificate (then any CA certificates), which must carry the organisation (O, C and
    organizationIdentifier) the ELM names as issuer; ``name`` is shown by wallets (default: the
    service's title)."""

    key_file: Path
    cert_file: Path
    name: str = ""
    web_wallet_url: str = ""  # a web wallet's credential offer endpoint: the offer page links there too
