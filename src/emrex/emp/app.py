"""``create_emp_app(settings)``: the EMP as one ASGI app (the EMREX entry, the student's pages of a
transfer, the staff's statistics, login).

One provider session ("flow") per EMREX request. The entry stores nothing: the request waits in the
browser's session (a signed cookie) until someone logs in; the first page after login stores it in
the database, bound to the person and to the browser's web session (a secret kept there). The pages
live in ``student`` (a transfer) and ``staff``; ``flows`` opens and ends a flow; ``service`` is what
they share. The student can post a finished flow's answer again from its page until it expires.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from emrex.db import Database, upgrade
from emrex.db.owner import mark_service
from emrex.emp import export, wallet_staff
from emrex.emp.config import EmpSettings
from emrex.emp.ewp_serving import mount_ewp, signed_paths
from emrex.emp.protocol import EntryRules
from emrex.emp.results_cache import ResultsCache
from emrex.emp.runtime import build_source, credential_sealer, load_signer, transcript_sealer, wallet_issuing
from emrex.emp.service import EmpService
from emrex.emp.sources.base import ResultsSource
from emrex.emp.stats_pages import stats_router
from emrex.emp.store import FlowStore
from emrex.emp.student import student_router
from emrex.errors import N_
from emrex.trust.signer import Signer
from emrex.web import WebSettings, create_web_app
from emrex.web.auth import current_person, person_context
from emrex.web.login import LOCALE_DIR as LOGIN_LOCALE_DIR
from emrex.web.login import LOGIN_PATHS, LoginSettings, cross_site_paths, login_router, request_address
from emrex.web.login import TEMPLATES_DIR as LOGIN_TEMPLATES_DIR

TEMPLATES_DIR = Path(__file__).parent / "templates"
LOCALE_DIR = Path(__file__).parent / "locale"


def create_emp_app(
    settings: EmpSettings,
    *,
    database: Database | None = None,
    source: ResultsSource | None = None,
    signer: Signer | None = None,
    migrate: bool = True,
) -> FastAPI:
    """The ASGI app of one EMP. Unset parts are built from ``settings`` (database, source, key)."""
    database = database or Database(settings.database_url)
    if migrate:
        upgrade(database)
    mark_service(database, "emp")
    signer = signer or load_signer(settings)
    service = EmpService(
        settings=settings,
        database=database,
        source=source if source is not None else build_source(settings.source, database),
        signer=signer,
        flows=FlowStore(database, settings.session_lifetime),
        rules=EntryRules(dev_http_hosts=settings.http_hosts, client_hosts=frozenset(settings.client_hosts)),
        results=ResultsCache(settings.results_cache, weigh=lambda found: len(found.rows)),
        transcript_sealer=transcript_sealer(signer) if settings.seal_transcript else None,
        credential_sealer=credential_sealer(settings),
        wallet=wallet_issuing(settings, database),
    )
    secure = settings.base_url.startswith("https://")
    login = LoginSettings.from_mapping(settings.login)
    web_settings = WebSettings(
        base_url=settings.base_url,
        secure_cookies=secure,
        dev_http_hosts=tuple(sorted(settings.http_hosts)),
        languages=settings.languages,
        default_language=settings.default_language,
        # The browser's web session holds the flow's secret: it must live at least as long as the flow.
        session_idle=max(timedelta(minutes=30), settings.session_lifetime),
        session_absolute=max(timedelta(hours=8), settings.session_lifetime),
    )
    login = LoginSettings.from_mapping(settings.login)
    app = create_web_app(
        web_settings,
        database,
        title=settings.name,
        templates_dirs=[TEMPLATES_DIR, LOGIN_TEMPLATES_DIR],
        locale_dirs=[LOGIN_LOCALE_DIR, LOCALE_DIR],
        exempt_paths=[
            settings.entry_path,
            *cross_site_paths(login),
            *signed_paths(settings),
            *(service.wallet.issuer.post_paths if service.wallet else ()),  # wallets post from outside
        ],
        context_processors=[person_context, _layout_context],
        limited_paths=[settings.entry_path, *LOGIN_PATHS],
        requests_per_minute=login.rate_limit.requests_per_minute,
        client_address=lambda request: request_address(login, request),
        look=settings.look,
    )
    app.state.emrex_emp = service
    app.include_router(login_router(login, database, staff_home="/admin/stats"))
    app.include_router(student_router(service))
    app.include_router(stats_router(service))
    export.install(app, service)  # the student's own export, and the wallet issuer with [wallet]
    if service.wallet is not None:
        app.include_router(wallet_staff.wallet_staff_router(service))
    mount_ewp(app, service)  # when [ewp] is configured: emrex.emp.ewp_serving
    if settings.oots is not None:  # also an OOTS evidence provider: emp.oots_pages
        # Kept here: the OOTS pages and access point cost an EMP without OOTS about 190 modules.
        from emrex.emp.oots_pages import mount_oots

        mount_oots(app, service)
    return app


def _layout_context(request: Any) -> dict[str, Any]:
    """The menu (staff see their statistics, and the wallet credentials where the EMP issues them;
    whoever is logged in can log out) and, on the login page
    of a transfer, its step in the guide."""
    step = (
        2 if request.url.path == "/login" and request.query_params.get("next", "").startswith("/flow/") else 0
    )
    try:
        person = current_person(request)
    except RuntimeError:  # an early error page, outside the sessions
        person = None
    if person is None:
        return {"nav_links": [], "guide_step": step}
    staff = person.has_role("staff") or person.has_role("admin")
    links = [("/admin/stats", N_("Statistics"))] if staff else []
    service = getattr(request.app.state, "emrex_emp", None)
    if staff and service is not None and service.wallet is not None:
        links.append(("/admin/wallet", N_("Wallet credentials")))
    return {"nav_links": [*links, ("/logout", N_("Log out"))], "guide_step": step}
