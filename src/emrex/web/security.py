"""Security headers on every response, with a Content-Security-Policy that allows no inline code.

An inline script is allowed only by its SHA-256 hash (``script_hash``); the auto-submit form of the
EMREX redirects uses the static ``/static/emrex-autosubmit.js`` instead and needs none.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emrex.web.look import LOOK_PREFIX
from emrex.web.settings import WebSettings

STATIC_PREFIX = "/static/"
FAVICON_PATH = "/favicon.ico"


def script_hash(source: str) -> str:
    """The CSP source expression (``'sha256-…'``) that allows exactly this inline script text."""
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(settings: WebSettings, script_hashes: Iterable[str] = ()) -> str:
    # Protocol redirects post the browser to other EMREX services: any https origin, plus dev hosts.
    form_targets = ["'self'", "https:"]
    hosts = [f"[{host}]" if ":" in host else host for host in settings.dev_http_hosts]  # IPv6 in brackets
    form_targets += [f"http://{host}:*" for host in hosts]
    form_targets += [f"http://{host}" for host in hosts]
    directives = [
        "default-src 'self'",
        "script-src " + " ".join(["'self'", *script_hashes]),
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action " + " ".join(form_targets),
    ]
    return "; ".join(directives)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, settings: WebSettings, script_hashes: Iterable[str] = ()) -> None:
        self.app = app
        self.policy = content_security_policy(settings, script_hashes)
        self.hsts = settings.base_url.startswith("https://")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith((STATIC_PREFIX, LOOK_PREFIX)) or scope["path"] == FAVICON_PATH

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["content-security-policy"] = self.policy
                headers["x-content-type-options"] = "nosniff"
                headers["referrer-policy"] = "no-referrer"
                headers["x-frame-options"] = "DENY"
                headers["cross-origin-opener-policy"] = "same-origin"
                headers["permissions-policy"] = "camera=(), microphone=(), geolocation=()"
                if self.hsts:
                    headers["strict-transport-security"] = "max-age=31536000"
                if static:
                    headers.setdefault("cache-control", "public, max-age=3600")
                else:
                    # Pages carry personal data: never kept by browsers or proxies.
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
