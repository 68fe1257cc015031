"""What the student's and the officers' pages share: reading forms, problem pages, decision documents."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from emrex.db import Database, utcnow
from emrex.emc.recognition.cases import STATUS_NAMES, Actor, load
from emrex.emc.recognition.document import Issuing, render_decision
from emrex.emc.recognition.errors import CaseError, _
from emrex.emc.recognition.models import DECIDED, Case, CaseStatus, DecisionDocument
from emrex.emc.recognition.texts import LANGUAGES
from emrex.emc.service import Service
from emrex.web import gettext, render

MAX_FIELD = 4100


def text(form: FormData, name: str, limit: int = MAX_FIELD) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def number(form: FormData, name: str) -> int:
    """A whole number from the form (a version, an id); CaseError when it is not one."""
    value = text(form, name, 20).strip()
    if not value.isdigit() or len(value) > 18:
        raise CaseError(_("The form is incomplete; open the page again."), "invalid")
    return int(value)


def numbers(form: FormData, name: str) -> list[int]:
    found = []
    for value in form.getlist(name)[:100]:
        if isinstance(value, str) and value.isdigit() and len(value) <= 18:
            found.append(int(value))
    return found


def problem(request: Request, error: CaseError, back: str | None = None) -> Response:
    """The refusal in the visitor's language, with a way back to the case."""
    values = {key: gettext(request, str(value)) for key, value in error.values.items()}
    message = gettext(request, error.template)
    return render(
        request,
        "recognition/problem.html",
        {"problem": message % values if values else message, "back": back, "kind": error.kind},
        status_code=error.http_status,
    )


def issuing(service: Service) -> Issuing:
    settings = service.settings.recognition
    return Issuing(
        institution=settings.institution or service.settings.title,
        appeal_weeks=settings.appeal_weeks,
        appeal_address=settings.appeal_address,
        legal_basis=settings.legal_basis,
    )


def status_name(request: Request, status: str) -> str:
    return gettext(request, STATUS_NAMES.get(CaseStatus(status), status))


def decision_pdf(service: Service, case_id: int, language: str, actor: Actor) -> bytes:
    """The decision as first made in ``language``: stored at the decision, or made and stored now
    (a student may only ask for their own case)."""
    if language not in LANGUAGES:
        raise CaseError(_("The decision is written in English and Swedish only."), "not_found")
    db = service.database
    with db.session(readonly=True) as s:
        case = load(s, case_id, actor)
        if case.status not in DECIDED:
            raise CaseError(_("This case has no decision yet."), "not_found")
        stored = s.scalars(
            select(DecisionDocument.pdf).where(
                DecisionDocument.case_id == case_id, DecisionDocument.language == language
            )
        ).first()
        if stored is not None:
            return stored
        pdf = render_decision(case, issuing(service), language)
    return keep_decision(db, case_id, language, pdf)


def keep_decision(
    db: Database, case_id: int, language: str, pdf: bytes, now: dt.datetime | None = None
) -> bytes:
    """Store a decision document unless one is stored already (then that one is returned)."""
    query = select(DecisionDocument.pdf).where(
        DecisionDocument.case_id == case_id, DecisionDocument.language == language
    )
    try:
        with db.session() as s:
            stored = s.scalars(query).first()
            if stored is not None:
                return stored
            s.add(DecisionDocument(case_id=case_id, language=language, pdf=pdf, created_at=now or utcnow()))
    except IntegrityError:  # made at the same moment by another request: theirs is kept
        with db.session(readonly=True) as s:
            return s.scalars(query).one()
    return pdf


def make_decision_documents(service: Service, case_id: int) -> None:
    """Right after a decision: both languages made and kept, so later setting changes do not alter them."""
    with service.database.session(readonly=True) as s:
        case = s.get(Case, case_id)
        if case is None or case.status not in DECIDED:
            return
        made = [(language, render_decision(case, issuing(service), language)) for language in LANGUAGES]
    for language, pdf in made:
        keep_decision(service.database, case_id, language, pdf)


def pdf_response(data: bytes, filename: str) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
