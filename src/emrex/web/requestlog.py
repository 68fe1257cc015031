"""One structured log line per request: method, route (no query string), status, duration, request id.

Never cookies, form values, query strings or identifiers: when the request matched a route, the
route's template (``/students/{student_id}``) is logged instead of the concrete path, and of a path
that matched nothing only the first segment, when it is a word.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("emrex.web.request")
SCOPE_KEY = "emrex.request_id"
_WORD = re.compile(r"[A-Za-z][A-Za-z._-]{0,39}")


def new_request_id() -> str:
    return secrets.token_hex(8)


def logged_path(scope: Scope) -> str:
    route_path = getattr(scope.get("route"), "path", None)
    if isinstance(route_path, str) and route_path:
        return route_path
    # No route matched: keep the first segment only, the rest may be anything a client typed; and that
    # segment only when it is a word (an identifier has digits, an e-mail address an @).
    first, separator, _ = scope["path"].lstrip("/").partition("/")
    shown = first if _WORD.fullmatch(first) else "…"
    return f"/{shown}/…" if separator else f"/{shown}"


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()
        scope[SCOPE_KEY] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                # An EWP response carries the client's X-Request-Id under its signature: kept as it is.
                if "x-request-id" not in headers:
                    headers["x-request-id"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            path = logged_path(scope)
            record = {
                "event": "request",
                "method": scope["method"],
                "path": path,
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "request_id": request_id,
            }
            logger.info(json.dumps(record, separators=(",", ":")))
