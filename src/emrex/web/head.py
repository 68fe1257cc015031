"""``HEAD`` answered as ``GET`` without the body (FastAPI routes list GET only), and ``/favicon.ico``."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FAVICON = Path(__file__).parent / "static" / "favicon.ico"
FAVICON_TYPE = "image/vnd.microsoft.icon"


class HeadMiddleware:
    """Routes a HEAD request as a GET and sends its headers only (Content-Length as GET's)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        # In place, so that the middleware around sees the route the router finds; put back afterwards.
        scope["method"] = "GET"
        try:
            await self.app(scope, receive, send_headers_only)
        finally:
            scope["method"] = "HEAD"


_ICON = FAVICON.read_bytes()


async def favicon(request: Request) -> Response:
    return Response(_ICON, media_type=FAVICON_TYPE, headers={"cache-control": "public, max-age=86400"})
