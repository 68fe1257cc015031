"""Opening a provider session ("flow") for a page, and ending one with the answer to the client.

A browser keeps the flows it runs in its session: a pending flow's request before login, the stored
flow's secret after. A step that cannot go on (the flow expired, finished, is someone else's, nobody
is logged in, the source failed) raises ``ShowPage`` with the page to show instead.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from emrex.db import utcnow
from emrex.emp.protocol import ReturnCode, response_fields
from emrex.emp.selection import Catalogue
from emrex.emp.service import EmpService
from emrex.emp.sources.base import PersonNotFound, SourceError
from emrex.emp.store import PENDING, Flow, Offer, PendingFlow, subject_hash
from emrex.web import WebSession, autopost, get_session, gettext, render
from emrex.web.auth import Person, current_person
from emrex.web.errors import ShowPage

logger = logging.getLogger("emrex.emp")
FLOWS_KEY = "emrex.emp.flows"
# A browser may run a few transfers at once (tabs); older ones are forgotten.
MAX_FLOWS_PER_BROWSER = 5
# Characters of pending flows a signed session cookie carries (one with a 2048-character returnUrl).
PENDING_IN_COOKIE = 2400
NO_OFFER = Offer()


def _(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


SOURCE_FAILED = _("The results could not be read from the student information system. Try again later.")
DOCUMENT_FAILED = _("The document with the results could not be made. Try again later.")
NOTHING_PICKED = _("Choose at least one result to send, or cancel.")
HEADINGS = {
    ReturnCode.OK: _("Sending your results to %(host)s"),
    ReturnCode.NO_RESULTS: _("No results to share: returning to %(host)s"),
    ReturnCode.CANCEL: _("You cancelled: returning to %(host)s"),
    ReturnCode.ERROR: _("Something went wrong: returning to %(host)s"),
}


def start(request: Request, pending: PendingFlow) -> None:
    """Keep a new flow's request in the browser's session (nothing is stored until login)."""
    session = get_session(request)
    flows = flows_of(session)
    flows[pending.id] = pending.to_dict()
    session.set(FLOWS_KEY, bounded(flows, in_cookie=not session.persistent))


def remember(request: Request, flow_id: str, value: str | None) -> None:
    """Keep the stored flow's secret in the browser's session (None: forget the flow)."""
    session = get_session(request)
    flows = flows_of(session)
    if value is None:
        flows.pop(flow_id, None)
    else:
        flows[flow_id] = value
    session.set(FLOWS_KEY, flows)


async def open_flow(service: EmpService, request: Request, flow_id: str) -> Flow:
    """The flow this browser runs under ``flow_id``, stored on the first page after login; ShowPage when
    it is unknown, expired or finished."""
    stored = flows_of(get_session(request)).get(flow_id)
    pending = PendingFlow.from_dict(flow_id, stored)
    secret = pending.secret if pending is not None else stored if isinstance(stored, str) else None
    person = current_person(request) if pending is not None else None
    if pending is not None and person is not None and pending.expires_at > _now():
        # The first page after login stores the flow; it loads the stored one if a request came first.
        flow = await run_in_threadpool(
            service.flows.materialise, pending, person.subject, service.settings.institutions
        )
    else:
        flow = await run_in_threadpool(service.flows.load, flow_id, secret)
    if flow is None and pending is not None:
        if pending.expires_at <= _now():
            remember(request, flow_id, None)
            host = service.settings.client_name(pending.request.return_url)
            raise ShowPage(render(request, "emp/expired.html", {"host": host}, status_code=410))
        if person is None:
            return pending.flow()  # nothing stored until someone logs in
    if flow is None:
        raise ShowPage(render(request, "emp/unknown.html", status_code=404))
    if pending is not None:
        remember(request, flow_id, pending.secret)
    if flow.finished:
        raise ShowPage(await finished_page(service, request, flow))
    if flow.expired(_now()):
        raise ShowPage(
            render(request, "emp/expired.html", {"host": client_name(service, flow)}, status_code=410)
        )
    return flow


async def finished_page(service: EmpService, request: Request, flow: Flow) -> Response:
    """The flow has ended: its owner, until it expires, may post the same answer to the client again
    (a reload without JavaScript lost it; the client refuses a second import by itself)."""
    person = current_person(request)
    answer = None
    if person is not None and flow.subject_hash == subject_hash(person.subject):
        answer = await run_in_threadpool(service.flows.answer, flow.id)
    context = {
        "flow": flow,
        "host": client_name(service, flow),
        "answer": answer,
        "client_site": _site_of(flow.request.return_url),
        "language_next": f"/flow/{flow.id}",
    }
    return render(request, "emp/finished.html", context, status_code=409)


async def person_for(service: EmpService, request: Request, flow: Flow) -> Person | None:
    """The logged-in person if the flow is theirs (ShowPage if not); None when nobody is logged in."""
    person = current_person(request)
    if person is None:
        return None
    if flow.subject_hash is not None and flow.subject_hash == subject_hash(person.subject):
        return person
    if await run_in_threadpool(service.flows.bind_subject, flow.id, person.subject):
        return person
    raise ShowPage(render(request, "emp/not_yours.html", status_code=403))


async def with_person(service: EmpService, request: Request, flow_id: str) -> tuple[Flow, Person]:
    """The flow and its logged-in owner; nobody logged in goes back to the flow's start page."""
    flow = await open_flow(service, request, flow_id)
    person = await person_for(service, request, flow)
    if person is None:
        raise ShowPage(RedirectResponse(f"/flow/{flow.id}", status_code=303))
    return flow, person


async def load(service: EmpService, request: Request, flow: Flow, person: Person) -> Catalogue:
    """The person's results; ShowPage with "no results", or with the error answer when the source fails."""
    try:
        found = await _fetch(service, flow, person)
    except PersonNotFound:
        raise ShowPage(_no_results(service, request, flow, matched=False)) from None
    except SourceError as error:
        logger.warning("results source failed: %s", error)
        raise ShowPage(await finish(service, request, flow, ReturnCode.ERROR, SOURCE_FAILED)) from None
    except Exception:
        logger.exception("results source failed unexpectedly")
        raise ShowPage(await finish(service, request, flow, ReturnCode.ERROR, SOURCE_FAILED)) from None
    if found.empty:
        raise ShowPage(_no_results(service, request, flow, matched=True))
    return found


async def _fetch(service: EmpService, flow: Flow, person: Person) -> Catalogue:
    """The person's results; what an earlier page kept needs no thread (only reading the source does)."""
    kept = service.kept(flow, person)
    if kept is not None:
        return kept
    return await run_in_threadpool(service.fetch, flow, person)


def _no_results(service: EmpService, request: Request, flow: Flow, *, matched: bool) -> Response:
    context = {"flow": flow, "matched": matched, "host": client_name(service, flow)}
    return render(request, "emp/no_results.html", context)


def client_name(service: EmpService, flow: Flow) -> str:
    """The client as the student knows it (``EmpSettings.client_name``)."""
    return service.settings.client_name(flow.request.return_url)


async def offered(service: EmpService, flow: Flow, person: Person | None) -> Offer:
    """What the student was offered, for the statistics of a cancel or "no results"."""
    if person is None:
        return NO_OFFER
    try:
        return offer_of(await _fetch(service, flow, person), ())
    except Exception:  # the student leaves either way; the counts are not worth an error
        return NO_OFFER


async def finish(
    service: EmpService,
    request: Request,
    flow: Flow,
    code: ReturnCode,
    message: str = "",
    *,
    elmo: str = "",
    offer: Offer = NO_OFFER,
) -> Response:
    """End the flow once (statistics, the answer kept for a repeat) and post the answer to the client."""
    fields = response_fields(flow.request.session_id, code, message, elmo)
    if flow.state == PENDING:
        remember(request, flow.id, None)  # cancelled before login: nothing was stored, nothing is
    else:
        finished = await run_in_threadpool(service.flows.finish, flow, code, offer, fields)
        service.results.drop(flow.id)
        if not finished:
            secret = flows_of(get_session(request)).get(flow.id)
            secret = secret if isinstance(secret, str) else None
            ended = await run_in_threadpool(service.flows.load, flow.id, secret)
            return await finished_page(service, request, ended or flow)
    logger.info(
        "flow finished client=%s outcome=%s items=%d",
        flow.request.client_host,
        code.value,
        offer.items_sent,
    )
    name = client_name(service, flow)
    heading = gettext(request, HEADINGS[code]) % {"host": name}
    return autopost(
        request,
        flow.request.return_url,
        fields,
        target_name=name,
        heading=heading,
        back=f"/flow/{flow.id}",
    )


def offer_of(found: Catalogue, picked: tuple[str, ...]) -> Offer:
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


def flows_of(session: WebSession) -> dict[str, Any]:
    stored = session.get(FLOWS_KEY)
    return dict(stored) if isinstance(stored, dict) else {}


def bounded(flows: dict[str, Any], *, in_cookie: bool) -> dict[str, Any]:
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


def _now() -> datetime:
    return utcnow()
