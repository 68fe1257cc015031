"""The case officers' pages: the queue with filters, one case with its earlier equal cases, and the steps
of handling it (request information, expert statement, decision per target, registration in the SIS)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from emrex.db import utcnow
from emrex.emc.models import ForeignCredential
from emrex.emc.recognition import cases
from emrex.emc.recognition.cases import Actor, ItemDecision
from emrex.emc.recognition.errors import CaseError, _
from emrex.emc.recognition.foreign import EMREX
from emrex.emc.recognition.models import OPEN, WAITING_FOR_STAFF, Basis, Case, CaseStatus, Outcome
from emrex.emc.recognition.precedents import precedents
from emrex.emc.recognition.student import attachment_download, decision_download
from emrex.emc.recognition.web import make_decision_documents, number, problem, text
from emrex.emc.service import Service
from emrex.web import flash, gettext, render
from emrex.web.auth import Person, require_role

log = logging.getLogger("emrex.emc.recognition")
StaffDep = Annotated[Person, Depends(require_role("staff"))]
PAGE = 50
FILTERS: dict[str, tuple[str, ...]] = {
    "waiting": tuple(WAITING_FOR_STAFF),
    "open": tuple(OPEN),
    **{str(status): (str(status),) for status in CaseStatus if status != CaseStatus.DRAFT},
    "all": tuple(str(status) for status in CaseStatus if status != CaseStatus.DRAFT),
}


def staff_router(service: Service) -> APIRouter:
    router = APIRouter(prefix="/staff/recognition")
    db = service.database

    @router.get("", name="recognition_queue")
    def queue(request: Request, staff: StaffDep) -> Response:
        params = request.query_params
        shown = params.get("status", "waiting")
        filters = {
            "status": shown if shown in FILTERS else "waiting",
            "q": " ".join(params.get("q", "").split())[:100],
            "institution": " ".join(params.get("institution", "").split())[:100],
        }
        after = params.get("after", "")
        with db.session(readonly=True) as s:
            query = _queue_query(filters)
            if after.isdigit() and len(after) < 19:
                query = query.where(Case.id > int(after))
            rows = list(
                s.scalars(query.options(selectinload(Case.bases), selectinload(Case.items)).limit(PAGE + 1))
            )
        more = len(rows) > PAGE
        rows = rows[:PAGE]
        return render(
            request,
            "recognition/staff_queue.html",
            {
                "cases": rows,
                "filters": filters,
                "choices": list(FILTERS),
                "next_after": rows[-1].id if more and rows else None,
                "now": utcnow(),
            },
        )

    @router.get("/{case_id}", name="recognition_staff_case")
    def case_page(request: Request, case_id: int, staff: StaffDep) -> Response:
        with db.session(readonly=True) as s:
            try:
                case = cases.load(s, case_id, Actor.of(staff, staff=True))
            except CaseError as error:
                return problem(request, error, "/staff/recognition")
            # rendered inside the transaction: the case's parts load as the page needs them
            return render(request, "recognition/staff_case.html", _case_context(s, case))

    def act(path: str, message: str, work: Callable[[Session, Actor, int, int, FormData], object]) -> None:
        async def handler(request: Request, case_id: int, staff: StaffDep) -> Response:
            form = await request.form()
            back = f"/staff/recognition/{case_id}"

            def run() -> None:
                version = number(form, "version")
                with db.session() as s:
                    work(s, Actor.of(staff, staff=True), case_id, version, form)

            try:
                await run_in_threadpool(run)
            except CaseError as error:
                return problem(request, error, back)
            log.info("recognition case %d: %s", case_id, path.strip("/"))
            if path == "/decide":
                try:
                    await run_in_threadpool(make_decision_documents, service, case_id)
                except (
                    Exception
                ) as error:  # the decision stands; its documents are made at the first download
                    log.warning("recognition case %d: decision documents not made now (%s)", case_id, error)
                if service.webhook_kick is not None:
                    service.webhook_kick()
            flash(request, gettext(request, message), "success")
            return RedirectResponse(back, status_code=303)

        router.add_api_route(
            f"/{{case_id}}{path}", handler, methods=["POST"], name=f"recognition_staff{path}"
        )

    act(
        "/request-information",
        _("The student was asked for more information."),
        lambda s, a, c, v, f: cases.request_information(s, a, c, v, text(f, "request"), utcnow()),
    )
    act(
        "/expert",
        _("The case was sent to the subject expert."),
        lambda s, a, c, v, f: cases.send_to_expert(s, a, c, v, text(f, "expert", 255), utcnow()),
    )
    act(
        "/statement",
        _("The expert's statement was recorded."),
        lambda s, a, c, v, f: cases.record_statement(s, a, c, v, text(f, "statement"), utcnow()),
    )
    act(
        "/decide",
        _("The decision was recorded."),
        lambda s, a, c, v, f: cases.decide(s, a, c, v, item_decisions(f), utcnow()),
    )
    act(
        "/register",
        _("The case is marked as registered in the SIS."),
        lambda s, a, c, v, f: cases.register(s, a, c, v, text(f, "reference", 255), utcnow()),
    )

    @router.get("/{case_id}/attachments/{attachment_id}", name="recognition_staff_attachment")
    def attachment(request: Request, case_id: int, attachment_id: int, staff: StaffDep) -> Response:
        return attachment_download(request, service, Actor.of(staff, staff=True), case_id, attachment_id)

    @router.get("/{case_id}/decision-{language}.pdf", name="recognition_staff_decision")
    def decision(request: Request, case_id: int, language: str, staff: StaffDep) -> Response:
        return decision_download(request, service, Actor.of(staff, staff=True), case_id, language)

    return router


def item_decisions(form: FormData) -> dict[int, ItemDecision]:
    """``outcome_<item>``, ``credits_<item>`` and ``reason_<item>`` of the decision form."""
    found: dict[int, ItemDecision] = {}
    for key in list(form.keys())[:200]:
        item = key.removeprefix("outcome_")
        if item == key or not item.isdigit() or len(item) > 18:
            continue
        try:
            outcome = Outcome(text(form, key, 20))
        except ValueError:
            continue
        credits = (
            cases.parse_credits(text(form, f"credits_{item}", 12)) if outcome is Outcome.PARTLY else None
        )
        found[int(item)] = ItemDecision(
            outcome, credits, text(form, f"reason_{item}", cases.MAX_REASON + 100)
        )
    return found


def _queue_query(filters: dict[str, str]) -> Select[Case]:
    query = select(Case).where(Case.status.in_(FILTERS[filters["status"]])).order_by(Case.id)
    if filters["q"]:
        needle = filters["q"].lower()
        query = query.where(
            or_(
                func.lower(Case.number).contains(needle, autoescape=True),
                func.lower(Case.student).contains(needle, autoescape=True),
                func.lower(Case.student_name).contains(needle, autoescape=True),
            )
        )
    if filters["institution"]:
        needle = filters["institution"].lower()
        query = query.where(
            exists().where(
                Basis.case_id == Case.id, func.lower(Basis.issuer).contains(needle, autoescape=True)
            )
        )
    return query


def _case_context(s: Session, case: Case) -> dict[str, Any]:
    refs = [int(b.source_ref) for b in case.bases if b.source == EMREX and b.source_ref.isdigit()]
    rows = s.execute(
        select(ForeignCredential.id, ForeignCredential.transfer_id).where(ForeignCredential.id.in_(refs))
    ).all()
    transfers = {credential: transfer for credential, transfer in rows}
    requests = [e for e in case.events if e.action == "information_requested"]
    return {
        "case": case,
        "bases": {b.id: b for b in case.bases},
        "transfers": {b.id: transfers.get(int(b.source_ref)) for b in case.bases if b.source_ref.isdigit()},
        "earlier": precedents(s, case.bases, case.id),
        "info_request": requests[-1] if requests else None,
        "events": list(case.events),
    }
