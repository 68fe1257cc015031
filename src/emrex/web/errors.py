"""Error pages: every failure is a page in the layout with one line of explanation, never a traceback.

Unexpected exceptions are logged with the request id, and the visitor sees that id on a generic 500
page, so support can find the log entry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Any

from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from emrex.web.limits import BodyTooLarge, ResponseTracker, describe_size
from emrex.web.pages import pages_of
from emrex.web.requestlog import logged_path

logger = logging.getLogger("emrex.web.error")
TEMPLATE = "emrex/error.html"


class ShowPage(Exception):
    """Stop the handler and answer with ``page``: a step that cannot go on (an expired or finished flow,
    someone else's, nobody logged in) raises it from wherever it finds out, instead of returning a union
    of result and page that every caller checks."""

    def __init__(self, page: Response) -> None:
        super().__init__(f"page {page.status_code}")
        self.page = page


async def show_page_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ShowPage)
    return exc.page


def error_page(
    request: Request,
    status: int,
    *,
    detail: str | None = None,
    reason: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    context = {"status": status, "detail": detail, "reason": reason}
    # The failure may be in a context processor (no session when the database is down): then the
    # page goes without them, and as a last resort as one line of text.
    for processors in (True, False):
        try:
            return pages_of(request).render(
                request, TEMPLATE, context, status_code=status, headers=headers, processors=processors
            )
        except Exception:
            logger.exception("error page could not be rendered [request_id=%s]", _request_id(request))
    return PlainTextResponse(f"{status} {_phrase(status)}", status_code=status, headers=headers)


def csrf_failure_page(request: Request) -> Response:
    return error_page(request, 403, reason="csrf")


def too_many_requests_page(request: Request, wait_seconds: int) -> Response:
    return error_page(request, 429, reason="rate", headers={"Retry-After": str(wait_seconds)})


def too_large_page(request: Request, error: BodyTooLarge) -> Response:
    return error_page(request, 413, detail=describe_size(error.limit), reason="too_large")


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if isinstance(exc, BodyTooLarge):
        return too_large_page(request, exc)
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    if detail == _phrase(exc.status_code):
        detail = None
    return error_page(request, exc.status_code, detail=detail, headers=dict(exc.headers or {}))


async def validation_exception_handler(request: Request, exc: Exception) -> Response:
    return error_page(request, 400, reason="invalid")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _database_unreachable(error: BaseException) -> bool:
    # Connection-level failures (a restarting server, an unopenable file, a lock held too long),
    # possibly wrapped by our own code: worth a "wait a minute" page rather than a generic 500.
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, OperationalError | InterfaceError | DisconnectionError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _request_id(request: Request) -> str:
    value = request.scope.get("emrex.request_id")
    return value if isinstance(value, str) else "-"


class ErrorPageMiddleware:
    """Turns any exception that escapes the app into the 500 page (and one log entry with the traceback)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response = ResponseTracker(send)
        try:
            await self.app(scope, receive, response.send)
        except ClientDisconnect:
            # Nobody to answer: a client that went away (or was cut off by the server's timeouts) is
            # worth one line, not a traceback.
            logger.info(
                "the client went away before its request was read: %s %s [request_id=%s]",
                scope["method"],
                logged_path(scope),
                _request_id(Request(scope)),
            )
        except Exception as error:
            request = Request(scope)
            if not response.started and _database_unreachable(error):
                # Only the class: SQLAlchemy's message carries the statement and its parameters.
                logger.warning(
                    "database unreachable in %s %s [request_id=%s]: %s",
                    scope["method"],
                    scope["path"],
                    _request_id(request),
                    type(error).__name__,
                )
                page = error_page(request, 503, reason="unavailable", headers={"Retry-After": "60"})
                await page(scope, receive, send)
                return
            logger.exception(
                "unhandled exception in %s %s [request_id=%s]",
                scope["method"],
                scope["path"],
                _request_id(request),
            )
            if response.started:
                raise
            await error_page(request, 500)(scope, receive, send)


EXCEPTION_HANDLERS: dict[int | type[Exception], Callable[[Request, Any], Coroutine[Any, Any, Response]]] = {
    HTTPException: http_exception_handler,
    RequestValidationError: validation_exception_handler,
    ShowPage: show_page_handler,
}
