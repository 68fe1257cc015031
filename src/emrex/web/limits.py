"""Bounded request bodies: 413 with a readable page when a client sends more than allowed."""

from __future__ import annotations

from collections.abc import Callable, Collection

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")
        self.limit = limit


def describe_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    if size >= 1024:
        return f"{size / 1024:g} KB"
    return f"{size} bytes"


class ResponseTracker:
    """Wraps ``send`` to know whether the response has begun: an error page can replace the answer
    only while nothing has gone out."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


class BodyLimitMiddleware:
    """``small`` bytes for ordinary requests, ``large`` for the listed paths (elmo posts, uploads)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        small: int,
        large: int,
        large_paths: Collection[str],
        error_page: Callable[[Request, BodyTooLarge], Response],
    ) -> None:
        self.app = app
        self.small = small
        self.large = large
        self.large_paths = frozenset(large_paths)
        self.error_page = error_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.large if scope["path"] in self.large_paths else self.small
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self.error_page(Request(scope), BodyTooLarge(limit))(scope, receive, send)
            return

        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        response = ResponseTracker(send)
        try:
            await self.app(scope, bounded_receive, response.send)
        except BodyTooLarge as error:
            if response.started:
                raise
            await self.error_page(Request(scope), error)(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
