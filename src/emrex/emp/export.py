"""A student's export at the EMP: logged in here directly (no EMREX client sent them), they tick some or
all of their results and take them away as the signed ELMO, its PDF transcript, the sealed European
Digital Credential (with a ``[seal]`` table) or a credential in their wallet (with a ``[wallet]``
table: the EMP is then an OpenID4VCI issuer, ``emrex.web.wallet_issuing``).

    GET  /export    log in / the results to tick and what to make of them
    POST /export    make it: action = elmo | pdf | edc | wallet

Every document holds exactly the ticked results, made as a transfer makes them (``document.build``),
so the wallet credential carries the signed ELMO too: it shows nothing that was not ticked. Each export
is counted in the statistics (client ``export:<format>``) once it is made; a refused request (nobody
logged in, nothing ticked, an unknown action) makes and stores nothing. Wallet credentials are filed
under the student (``wallet_subject``): staff revoke them all (``emrex.emp.wallet_staff``).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from emrex.elm.errors import ElmError
from emrex.elm.to_elm import elmo_to_elm
from emrex.emp.document import Built, DocumentError, build, transcript_pdf
from emrex.emp.flows import SOURCE_FAILED, offer_of
from emrex.emp.selection import Catalogue
from emrex.emp.service import EmpService, person_catalogue
from emrex.emp.sources.base import PersonNotFound, SourceError
from emrex.emp.store import subject_hash
from emrex.wallet.errors import Unreadable
from emrex.web import current_language, gettext, render
from emrex.web.auth import Person, current_person
from emrex.web.wallet_issuing import NO_STORE, mount_issuer

logger = logging.getLogger("emrex.emp")
PATH = "/export"
ACTIONS = ("elmo", "pdf", "edc", "wallet")
MAX_ITEMS = 20000
CACHE_KEY = "export"  # the results cache's session for a person's exports


def _(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


NOTHING_TICKED = _("Tick at least one result.")
NOT_OFFERED = _("This export is not offered here.")
NO_RECORDS = _("No study records were found for the person you logged in as.")
NOTHING_TO_EXPORT = _("You have no results here that can be exported.")
NOT_MADE = _("The document with the results could not be made. Try again later.")


class Refused(Exception):
    """The export cannot be made; the message (marked for translation) says why, ``status`` how."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def wallet_subject(subject: str) -> str:
    """What the wallet issuer records a student's exported credentials under (no login subject kept)."""
    return "emp-student:" + subject_hash(subject)


def export_router(service: EmpService) -> APIRouter:
    router = APIRouter()

    @router.get(PATH, name="export")
    async def page(request: Request) -> Response:
        person = current_person(request)
        if person is None:
            return _page(service, request, None)
        try:
            found = await run_in_threadpool(_results, service, person)
        except Refused as refused:
            return _page(service, request, None, problem=refused)
        return _page(service, request, found, picked=found.selectable_keys)

    @router.post(PATH, name="export_make")
    async def make(request: Request) -> Response:
        person = current_person(request)
        if person is None:
            return RedirectResponse(PATH, status_code=303)
        form = await request.form()
        action = form.get("action")
        items = [v for v in form.getlist("item")[:MAX_ITEMS] if isinstance(v, str)]
        try:
            found = await run_in_threadpool(_results, service, person)
        except Refused as refused:
            return _page(service, request, None, problem=refused)
        picked = found.normalise(items)
        try:
            if action not in ACTIONS or not _offered(service, str(action)):
                raise Refused(NOT_OFFERED, 400)
            if not picked:
                raise Refused(NOTHING_TICKED, 400)
            return await _export(service, request, person, found, picked, str(action))
        except Refused as refused:
            return _page(service, request, found, picked=picked, problem=refused)

    return router


def _offered(service: EmpService, action: str) -> bool:
    if action == "edc":
        return service.credential_sealer is not None
    if action == "wallet":
        return service.wallet is not None
    return True


def _results(service: EmpService, person: Person) -> Catalogue:
    """The person's passed results (cached a while, as a transfer's are); Refused when there are none."""
    try:
        found = service.results.fetch(
            CACHE_KEY, person.subject, lambda: person_catalogue(service, person, allow_not_passed=False)
        )
    except PersonNotFound:
        raise Refused(NO_RECORDS, 404) from None
    except SourceError as error:
        logger.warning("results source failed for an export: %s", error)
        raise Refused(SOURCE_FAILED, 503) from None
    if found.empty:
        raise Refused(NOTHING_TO_EXPORT, 404)
    return found


async def _export(
    service: EmpService,
    request: Request,
    person: Person,
    found: Catalogue,
    picked: tuple[str, ...],
    action: str,
) -> Response:
    language = current_language(request)
    made = await run_in_threadpool(_make, service, person, found, picked, action, language)
    offer = offer_of(found, picked)
    await run_in_threadpool(service.flows.record_export, action, offer)
    logger.info("export made format=%s items=%d", action, offer.items_sent)
    if isinstance(made, dict):
        context = {**made, "count": offer.items_sent}
        return render(request, "emp/export_offer.html", context, headers=NO_STORE)
    return made


def _make(
    service: EmpService, person: Person, found: Catalogue, picked: tuple[str, ...], action: str, language: str
) -> Response | dict[str, Any]:
    """The download, or the values of the wallet offer page; Refused when it cannot be made."""
    try:
        built = build(
            found,
            picked,
            service.signer,
            language=language,
            zone=service.settings.zone,
            transcript_sealer=service.transcript_sealer,
        )
        day = built.elmo.generated_date.date() if built.elmo.generated_date else dt.date.today()
        if action == "elmo":
            return _download(built.xml, "application/xml", f"results-{day}.xml")
        if action == "pdf":
            return _download(transcript_pdf(built.elmo), "application/pdf", f"transcript-{day}.pdf")
        if action == "edc":
            return _download(_sealed(service, built), "application/json", f"results-edc-{day}.json")
        return _wallet_offer(service, person, built)
    except DocumentError as error:
        logger.error("export not made: %s", error)
        raise Refused(NOT_MADE, 500) from None


def _sealed(service: EmpService, built: Built) -> bytes:
    from emrex.elm.edc_seal import SealFailed

    assert service.credential_sealer is not None
    try:
        return service.credential_sealer.seal(built.xml, built.elmo)
    except SealFailed as error:
        raise DocumentError(str(error)) from None


def _wallet_offer(service: EmpService, person: Person, built: Built) -> dict[str, Any]:
    """An offer of the ticked results as a wallet credential: the ELM carries the signed ELMO, which
    holds exactly them."""
    issuing = service.wallet
    assert issuing is not None
    try:
        elm = elmo_to_elm(built.elmo, issuing.elm_issuer, original=built.xml).credential
        issuing.issuer.store.purge(issuing.issuer.now())  # offers and nonces past their time
        made = issuing.issuer.create_offer(elm, subject_ref=wallet_subject(person.subject))
    except (ElmError, Unreadable) as error:
        raise DocumentError(f"the credential cannot be made: {error}") from None
    return issuing.offer_values(made)


def _download(data: bytes, media_type: str, filename: str) -> Response:
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(data, media_type=media_type, headers=headers)


def _page(
    service: EmpService,
    request: Request,
    found: Catalogue | None,
    *,
    picked: tuple[str, ...] = (),
    problem: Refused | None = None,
) -> Response:
    context = {
        "catalogue": found,
        "picked": set(picked),
        "language": current_language(request),
        "problem": gettext(request, problem.message) if problem is not None else "",
        "sealed": service.credential_sealer is not None,
        "wallet": service.wallet is not None,
        "language_next": PATH,
    }
    status = problem.status if problem is not None else 200
    return render(request, "emp/export.html", context, status_code=status, headers=NO_STORE)


def install(app: FastAPI, service: EmpService) -> None:
    """The export pages, and the issuer's endpoints when ``[wallet]`` is configured."""
    app.include_router(export_router(service))
    if service.wallet is not None:
        mount_issuer(app, service.wallet)
