"""Staff pages: the review queue, per-student overviews, one transfer, decisions and statistics."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from emrex.db import utcnow
from emrex.emc.models import ForeignCredential, Status, Transfer
from emrex.emc.recognition.stats import recognition_statistics
from emrex.emc.returns import ReturnRefused
from emrex.emc.service import Service, page_values, stored_received, view_of
from emrex.emc.store import TransferError, review, statistics, valid_id
from emrex.emc.student import document_response
from emrex.web import current_language, flash, gettext, render
from emrex.web.auth import Person, require_role

log = logging.getLogger("emrex.emc")
staff_only = require_role("staff")
StaffDep = Annotated[Person, Depends(staff_only)]


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
            {"queue": [view_of(t) for t in queue], "recent": [view_of(t) for t in recent]},
        )

    @router.get("/student", name="staff_student")
    def staff_student(request: Request, staff: StaffDep) -> Response:
        subject = request.query_params.get("subject", "")[:255]
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
            {"subject": subject, "transfers": [view_of(t) for t in transfers], "credentials": credentials},
        )

    @router.get("/transfers/{transfer_id}", name="staff_transfer")
    def staff_transfer(request: Request, transfer_id: int, staff: StaffDep) -> Response:
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
            service, transfer, current_language(request), lambda text: gettext(request, text)
        )
        return render(request, "emc/staff_transfer.html", context)

    @router.post("/transfers/{transfer_id}/review", name="staff_review")
    async def staff_review(request: Request, transfer_id: int, staff: StaffDep) -> Response:
        form = await request.form()
        decision = form.get("decision")
        reason = form.get("reason")
        if decision not in ("approve", "reject") or not isinstance(reason, str):
            return render(
                request,
                "emc/problem.html",
                {"problem": gettext(request, "Choose approve or reject.")},
                status_code=400,
            )

        def find(s: Session) -> Transfer:
            transfer = s.get(Transfer, transfer_id) if valid_id(transfer_id) else None
            if transfer is None:
                raise TransferError("no such transfer", "not_found")
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
            return render(request, "emc/problem.html", {"problem": str(error)}, status_code=409)
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

    @router.get("/statistics", name="staff_statistics")
    def staff_statistics(request: Request, staff: StaffDep) -> Response:
        context = {"stats": statistics(db), "recognition": recognition_statistics(db)}
        return render(request, "emc/staff_statistics.html", context)

    return router
