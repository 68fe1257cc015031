"""The JSON API for the student information system: imported credentials and transfers.

Mounted at ``/api/v1`` with its OpenAPI description at ``/api/v1/openapi.json``. Every call needs
``Authorization: Bearer <token>``; the configuration holds only SHA-256 hashes of the tokens, compared
in constant time. The signed document and the PDF of a transfer are served byte-exact, so the SIS can
verify the signature again. Lists are ordered by id and paged with ``limit`` and ``after`` (the last id seen).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from pydantic import AfterValidator, BaseModel
from sqlalchemy import Select, select

from emrex.db import utcnow
from emrex.emc.credential import MEDIA_TYPE, CredentialUnavailable, file_name, refused_status
from emrex.emc.models import ForeignCredential, Status, Transfer, shown_status_column
from emrex.emc.recognition.api import recognition_api
from emrex.emc.returns import ReturnRefused
from emrex.emc.service import Service, sealed_download
from emrex.emc.store import MAX_ID, credential_data, transfer_data, valid_id

MAX_LIMIT = 500


def _in_utc(value: dt.datetime) -> dt.datetime:
    """The moment in UTC (a time without a zone is UTC); ValueError, a 422, when UTC cannot hold it."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("out of range: the moment lies outside the years 1 to 9999 in UTC") from None


# Query dates: checked before they reach the database (an overflow there was a 500 with SQL in the log).
Moment = Annotated[dt.datetime, AfterValidator(_in_utc)]


class Issuer(BaseModel):
    name: str
    id: str | None
    country: str | None


class ReportIssuer(BaseModel):
    """An institution that issued a report of the transfer's document, as the document names it."""

    name: str | None
    id: str | None  # SCHAC code, else Erasmus code, else PIC
    country: str | None


class Credential(BaseModel):
    id: int
    transfer_id: int
    student: str
    imported_at: dt.datetime
    issuer: Issuer
    title: str
    code: str | None
    type: str | None
    grade: str | None
    grading_scheme: str | None
    credits: str | None
    credit_scheme: str | None
    level: str | None
    start_date: dt.date | None
    end_date: dt.date | None
    status: str


class Emp(BaseModel):
    acronym: str
    name: str
    url: str


class Identity(BaseModel):
    verdict: str | None
    reasons: list[str]


class Review(BaseModel):
    decision: str | None
    reason: str | None
    by: str | None
    at: dt.datetime | None


class TransferOut(BaseModel):
    id: int
    student: str
    status: str
    created_at: dt.datetime
    returned_at: dt.datetime | None
    country: str
    emp: Emp
    issuers: list[ReportIssuer]
    return_code: str | None
    failure: str | None
    signer: str | None
    identity: Identity
    review: Review | None
    courses: int
    credits: str


class CredentialPage(BaseModel):
    items: list[Credential]
    next_after: int | None


class TransferPage(BaseModel):
    items: list[TransferOut]
    next_after: int | None


def token_matches(token: str, hashes: tuple[str, ...]) -> bool:
    offered = "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()
    found = False
    for expected in hashes:  # every hash is compared, so timing says nothing about which matched
        found |= hmac.compare_digest(offered.encode(), expected.encode())
    return found


def create_api(service: Service) -> FastAPI:
    api = FastAPI(
        title="EMREX client (EMC) API",
        version="1",
        description="Foreign credentials imported through EMREX, the transfers they came from, and the "
        "credit recognition cases and decisions resting on them.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    db = service.database

    def authorised(request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip() or not service.settings.api_token_hashes:
            raise HTTPException(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
        if not token_matches(token.strip(), service.settings.api_token_hashes):
            raise HTTPException(401, "the token is not valid", headers={"WWW-Authenticate": "Bearer"})

    def page(query: Select[Any], model: Any, after: int | None, limit: int) -> tuple[list[Any], int | None]:
        if after is not None:
            if after >= MAX_ID:
                return [], None
            query = query.where(model.id > after)
        with db.session(readonly=True) as s:
            rows = list(s.scalars(query.order_by(model.id).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, (rows[-1].id if more and rows else None)

    @api.get("/credentials", response_model=CredentialPage, dependencies=[Depends(authorised)])
    def list_credentials(
        student: Annotated[
            str | None, Query(max_length=255, description="login subject of the student")
        ] = None,
        since: Annotated[
            Moment | None, Query(description="imported at or after (ISO 8601 with zone)")
        ] = None,
        until: Annotated[Moment | None, Query(description="imported before")] = None,
        after: Annotated[int | None, Query(ge=0, description="the next_after of the previous page")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    ) -> dict[str, Any]:
        query = select(ForeignCredential)
        if student is not None:
            query = query.where(ForeignCredential.student == student)
        if since is not None:
            query = query.where(ForeignCredential.imported_at >= since)
        if until is not None:
            query = query.where(ForeignCredential.imported_at < until)
        rows, next_after = page(query, ForeignCredential, after, limit)
        return {"items": [credential_data(c) for c in rows], "next_after": next_after}

    @api.get("/credentials/{credential_id}", response_model=Credential, dependencies=[Depends(authorised)])
    def get_credential(credential_id: int) -> dict[str, Any]:
        with db.session(readonly=True) as s:
            credential = s.get(ForeignCredential, credential_id) if valid_id(credential_id) else None
            if credential is None:
                raise HTTPException(404, "no such credential")
            return credential_data(credential)

    @api.get("/transfers", response_model=TransferPage, dependencies=[Depends(authorised)])
    def list_transfers(
        student: Annotated[str | None, Query(max_length=255)] = None,
        status: Annotated[
            Status | None, Query(description="the transfer's status (expired: no answer came in time)")
        ] = None,
        since: Annotated[Moment | None, Query(description="started at or after")] = None,
        until: Annotated[Moment | None, Query(description="started before")] = None,
        after: Annotated[int | None, Query(ge=0)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    ) -> dict[str, Any]:
        query = select(Transfer)
        if student is not None:
            query = query.where(Transfer.student == student)
        if status is not None:
            query = query.where(shown_status_column(utcnow()) == status.value)
        if since is not None:
            query = query.where(Transfer.created_at >= since)
        if until is not None:
            query = query.where(Transfer.created_at < until)
        rows, next_after = page(query, Transfer, after, limit)
        return {"items": [transfer_data(t) for t in rows], "next_after": next_after}

    @api.get("/transfers/{transfer_id}", response_model=TransferOut, dependencies=[Depends(authorised)])
    def get_transfer(transfer_id: int) -> dict[str, Any]:
        with db.session(readonly=True) as s:
            transfer = s.get(Transfer, transfer_id) if valid_id(transfer_id) else None
            if transfer is None:
                raise HTTPException(404, "no such transfer")
            return transfer_data(transfer)

    def document(transfer_id: int, kind: str) -> Response:
        with db.session(readonly=True) as s:
            transfer = s.get(Transfer, transfer_id) if valid_id(transfer_id) else None
            data = None if transfer is None else (transfer.elmo_xml if kind == "xml" else transfer.pdf)
        if transfer is None or data is None or (kind == "pdf" and not data.startswith(b"%PDF-")):
            raise HTTPException(404, "no such document")
        media, name = ("application/xml", "elmo") if kind == "xml" else ("application/pdf", "transcript")
        return Response(
            data,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{name}-{transfer_id}.{kind}"'},
        )

    @api.get(
        "/transfers/{transfer_id}/elmo.xml",
        dependencies=[Depends(authorised)],
        response_class=Response,
        responses={200: {"content": {"application/xml": {}}, "description": "the signed ELMO, byte-exact"}},
    )
    def get_signed_document(transfer_id: int) -> Response:
        return document(transfer_id, "xml")

    @api.get(
        "/transfers/{transfer_id}/transcript.pdf",
        dependencies=[Depends(authorised)],
        response_class=Response,
        responses={200: {"content": {"application/pdf": {}}, "description": "the PDF transcript"}},
    )
    def get_transcript(transfer_id: int) -> Response:
        return document(transfer_id, "pdf")

    @api.get(
        "/transfers/{transfer_id}/credential.json",
        dependencies=[Depends(authorised)],
        response_class=Response,
        responses={
            200: {
                "content": {MEDIA_TYPE: {}},
                "description": "the imported results as a European Digital Credential (ELM 3.2, Converted "
                "profile: the signed ELMO inside), sealed by this EMC (JAdES)",
            },
            409: {"description": "the transfer's results are not imported (or no longer verify)"},
            501: {"description": "this EMC is not configured to seal credentials"},
        },
    )
    def get_sealed_credential(transfer_id: int) -> Response:
        with db.session(readonly=True) as s:
            transfer = s.get(Transfer, transfer_id) if valid_id(transfer_id) else None
        if transfer is None:
            raise HTTPException(404, "no such transfer")
        try:
            data = sealed_download(service, transfer)
        except (CredentialUnavailable, ReturnRefused) as error:
            raise HTTPException(refused_status(error), str(error)) from None
        return Response(
            data,
            media_type=MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{file_name(transfer_id)}"'},
        )

    api.include_router(recognition_api(service, authorised))
    return api
