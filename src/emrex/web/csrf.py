"""CSRF protection: every state-changing request must carry the session's token.

The token comes in the form field ``csrf_token`` (templates: ``{{ csrf_field() }}``) or the header
``X-CSRF-Token`` and is compared in constant time. The EMREX protocol endpoints (EMP entry, EMC
return) receive legitimate cross-site form posts and are listed as exempt; they rely on their own
single-use ``sessionId`` instead.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Collection
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emrex.web.sessions import CSRF_KEY, SCOPE_KEY, WebSession

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_FIELD = "csrf_token"
HEADER = b"x-csrf-token"
FORM_TYPES = (b"application/x-www-form-urlencoded", b"multipart/form-data")
MAX_FIELDS = 1000  # as the apps' form limits (emrex.web.app)


class CsrfMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        exempt_paths: Collection[str],
        error_page: Callable[[Request], Response],
        max_part_size: int,
    ) -> None:
        self.app = app
        self.exempt_paths = frozenset(exempt_paths)
        self.error_page = error_page
        self.max_part_size = max_part_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS or scope["path"] in self.exempt_paths:
            await self.app(scope, receive, send)
            return
        session = scope.get(SCOPE_KEY)
        expected = session.get(CSRF_KEY) if isinstance(session, WebSession) else None
        headers = dict(scope.get("headers", ()))
        supplied: str | None = None
        if HEADER in headers:
            supplied = headers[HEADER].decode("latin-1")
        elif headers.get(b"content-type", b"").split(b";")[0].strip().lower() in FORM_TYPES:
            body = await _read_body(receive)
            receive = _replay(body, receive)
            supplied = await self._form_token(scope, body)
        if not (isinstance(expected, str) and supplied and _same(supplied, expected)):
            await self.error_page(Request(scope))(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _form_token(self, scope: Scope, body: bytes) -> str | None:
        if _content_type(scope) == FORM_TYPES[0]:
            return _urlencoded_token(body)
        request = Request(scope, _replay(body, None))
        try:
            form = await request.form(max_part_size=self.max_part_size)
        except Exception:  # an unparseable form has no token, and the app never sees it
            return None
        try:
            value = form.get(FORM_FIELD)
            return value if isinstance(value, str) else None
        finally:
            await form.close()


def _content_type(scope: Scope) -> bytes:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return bytes(value.split(b";")[0].strip().lower())
    return b""


def _urlencoded_token(body: bytes) -> str | None:
    """The last ``csrf_token`` of a urlencoded form, as the app's form parser reads it; the standard
    library's parser (string splits) rather than python-multipart's parser and callbacks. The app
    parses the form again: here only the token matters, and a parser that read it differently could
    only refuse, since accepting needs the secret token."""
    try:
        fields = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:  # more fields than any of our forms has: no token
        return None
    found = [value for name, value in fields if name == FORM_FIELD]
    return found[-1] if found else None


def _same(supplied: str, expected: str) -> bool:
    # Bytes, because compare_digest refuses str with non-ASCII characters (a 500 for any visitor).
    return hmac.compare_digest(supplied.encode("utf-8"), expected.encode("utf-8"))


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive | None) -> Receive:
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        if receive is None:
            return {"type": "http.disconnect"}
        return await receive()

    return replay
