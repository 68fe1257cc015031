"""The factory the EMP and EMC build their web apps with.

Middleware, outermost first: request log (request id) -> security headers -> language -> error
pages -> request rate (anonymous paths) -> sessions -> body limits -> CSRF -> HEAD as GET -> FastAPI
routes (HTTP errors become pages there).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from emrex.db import Database
from emrex.web.csrf import CsrfMiddleware
from emrex.web.errors import (
    EXCEPTION_HANDLERS,
    ErrorPageMiddleware,
    csrf_failure_page,
    too_large_page,
    too_many_requests_page,
)
from emrex.web.head import HeadMiddleware, favicon
from emrex.web.health import health_router
from emrex.web.i18n import Catalogs, LocaleMiddleware, language_router
from emrex.web.limits import BodyLimitMiddleware
from emrex.web.look import CSS_PATH, LOGO_PATH, LOOK_PREFIX, Look
from emrex.web.pages import STATE_KEY, ContextProcessor, Pages
from emrex.web.ratelimit import RateLimitMiddleware, RequestLimiter
from emrex.web.requestlog import RequestLogMiddleware
from emrex.web.security import FAVICON_PATH, STATIC_PREFIX, SecurityHeadersMiddleware
from emrex.web.server import run
from emrex.web.sessions import SessionMiddleware
from emrex.web.settings import WebSettings
from emrex.web.store import Lifetimes, SessionStore

STATIC_DIR = Path(__file__).parent / "static"


def create_web_app(
    settings: WebSettings,
    database: Database,
    *,
    title: str,
    templates_dirs: Iterable[Path] = (),
    locale_dirs: Iterable[Path] = (),
    exempt_paths: Iterable[str] = (),
    large_body_paths: Iterable[str] = (),
    script_hashes: Iterable[str] = (),
    context_processors: Iterable[ContextProcessor] = (),
    limited_paths: Iterable[str] = (),
    requests_per_minute: int = 0,
    client_address: Callable[[Request], str] | None = None,
    look: Look | None = None,
) -> FastAPI:
    """A FastAPI app with sessions, CSRF, limits, headers, i18n, error pages, /static, /health,
    /favicon.ico and /language (the language picker's target); HEAD is answered on every GET route.

    ``exempt_paths``: the protocol endpoints that take cross-site form posts (no CSRF check, large
    body limit). ``large_body_paths``: other paths that accept ``max_protocol_bytes`` (uploads).
    ``script_hashes``: CSP hashes (``security.script_hash``) of inline scripts the pages use.
    ``context_processors``: functions ``(request) -> dict`` whose values every page gets (``person``).
    ``limited_paths``: paths anyone may call anonymously (protocol entry, login), allowed
    ``requests_per_minute`` per ``client_address`` (default: the peer) and worker; 0: no limit.
    ``look``: the institution's name, logo, colours and local texts (``emrex.web.look``).
    The database schema must be migrated (``emrex.db.upgrade``) before the app serves requests.
    """
    exempt = frozenset(exempt_paths)
    catalogs = Catalogs(settings.languages, [Path(d) for d in locale_dirs])
    pages = Pages(
        settings,
        catalogs,
        title=title,
        templates_dirs=[Path(d) for d in templates_dirs],
        context_processors=context_processors,
        look=look,
    )
    store = SessionStore(database, Lifetimes(settings.session_idle, settings.session_absolute))
    middleware = [
        Middleware(RequestLogMiddleware),
        Middleware(SecurityHeadersMiddleware, settings=settings, script_hashes=tuple(script_hashes)),
        Middleware(LocaleMiddleware, settings=settings),
        Middleware(ErrorPageMiddleware),
        *_rate_limit(limited_paths, requests_per_minute, client_address),
        Middleware(
            SessionMiddleware,
            store=store,
            settings=settings,
            skip_prefixes=(STATIC_PREFIX, FAVICON_PATH, LOOK_PREFIX),
        ),
        Middleware(
            BodyLimitMiddleware,
            small=settings.max_form_bytes,
            large=settings.max_protocol_bytes,
            large_paths=exempt | frozenset(large_body_paths),
            error_page=too_large_page,
        ),
        Middleware(
            CsrfMiddleware,
            exempt_paths=exempt,
            error_page=csrf_failure_page,
            max_part_size=settings.max_protocol_bytes,
        ),
        Middleware(HeadMiddleware),
    ]
    app = FastAPI(
        title=title,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        middleware=middleware,
        exception_handlers=dict(EXCEPTION_HANDLERS),
        # Body size is bounded per path by BodyLimitMiddleware; one form field may use all of it.
        form_limits={"max_part_size": settings.max_protocol_bytes, "max_fields": 1000, "max_files": 20},
    )
    setattr(app.state, STATE_KEY, pages)
    app.state.emrex_settings = settings
    app.state.emrex_database = database
    app.state.emrex_sessions = store
    app.mount(STATIC_PREFIX.rstrip("/"), StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(health_router(database))
    app.include_router(language_router())
    app.add_route(FAVICON_PATH, favicon, methods=["GET"], include_in_schema=False)
    _serve_look(app, pages.look)
    return app


def _serve_look(app: FastAPI, look: Look) -> None:
    """The look's stylesheet and logo, when it has them (read once: the files are checked at start)."""
    if look.colours:
        css = look.stylesheet().encode("ascii")
        app.add_route(CSS_PATH, lambda _: Response(css, media_type="text/css"), methods=["GET"])
    if look.logo is not None:
        logo = look.logo
        app.add_route(
            LOGO_PATH, lambda _: Response(logo.content, media_type=logo.media_type), methods=["GET"]
        )


def _rate_limit(
    paths: Iterable[str], per_minute: int, address: Callable[[Request], str] | None
) -> list[Middleware]:
    limited = frozenset(paths)
    if not limited or per_minute <= 0:
        return []
    return [
        Middleware(
            RateLimitMiddleware,
            paths=limited,
            limiter=RequestLimiter(per_minute),
            address_of=address or _peer,
            refused=too_many_requests_page,
        )
    ]


def _peer(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def serve(app: FastAPI, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run ``app`` in one uvicorn process with our settings (``emrex.web.server``): no access log (it
    logs query strings, ours does not), no proxy headers, read timeouts. For several workers use
    ``emrex.web.server.run`` with an import string and ``factory=True``."""
    run(app, host=host, port=port)
