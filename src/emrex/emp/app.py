"""The EMP web service: the EMREX entry point, the student's pages, the reply to the client, statistics.

One provider session ("flow") per EMREX request. The entry stores nothing: the request waits in the
browser's session (a signed cookie) until someone logs in; the first page after login stores it in
the database, bound to the person and to the browser's web session (a secret kept there). Pages live
under ``/flow/<id>/``: start (log in or cancel) -> select -> preview with consent -> send; every step
can cancel. Whatever ends the flow (sent, no results, cancel, error) finishes it once, records
statistics, and posts the answer back to the client's ``returnUrl`` through the browser; the student
can post that answer again from the flow's page until it expires (a reload without JavaScript).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from emrex.db import Database, upgrade
from emrex.db.owner import mark_service
from emrex.emp.config import EmpSettings
from emrex.emp.document import DocumentError, build
from emrex.emp.ewp_serving import mount_ewp, signed_paths
from emrex.emp.protocol import EntryError, EntryRules, ReturnCode, parse_entry, response_fields
from emrex.emp.results_cache import ResultsCache
from emrex.emp.selection import Catalogue, catalogue
from emrex.emp.sources.base import PersonNotFound, PersonQuery, ResultsSource, SourceError
from emrex.emp.stats import collect
from emrex.emp.store import PENDING, Flow, FlowStore, Offer, PendingFlow, subject_hash
from emrex.trust.signer import Signer
from emrex.web import (
    WebSession,
    WebSettings,
    autopost,
    create_web_app,
    current_language,
    flash,
    get_session,
    gettext,
    render,
)
from emrex.web.auth import Person, current_person, person_context, require_person
from emrex.web.login import LOCALE_DIR as LOGIN_LOCALE_DIR
from emrex.web.login import LOGIN_PATHS, LoginSettings, cross_site_paths, login_router, request_address
from emrex.web.login import TEMPLATES_DIR as LOGIN_TEMPLATES_DIR

if TYPE_CHECKING:
    from emrex.seal.pdf import PdfSealer

logger = logging.getLogger("emrex.emp")
TEMPLATES_DIR = Path(__file__).parent / "templates"
LOCALE_DIR = Path(__file__).parent / "locale"
STATIC_DIR = Path(__file__).parent / "static"
FLOWS_KEY = "emrex.emp.flows"
# A browser may run a few transfers at once (tabs); older ones are forgotten.
MAX_FLOWS_PER_BROWSER = 5
# Characters of pending flows a signed session cookie carries (one with a 2048-character returnUrl).
PENDING_IN_COOKIE = 2400
MAX_ITEMS = 20000
NO_OFFER = Offer()


@dataclass(frozen=True)
class Emp:
    """What the handlers share: loaded once per process."""

    settings: EmpSettings
    database: Database
    source: ResultsSource
    signer: Signer
    flows: FlowStore
    rules: EntryRules
    results: ResultsCache[Catalogue]
    transcript_sealer: PdfSealer | None = None  # settings.seal_transcript


def create_emp_app(
    settings: EmpSettings,
    *,
    database: Database | None = None,
    source: ResultsSource | None = None,
    signer: Signer | None = None,
    migrate: bool = True,
) -> FastAPI:
    """The ASGI app of one EMP. Unset parts are built from ``settings`` (database, source, key)."""
    from emrex.emp.runtime import build_source, load_signer, transcript_sealer

    database = database or Database(settings.database_url)
    if migrate:
        upgrade(database)
    mark_service(database, "emp")
    signer = signer or load_signer(settings)
    emp = Emp(
        settings=settings,
        database=database,
        source=source if source is not None else build_source(settings.source, database),
        signer=signer,
        flows=FlowStore(database, settings.session_lifetime),
        rules=EntryRules(dev_http_hosts=settings.http_hosts, client_hosts=frozenset(settings.client_hosts)),
        results=ResultsCache(settings.results_cache, weigh=lambda found: len(found.rows)),
        transcript_sealer=transcript_sealer(signer) if settings.seal_transcript else None,
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
        exempt_paths=[settings.entry_path, *cross_site_paths(login), *signed_paths(settings)],
        context_processors=[person_context],
        limited_paths=[settings.entry_path, *LOGIN_PATHS],
        requests_per_minute=login.rate_limit.requests_per_minute,
        client_address=lambda request: request_address(login, request),
    )
    app.state.emrex_emp = emp
    app.include_router(login_router(login, database))
    _routes(app, emp)
    mount_ewp(app, emp)  # when [ewp] is configured: emrex.emp.ewp_serving
    return app


def _routes(app: FastAPI, emp: Emp) -> None:
    settings = emp.settings

    css = (STATIC_DIR / "emp.css").read_bytes()

    @app.get("/emp.css")
    def stylesheet() -> Response:
        return Response(css, media_type="text/css", headers={"cache-control": "public, max-age=3600"})

    @app.get("/")
    def home(request: Request) -> Response:
        return render(request, "emp/home.html", {"entry_path": settings.entry_path})

    @app.api_route(settings.entry_path, methods=["GET", "POST"])
    async def entry(request: Request) -> Response:
        params = {k: v for k, v in request.query_params.items()}
        if request.method == "POST":
            form = await request.form()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        try:
            wanted = parse_entry(params, emp.rules)
        except EntryError as error:
            logger.info("entry refused: %s", error.problem)
            return render(request, "emp/bad_request.html", {"problem": error.problem}, status_code=400)
        pending = emp.flows.pending(wanted)
        session = get_session(request)
        flows = _flows_of(session)
        flows[pending.id] = pending.to_dict()
        session.set(FLOWS_KEY, _bounded(flows, in_cookie=not session.persistent))
        logger.info("flow started client=%s", wanted.client_host)
        return RedirectResponse(f"/flow/{pending.id}", status_code=303)

    def remember(request: Request, flow_id: str, value: str | None) -> None:
        """Keep the stored flow's secret in the browser's session (None: forget the flow)."""
        session = get_session(request)
        flows = _flows_of(session)
        if value is None:
            flows.pop(flow_id, None)
        else:
            flows[flow_id] = value
        session.set(FLOWS_KEY, flows)

    async def open_flow(request: Request, flow_id: str) -> Flow | Response:
        stored = _flows_of(get_session(request)).get(flow_id)
        pending = PendingFlow.from_dict(flow_id, stored)
        secret = pending.secret if pending is not None else stored if isinstance(stored, str) else None
        flow = await run_in_threadpool(emp.flows.load, flow_id, secret)
        if flow is None and pending is not None:
            if pending.expires_at <= _now():
                remember(request, flow_id, None)
                host = pending.request.client_host
                return render(request, "emp/expired.html", {"host": host}, status_code=410)
            person = current_person(request)
            if person is None:
                return pending.flow()  # nothing stored until someone logs in
            flow = await run_in_threadpool(
                emp.flows.materialise, pending, person.subject, settings.institutions
            )
        if flow is None:
            return render(request, "emp/unknown.html", status_code=404)
        if pending is not None:
            remember(request, flow_id, pending.secret)
        if flow.finished:
            return await finished_page(request, flow)
        if flow.expired(_now()):
            return render(request, "emp/expired.html", {"host": flow.request.client_host}, status_code=410)
        return flow

    async def finished_page(request: Request, flow: Flow) -> Response:
        """The flow has ended: its owner, until it expires, may post the same answer to the client again
        (a reload without JavaScript lost it; the client refuses a second import by itself)."""
        person = current_person(request)
        answer = None
        if person is not None and flow.subject_hash == subject_hash(person.subject):
            answer = await run_in_threadpool(emp.flows.answer, flow.id)
        context = {
            "flow": flow,
            "host": flow.request.client_host,
            "answer": answer,
            "client_site": _site_of(flow.request.return_url),
            "language_next": f"/flow/{flow.id}",
        }
        return render(request, "emp/finished.html", context, status_code=409)

    async def person_for(request: Request, flow: Flow) -> Person | Response | None:
        """The logged-in person if the flow is theirs; None when nobody is logged in."""
        person = current_person(request)
        if person is None:
            return None
        if flow.subject_hash is not None and flow.subject_hash == subject_hash(person.subject):
            return person
        if await run_in_threadpool(emp.flows.bind_subject, flow.id, person.subject):
            return person
        return render(request, "emp/not_yours.html", status_code=403)

    def fetch(flow: Flow, person: Person) -> Catalogue:
        def load() -> Catalogue:
            query = PersonQuery(
                identifiers=dict(person.identifiers),
                given_names=person.given_names,
                family_name=person.family_name,
                birth_date=person.birth_date,
            )
            return catalogue(
                emp.source.fetch(query),
                allow_not_passed=flow.request.allow_not_passed,
                whole_programme_only=settings.whole_programme_only,
            )

        return emp.results.fetch(flow.id, person.subject, load)

    async def load(request: Request, flow: Flow, person: Person) -> Catalogue | Response:
        try:
            found = await run_in_threadpool(fetch, flow, person)
        except PersonNotFound:
            return render(request, "emp/no_results.html", {"flow": flow, "matched": False})
        except SourceError as error:
            logger.warning("results source failed: %s", error)
            return await finish(request, flow, ReturnCode.ERROR, SOURCE_FAILED)
        except Exception:
            logger.exception("results source failed unexpectedly")
            return await finish(request, flow, ReturnCode.ERROR, SOURCE_FAILED)
        if found.empty:
            return render(request, "emp/no_results.html", {"flow": flow, "matched": True})
        return found

    async def offered(flow: Flow, person: Person | None) -> Offer:
        """What the student was offered, for the statistics of a cancel or "no results"."""
        if person is None:
            return NO_OFFER
        try:
            return _offer(await run_in_threadpool(fetch, flow, person), ())
        except Exception:  # the student leaves either way; the counts are not worth an error
            return NO_OFFER

    async def finish(
        request: Request,
        flow: Flow,
        code: ReturnCode,
        message: str = "",
        *,
        elmo: str = "",
        offer: Offer = NO_OFFER,
    ) -> Response:
        fields = response_fields(flow.request.session_id, code, message, elmo)
        if flow.state == PENDING:
            remember(request, flow.id, None)  # cancelled before login: nothing was stored, nothing is
        else:
            finished = await run_in_threadpool(emp.flows.finish, flow, code, offer, fields)
            emp.results.drop(flow.id)
            if not finished:
                secret = _flows_of(get_session(request)).get(flow.id)
                secret = secret if isinstance(secret, str) else None
                ended = await run_in_threadpool(emp.flows.load, flow.id, secret)
                return await finished_page(request, ended or flow)
        logger.info(
            "flow finished client=%s outcome=%s items=%d",
            flow.request.client_host,
            code.value,
            offer.items_sent,
        )
        headings = {
            ReturnCode.OK: _("Sending your results to %(host)s"),
            ReturnCode.NO_RESULTS: _("Returning to %(host)s"),
            ReturnCode.CANCEL: _("Returning to %(host)s"),
            ReturnCode.ERROR: _("Something went wrong: returning to %(host)s"),
        }
        heading = gettext(request, headings[code]) % {"host": flow.request.client_host}
        return autopost(
            request,
            flow.request.return_url,
            fields,
            target_name=flow.request.client_host,
            heading=heading,
            back=f"/flow/{flow.id}",
        )

    async def with_person(request: Request, flow_id: str) -> tuple[Flow, Person] | Response:
        flow = await open_flow(request, flow_id)
        if isinstance(flow, Response):
            return flow
        person = await person_for(request, flow)
        if isinstance(person, Response):
            return person
        if person is None:
            return RedirectResponse(f"/flow/{flow.id}", status_code=303)
        return flow, person

    @app.get("/flow/{flow_id}")
    async def flow_page(request: Request, flow_id: str) -> Response:
        flow = await open_flow(request, flow_id)
        if isinstance(flow, Response):
            return flow
        person = await person_for(request, flow)
        if isinstance(person, Response):
            return person
        if person is None:
            return render(request, "emp/start.html", {"flow": flow, "host": flow.request.client_host})
        found = await load(request, flow, person)
        if isinstance(found, Response):
            return found
        if not flow.request.allow_pick:
            return RedirectResponse(f"/flow/{flow.id}/preview", status_code=303)
        picked = found.normalise(flow.selection or ())
        return render(
            request, "emp/select.html", _selection_context(found, flow, picked, current_language(request))
        )

    @app.post("/flow/{flow_id}/select")
    async def select(request: Request, flow_id: str) -> Response:
        opened = await with_person(request, flow_id)
        if isinstance(opened, Response):
            return opened
        flow, person = opened
        form = await request.form()
        action = form.get("action")
        if action == "cancel":
            return await finish(request, flow, ReturnCode.CANCEL, offer=await offered(flow, person))
        found = await load(request, flow, person)
        if isinstance(found, Response):
            return found
        items = [v for v in form.getlist("item")[:MAX_ITEMS] if isinstance(v, str)]
        if action == "all":
            picked = list(found.selectable_keys)
        elif action == "none":
            picked = []
        else:
            picked = list(found.normalise(items))
        await run_in_threadpool(emp.flows.save_selection, flow.id, picked)
        if action == "preview":
            if not picked:
                flash(request, gettext(request, NOTHING_PICKED), "error")
                return RedirectResponse(f"/flow/{flow.id}", status_code=303)
            return RedirectResponse(f"/flow/{flow.id}/preview", status_code=303)
        return RedirectResponse(f"/flow/{flow.id}#selection", status_code=303)

    def picked_of(flow: Flow, found: Catalogue) -> tuple[str, ...]:
        if not flow.request.allow_pick:
            return found.selectable_keys
        return found.normalise(flow.selection or ())

    async def preview_response(
        request: Request, flow: Flow, person: Person, *, missing_consent: bool = False
    ) -> Response:
        found = await load(request, flow, person)
        if isinstance(found, Response):
            return found
        picked = picked_of(flow, found)
        if not picked:
            flash(request, gettext(request, NOTHING_PICKED), "error")
            return RedirectResponse(f"/flow/{flow.id}", status_code=303)
        context = _preview_context(found, flow, picked, current_language(request))
        context["missing_consent"] = missing_consent
        context["language_next"] = f"/flow/{flow.id}/preview"
        return render(request, "emp/preview.html", context, status_code=400 if missing_consent else 200)

    @app.get("/flow/{flow_id}/preview")
    async def preview(request: Request, flow_id: str) -> Response:
        opened = await with_person(request, flow_id)
        if isinstance(opened, Response):
            return opened
        return await preview_response(request, *opened)

    @app.post("/flow/{flow_id}/send")
    async def send(request: Request, flow_id: str) -> Response:
        opened = await with_person(request, flow_id)
        if isinstance(opened, Response):
            return opened
        flow, person = opened
        form = await request.form()
        action = form.get("action")
        if action == "cancel":
            return await finish(request, flow, ReturnCode.CANCEL, offer=await offered(flow, person))
        if action == "change" and flow.request.allow_pick:
            return RedirectResponse(f"/flow/{flow.id}", status_code=303)
        if action != "send":
            return render(request, "emp/unknown.html", status_code=400)
        if form.get("consent") != "yes":
            return await preview_response(request, flow, person, missing_consent=True)
        found = await load(request, flow, person)
        if isinstance(found, Response):
            return found
        picked = picked_of(flow, found)
        if not picked:
            flash(request, gettext(request, NOTHING_PICKED), "error")
            return RedirectResponse(f"/flow/{flow.id}", status_code=303)
        offer = _offer(found, picked)
        try:
            built = await run_in_threadpool(
                build,
                found,
                picked,
                emp.signer,
                language=current_language(request),
                zone=settings.zone,
                transcript_sealer=emp.transcript_sealer,
            )
        except DocumentError as error:
            logger.error("document not made: %s", error)
            return await finish(request, flow, ReturnCode.ERROR, DOCUMENT_FAILED, offer=offer)
        return await finish(request, flow, ReturnCode.OK, elmo=built.transport, offer=offer)

    @app.post("/flow/{flow_id}/cancel")
    async def cancel(request: Request, flow_id: str) -> Response:
        flow = await open_flow(request, flow_id)
        if isinstance(flow, Response):
            return flow
        person = await person_for(request, flow)
        if isinstance(person, Response):
            return person
        return await finish(request, flow, ReturnCode.CANCEL, offer=await offered(flow, person))

    @app.post("/flow/{flow_id}/no-results")
    async def no_results(request: Request, flow_id: str) -> Response:
        opened = await with_person(request, flow_id)
        if isinstance(opened, Response):
            return opened
        flow, person = opened
        return await finish(request, flow, ReturnCode.NO_RESULTS, offer=await offered(flow, person))

    @app.get("/admin/stats")
    async def stats_page(request: Request) -> Response:
        person = require_person(request)
        if not (person.has_role("staff") or person.has_role("admin")):
            return render(
                request, "emrex/error.html", {"status": 403, "detail": None, "reason": None}, status_code=403
            )
        stats = await run_in_threadpool(collect, emp.database)
        return render(request, "emp/stats.html", {"stats": stats})


def _(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


SOURCE_FAILED = _("The results could not be read from the student information system. Try again later.")
DOCUMENT_FAILED = _("The document with the results could not be made. Try again later.")
NOTHING_PICKED = _("Choose at least one result to send, or cancel.")


def _flows_of(session: WebSession) -> dict[str, Any]:
    stored = session.get(FLOWS_KEY)
    return dict(stored) if isinstance(stored, dict) else {}


def _bounded(flows: dict[str, Any], *, in_cookie: bool) -> dict[str, Any]:
    """The newest flows of the browser, at most ``MAX_FLOWS_PER_BROWSER``; in a cookie also no more
    pending ones than fit (a returnUrl may have 2048 characters)."""
    kept: dict[str, Any] = {}
    size = 0
    for flow_id, value in reversed(list(flows.items())[-MAX_FLOWS_PER_BROWSER:]):
        size += len(json.dumps(value)) + len(flow_id)
        if in_cookie and kept and size > PENDING_IN_COOKIE:
            break
        kept[flow_id] = value
    return dict(reversed(list(kept.items())))


def _site_of(return_url: str) -> str:
    """The client's site (scheme, host and port of the checked returnUrl): the way back."""
    parts = urlsplit(return_url)
    return f"{parts.scheme}://{parts.netloc}/"


def _now() -> Any:
    from emrex.db import utcnow

    return utcnow()


def _offer(found: Catalogue, picked: tuple[str, ...]) -> Offer:
    """Counts for the FINISH record; institutions of what was sent, or of what was offered."""
    sent = found.sent_keys(picked)
    institutions = tuple(
        inst.report.issuer.identifier("schac") or inst.report.issuer.url or str(inst.index)
        for inst in found.institutions
        if any((row.key in sent) if sent else row.offered for row in inst.rows)
    )
    return Offer(
        institutions=institutions,
        items_offered=found.offered_count,
        credits_offered=found.offered_credits,
        items_sent=len(sent),
        credits_sent=found.credits(picked) if sent else Decimal(0),
    )


def _selection_context(
    found: Catalogue, flow: Flow, picked: tuple[str, ...], language: str
) -> dict[str, Any]:
    chosen = set(picked)
    return {
        "flow": flow,
        "host": flow.request.client_host,
        "catalogue": found,
        "language": language,
        "picked": chosen,
        "picked_count": len(found.sent_keys(picked)),
        "picked_credits": found.credits(picked),
        "whole_programme_only": found.whole_programme_only,
    }


def _preview_context(found: Catalogue, flow: Flow, picked: tuple[str, ...], language: str) -> dict[str, Any]:
    sent = found.sent_keys(picked)
    by_key = {row.key: row for row in found.rows}
    shown: set[str] = set()
    for key in sent:
        current: str | None = key
        while current is not None and current not in shown:
            shown.add(current)
            current = by_key[current].parent
    institutions = [(inst, [row for row in inst.rows if row.key in shown]) for inst in found.institutions]
    return {
        "flow": flow,
        "host": flow.request.client_host,
        "learner": found.learner,
        "language": language,
        "institutions": [(inst, rows) for inst, rows in institutions if rows],
        "sent": sent,
        "total_credits": found.credits(picked),
        "count": len(sent),
        "allow_pick": flow.request.allow_pick,
    }
