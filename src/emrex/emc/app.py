"""``create_emc_app(settings)``: the EMC as one ASGI app (student and staff pages, return endpoint, API)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from emrex.db import Database, upgrade
from emrex.db.owner import mark_service
from emrex.emc import recognition, verify_page, wallet_import, wallet_issue, wallet_pages
from emrex.emc.api import create_api
from emrex.emc.config import RETURN_PATH, EmcSettings
from emrex.emc.ewp_fetch import EwpFetcher
from emrex.emc.ewp_pages import ewp_router
from emrex.emc.registries import Registries
from emrex.emc.service import Service
from emrex.emc.staff import staff_router
from emrex.emc.stats_pages import stats_router
from emrex.emc.store import purge_raw
from emrex.emc.student import student_router
from emrex.emc.verify_page import VERIFY_PATH
from emrex.emc.webhook import WebhookSender
from emrex.wallet.statuslist import Fetch
from emrex.web import create_web_app
from emrex.web.auth import current_person, person_context
from emrex.web.login import (
    LOCALE_DIR,
    LOGIN_PATHS,
    TEMPLATES_DIR,
    cross_site_paths,
    login_router,
    request_address,
)
from emrex.web.wallet_store import DatabaseIssuerStore

log = logging.getLogger("emrex.emc")
EMC_TEMPLATES = Path(__file__).parent / "templates"
EMC_LOCALE = Path(__file__).parent / "locale"


def create_emc_app(
    settings: EmcSettings,
    *,
    database: Database | None = None,
    registries: Registries | None = None,
    webhook_transport: httpx.BaseTransport | None = None,
    migrate: bool = True,
    background: bool = True,
    ewp_fetcher: Callable[[Service], EwpFetcher] | None = None,
    wallet_status_fetch: Fetch | None = None,
) -> FastAPI:
    """The EMC. ``database``/``registries`` replace the configured ones (tests, the demo network);
    ``background=False`` leaves webhook delivery to explicit calls of ``app.state.emc_webhook``;
    ``ewp_fetcher`` makes the EWP fetcher of the staff page (tests), else ``emc.ewp`` configures it;
    ``wallet_status_fetch`` reads wallet credentials' status lists (tests), else over HTTPS."""
    db = database or Database(settings.database_url)
    if migrate:
        upgrade(db)
    mark_service(db, "emc")
    if settings.purge_at_start and settings.raw_retention is not None:
        purged = purge_raw(db, settings.raw_retention)
        log.info("retention: removed the received documents of %d transfers", purged)
    sender: WebhookSender | None = None
    if settings.webhook is not None:
        sender = WebhookSender(db, settings.webhook, webhook_transport)
    wallet = wallet_issue.load_issuing(settings, DatabaseIssuerStore(db))
    service = Service(
        settings,
        db,
        registries or Registries.from_settings(settings),
        webhook_kick=sender.kick if sender is not None else None,
        wallet=wallet,
    )

    importer = wallet_import.make(service, wallet_status_fetch)
    wallet_posts = list(importer.verifier.post_paths) if importer is not None else []
    app = create_web_app(
        settings.web,
        db,
        title=settings.title,
        templates_dirs=[TEMPLATES_DIR, EMC_TEMPLATES, recognition.TEMPLATES],
        locale_dirs=[LOCALE_DIR, EMC_LOCALE, recognition.LOCALE],
        # /verify changes nothing and stores nothing: no CSRF token (emc/verify_page.py says why).
        exempt_paths=[
            RETURN_PATH,
            VERIFY_PATH,
            *cross_site_paths(settings.login),
            *wallet_posts,
            *(wallet.issuer.post_paths if wallet else ()),  # wallets post from outside
        ],
        large_body_paths=[recognition.UPLOAD_PATH, *wallet_posts],
        context_processors=[person_context, _nav_context],
        limited_paths=[*LOGIN_PATHS, VERIFY_PATH],
        requests_per_minute=settings.login.rate_limit.requests_per_minute,
        client_address=lambda request: request_address(settings.login, request),
        look=settings.look,
    )
    app.include_router(login_router(settings.login, db, staff_home="/staff"))
    app.include_router(student_router(service))
    app.include_router(staff_router(service))
    app.include_router(stats_router(service))
    if settings.ewp is not None or ewp_fetcher is not None:
        app.include_router(ewp_router(service, ewp_fetcher))
    if importer is not None:
        wallet_pages.install(app, importer)
    recognition.install(app, service)
    verify_page.install(app, service)
    wallet_issue.install(app, service)
    app.mount("/api/v1", create_api(service))
    app.state.emc_service = service
    app.state.emc_webhook = sender
    app.state.emc_ewp = settings.ewp is not None or ewp_fetcher is not None

    if sender is not None and background:
        running = sender

        @asynccontextmanager
        async def lifespan(_app: Any) -> AsyncIterator[None]:
            running.start()
            try:
                yield
            finally:
                running.stop()

        app.router.lifespan_context = lifespan
    return app


def _nav_context(request: Any) -> dict[str, Any]:
    try:
        person = current_person(request)
    except RuntimeError:
        person = None
    ewp = bool(getattr(request.app.state, "emc_ewp", False))
    return {
        "is_staff": bool(person and person.has_role("staff")),
        "logged_in": person is not None,
        "ewp_fetch": ewp,
        "wallet_import": getattr(request.app.state, "emc_wallet_import", None) is not None,
    }
