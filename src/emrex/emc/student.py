"""The student's pages: pick a country and provider, go there, come back, preview, confirm or discard.

The EMP's answer arrives as a cross-site form POST without the student's cookie, so ``/emrex/return``
finds the transfer by its single-use ``sessionId``, stores the outcome in one transaction and sends the
browser (303) to the transfer page, where the student's own session proves ownership.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from emrex.db import utcnow
from emrex.emc.config import RETURN_PATH
from emrex.emc.credential import MEDIA_TYPE, SEALABLE, CredentialUnavailable, file_name, refused_status
from emrex.emc.gate import Busy
from emrex.emc.importing import confirm_own
from emrex.emc.models import DELETABLE, Source, Status, Transfer
from emrex.emc.registries import emp_title, served
from emrex.emc.returns import (
    RETURN_CODES,
    Outcome,
    ReturnRefused,
    Window,
    clean_message,
    outcome_of,
    receive_elmo,
)
from emrex.emc.service import Service, page_values, sealed_download, stored_received, view_of
from emrex.emc.store import (
    TransferError,
    delete_transfer,
    discard,
    duplicate_refusal,
    failure_values,
    local_person,
    open_for_return,
    outcome_values,
    owned,
    pinned_certificates,
    pinned_emp,
    received_values,
    start_transfer,
    storable_refusal,
    store_answer,
    withdraw,
)
from emrex.errors import N_
from emrex.registry import RegistryError
from emrex.web import autopost, current_language, error_text, flash, gettext, render
from emrex.web.auth import Person, current_person, require_person

log = logging.getLogger("emrex.emc")
MAX_FIELD = 256
StudentDep = Annotated[Person, Depends(require_person)]
REFUSED_STATUS = {"unknown": 400, "used": 409, "cancelled": 409, "expired": 410, "other": 403}


def _text(form: FormData, name: str, limit: int = MAX_FIELD) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def student_router(service: Service) -> APIRouter:
    router = APIRouter()
    db = service.database
    settings = service.settings

    @router.get("/", name="home")
    def home(request: Request) -> Response:
        person = current_person(request)
        if person is None:
            return render(
                request, "emc/home.html", {"countries": [], "transfers": [], "registry_error": None}
            )
        registry_error = None
        countries: list[Any] = []
        try:
            countries = list(service.registries.current().countries)
        except RegistryError as error:
            registry_error = str(error)
        with db.session(readonly=True) as s:
            transfers = list(
                s.scalars(
                    select(Transfer).where(Transfer.student == person.subject).order_by(Transfer.id.desc())
                )
            )
        return render(
            request,
            "emc/home.html",
            {
                "countries": countries,
                "transfers": [view_of(t) for t in transfers],
                "registry_error": registry_error,
            },
        )

    @router.get("/choose", name="choose")
    def choose(request: Request, person: StudentDep) -> Response:
        code = request.query_params.get("country", "")[:8]
        try:
            country, emps = service.registries.choices(code)
        except RegistryError as error:
            return render(
                request, "emc/problem.html", {"problem": error_text(request, error)}, status_code=404
            )
        titles = {emp.url: emp_title(emp) for emp in emps}
        serves = {emp.url: ", ".join(served(emp)) for emp in emps}
        context = {"country": country, "emps": emps, "titles": titles, "serves": serves}
        return render(request, "emc/choose.html", context)

    @router.post("/start", name="start")
    async def start(request: Request, person: StudentDep) -> Response:
        form = await request.form()
        code, url = _text(form, "country", 8), _text(form, "emp", 2048)
        try:
            country, emp = await run_in_threadpool(service.registries.find, code, url)
            transfer = await run_in_threadpool(
                start_transfer,
                db,
                person,
                country,
                emp,
                settings.transfer_lifetime,
                settings.max_open_transfers,
            )
        except (RegistryError, TransferError) as error:
            limited = isinstance(error, TransferError) and error.kind == "limit"
            return render(
                request,
                "emc/problem.html",
                {"problem": error_text(request, error)},
                status_code=429 if limited else 400,
            )
        log.info("transfer %d started towards %s", transfer.id, emp.acronym)
        return autopost(
            request,
            emp.url,
            [("sessionId", transfer.session_id), ("returnUrl", settings.return_url)],
            target_name=emp_title(emp),
            back=request.url_for("transfer", transfer_id=transfer.id).path,
        )

    @router.post(RETURN_PATH, name="emrex_return")
    async def emrex_return(request: Request) -> Response:
        # Starlette's default part limit is 1 MB; real answers with PDFs inside are several MB.
        form = await request.form(max_part_size=settings.web.max_protocol_bytes)
        fields = {
            "sessionId": _text(form, "sessionId", 128),
            "returnCode": _text(form, "returnCode", 64),
            "returnMessage": _text(form, "returnMessage", 4096),
            "elmo": _text(form, "elmo", settings.codec_limits.max_encoded_bytes + 1),
        }
        viewer = current_person(request)
        language = current_language(request)
        try:
            transfer_id, refusal = await run_in_threadpool(_handle_return, service, fields, viewer, language)
        except Busy as error:
            log.warning("answer turned away: all %d verification slots stayed busy", service.gate.slots)
            return render(
                request,
                "emc/refused.html",
                {"kind": error.stage, "problem": error_text(request, error), "transfer_id": None},
                status_code=503,
                headers={"Retry-After": "60"},
            )
        except TransferError as error:
            log.info("answer refused before any transfer was touched: %s", error.kind)
            return render(
                request,
                "emc/refused.html",
                {"kind": error.kind, "problem": error_text(request, error), "transfer_id": None},
                status_code=REFUSED_STATUS.get(error.kind, 400),
            )
        if refusal is not None:
            return render(
                request,
                "emc/refused.html",
                {"kind": refusal.stage, "problem": error_text(request, refusal), "transfer_id": transfer_id},
                status_code=400,
            )
        return RedirectResponse(request.url_for("transfer", transfer_id=transfer_id).path, status_code=303)

    @router.get("/transfers/{transfer_id}", name="transfer")
    def transfer_page(request: Request, transfer_id: int, person: StudentDep) -> Response:
        with db.session(readonly=True) as s:
            try:
                transfer = owned(s, transfer_id, person.subject)
            except TransferError as error:
                return render(
                    request, "emc/problem.html", {"problem": error_text(request, error)}, status_code=404
                )
        context = page_values(
            service, transfer, current_language(request), lambda text: gettext(request, text)
        )
        context["deletable"] = transfer.status in DELETABLE
        context["cancellable"] = context["status"] is Status.STARTED
        sealer = service.credential_sealer
        signed = transfer.source != Source.WALLET_ELM  # plain ELM from a wallet: nothing to seal or reissue
        context["sealable"] = signed and sealer is not None and transfer.status in SEALABLE
        context["sealer_name"] = sealer.issuer.legal_name.get("en", "") if sealer else ""
        context["walletable"] = signed and service.wallet is not None and transfer.status == Status.IMPORTED
        return render(request, "emc/transfer.html", context)

    @router.post("/transfers/{transfer_id}/confirm", name="confirm")
    async def confirm(request: Request, transfer_id: int, person: StudentDep) -> Response:
        def run() -> Status:
            # Verify outside the write transaction (it may take a while), then write under the lock;
            # confirm_import checks the status again there.
            with db.session(readonly=True) as s:
                received = stored_received(service, owned(s, transfer_id, person.subject))
            if received is None:
                raise TransferError(N_("the results are no longer stored"), "state")
            with db.session() as s:
                return confirm_own(s, transfer_id, person.subject, received, utcnow())

        try:
            status = await run_in_threadpool(run)
        except (TransferError, ReturnRefused) as error:
            return render(
                request, "emc/problem.html", {"problem": error_text(request, error)}, status_code=409
            )
        if status is Status.IMPORTED:
            flash(request, gettext(request, "Your results were imported."), "success")
            if service.webhook_kick is not None:
                service.webhook_kick()
        else:
            flash(
                request,
                gettext(request, "Your results will be imported after a staff member has checked them."),
            )
        return RedirectResponse(request.url_for("transfer", transfer_id=transfer_id).path, status_code=303)

    @router.post("/transfers/{transfer_id}/discard", name="discard")
    async def discard_results(request: Request, transfer_id: int, person: StudentDep) -> Response:
        def run() -> None:
            with db.session() as s:
                discard(owned(s, transfer_id, person.subject), utcnow())

        try:
            await run_in_threadpool(run)
        except TransferError as error:
            return render(
                request, "emc/problem.html", {"problem": error_text(request, error)}, status_code=409
            )
        flash(request, gettext(request, "The results were discarded."))
        return RedirectResponse(request.url_for("transfer", transfer_id=transfer_id).path, status_code=303)

    @router.post("/transfers/{transfer_id}/cancel", name="cancel")
    async def cancel(request: Request, transfer_id: int, person: StudentDep) -> Response:
        def run() -> None:
            with db.session() as s:
                withdraw(owned(s, transfer_id, person.subject), utcnow())

        try:
            await run_in_threadpool(run)
        except TransferError as error:
            status = 404 if error.kind == "not_found" else 409
            return render(
                request, "emc/problem.html", {"problem": error_text(request, error)}, status_code=status
            )
        log.info("transfer %d cancelled by the student", transfer_id)
        flash(request, gettext(request, "The transfer was cancelled."))
        return RedirectResponse(request.url_for("transfer", transfer_id=transfer_id).path, status_code=303)

    @router.post("/transfers/{transfer_id}/delete", name="delete")
    async def delete(request: Request, transfer_id: int, person: StudentDep) -> Response:
        def run() -> None:
            with db.session() as s:
                delete_transfer(s, owned(s, transfer_id, person.subject))

        try:
            await run_in_threadpool(run)
        except TransferError as error:
            return render(
                request, "emc/problem.html", {"problem": error_text(request, error)}, status_code=409
            )
        flash(request, gettext(request, "The transfer was deleted."))
        return RedirectResponse("/", status_code=303)

    @router.get("/transfers/{transfer_id}/transcript.pdf", name="transcript")
    def transcript(request: Request, transfer_id: int, person: StudentDep) -> Response:
        return _download(request, service, transfer_id, person, "pdf")

    @router.get("/transfers/{transfer_id}/elmo.xml", name="elmo_xml")
    def elmo_xml(request: Request, transfer_id: int, person: StudentDep) -> Response:
        return _download(request, service, transfer_id, person, "xml")

    @router.get("/transfers/{transfer_id}/credential.json", name="sealed_credential")
    def sealed(request: Request, transfer_id: int, person: StudentDep) -> Response:
        try:
            with db.session(readonly=True) as s:
                transfer = owned(s, transfer_id, person.subject)
            data = sealed_download(service, transfer)
        except TransferError as error:
            return render(
                request, "emc/problem.html", {"problem": error_text(request, error)}, status_code=404
            )
        except (CredentialUnavailable, ReturnRefused) as error:
            status = refused_status(error)
            return render(
                request, "emc/problem.html", {"problem": error_text(request, error)}, status_code=status
            )
        return credential_response(data, transfer_id)

    return router


def credential_response(data: bytes, transfer_id: int) -> Response:
    return Response(
        data,
        media_type=MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{file_name(transfer_id)}"',
            "Cache-Control": "no-store",
        },
    )


def _handle_return(
    service: Service, fields: dict[str, str], viewer: Person | None, language: str
) -> tuple[int, ReturnRefused | None]:
    """Check and store one answer; TransferError when no usable transfer matches (nothing stored)."""
    db, settings = service.database, service.settings
    session_id, code = fields["sessionId"].strip(), fields["returnCode"]
    with db.session(readonly=True) as s:
        transfer = open_for_return(s, session_id, utcnow())
    if viewer is not None and viewer.subject != transfer.student:
        raise TransferError(N_("this transfer was started by someone else"), "other")
    certificates = pinned_certificates(transfer)
    person = local_person(transfer)
    emp = pinned_emp(transfer)

    refusal: ReturnRefused | None = None
    outcome: Outcome | None = None
    xml, received = b"", None
    try:
        outcome = outcome_of(code)
    except ReturnRefused as error:
        refusal = error
    if outcome is Outcome.OK:
        with service.gate.slot():  # Busy leaves the transfer waiting: the answer can come again
            try:
                xml, received = receive_elmo(
                    fields["elmo"],
                    certificates,
                    person,
                    limits=settings.codec_limits,
                    policy=settings.verify_policy,
                    identity_policy=settings.identity_policy,
                    language=language,
                    window=Window(transfer.created_at, utcnow(), settings.clock_skew),
                    emp=emp,
                )
            except ReturnRefused as error:
                refusal = error

    now = utcnow()
    if received is not None and refusal is None:
        refusal = storable_refusal(received)
    stored = None  # made before the write transaction: its locks are held for the statements alone
    if received is not None and refusal is None:
        stored = received_values(transfer, xml, received, code, now, settings.web.languages)
    with db.session() as s:
        if received is not None and stored is not None:
            refusal = duplicate_refusal(s, transfer, received)
        if refusal is not None:
            values = failure_values(str(refusal), code, now)
        elif stored is not None:
            values = stored
        else:
            assert outcome is not None
            values = outcome_values(outcome, code, clean_message(fields["returnMessage"]), now)
        # Written only if the transfer still waits for this answer: single use under concurrency.
        store_answer(s, session_id, values, now)
    transfer_id, status = transfer.id, values["status"]
    # Only a code we know goes into the log: the field holds whatever the sender chose.
    log.info(
        "transfer %d answered %s: %s%s",
        transfer_id,
        code if code in RETURN_CODES else "an unknown return code",
        status,
        f" ({refusal.stage})" if refusal else "",
    )
    return transfer_id, refusal


def _download(request: Request, service: Service, transfer_id: int, person: Person, kind: str) -> Response:
    with service.database.session(readonly=True) as s:
        try:
            transfer = owned(s, transfer_id, person.subject)
        except TransferError as error:
            return render(
                request, "emc/problem.html", {"problem": error_text(request, error)}, status_code=404
            )
    return document_response(request, transfer, kind)


def document_response(request: Request, transfer: Transfer, kind: str) -> Response:
    """The stored PDF or signed XML as a download with its checked media type."""
    if kind == "pdf":
        data, media, name = transfer.pdf, "application/pdf", f"transcript-{transfer.id}.pdf"
        if data is not None and not data.startswith(b"%PDF-"):
            data = None
    else:
        data, media, name = transfer.elmo_xml, "application/xml", f"elmo-{transfer.id}.xml"
    if data is None:
        return render(
            request,
            "emc/problem.html",
            {"problem": gettext(request, "This document is not stored.")},
            status_code=404,
        )
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
