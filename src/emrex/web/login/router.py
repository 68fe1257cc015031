"""The login pages: ``/login`` (per method), ``/login/callback`` (OIDC) and ``/logout``.

Every successful login goes through ``emrex.web.auth.login_person`` (new session id, person stored) and
ends in a redirect to a local ``next`` path. ``LoginThrottle`` counts every attempt before it is checked
and forgets the ones that succeed.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from emrex.db import Database
from emrex.web.auth import Person, current_person, landing, login_person, logout_person, safe_next, session_of
from emrex.web.login.attributes import AttributeProblem, MissingAttributes
from emrex.web.login.demo import authenticate
from emrex.web.login.headers import UntrustedProxy, person_from_headers, request_address
from emrex.web.login.oidc import OidcClient, OidcError, PendingLogin
from emrex.web.login.saml_routes import SamlLogin
from emrex.web.login.settings import DemoAccount, LoginSettings
from emrex.web.login.throttle import Keys, LoginThrottle, TooManyAttempts
from emrex.web.pages import render

logger = logging.getLogger("emrex.web.login")
TEMPLATES_DIR = Path(__file__).parent / "templates"
LOCALE_DIR = Path(__file__).parent / "locale"
PENDING_KEY = "emrex.oidc_pending"
# Paths anyone may call without logging in: the services rate-limit them per address.
LOGIN_PATHS = ("/login", "/login/callback")
# Logins started in other tabs stay valid, up to this many at once.
MAX_PENDING = 3
MAX_FIELD = 256


def login_router(
    settings: LoginSettings,
    database: Database,
    *,
    oidc_transport: httpx.AsyncBaseTransport | None = None,
    saml_transport: httpx.BaseTransport | None = None,
    staff_home: str = "",
) -> APIRouter:
    """Routes for the configured login method; include it in the service's app. Staff whose login
    would end on the home page land on ``staff_home`` (when given)."""
    router = APIRouter()
    throttle = LoginThrottle(database, settings.rate_limit)
    oidc = OidcClient(settings, transport=oidc_transport) if settings.method == "oidc" else None

    def address(request: Request) -> str:
        return request_address(settings, request)

    saml = None
    if settings.method == "saml":
        saml = SamlLogin(
            settings, database, throttle, address, transport=saml_transport, staff_home=staff_home
        )
        router.include_router(saml.router)

    def done(request: Request, target: str) -> Response:
        person = current_person(request)
        path = landing(target, person, staff_home) if person is not None else safe_next(target)
        return RedirectResponse(path, status_code=303)

    @router.get("/login", name="login")
    async def login_page(request: Request) -> Response:
        target = safe_next(request.query_params.get("next"))
        if current_person(request) is not None:
            return done(request, target)
        if settings.method == "demo":
            return _demo_form(request, target)
        keys = Keys(address(request))
        if settings.method == "headers":
            return await _headers_login(request, keys, target)
        try:
            await run_in_threadpool(throttle.check, keys)
        except TooManyAttempts as error:
            return _too_many(request, error)
        if saml is not None:
            return await saml.start(request, target)
        assert oidc is not None
        try:
            url, pending = await oidc.start(_redirect_uri(request, settings), target)
        except OidcError as error:
            return _message(request, "login/oidc_error.html", 502, detail=str(error))
        session = session_of(request)
        stored = session.get(PENDING_KEY)
        waiting = dict(stored) if isinstance(stored, dict) else {}
        waiting[pending.state] = pending.to_dict()
        session.set(PENDING_KEY, dict(list(waiting.items())[-MAX_PENDING:]))
        return RedirectResponse(url, status_code=303)

    async def _headers_login(request: Request, keys: Keys, target: str) -> Response:
        try:
            attempt = await run_in_threadpool(throttle.attempt, keys)
        except TooManyAttempts as error:
            return _too_many(request, error)
        peer = request.client.host if request.client else None
        try:
            person = person_from_headers(settings, peer, request.headers)
        except UntrustedProxy:
            if "x-forwarded-for" in request.headers:
                logger.warning(
                    "login headers refused: the request did not come from a trusted proxy; if uvicorn runs "
                    "with proxy headers on, it replaced the proxy's address (run it with --no-proxy-headers)"
                )
            return _message(request, "login/untrusted.html", 403)
        except AttributeProblem as error:
            return _attribute_problem(request, error)
        await run_in_threadpool(throttle.succeeded, attempt)
        login_person(request, person)
        return done(request, target)

    @router.get("/login/callback", name="login_callback")
    async def login_callback(request: Request) -> Response:
        if oidc is None:
            return _message(request, "login/oidc_error.html", 404, detail="OIDC login is not configured")
        keys = Keys(address(request))
        try:
            attempt = await run_in_threadpool(throttle.attempt, keys)
        except TooManyAttempts as error:
            return _too_many(request, error)
        params = {k: v[:2048] for k, v in request.query_params.items()}
        session = session_of(request)
        stored = session.get(PENDING_KEY)
        waiting = dict(stored) if isinstance(stored, dict) else {}
        pending = PendingLogin.from_dict(waiting.pop(params.get("state", ""), None))
        session.set(PENDING_KEY, waiting)
        try:
            person = await oidc.finish(pending, params)
        except OidcError as error:
            return _message(request, "login/oidc_error.html", 400, detail=str(error))
        except AttributeProblem as error:
            return _attribute_problem(request, error)
        assert pending is not None
        await run_in_threadpool(throttle.succeeded, attempt)
        session.pop(PENDING_KEY)
        login_person(request, person)
        return done(request, pending.next_url)

    @router.post("/login")
    async def demo_login(request: Request) -> Response:
        if settings.method != "demo":
            return _message(request, "login/oidc_error.html", 405, detail="password login is not enabled")
        form = await request.form()
        username = _field(form.get("username"))
        password = _field(form.get("password"))
        target = safe_next(_field(form.get("next")))
        keys = Keys(address(request), username or None)

        def check() -> DemoAccount | None:  # one trip to a worker thread: count, check, forget if right
            attempt = throttle.attempt(keys)
            account = authenticate(settings.demo_accounts, username, password)
            if account is not None:
                throttle.succeeded(attempt)
            return account

        try:
            account = await run_in_threadpool(check)
        except TooManyAttempts as error:
            return _too_many(request, error)
        if account is None:
            return _demo_form(request, target, username=username, failed=True)
        login_person(request, demo_person(settings, account))
        return done(request, target)

    @router.get("/logout", name="logout")
    async def logout_page(request: Request) -> Response:
        person = current_person(request)
        return render(request, "login/logout.html", {"person": person.display_name if person else None})

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        # The CSRF middleware of emrex.web has checked the token before we get here.
        if saml is not None:
            return await saml.logout(request)
        logout_person(request)
        return RedirectResponse(settings.logout_url, status_code=303)

    return router


def demo_person(settings: LoginSettings, account: DemoAccount) -> Person:
    roles = set(account.roles)
    for role, subjects in settings.subject_roles.items():
        if account.username in subjects:
            roles.add(role)
    return Person(
        subject=account.username,
        given_names=account.given_names,
        family_name=account.family_name,
        source="demo",
        birth_date=account.birth_date,
        identifiers=dict(account.identifiers),
        email=account.email,
        roles=frozenset(roles),
    )


def _redirect_uri(request: Request, settings: LoginSettings) -> str:
    assert settings.oidc is not None
    return settings.oidc.redirect_uri or str(request.url_for("login_callback"))


def _field(value: object) -> str:
    return value[:MAX_FIELD] if isinstance(value, str) else ""


def _demo_form(request: Request, target: str, *, username: str = "", failed: bool = False) -> Response:
    context = {"next": target, "username": username, "failed": failed}
    if failed:  # shown for a POST: the picker leads to the login page again
        context["language_next"] = "/login?" + urlencode({"next": target})
    return render(request, "login/demo.html", context, status_code=401 if failed else 200)


def _message(request: Request, template: str, status: int, **extra: Any) -> Response:
    return render(request, template, extra, status_code=status)


def _too_many(request: Request, error: TooManyAttempts) -> Response:
    minutes = max(1, -(-error.retry_after // 60))
    return render(
        request,
        "login/too_many.html",
        {"minutes": minutes},
        status_code=429,
        headers={"Retry-After": str(error.retry_after)},
    )


def _attribute_problem(request: Request, error: AttributeProblem) -> Response:
    template = "login/missing.html" if isinstance(error, MissingAttributes) else "login/oidc_error.html"
    return render(request, template, {"names": error.names, "detail": str(error)}, status_code=400)
