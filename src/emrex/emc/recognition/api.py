"""Recognition cases and their decisions in the SIS API (``/api/v1/recognition/…``, same tokens).

A credited course carries no grade: a decision has an outcome, the credits granted and a reason, never
a grade. The decision document is served as first made, in English or Swedish.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import select

from emrex.emc.recognition.cases import Actor, valid_id
from emrex.emc.recognition.data import case_data
from emrex.emc.recognition.errors import CaseError
from emrex.emc.recognition.models import Case, CaseStatus
from emrex.emc.recognition.web import decision_pdf
from emrex.emc.service import Service

MAX_LIMIT = 500
_SIS = Actor("sis-api", "SIS API", staff=True)


class Issuer(BaseModel):
    name: str
    id: str | None
    country: str | None


class BasisOut(BaseModel):
    id: int
    source: str
    ref: str
    issuer: Issuer
    code: str | None
    title: str
    grade: str | None
    credits: str | None
    credit_scheme: str | None
    level: str | None
    end_date: dt.date | None


class Target(BaseModel):
    kind: str
    course_code: str | None
    titles: dict[str, str]
    description: str | None
    credits: str


class Decision(BaseModel):
    outcome: str
    credits: str | None
    reason: str | None


class ItemOut(BaseModel):
    id: int
    target: Target
    basis_ids: list[int]
    decision: Decision | None


class Expert(BaseModel):
    name: str | None
    statement: str | None


class AttachmentOut(BaseModel):
    id: int
    filename: str
    size: int
    sha256: str


class CaseOut(BaseModel):
    id: int
    number: str | None
    student: str
    student_name: str
    status: str
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    registered_at: dt.datetime | None
    decided_by: str | None
    sis_reference: str | None
    motivation: str
    expert: Expert | None
    bases: list[BasisOut]
    items: list[ItemOut]
    attachments: list[AttachmentOut]


class CasePage(BaseModel):
    items: list[CaseOut]
    next_after: int | None


def recognition_api(service: Service, authorised: Callable[[Request], None]) -> APIRouter:
    router = APIRouter(prefix="/recognition", dependencies=[Depends(authorised)])
    db = service.database

    @router.get("/cases", response_model=CasePage)
    def list_cases(
        student: Annotated[
            str | None, Query(max_length=255, description="login subject of the student")
        ] = None,
        status: Annotated[
            str | None, Query(max_length=20, description="submitted, decided, registered, …")
        ] = None,
        since: Annotated[dt.datetime | None, Query(description="submitted at or after (ISO 8601)")] = None,
        until: Annotated[dt.datetime | None, Query(description="submitted before")] = None,
        decided_since: Annotated[dt.datetime | None, Query(description="decided at or after")] = None,
        after: Annotated[int | None, Query(ge=0, description="the next_after of the previous page")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    ) -> dict[str, Any]:
        query = select(Case).where(Case.status != CaseStatus.DRAFT)
        if student is not None:
            query = query.where(Case.student == student)
        if status is not None:
            query = query.where(Case.status == status)
        if since is not None:
            query = query.where(Case.submitted_at >= _aware(since))
        if until is not None:
            query = query.where(Case.submitted_at < _aware(until))
        if decided_since is not None:
            query = query.where(Case.decided_at >= _aware(decided_since))
        if after is not None:
            if not valid_id(after):
                return {"items": [], "next_after": None}
            query = query.where(Case.id > after)
        with db.session(readonly=True) as s:
            rows = list(s.scalars(query.order_by(Case.id).limit(limit + 1)))
            more = len(rows) > limit
            items = [case_data(c) for c in rows[:limit]]
        return {"items": items, "next_after": items[-1]["id"] if more and items else None}

    @router.get("/cases/{case_id}", response_model=CaseOut)
    def get_case(case_id: int) -> dict[str, Any]:
        with db.session(readonly=True) as s:
            case = s.get(Case, case_id) if valid_id(case_id) else None
            if case is None or case.status == CaseStatus.DRAFT:
                raise HTTPException(404, "no such case")
            return case_data(case)

    @router.get(
        "/cases/{case_id}/decision.pdf",
        response_class=Response,
        responses={200: {"content": {"application/pdf": {}}, "description": "the decision document"}},
    )
    def get_decision(
        case_id: int, language: Annotated[str, Query(pattern="^(en|sv)$", description="en or sv")] = "en"
    ) -> Response:
        try:
            pdf = decision_pdf(service, case_id, language, _SIS)
        except CaseError:
            raise HTTPException(404, "no decision for this case") from None
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="decision-{case_id}-{language}.pdf"'},
        )

    return router


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
