"""The EMP's OOTS mode: the pages behind the ``PreviewLocation`` of an OOTS evidence request.

An evidence requester (an admissions office anywhere in the EU) asked through OOTS for a person's
transcript; our evidence provider answered "preview required" with ``<base_url>/oots/preview/<token>``.
The person opens it here, logs in with the EMP's normal login, sees the whole transcript the SIS holds
(the evidence type is the transcript of records: nothing is picked out of it), and agrees or cancels.
Agreeing builds the signed ELMO and its PDF as an EMREX transfer does, and, when the EMP has a
``[seal]`` table and the evidence type offers ``application/json``, the sealed European Digital
Credential (Converted profile, the signed ELMO inside), and hands them to the provider
(``EvidenceProvider.approve``); the requester's repeated request then collects them.

    GET  /oots/preview/<token>              who asks, log in / the evidence and the consent
    POST /oots/preview/<token>/send         agree (with consent) or cancel
    POST /oots/preview/<token>/cancel       cancel before logging in
    POST /oots/preview/<token>/no-results   the SIS holds nothing: tell the requester

The token is the secret; once a person logged in and matched, the preview is theirs and nobody else
may look at it, agree or cancel. ``mount_oots`` adds the pages and ``app.state.emrex_oots``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import APIRouter, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from emrex.db import Database
from emrex.emp.config import EmpSettings
from emrex.emp.document import DocumentError, build, transcript_pdf
from emrex.emp.oots_settings import EDC, PREVIEW_PATH, oots_settings
from emrex.emp.selection import Catalogue
from emrex.emp.service import person_catalogue
from emrex.emp.sources.base import PersonNotFound, ResultsSource, SourceError
from emrex.oots import (
    Document,
    EvidenceProvider,
    EvidenceRefused,
    ExchangeConflict,
    ExchangeStore,
    PreviewError,
    PreviewSession,
    ProviderBackend,
    State,
    WsClient,
)
from emrex.oots.access_point import HttpWsPlugin
from emrex.oots.tables import DatabaseExchangeStore
from emrex.trust.signer import Signer
from emrex.web import current_language, render
from emrex.web.auth import Person, current_person

if TYPE_CHECKING:
    from emrex.elm.edc_seal import CredentialSealer
    from emrex.seal.pdf import PdfSealer

logger = logging.getLogger("emrex.emp.oots")
EDC_TITLE = "Transcript of records (European Digital Credential, sealed)"


class EmpParts(Protocol):
    """What the OOTS pages take from the EMP (its settings, database, results source and key)."""

    @property
    def settings(self) -> EmpSettings: ...
    @property
    def database(self) -> Database: ...
    @property
    def source(self) -> ResultsSource: ...
    @property
    def signer(self) -> Signer: ...
    @property
    def transcript_sealer(self) -> PdfSealer | None: ...
    @property
    def credential_sealer(self) -> CredentialSealer | None: ...


@dataclass(frozen=True)
class OotsService:
    provider: EvidenceProvider
    backend: ProviderBackend | None  # None without an access point in the settings


def oots_service(emp: EmpParts, store: ExchangeStore | None = None) -> OotsService:
    """The evidence provider of this EMP (exchanges in its database unless ``store`` is given)."""
    assert emp.settings.oots is not None
    sealed = emp.credential_sealer is not None
    settings = oots_settings(emp.settings.oots, emp.settings.base_url, emp.settings.http_hosts, sealed=sealed)
    provider = EvidenceProvider(settings.provider, store or DatabaseExchangeStore(emp.database))
    backend = None
    if settings.access_point is not None:
        backend = ProviderBackend(provider, WsClient(HttpWsPlugin(settings.access_point)))
    return OotsService(provider, backend)


def mount_oots(app: FastAPI, emp: EmpParts, store: ExchangeStore | None = None) -> OotsService:
    service = oots_service(emp, store)
    app.state.emrex_oots = service
    app.include_router(oots_router(emp, service.provider))
    return service


def oots_router(emp: EmpParts, provider: EvidenceProvider) -> APIRouter:
    router = APIRouter()
    pages = _Pages(emp, provider)
    base = PREVIEW_PATH + "{token}"

    @router.get(base)
    async def preview(request: Request, token: str) -> Response:
        return await pages.preview(request, token)

    @router.post(base + "/send")
    async def send(request: Request, token: str) -> Response:
        form = await request.form()
        action, consent = form.get("action"), form.get("consent")
        if action == "cancel":
            return await pages.cancel(request, token)
        if action != "send":
            return render(request, "emp/unknown.html", status_code=400)
        return await pages.agree(request, token, consent == "yes")

    @router.post(base + "/cancel")
    async def cancel(request: Request, token: str) -> Response:
        return await pages.cancel(request, token)

    @router.post(base + "/no-results")
    async def no_results(request: Request, token: str) -> Response:
        return await pages.no_results(request, token)

    return router


class _Pages:
    def __init__(self, emp: EmpParts, provider: EvidenceProvider) -> None:
        self.emp = emp
        self.provider = provider

    async def preview(self, request: Request, token: str) -> Response:
        try:
            session = await run_in_threadpool(self.provider.start_preview, token)
        except PreviewError:
            return await self.ended(request, token)
        person = current_person(request)
        if person is None:
            return render(request, "emp/oots_start.html", _about(session))
        opened = await self.open(request, session, person)
        if isinstance(opened, Response):
            return opened
        return self.evidence_page(request, session, opened)

    async def open(self, request: Request, session: PreviewSession, person: Person) -> Catalogue | Response:
        """The person's results, with the preview bound to them (or the page saying why not)."""
        token = session.token
        try:
            found = await run_in_threadpool(self.fetch, person)
        except PersonNotFound:
            return render(request, "emp/oots_no_results.html", {**_about(session), "matched": False})
        except SourceError as error:
            logger.warning("results source failed for an OOTS preview: %s", error)
            return await self.step(request, token, lambda: self.provider.fail(token, "source failed"))
        if found.empty:
            return render(request, "emp/oots_no_results.html", {**_about(session), "matched": True})
        try:
            matched = await run_in_threadpool(self.provider.bind_person, token, person.subject, found.learner)
        except PreviewError:
            return await self.ended(request, token)
        except ExchangeConflict:
            return render(request, "emp/oots_ended.html", {"reason": "conflict"}, status_code=409)
        if not matched.accepted:
            logger.info("OOTS preview: the person who logged in is not the person asked about")
            return render(request, "emp/oots_done.html", {**_about(session), "outcome": "mismatch"})
        return found

    def fetch(self, person: Person) -> Catalogue:
        return person_catalogue(self.emp, person, allow_not_passed=False)

    def evidence_page(
        self, request: Request, session: PreviewSession, found: Catalogue, *, missing_consent: bool = False
    ) -> Response:
        context = {**_about(session), **_evidence_context(found, current_language(request))}
        context["missing_consent"] = missing_consent
        context["form_action"] = f"{PREVIEW_PATH}{session.token}/send"
        return render(request, "emp/preview.html", context, status_code=400 if missing_consent else 200)

    async def agree(self, request: Request, token: str, consent: bool) -> Response:
        try:
            session = await run_in_threadpool(self.provider.start_preview, token)
        except PreviewError:
            return await self.ended(request, token)
        person = current_person(request)
        if person is None:
            return RedirectResponse(PREVIEW_PATH + token, status_code=303)
        found = await self.open(request, session, person)
        if isinstance(found, Response):
            return found
        if not consent:
            return self.evidence_page(request, session, found, missing_consent=True)
        language = current_language(request)
        try:
            elmo, pdf, extra = await run_in_threadpool(self.evidence, found, session, language)
        except DocumentError as error:
            logger.error("OOTS evidence not made: %s", error)
            return await self.step(request, token, lambda: self.provider.fail(token, "document not made"))
        subject = person.subject
        return await self.step(
            request, token, lambda: self.provider.approve(token, subject, elmo=elmo, pdf=pdf, extra=extra)
        )

    def evidence(
        self, found: Catalogue, session: PreviewSession, language: str
    ) -> tuple[bytes, bytes, list[Document]]:
        """The signed ELMO, its PDF transcript and, when this EMP seals and the evidence type offers it,
        the sealed EDC; DocumentError when one of them cannot be made."""
        built = build(
            found,
            found.selectable_keys,
            self.emp.signer,
            language=language,
            zone=self.emp.settings.zone,
            transcript_sealer=self.emp.transcript_sealer,
        )
        pdf = transcript_pdf(built.elmo)
        sealer = self.emp.credential_sealer
        if sealer is None or not self.offers_edc(session):
            return built.xml, pdf, []
        from emrex.elm.edc_seal import SealFailed

        try:
            edc = sealer.seal(built.xml, built.elmo)
        except SealFailed as error:
            raise DocumentError(str(error)) from None
        return built.xml, pdf, [Document(edc, EDC, EDC_TITLE)]

    def offers_edc(self, session: PreviewSession) -> bool:
        """Whether the evidence type asked for is offered (configured) with the sealed EDC among its
        formats; the requester's request names the format it wants first, not every one it takes."""
        asked = session.evidence_type.identifier
        offered = (t for t in self.provider.config.evidence_types if t.identifier == asked)
        return any(EDC in t.formats for t in offered)

    async def no_results(self, request: Request, token: str) -> Response:
        """The person tells the requester that the SIS holds nothing for them (checked: it does not)."""
        person = current_person(request)
        if person is None:
            return RedirectResponse(PREVIEW_PATH + token, status_code=303)
        try:
            found = await run_in_threadpool(self.fetch, person)
        except PersonNotFound:
            found = None
        except SourceError as error:
            logger.warning("results source failed for an OOTS preview: %s", error)
            return await self.step(request, token, lambda: self.provider.fail(token, "source failed"))
        if found is not None and not found.empty:
            return RedirectResponse(PREVIEW_PATH + token, status_code=303)
        subject = person.subject
        return await self.step(request, token, lambda: self.provider.no_results(token, subject))

    async def cancel(self, request: Request, token: str) -> Response:
        person = current_person(request)
        subject = person.subject if person is not None else None
        return await self.step(request, token, lambda: self.provider.cancel(token, subject))

    async def step(self, request: Request, token: str, change: Any) -> Response:
        """Run one change of the exchange and show how it ended for the person."""
        try:
            session: PreviewSession = await run_in_threadpool(change)
        except EvidenceRefused as refused:
            logger.warning("OOTS evidence refused: %s", refused)
            ended = self.provider.store.get(token)
            context = _about(PreviewSession.of(ended)) if ended is not None else {}
            return render(request, "emp/oots_done.html", {**context, "outcome": "failed"})
        except PreviewError:
            return await self.ended(request, token)
        except ExchangeConflict:
            return render(request, "emp/oots_ended.html", {"reason": "conflict"}, status_code=409)
        return render(request, "emp/oots_done.html", {**_about(session), "outcome": session.state.value})

    async def ended(self, request: Request, token: str) -> Response:
        """The page for a token that cannot be used (unknown, expired, finished, someone else's)."""
        exchange = await run_in_threadpool(self.provider.store.get, token) if len(token) <= 64 else None
        person = current_person(request)
        if exchange is None:
            return render(request, "emp/oots_ended.html", {"reason": "unknown"}, status_code=404)
        if exchange.subject is not None and (person is None or person.subject != exchange.subject):
            return render(request, "emp/oots_ended.html", {"reason": "not_yours"}, status_code=403)
        expired = exchange.state is State.EXPIRED or exchange.expires_at <= self.provider.now()
        reason = "expired" if expired else "finished"
        context = {**_about(PreviewSession.of(exchange)), "reason": reason}
        return render(request, "emp/oots_ended.html", context, status_code=410)


def _about(session: PreviewSession) -> dict[str, Any]:
    """Who asks for what (shown on every page of the preview)."""
    return {
        "token": session.token,
        "requester": session.requester.name,
        "requester_country": session.requester.country or "",
        "host": session.requester.name,
        "evidence_title": session.evidence_type.title,
        "return_location": session.return_location,
        "language_next": PREVIEW_PATH + session.token,
    }


def _evidence_context(found: Catalogue, language: str) -> dict[str, Any]:
    """What the EMP's preview page shows: the whole transcript (every offered result is sent)."""
    picked = found.selectable_keys
    sent = found.sent_keys(picked)
    by_key = {row.key: row for row in found.rows}
    shown: set[str] = set()
    for key in sent:
        current: str | None = key
        while current is not None and current not in shown:
            shown.add(current)
            current = by_key[current].parent
    institutions = [(inst, [row for row in inst.rows if row.key in shown]) for inst in found.institutions]
    return {
        "learner": found.learner,
        "language": language,
        "institutions": [(inst, rows) for inst, rows in institutions if rows],
        "sent": sent,
        "total_credits": found.credits(picked),
        "count": len(sent),
        "allow_pick": False,
    }
