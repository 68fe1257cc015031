"""Staff pages: the review queue, per-student overviews, one transfer and decisions (statistics:
emrex.emc.stats_pages)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from emrex.db import utcnow
from emrex.emc.importing import review
from emrex.emc.models import ForeignCredential, Status, Transfer
from emrex.emc.returns import ReturnRefused
from emrex.emc.search import MAX_QUERY, find_students, is_known
from emrex.emc.service import Service, page_values, stored_received, view_of
from emrex.emc.store import TransferError, valid_id
from emrex.emc.student import document_response
from emrex.emc.wallet_issue import staff_values as wallet_values
from emrex.errors import N_
from emrex.web import current_language, error_text, flash, gettext, render
from emrex.web.auth import Person, require_role

log = logging.getLogger("emrex.emc")
staff_only = require_role("staff")
StaffDep = Annotated[Person, Depends(staff_only)]
MAX_REASON = 2000


def staff_router(service: Service) -> APIRouter:
    router = APIRouter(prefix="/staff")
    db = service.database

    @router.get("", name="staff_home")
    def staff_home(request: Request, staff: StaffDep) -> Response:
        with db.session(readonly=True) as s:
            queue = list(
                s.scalars(
                    select(Transfer).where(Transfer.status == Status.REVIEW).order_by(Transfer.decided_at)
                )
            )
            recent = list(s.scalars(select(Transfer).order_by(Transfer.id.desc()).limit(50)))
        return render(
            request,
            "emc/staff_home.html",
            {
                "queue": [view_of(t, staff=True) for t in queue],
                "recent": [view_of(t, staff=True) for t in recent],
            },
        )

    @router.get("/students", name="staff_students")
    def staff_students(request: Request, staff: StaffDep) -> Response:
        query = request.query_params.get("q", "")[:MAX_QUERY]
        matches = find_students(db, query) if query.strip() else []
        if len(matches) == 1:
            target = request.url_for("staff_student").include_query_params(subject=matches[0].subject)
            return RedirectResponse(f"{target.path}?{target.query}", status_code=303)
        return render(request, "emc/staff_students.html", {"query": query, "matches": matches})

    @router.get("/student", name="staff_student")
    def staff_student(request: Request, staff: StaffDep) -> Response:
        subject = request.query_params.get("subject", "")[:255]
        if not is_known(db, subject):
            context = {"query": "", "unknown": subject, "matches": []}
            return render(request, "emc/staff_students.html", context, status_code=404)
        with db.session(readonly=True) as s:
            transfers = list(
                s.scalars(select(Transfer).where(Transfer.student == subject).order_by(Transfer.id.desc()))
            )
            credentials = list(
                s.scalars(
                    select(ForeignCredential)
                    .where(ForeignCredential.student == subject)
                    .order_by(ForeignCredential.id)
                )
            )
        return render(
            request,
            "emc/staff_student.html",
            {
                "subject": subject,
                "transfers": [view_of(t, staff=True) for t in transfers],
                "credentials": credentials,
            },
        )

    def transfer_page(
        request: Request, transfer_id: int, entered: dict[str, str] | None = None, error: str = ""
    ) -> Response:
        """The transfer with its review form; ``entered`` and ``error`` re-show a refused decision."""
        with db.session(readonly=True) as s:
            transfer = s.get(Transfer, transfer_id) if valid_id(transfer_id) else None
        if transfer is None:
            return render(
                request,
                "emc/problem.html",
                {"problem": gettext(request, "No such transfer.")},
                status_code=404,
            )
        context = page_values(
            service, transfer, current_language(request), lambda text: gettext(request, text), staff=True
        )
        context |= {"entered": entered or {}, "form_error": error} | wallet_values(service, transfer_id)
        return render(request, "emc/staff_transfer.html", context, status_code=400 if error else 200)

    @router.get("/transfers/{transfer_id}", name="staff_transfer")
    def staff_transfer(request: Request, transfer_id: int, staff: StaffDep) -> Response:
        return transfer_page(request, transfer_id)

    @router.post("/transfers/{transfer_id}/review", name="staff_review")
    async def staff_review(request: Request, transfer_id: int, staff: StaffDep) -> Response:
        form = await request.form()
        decision = form.get("decision")
        reason = form.get("reason")
        entered = {
            "decision": decision if decision in ("approve", "reject") else "",
            "reason": reason[:MAX_REASON] if isinstance(reason, str) else "",
        }
        if not entered["decision"]:
            error = gettext(request, "Choose approve or reject.")
            return await run_in_threadpool(transfer_page, request, transfer_id, entered, error)
        if not entered["reason"].strip():
            error = gettext(request, "Give a reason for the decision.")
            return await run_in_threadpool(transfer_page, request, transfer_id, entered, error)
        reason = entered["reason"]

        def find(s: Session) -> Transfer:
            transfer = s.get(Transfer, transfer_id) if valid_id(transfer_id) else None
            if transfer is None:
                raise TransferError(N_("no such transfer"), "not_found")
            return transfer

        def run() -> None:
            received = None
            if decision == "approve":  # verified outside the write transaction, as on confirmation
                with db.session(readonly=True) as s:
                    received = stored_received(service, find(s))
            now = utcnow()
            with db.session() as s:
                transfer = find(s)
                review(
                    s,
                    transfer,
                    received,
                    approve=decision == "approve",
                    reason=reason,
                    staff=staff.subject,
                    now=now,
                )

        try:
            await run_in_threadpool(run)
        except (TransferError, ReturnRefused) as error:
            return render(
                request, "emc/problem.html", {"problem": error_text(request, error)}, status_code=409
            )
        log.info("transfer %d reviewed: %s", transfer_id, decision)
        if decision == "approve" and service.webhook_kick is not None:
            service.webhook_kick()
        flash(request, gettext(request, "The decision was recorded."), "success")
        return RedirectResponse(
            request.url_for("staff_transfer", transfer_id=transfer_id).path, status_code=303
        )

    @router.get("/transfers/{transfer_id}/transcript.pdf", name="staff_transcript")
    def staff_transcript(request: Request, transfer_id: int, staff: StaffDep) -> Response:
        return _document(request, transfer_id, "pdf")

    @router.get("/transfers/{transfer_id}/elmo.xml", name="staff_elmo_xml")
    def staff_elmo(request: Request, transfer_id: int, staff: StaffDep) -> Response:
        return _document(request, transfer_id, "xml")

    def _document(request: Request, transfer_id: int, kind: str) -> Response:
        with db.session(readonly=True) as s:
            transfer = s.get(Transfer, transfer_id) if valid_id(transfer_id) else None
        if transfer is None:
            return render(
                request,
                "emc/problem.html",
                {"problem": gettext(request, "No such transfer.")},
                status_code=404,
            )
        return document_response(request, transfer, kind)

    return router
