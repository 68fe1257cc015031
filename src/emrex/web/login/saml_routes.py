"""The SAML pages: ``/login/saml/metadata``, ``/login/saml/acs``, ``/login/saml/done``, ``/login/saml/slo``.

The identity provider posts its answer to the ACS cross-site, so the browser's ``SameSite=Lax`` session
cookie does not come with it (the ACS is exempt from CSRF checks: ``CROSS_SITE_PATHS``). The ACS checks
the answer and stores it on the waiting request; ``/login/saml/done`` then finds it with the cookie of
the browser that started the login, and only there is the person logged in.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from emrex.db import Database
from emrex.web.auth import (
    Person,
    PersonError,
    current_person,
    landing,
    login_person,
    logout_person,
    session_of,
)
from emrex.web.login.attributes import AttributeProblem, MissingAttributes
from emrex.web.login.saml import REQUEST_LIFETIME, SamlError, ServiceProvider
from emrex.web.login.saml_logout import check_logout_response, logout_request
from emrex.web.login.saml_metadata import MetadataError
from emrex.web.login.saml_store import LOGIN, LOGOUT, Replayed, SamlStore
from emrex.web.login.settings import LoginSettings
from emrex.web.login.throttle import Keys, LoginThrottle, TooManyAttempts
from emrex.web.pages import autopost, render

logger = logging.getLogger("emrex.web.login.saml")
ACS_PATH = "/login/saml/acs"
CROSS_SITE_PATHS = (ACS_PATH,)
PENDING_KEY = "emrex.saml_pending"
SESSION_KEY = "emrex.saml_session"
MAX_PENDING = 3
MAX_QUERY = 64 * 1024


def cross_site_paths(settings: LoginSettings) -> tuple[str, ...]:
    """Paths that take the identity provider's cross-site form posts (list them as CSRF-exempt)."""
    return CROSS_SITE_PATHS if settings.method == "saml" else ()


class SamlLogin:
    """What ``login_router`` needs for the saml method: ``start``, ``logout`` and ``router``."""

    def __init__(
        self,
        settings: LoginSettings,
        database: Database,
        throttle: LoginThrottle,
        address: Callable[[Request], str],
        *,
        transport: Any = None,
        staff_home: str = "",
    ) -> None:
        self.settings = settings
        self.staff_home = staff_home
        self.provider = ServiceProvider(settings, transport=transport)
        self.store = SamlStore(database, REQUEST_LIFETIME)
        self.throttle = throttle
        self.address = address
        self.router = APIRouter()
        self._routes()

    async def start(self, request: Request, target: str) -> Response:
        """Send the browser to the identity provider with a signed AuthnRequest."""
        try:
            request_id, outgoing = await run_in_threadpool(self.provider.login_request)
        except MetadataError as error:
            logger.warning("SAML login cannot start: %s", error)
            return _page(request, "login/oidc_error.html", 502, detail=_unreachable(error))
        await run_in_threadpool(self.store.expect, LOGIN, request_id)
        session = session_of(request)
        stored = session.get(PENDING_KEY)
        waiting = dict(stored) if isinstance(stored, dict) else {}
        waiting[request_id] = {"next": target, "started": time.time()}
        session.set(PENDING_KEY, dict(list(waiting.items())[-MAX_PENDING:]))
        if outgoing.fields:
            return autopost(request, outgoing.url, outgoing.fields, target_name="your identity provider")
        return RedirectResponse(outgoing.url, status_code=303)

    async def logout(self, request: Request) -> Response:
        """Log out here, then at the identity provider when it offers single logout."""
        stored = session_of(request).get(SESSION_KEY)
        logout_person(request)
        if isinstance(stored, dict) and isinstance(stored.get("name_id"), dict):
            try:
                found = await run_in_threadpool(
                    logout_request, self.provider, stored["name_id"], str(stored.get("session_index") or "")
                )
            except (MetadataError, SamlError) as error:
                logger.warning("SAML single logout cannot start: %s", error)
                found = None
            if found is not None:
                request_id, outgoing = found
                await run_in_threadpool(self.store.expect, LOGOUT, request_id)
                return RedirectResponse(outgoing.url, status_code=303)
        return RedirectResponse(self.settings.logout_url, status_code=303)

    def _routes(self) -> None:
        provider, store = self.provider, self.store

        @self.router.get("/login/saml/metadata", name="saml_metadata")
        async def metadata() -> Response:
            return Response(provider.sp_metadata(), media_type="application/samlmetadata+xml")

        @self.router.post(ACS_PATH, name="saml_acs")
        async def acs(request: Request) -> Response:
            keys = Keys(self.address(request))
            try:  # counted before the answer is checked; forgotten when it is good
                attempt = await run_in_threadpool(self.throttle.attempt, keys)
            except TooManyAttempts as error:
                return _page(request, "login/too_many.html", 429, minutes=max(1, -(-error.retry_after // 60)))
            try:
                encoded = await _saml_field(request, provider.config.max_response_bytes)
                answer = await run_in_threadpool(
                    provider.check_response, encoded, lambda rid: store.is_waiting(LOGIN, rid)
                )
                stored = {
                    "person": answer.person.to_json(),
                    "name_id": dict(answer.name_id),
                    "session_index": answer.session_index,
                }
                await run_in_threadpool(
                    store.answer,
                    answer.request_id,
                    json.dumps(stored),
                    list(answer.used_ids),
                    answer.used_until,
                )
            except (SamlError, Replayed, MetadataError) as error:
                logger.warning("SAML answer refused: %s", error)
                return _page(request, "login/oidc_error.html", 400, detail=_sentence(error))
            except AttributeProblem as error:
                template = (
                    "login/missing.html" if isinstance(error, MissingAttributes) else "login/oidc_error.html"
                )
                return _page(request, template, 400, names=error.names, detail=str(error))
            await run_in_threadpool(self.throttle.succeeded, attempt)
            query = urllib.parse.urlencode({"request": answer.request_id})
            return RedirectResponse(f"/login/saml/done?{query}", status_code=303)

        @self.router.get("/login/saml/done", name="saml_done")
        async def done(request: Request) -> Response:
            request_id = request.query_params.get("request", "")[:256]
            session = session_of(request)
            stored = session.get(PENDING_KEY)
            waiting = dict(stored) if isinstance(stored, dict) else {}
            pending = waiting.pop(request_id, None)
            if pending is not None:
                session.set(PENDING_KEY, waiting)
            answer = (
                await run_in_threadpool(store.take_answer, request_id) if isinstance(pending, dict) else None
            )
            try:
                data = json.loads(answer) if answer else None
                person = Person.from_json(data["person"]) if isinstance(data, dict) else None
            except (ValueError, KeyError, TypeError, PersonError):
                person = None
            if person is None or not isinstance(data, dict) or not isinstance(pending, dict):
                detail = "This login was not started in this browser, or it was finished already."
                return _page(request, "login/oidc_error.html", 400, detail=detail)
            login_person(request, person)
            session_of(request).set(
                SESSION_KEY,
                {"name_id": data.get("name_id") or {}, "session_index": data.get("session_index", "")},
            )

            target = landing(str(pending.get("next") or "/"), person, self.staff_home)
            return RedirectResponse(target, status_code=303)

        @self.router.get("/login/saml/slo", name="saml_slo")
        async def slo(request: Request) -> Response:
            raw = request.scope.get("query_string", b"").decode("latin-1")
            if len(raw) > MAX_QUERY:
                return _page(request, "login/oidc_error.html", 400, detail="The logout answer is too large.")
            if "SAMLRequest=" in raw:
                detail = "Logout started by the identity provider is not supported; log out on this site."
                return _page(request, "login/oidc_error.html", 400, detail=detail)
            try:
                request_id, everywhere = await run_in_threadpool(
                    check_logout_response, provider, raw, lambda rid: store.is_waiting(LOGOUT, rid)
                )
            except (SamlError, MetadataError) as error:
                logger.warning("SAML logout answer refused: %s", error)
                return _page(request, "login/oidc_error.html", 400, detail=_sentence(error))
            await run_in_threadpool(store.finish, LOGOUT, request_id)
            if current_person(request) is not None:
                logout_person(request)
            if everywhere:
                return RedirectResponse(self.settings.logout_url, status_code=303)
            return _page(request, "login/saml_logout.html", 200)


async def _saml_field(request: Request, limit: int) -> str:
    """The ``SAMLResponse`` form field, the body bounded before it is parsed."""
    bound = limit * 4 + 4096  # base64 grows by a third; URL-encoding of +, / and = at most triples that
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > bound:
        raise SamlError(f"the identity provider's answer is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > bound:
            raise SamlError(f"the identity provider's answer is larger than {limit} bytes")
        chunks.append(chunk)
    try:
        fields = urllib.parse.parse_qs(
            b"".join(chunks).decode("ascii"), max_num_fields=8, strict_parsing=False
        )
    except (UnicodeDecodeError, ValueError):
        raise SamlError("the identity provider's answer is not a form post") from None
    values = fields.get("SAMLResponse", [])
    if len(values) != 1 or not values[0]:
        raise SamlError("the identity provider's answer is missing (no SAMLResponse)")
    return values[0]


def _sentence(error: Exception) -> str:
    text = str(error)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _unreachable(error: Exception) -> str:
    return f"The identity provider cannot be used right now ({error}). Please try again later."


def _page(request: Request, template: str, status: int, **context: Any) -> Response:
    return render(request, template, context, status_code=status)
