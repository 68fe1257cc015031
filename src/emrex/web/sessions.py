"""Server-side sessions: the cookie holds a random key, the data lives in the database as JSON.

Handlers call ``get_session(request)``. Changes are saved when the response starts, only if the data
changed (or the key was rotated); a request that fails with an exception saves nothing.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emrex.db import utcnow
from emrex.web.settings import WebSettings
from emrex.web.store import SessionStore

SCOPE_KEY = "emrex.session"
CSRF_KEY = "_csrf"
KEY_BYTES = 32
_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
# Idle expiry slides forward, but a read-only request writes at most this often.
TOUCH_INTERVAL = timedelta(minutes=1)


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


class WebSession:
    """The visitor's session data; values must be JSON-serialisable."""

    def __init__(
        self,
        key: str | None = None,
        data: dict[str, Any] | None = None,
        *,
        created_at: datetime | None = None,
        seen_at: datetime | None = None,
    ) -> None:
        self._data: dict[str, Any] = dict(data or {})
        self._stored_key = key
        self._key = key
        self._saved_json = _dump(self._data) if key is not None else _dump({})
        self.created_at = created_at or utcnow()
        self.seen_at = seen_at

    @property
    def key(self) -> str | None:
        """The cookie value, or None while nothing was ever stored."""
        return self._key

    @property
    def is_new(self) -> bool:
        return self._stored_key is None

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def set(self, key: str, value: Any) -> None:
        try:
            json.dumps(value)
        except (TypeError, ValueError) as error:
            raise TypeError(f"session value for {key!r} is not JSON-serialisable: {error}") from None
        self._data[key] = value

    def pop(self, key: str, default: Any = None) -> Any:
        return self._data.pop(key, default)

    def clear(self) -> None:
        self._data.clear()

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def rotate(self) -> None:
        """Give the session a new key (same data); the old cookie value stops working. Call at login.

        The CSRF token is renewed too: whoever planted the old session may know the old one.
        """
        self._key = _new_key()
        self.created_at = utcnow()
        self._data.pop(CSRF_KEY, None)

    @property
    def csrf_token(self) -> str:
        token = self._data.get(CSRF_KEY)
        if not isinstance(token, str):
            token = secrets.token_urlsafe(KEY_BYTES)
            self._data[CSRF_KEY] = token
        return token

    # Used by the middleware.
    def _pending(self) -> tuple[str, str | None] | None:
        """What to store: (data JSON, old key to replace), or None when nothing changed."""
        data_json = _dump(self._data)
        if not self._data:
            return None
        if self._key is None:
            self._key = _new_key()
        if self._key != self._stored_key:
            return data_json, self._stored_key
        if data_json != self._saved_json:
            return data_json, None
        return None


def _new_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def get_session(connection: HTTPConnection) -> WebSession:
    """The session of this request (``request`` or ``websocket``)."""
    session = connection.scope.get(SCOPE_KEY)
    if not isinstance(session, WebSession):
        raise RuntimeError("no web session: the app was not built with emrex.web (SessionMiddleware)")
    return session


def read_cookie(scope: Scope, name: str) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for header, value in headers:
        if header != b"cookie":
            continue
        for part in value.decode("latin-1").split(";"):
            cookie_name, _, cookie_value = part.strip().partition("=")
            if cookie_name == name:
                return cookie_value.strip()
    return None


class SessionMiddleware:
    """Loads the session before the app runs and saves it when the response starts."""

    def __init__(
        self, app: ASGIApp, *, store: SessionStore, settings: WebSettings, skip_prefixes: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.store = store
        self.settings = settings
        self.skip_prefixes = skip_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.skip_prefixes):
            await self.app(scope, receive, send)
            return
        cookie = read_cookie(scope, self.settings.session_cookie)
        session = await run_in_threadpool(self._load, cookie)
        scope[SCOPE_KEY] = session

        async def send_with_session(message: Message) -> None:
            if message["type"] == "http.response.start":
                set_cookie = await run_in_threadpool(self._save, session, cookie)
                if set_cookie is not None:
                    MutableHeaders(scope=message).append("set-cookie", set_cookie)
            await send(message)

        await self.app(scope, receive, send_with_session)

    def _load(self, cookie: str | None) -> WebSession:
        if cookie is None or not _KEY_PATTERN.fullmatch(cookie):
            return WebSession()
        stored = self.store.load(cookie)
        if stored is None:
            return WebSession()
        return WebSession(cookie, stored.data, created_at=stored.created_at, seen_at=stored.seen_at)

    def _save(self, session: WebSession, cookie: str | None) -> str | None:
        """Store what changed; returns the Set-Cookie value to send, if any."""
        name = self.settings.session_cookie
        pending = session._pending()
        key = session.key
        if pending is None:
            stored_key = session._stored_key
            if stored_key is not None and not session._data:
                self.store.delete(stored_key)
                return f"{name}=; {self.settings.cookie_attributes(max_age=0)}"
            if session.is_new and cookie is not None:
                # An unknown or expired key: forget it rather than keep sending it.
                return f"{name}=; {self.settings.cookie_attributes(max_age=0)}"
            now = utcnow()
            if key is not None and session.seen_at is not None and now - session.seen_at >= TOUCH_INTERVAL:
                self.store.touch(key, session.created_at, now)
            return None
        data_json, replaces = pending
        assert key is not None
        self.store.save(key, data_json, created_at=session.created_at, replaces=replaces)
        if key != cookie:
            return f"{name}={key}; {self.settings.cookie_attributes()}"
        return None
