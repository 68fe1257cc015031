"""The session of a visitor who has not logged in: kept in the cookie itself, signed, never in the database.

Anonymous visitors need a little state (the login form's CSRF token, a pending OIDC login, the EMREX
request an EMP received), but anyone on the internet can be an anonymous visitor, as often as they
like: a row per visitor would let them fill the database. So until a person logs in the data travels
in the session cookie as ``1.<base64url JSON>.<base64url HMAC-SHA256>``, with the times it was made
and last issued; the key is a random secret kept once in the database (``web_secret``). The visitor can
read it (it is theirs) but not change it; it expires like a server-side session (idle and absolute).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from emrex.web.store import Lifetimes

VERSION = "1"
# Browsers keep cookies up to 4096 bytes with name and attributes; stay well below.
MAX_VALUE_BYTES = 3600
PATTERN = re.compile(r"1\.[A-Za-z0-9_-]{1,4000}\.[A-Za-z0-9_-]{43}")
_CONTEXT = b"emrex-web-session-cookie\0"


@dataclass(frozen=True)
class CookieData:
    data: dict[str, Any]
    created_at: datetime
    issued_at: datetime


class SignedCookies:
    def __init__(self, key: bytes, lifetimes: Lifetimes) -> None:
        self._key = key
        self.lifetimes = lifetimes

    def encode(self, data: dict[str, Any], created_at: datetime, now: datetime) -> str | None:
        """The cookie value, or None when the data does not fit into a cookie."""
        payload = json.dumps(
            {"c": int(created_at.timestamp()), "t": int(now.timestamp()), "d": data},
            separators=(",", ":"),
            ensure_ascii=False,
            sort_keys=True,
        ).encode("utf-8")
        body = _b64(payload)
        value = f"{VERSION}.{body}.{_b64(self._mac(body))}"
        return value if len(value) <= MAX_VALUE_BYTES else None

    def decode(self, value: str, now: datetime) -> CookieData | None:
        """The data of a value this service signed and that has not expired; None otherwise."""
        if not PATTERN.fullmatch(value):
            return None
        _, body, mac = value.split(".")
        try:
            if not hmac.compare_digest(base64.urlsafe_b64decode(_pad(mac)), self._mac(body)):
                return None
            payload = json.loads(base64.urlsafe_b64decode(_pad(body)))
            created = datetime.fromtimestamp(int(payload["c"]), UTC)
            issued = datetime.fromtimestamp(int(payload["t"]), UTC)
            data = payload["d"]
        except (binascii.Error, ValueError, KeyError, TypeError, OverflowError, OSError):
            return None
        if not isinstance(data, dict):
            return None
        if now >= self.lifetimes.expiry(created, issued):
            return None
        return CookieData(data, created, issued)

    def _mac(self, body: str) -> bytes:
        return hmac.new(self._key, _CONTEXT + body.encode("ascii"), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _pad(text: str) -> bytes:
    return (text + "=" * (-len(text) % 4)).encode("ascii")
