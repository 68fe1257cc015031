"""The student's pages of a transfer: the EMREX entry, then ``/flow/<id>/``: start (log in or cancel) ->
select -> preview with consent -> send; every step can cancel.

Whatever ends the flow (sent, no results, cancel, error) finishes it once (``flows.finish``) and posts
the answer back to the client's ``returnUrl`` through the browser.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from emrex.emp import flows
from emrex.emp.document import DocumentError, build
from emrex.emp.flows import DOCUMENT_FAILED, NOTHING_PICKED
from emrex.emp.protocol import EntryError, ReturnCode, parse_entry
from emrex.emp.selection import Catalogue
from emrex.emp.service import EmpService
from emrex.emp.store import Flow
from emrex.web import current_language, flash, gettext, render
from emrex.web.auth import Person

logger = logging.getLogger("emrex.emp")
STATIC_DIR = Path(__file__).parent / "static"
MAX_ITEMS = 20000


def student_router(service: EmpService) -> APIRouter:
    router = APIRouter()
    settings = service.settings
    css = (STATIC_DIR / "emp.css").read_bytes()
    script = (STATIC_DIR / "emp-selection.js").read_bytes()

    @router.get("/emp.css")
    def stylesheet() -> Response:
        return Response(css, media_type="text/css", headers={"cache-control": "public, max-age=3600"})

    @router.get("/emp-selection.js")
    def selection_script() -> Response:
        headers = {"cache-control": "public, max-age=3600"}
        return Response(script, media_type="text/javascript", headers=headers)

    @router.get("/")
    def home(request: Request) -> Response:
        return render(request, "emp/home.html", {"entry_path": settings.entry_path})

    @router.api_route(settings.entry_path, methods=["GET", "POST"])
    async def entry(request: Request) -> Response:
        params = {k: v for k, v in request.query_params.items()}
        if request.method == "POST":
            form = await request.form()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        try:
            wanted = parse_entry(params, service.rules)
        except EntryError as error:
            logger.info("entry refused: %s", error.problem)
            return render(request, "emp/bad_request.html", {"problem": error.problem}, status_code=400)
        pending = service.flows.pending(wanted)
        flows.start(request, pending)
        logger.info("flow started client=%s", wanted.client_host)
        return RedirectResponse(f"/flow/{pending.id}", status_code=303)

    @router.get("/flow/{flow_id}")
    async def flow_page(request: Request, flow_id: str) -> Response:
        flow = await flows.open_flow(service, request, flow_id)
        person = await flows.person_for(service, request, flow)
        if person is None:
            host = flows.client_name(service, flow)
            return render(request, "emp/start.html", {"flow": flow, "host": host})
        found = await flows.load(service, request, flow, person)
        if not flow.request.allow_pick:
            return RedirectResponse(f"/flow/{flow.id}/preview", status_code=303)
        picked = found.normalise(flow.selection or ())
        context = _selection_context(found, flow, picked, current_language(request))
        context["host"] = flows.client_name(service, flow)
        return render(request, "emp/select.html", context)

    @router.post("/flow/{flow_id}/select")
    async def select(request: Request, flow_id: str) -> Response:
        flow, person = await flows.with_person(service, request, flow_id)
        form = await request.form()
        action = form.get("action")
        if action == "cancel":
            return await _cancel(service, request, flow, person)
        found = await flows.load(service, request, flow, person)
        items = [v for v in form.getlist("item")[:MAX_ITEMS] if isinstance(v, str)]
        if action == "all":
            picked = list(found.selectable_keys)
        elif action == "none":
            picked = []
        else:
            picked = list(found.normalise(items))
        await run_in_threadpool(service.flows.save_selection, flow.id, picked)
        if action == "preview":
            if not picked:
                return _nothing_picked(request, flow)
            return RedirectResponse(f"/flow/{flow.id}/preview", status_code=303)
        return RedirectResponse(f"/flow/{flow.id}#selection", status_code=303)

    @router.get("/flow/{flow_id}/preview")
    async def preview(request: Request, flow_id: str) -> Response:
        flow, person = await flows.with_person(service, request, flow_id)
        return await _preview_page(service, request, flow, person)

    @router.post("/flow/{flow_id}/send")
    async def send(request: Request, flow_id: str) -> Response:
        flow, person = await flows.with_person(service, request, flow_id)
        form = await request.form()
        action = form.get("action")
        if action == "cancel":
            return await _cancel(service, request, flow, person)
        if action == "change" and flow.request.allow_pick:
            return RedirectResponse(f"/flow/{flow.id}", status_code=303)
        if action != "send":
            return render(request, "emp/unknown.html", status_code=400)
        if form.get("consent") != "yes":
            return await _preview_page(service, request, flow, person, missing_consent=True)
        found = await flows.load(service, request, flow, person)
        picked = _picked_of(flow, found)
        if not picked:
            return _nothing_picked(request, flow)
        offer = flows.offer_of(found, picked)
        try:
            built = await run_in_threadpool(
                build,
                found,
                picked,
                service.signer,
                language=current_language(request),
                zone=settings.zone,
                transcript_sealer=service.transcript_sealer,
            )
        except DocumentError as error:
            logger.error("document not made: %s", error)
            return await flows.finish(service, request, flow, ReturnCode.ERROR, DOCUMENT_FAILED, offer=offer)
        return await flows.finish(service, request, flow, ReturnCode.OK, elmo=built.transport, offer=offer)

    @router.post("/flow/{flow_id}/cancel")
    async def cancel(request: Request, flow_id: str) -> Response:
        flow = await flows.open_flow(service, request, flow_id)
        person = await flows.person_for(service, request, flow)
        return await _cancel(service, request, flow, person)

    @router.post("/flow/{flow_id}/no-results")
    async def no_results(request: Request, flow_id: str) -> Response:
        flow, person = await flows.with_person(service, request, flow_id)
        offer = await flows.offered(service, flow, person)
        return await flows.finish(service, request, flow, ReturnCode.NO_RESULTS, offer=offer)

    return router


async def _cancel(service: EmpService, request: Request, flow: Flow, person: Person | None) -> Response:
    offer = await flows.offered(service, flow, person)
    return await flows.finish(service, request, flow, ReturnCode.CANCEL, offer=offer)


def _nothing_picked(request: Request, flow: Flow) -> Response:
    flash(request, gettext(request, NOTHING_PICKED), "error")
    return RedirectResponse(f"/flow/{flow.id}", status_code=303)


def _picked_of(flow: Flow, found: Catalogue) -> tuple[str, ...]:
    if not flow.request.allow_pick:
        return found.selectable_keys
    return found.normalise(flow.selection or ())


async def _preview_page(
    service: EmpService, request: Request, flow: Flow, person: Person, *, missing_consent: bool = False
) -> Response:
    found = await flows.load(service, request, flow, person)
    picked = _picked_of(flow, found)
    if not picked:
        return _nothing_picked(request, flow)
    context = _preview_context(found, flow, picked, current_language(request))
    context["host"] = flows.client_name(service, flow)
    context["missing_consent"] = missing_consent
    context["language_next"] = f"/flow/{flow.id}/preview"
    return render(request, "emp/preview.html", context, status_code=400 if missing_consent else 200)


def _selection_context(
    found: Catalogue, flow: Flow, picked: tuple[str, ...], language: str
) -> dict[str, Any]:
    chosen = set(picked)
    return {
        "flow": flow,
        "catalogue": found,
        "language": language,
        "picked": chosen,
        "picked_count": len(found.sent_keys(picked)),
        "picked_credits": found.credits(picked),
        "totals": found.live_totals(),
        "whole_programme_only": found.whole_programme_only,
    }


def _preview_context(found: Catalogue, flow: Flow, picked: tuple[str, ...], language: str) -> dict[str, Any]:
    sent = found.sent_keys(picked)
    by_key = found.by_key
    shown: set[str] = set()
    for key in sent:
        current: str | None = key
        while current is not None and current not in shown:
            shown.add(current)
            current = by_key[current].parent
    institutions = [(inst, [row for row in inst.rows if row.key in shown]) for inst in found.institutions]
    return {
        "flow": flow,
        "learner": found.learner,
        "language": language,
        "institutions": [(inst, rows) for inst, rows in institutions if rows],
        "sent": sent,
        "total_credits": found.credits(picked),
        "count": len(sent),
        "allow_pick": flow.request.allow_pick,
    }
