"""Sessions: before login in a signed cookie, from login on server-side in the database.

Handlers call ``get_session(request)``. A visitor who has not logged in stores nothing on the server:
their session data travels in the cookie, signed (``emrex.web.cookies``). ``rotate()`` (called at
login) moves the session to the database: the cookie then holds a random key and the data lives in
``web_session`` as JSON. Changes are saved when the response starts, only if the data changed (or the
key was rotated); a request that fails with an exception saves nothing.

Each request gets a database scope (``emrex.db.scope``): loading the session, the handler's blocks and
saving share one connection, and the reads one transaction; it is released when the response starts.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emrex.db import utcnow
from emrex.db.scope import current_scope, request_scope
from emrex.web.cookies import PATTERN as SIGNED_PATTERN
from emrex.web.cookies import SignedCookies
from emrex.web.settings import WebSettings
from emrex.web.store import SessionStore

logger = logging.getLogger("emrex.web.sessions")

SCOPE_KEY = "emrex.session"
CSRF_KEY = "_csrf"
KEY_BYTES = 32
_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
# Idle expiry slides forward, but a read-only request writes at most this often.
TOUCH_INTERVAL = timedelta(minutes=1)


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


_EMPTY = _dump({})


class WebSession:
    """The visitor's session data; values must be JSON-serialisable."""

    def __init__(
        self,
        key: str | None = None,
        data: dict[str, Any] | None = None,
        *,
        created_at: datetime | None = None,
        seen_at: datetime | None = None,
        signed: bool = False,
        data_json: str | None = None,
    ) -> None:
        """``data_json``: the stored text ``data`` was read from (written by ``_dump``), if known."""
        self._data: dict[str, Any] = dict(data or {})
        self._stored_key = key
        self._key = key
        # A session is kept in the database once it was (a key) or once someone logs in (rotate).
        self._persistent = key is not None
        if key is None and not signed:
            self._saved_json = _EMPTY
        else:
            self._saved_json = data_json if data_json is not None else _dump(self._data)
        self.created_at = created_at or utcnow()
        self.seen_at = seen_at

    @property
    def persistent(self) -> bool:
        """Whether the session lives in the database (after login) rather than in a signed cookie."""
        return self._persistent

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
        """Give the session a new key (same data), kept in the database from now on; the old cookie
        value stops working. Call at login.

        The CSRF token is renewed too: whoever planted the old session may know the old one.
        """
        self._key = _new_key()
        self._persistent = True
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
    def _changed(self) -> bool:
        return _dump(self._data) != self._saved_json

    def _pending(self) -> tuple[str, str | None] | None:
        """What to store in the database: (data JSON, old key to replace), or None when nothing changed."""
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
        self._cookies: SignedCookies | None = None

    @property
    def cookies(self) -> SignedCookies:
        if self._cookies is None:
            self._cookies = SignedCookies(self.store.cookie_key(), self.store.lifetimes)
        return self._cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.skip_prefixes):
            await self.app(scope, receive, send)
            return
        with request_scope() as database_scope:
            cookie = read_cookie(scope, self.settings.session_cookie)
            if self._needs_database(cookie):
                session = await run_in_threadpool(self._load, cookie)
            else:  # no cookie, or a signed one: nothing to read, no thread to wait for
                session = self._load(cookie)
            scope[SCOPE_KEY] = session

            async def send_with_session(message: Message) -> None:
                if message["type"] == "http.response.start":
                    if session.persistent or database_scope.holds_connections or self._cookies is None:
                        set_cookie = await run_in_threadpool(self._save_and_release, session, cookie)
                    else:  # a visitor's signed cookie, and no connection to give back
                        set_cookie = self._save_in_cookie(session, cookie)
                    if set_cookie is not None:
                        MutableHeaders(scope=message).append("set-cookie", set_cookie)
                await send(message)

            try:
                await self.app(scope, receive, send_with_session)
            finally:
                if database_scope.holds_connections:  # the request failed, or used the database later
                    await run_in_threadpool(database_scope.release)

    def _needs_database(self, cookie: str | None) -> bool:
        """Whether loading the session for ``cookie`` reads the database (a stored session's key, or the
        first signed cookie this process sees: the signing key is read once)."""
        if cookie is None:
            return False
        return self._cookies is None or _KEY_PATTERN.fullmatch(cookie) is not None

    def _save_and_release(self, session: WebSession, cookie: str | None) -> str | None:
        """Save the session, then end the request's reads and give its connection back: the body is
        sent without one."""
        scope = current_scope()
        try:
            return self._save(session, cookie)
        finally:
            if scope is not None:
                scope.release()

    def _load(self, cookie: str | None) -> WebSession:
        if cookie is None:
            return WebSession()
        if _KEY_PATTERN.fullmatch(cookie):
            stored = self.store.load(cookie)
            if stored is None:
                return WebSession()
            return WebSession(
                cookie,
                stored.data,
                created_at=stored.created_at,
                seen_at=stored.seen_at,
                data_json=stored.data_json,
            )
        if SIGNED_PATTERN.fullmatch(cookie):
            found = self.cookies.decode(cookie, utcnow())
            if found is not None:
                return WebSession(
                    None, found.data, created_at=found.created_at, seen_at=found.issued_at, signed=True
                )
        return WebSession()

    def _save(self, session: WebSession, cookie: str | None) -> str | None:
        """Store what changed; returns the Set-Cookie value to send, if any."""
        if not session.persistent:
            return self._save_in_cookie(session, cookie)
        name = self.settings.session_cookie
        pending = session._pending()
        key = session.key
        if pending is None:
            stored_key = session._stored_key
            if stored_key is not None and not session._data:
                self.store.delete(stored_key)
                return self._forget()
            if session.is_new and cookie is not None:
                # An unknown or expired key, or a logout: forget it rather than keep sending it.
                return self._forget()
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

    def _save_in_cookie(self, session: WebSession, cookie: str | None) -> str | None:
        """The session of a visitor who has not logged in: nothing stored, the data signed in the cookie."""
        if not session._data:
            return self._forget() if cookie is not None else None
        now = utcnow()
        fresh = session.seen_at is not None and now - session.seen_at < TOUCH_INTERVAL
        if not session._changed() and fresh and cookie is not None:
            return None
        value = self.cookies.encode(session._data, session.created_at, now)
        if value is None:
            logger.warning("a visitor's session data does not fit into a cookie; it was not kept")
            return self._forget() if cookie is not None else None
        return f"{self.settings.session_cookie}={value}; {self.settings.cookie_attributes()}"

    def _forget(self) -> str:
        return f"{self.settings.session_cookie}=; {self.settings.cookie_attributes(max_age=0)}"
