"""The student's pages: start an application from foreign results, choose targets, add a motivation and
PDF attachments, submit, answer a request for more information, read and download the decision."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from emrex.db import utcnow
from emrex.emc.recognition import cases
from emrex.emc.recognition.attachments import check_pdf, display_name, download_name
from emrex.emc.recognition.cases import Actor
from emrex.emc.recognition.errors import CaseError, _
from emrex.emc.recognition.foreign import chosen_results, student_results
from emrex.emc.recognition.models import Attachment, Case, CaseStatus, Course
from emrex.emc.recognition.precedents import precedents, suggestions
from emrex.emc.recognition.web import (
    decision_pdf,
    number,
    numbers,
    pdf_response,
    problem,
    text,
)
from emrex.emc.service import Service
from emrex.web import current_language, flash, gettext, render
from emrex.web.auth import Person, require_person

log = logging.getLogger("emrex.emc.recognition")
StudentDep = Annotated[Person, Depends(require_person)]
UPLOAD_PATH = "/recognition/upload"
SEARCH_RESULTS = 20


def student_router(service: Service) -> APIRouter:
    router = APIRouter(prefix="/recognition")
    db = service.database
    settings = service.settings.recognition

    @router.get("", name="recognition_home")
    def home(request: Request, person: StudentDep) -> Response:
        with db.session(readonly=True) as s:
            mine = select(Case).where(Case.student == person.subject).options(selectinload(Case.items))
            found = list(s.scalars(mine.order_by(Case.id.desc())))
            results = student_results(s, person.subject)
        return render(
            request, "recognition/student_home.html", {"cases": found, "has_results": bool(results)}
        )

    @router.get("/new", name="recognition_new")
    def new(request: Request, person: StudentDep) -> Response:
        transfer = request.query_params.get("transfer", "")
        chosen = int(transfer) if transfer.isdigit() and len(transfer) < 19 else None
        with db.session(readonly=True) as s:
            results = student_results(s, person.subject)
        return render(request, "recognition/new.html", {"results": results, "transfer": chosen})

    @router.post("/cases", name="recognition_create")
    async def create(request: Request, person: StudentDep) -> Response:
        form = await request.form()
        picked = [v.partition(":") for v in form.getlist("result")[:100] if isinstance(v, str)]
        refs = [(source, ref) for source, _sep, ref in picked]

        def run() -> int:
            with db.session() as s:
                chosen = chosen_results(s, person.subject, refs)
                if chosen is None:
                    raise CaseError(_("Choose among your own imported results."), "invalid")
                return cases.create(s, person, chosen, utcnow()).id

        try:
            case_id = await run_in_threadpool(run)
        except CaseError as error:
            return problem(request, error, "/recognition/new")
        log.info("recognition case %d started", case_id)
        return RedirectResponse(f"/recognition/cases/{case_id}", status_code=303)

    @router.get("/cases/{case_id}", name="recognition_case")
    def case_page(request: Request, case_id: int, person: StudentDep) -> Response:
        query = " ".join(request.query_params.get("q", "").split())[:80]
        language = current_language(request)
        with db.session(readonly=True) as s:
            try:
                case = cases.load(s, case_id, Actor.of(person))
            except CaseError as error:
                return problem(request, error, "/recognition")
            context = _case_context(s, case, query, language)
            context["max_attachment_mb"] = settings.max_attachment_bytes // (1024 * 1024)
            # rendered inside the transaction: the case's parts load as the page needs them
            return render(request, "recognition/student_case.html", context)

    def act(path: str, message: str, work: Callable[[Any, Actor, int, int, FormData], object]) -> None:
        """A POST that changes the case in one transaction, then shows it again (or why not)."""

        async def handler(request: Request, case_id: int, person: StudentDep) -> Response:
            form = await request.form()
            back = f"/recognition/cases/{case_id}"

            def run() -> None:
                version = number(form, "version")
                with db.session() as s:
                    work(s, Actor.of(person), case_id, version, form)

            try:
                await run_in_threadpool(run)
            except CaseError as error:
                return problem(request, error, back if error.kind != "not_found" else "/recognition")
            if path in ("/submit",) and service.webhook_kick is not None:
                service.webhook_kick()
            flash(request, gettext(request, message), "success")
            return RedirectResponse("/recognition" if path == "/delete" else back, status_code=303)

        router.add_api_route(
            f"/cases/{{case_id}}{path}", handler, methods=["POST"], name=f"recognition{path}"
        )

    act("/items", _("The target was added."), _add_item)
    act(
        "/items/remove",
        _("The target was removed."),
        lambda s, a, c, v, f: cases.remove_item(s, a, c, v, number(f, "item"), utcnow()),
    )
    act(
        "/motivation",
        _("Your motivation was saved."),
        lambda s, a, c, v, f: cases.save_motivation(s, a, c, v, text(f, "motivation"), utcnow()),
    )
    act(
        "/attachments/remove",
        _("The attachment was removed."),
        lambda s, a, c, v, f: cases.remove_attachment(s, a, c, v, number(f, "attachment"), utcnow()),
    )
    act(
        "/submit",
        _("Your application was submitted."),
        lambda s, a, c, v, f: cases.submit(s, a, c, v, settings.case_prefix, utcnow()),
    )
    act(
        "/answer",
        _("Your answer was sent."),
        lambda s, a, c, v, f: cases.answer(s, a, c, v, text(f, "answer"), utcnow()),
    )
    act(
        "/withdraw",
        _("Your application was withdrawn."),
        lambda s, a, c, v, f: cases.withdraw(s, a, c, v, utcnow()),
    )
    act(
        "/delete", _("The draft was deleted."), lambda s, a, c, v, f: cases.delete_draft(s, a, c, v, utcnow())
    )

    @router.post(UPLOAD_PATH.removeprefix("/recognition"), name="recognition_upload")
    async def upload(request: Request, person: StudentDep) -> Response:
        form = await request.form()
        file = form.get("file")
        back = "/recognition"
        try:
            case_id, version = number(form, "case"), number(form, "version")
            back = f"/recognition/cases/{case_id}"
            if not isinstance(file, UploadFile):
                raise CaseError(_("Choose a PDF file to attach."), "invalid")
            data = await file.read(settings.max_attachment_bytes + 1)
            name = display_name(file.filename or "")
            await run_in_threadpool(check_pdf, data, settings.max_attachment_bytes)

            def run() -> None:
                with db.session() as s:
                    cases.add_attachment(s, Actor.of(person), case_id, version, name, data, utcnow())

            await run_in_threadpool(run)
        except CaseError as error:
            return problem(request, error, back)
        finally:
            await form.close()
        flash(request, gettext(request, "The file was attached."), "success")
        return RedirectResponse(f"/recognition/cases/{case_id}", status_code=303)

    @router.get("/cases/{case_id}/attachments/{attachment_id}", name="recognition_attachment")
    def attachment(request: Request, case_id: int, attachment_id: int, person: StudentDep) -> Response:
        return attachment_download(request, service, Actor.of(person), case_id, attachment_id)

    @router.get("/cases/{case_id}/decision-{language}.pdf", name="recognition_decision")
    def decision(request: Request, case_id: int, language: str, person: StudentDep) -> Response:
        return decision_download(request, service, Actor.of(person), case_id, language)

    return router


def _add_item(s: Session, actor: Actor, case_id: int, version: int, form: FormData) -> None:
    target = text(form, "target", 60)
    if not target.startswith("course:") and target != "credits":
        raise CaseError(_("Choose a course, or credits without a matching course."), "invalid")
    course = target.removeprefix("course:").strip() if target != "credits" else ""
    cases.add_item(
        s,
        actor,
        case_id,
        version,
        utcnow(),
        basis_ids=numbers(form, "basis"),
        course_code=course or None,
        credits=text(form, "credits", 12),
        description=text(form, "description", 200),
    )


def attachment_download(
    request: Request, service: Service, actor: Actor, case_id: int, attachment_id: int
) -> Response:
    with service.database.session(readonly=True) as s:
        try:
            case = cases.load(s, case_id, actor)
        except CaseError as error:
            return problem(request, error)
        found = s.get(Attachment, attachment_id) if cases.valid_id(attachment_id) else None
        if found is None or found.case_id != case.id:
            return problem(
                request, CaseError(_("This attachment is not part of the application."), "not_found")
            )
        data, name = found.data, download_name(found.id, found.filename)
    return pdf_response(data, name)


def decision_download(
    request: Request, service: Service, actor: Actor, case_id: int, language: str
) -> Response:
    try:
        data = decision_pdf(service, case_id, language, actor)
    except CaseError as error:
        return problem(request, error)
    return pdf_response(data, f"decision-{case_id}-{language}.pdf")


def _case_context(s: Session, case: Case, query: str, language: str) -> dict[str, Any]:
    found: list[Course] = []
    earlier = precedents(s, case.bases, case.id)
    if case.status == CaseStatus.DRAFT and query:
        found = list(
            s.scalars(
                select(Course)
                .where(Course.active, Course.search.contains(query.casefold(), autoescape=True))
                .order_by(Course.code)
                .limit(SEARCH_RESULTS)
            )
        )
    taken = {i.course_id for i in case.items if i.course_id is not None}
    requests = [e for e in case.events if e.action == "information_requested"]
    return {
        "case": case,
        "bases": {b.id: b for b in case.bases},
        "query": query,
        "courses": found,
        "suggestions": suggestions(s, earlier, taken) if case.status == CaseStatus.DRAFT else [],
        "info_request": requests[-1] if requests else None,
        "events": list(case.events),
        "lang": language,
    }
