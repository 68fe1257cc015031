"""The demo's OOTS corner: Olympos Polytechnic (the Greek EMP) is also an OOTS evidence provider, a
loopback access point carries the messages, and an admissions portal of Lindholm University plays
the evidence requester: it asks for eleni's transcript, sends her to the preview at Olympos, and shows
the evidence it received: the signed ELMO, the PDF transcript and the European Digital Credential
Olympos seals (its seal certificate from the demo CA names ``OOTS_SEAL_ID``), which the portal checks
against the demo CA. The eDelivery network and the Common Services are simulated (the access
point says so); the EDM messages, the preview and the evidence are real.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from emrex.demo.network import ELENI_BIRTH
from emrex.oots import (
    Agent,
    EvidenceRequester,
    EvidenceType,
    Identifier,
    NaturalPerson,
    Network,
    OotsError,
    Party,
    ProviderBackend,
    QueryRequest,
    Received,
    Requirement,
    Text,
    WsClient,
)
from emrex.oots.access_point import HttpWsPlugin, create_access_point
from emrex.oots.evidence import read_signed_elmo
from emrex.oots.request import new_request_id

if TYPE_CHECKING:
    from cryptography import x509

logger = logging.getLogger("emrex.demo.oots")
PROVIDER_ACRONYM = "OLYMPOS"
# The organizationIdentifier of Olympos Polytechnic's EDC seal certificate (a made-up Greek VAT number:
# Greek VAT numbers carry EL, the country GR).
OOTS_SEAL_ID = "VATEL-099000123"
EDC_MEDIA = "application/json"
REQUESTER_AP = Party("AP_SE_01")
PROVIDER_AP = Party("AP_EL_01")
PROVIDER = Agent(
    Identifier("EL-OLYMPOS-DP", "urn:oasis:names:tc:ebcore:partyid-type:unregistered:EL"),
    (Text("Olympos Polytechnic", "EN"),),
    "EL",
)
REQUESTER = Agent(
    Identifier("2021001234", "urn:cef.eu:names:identifier:EAS:0007"),
    (Text("Lindholm University – admissions (demo)", "EN"),),
    "SE",
    "ER",
)
TRANSCRIPT = EvidenceType(
    identifier="5b3c6a1e-2f4d-4e8a-9c71-0d2e3f4a5b6c",
    classification="https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/EL/"
    "7e1f0a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
    titles=(Text("Transcript of records", "EN"),),
    formats=("application/xml",),
)
REQUIREMENT = Requirement(
    "https://sr.oots.tech.ec.europa.eu/requirements/f56ad8cf-268a-4542-8193-216dcecd5676",
    (Text("Proof of tertiary education transcript", "EN"),),
)
# eleni as the eIDAS node of Greece would name her (the names in the script her SIS record uses).
ELENI = NaturalPerson(
    family_name="Παπαδοπούλου",
    given_name="Ελένη",
    date_of_birth=ELENI_BIRTH,
    identifier="EL/SE/20000903-4471",
    identifier_scheme="eidas",
    level_of_assurance="High",
)
ANSWER_SECONDS = 15.0  # how long the portal waits for the provider's answer
POLL_SECONDS = 0.2


def emp_table(access_point: str) -> dict[str, Any]:
    """The ``[oots]`` table of the Greek EMP's configuration."""
    return {
        "provider_id": PROVIDER.identifier.value,
        "provider_scheme": PROVIDER.identifier.scheme,
        "provider_name": PROVIDER.name,
        "country": "EL",
        "access_point": access_point.rstrip("/") + f"/{PROVIDER_AP.id}/wsplugin",
        "evidence_types": [
            {
                "identifier": TRANSCRIPT.identifier,
                "classification": TRANSCRIPT.classification,
                "title": TRANSCRIPT.title,
                "formats": ["application/xml", "application/pdf", EDC_MEDIA],
            }
        ],
    }


def access_point_app() -> Any:
    app = create_access_point(Network([REQUESTER_AP.id, PROVIDER_AP.id]))
    app.add_route("/health", lambda request: PlainTextResponse("ok"))
    return app


class Poller:
    """The EMP's OOTS backend at work: every ``interval`` seconds it answers what waits for it."""

    def __init__(self, backends: Iterable[ProviderBackend], interval: float = POLL_SECONDS) -> None:
        self.backends = list(backends)
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="oots-backend", daemon=True)

    def start(self) -> None:
        if self.backends:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for backend in self.backends:
                try:
                    backend.poll()
                except OotsError as error:
                    logger.warning("the OOTS backend could not poll its access point: %s", error)


def oots_backends(apps: Iterable[Any]) -> list[ProviderBackend]:
    """The OOTS backends of the EMPs among ``apps`` that are evidence providers."""
    found = []
    for app in apps:
        service = getattr(getattr(app, "state", None), "emrex_oots", None)
        if service is not None and service.backend is not None:
            found.append(service.backend)
    return found


@dataclass
class Application:
    """One applicant's request at the portal and what came back."""

    id: str
    request: QueryRequest
    preview_location: str | None = None
    evidence: Received | None = None
    problem: str | None = None
    documents: dict[str, bytes] = field(default_factory=dict)


def requester_app(
    portal_url: str,
    access_point: str,
    *,
    answer_seconds: float = ANSWER_SECONDS,
    seal_trust: Sequence[x509.Certificate] = (),
) -> Any:
    """The admissions portal: an OOTS evidence requester with three pages and no login (a demo).
    ``seal_trust``: the CA certificates it accepts EDC seals up to (the demo CA)."""
    plugin = HttpWsPlugin(access_point.rstrip("/") + f"/{REQUESTER_AP.id}/wsplugin", timeout=10)
    requester = EvidenceRequester(WsClient(plugin), party=REQUESTER_AP)
    applications: dict[str, Application] = {}
    lock = threading.Lock()

    def answer_to(request: QueryRequest) -> Received:
        _, conversation = requester.send(request, to=PROVIDER_AP)
        deadline = time.monotonic() + answer_seconds
        while time.monotonic() < deadline:
            received = requester.receive(conversation)
            if received:
                return received[0]
            time.sleep(POLL_SECONDS)
        raise TimeoutError("the evidence provider did not answer in time")

    def home(request: Request) -> Response:
        return _page(
            "Apply with your transcript from Greece",
            "<p>Lindholm University's admissions office needs the transcript of records of "
            "<strong>Eleni Papadopoulou</strong> (Ελένη Παπαδοπούλου, born 3 September 2000) from Olympos "
            "Polytechnic. Through the EU Once-Only Technical System we ask Olympos for it; you log in "
            "there as <code>eleni</code>, look at it, and decide whether it is sent.</p>"
            '<form method="post" action="/ask"><button type="submit">Ask Olympos Polytechnic for my '
            "transcript</button></form>",
        )

    def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    def ask(request: Request) -> Response:
        application_id = secrets.token_urlsafe(16)
        query = QueryRequest(
            id=new_request_id(),
            specification="oots-edm:v2.0",
            issued=dt.datetime.now(dt.UTC),
            procedure="T2",
            possibility_for_preview=True,
            explicit_request_given=True,
            return_location=f"{portal_url.rstrip('/')}/application/{application_id}",
            requirements=(REQUIREMENT,),
            requesters=(REQUESTER,),
            provider=PROVIDER,
            evidence_type=TRANSCRIPT,
            person=ELENI,
        )
        application = Application(application_id, query)
        try:
            first = answer_to(query)
        except (OotsError, TimeoutError) as error:
            return _page("The request did not go through", f"<p>{html.escape(str(error))}</p>", 502)
        if first.code != "EDM:ERR:0002" or first.preview_location is None:
            return _page("Olympos Polytechnic refused the request", _problem(first), 502)
        application.preview_location = first.preview_location
        with lock:
            applications[application_id] = application
        return RedirectResponse(first.preview_location, status_code=303)

    def application_page(request: Request) -> Response:
        with lock:
            application = applications.get(request.path_params["id"])
        if application is None:
            return _page("Unknown application", "<p>Start again from the portal's first page.</p>", 404)
        if application.evidence is None and application.problem is None:
            repeated = replace(
                application.request,
                id=new_request_id(),
                issued=dt.datetime.now(dt.UTC),
                preview_location=application.preview_location,
            )
            try:
                received = answer_to(repeated)
            except (OotsError, TimeoutError) as error:
                return _page("No answer", f"<p>{html.escape(str(error))}</p>", 502)
            if received.code == "EDM:ERR:0002":
                link = html.escape(application.preview_location or "")
                return _page(
                    "Your preview is not finished",
                    f'<p>Olympos Polytechnic waits for you: <a href="{link}">go back to the preview</a>.</p>',
                )
            if received.response is None:
                application.problem = _problem(received)
            else:
                application.evidence = received
        return _page("Your application", _evidence_html(application, tuple(seal_trust)))

    def transcript(request: Request) -> Response:
        with lock:
            application = applications.get(request.path_params["id"])
        received = application.evidence if application is not None else None
        pdf = received.document("application/pdf") if received is not None else None
        if pdf is None:
            return _page("No transcript", "<p>No PDF transcript was received.</p>", 404)
        return Response(pdf, media_type="application/pdf")

    def credential(request: Request) -> Response:
        with lock:
            application = applications.get(request.path_params["id"])
        received = application.evidence if application is not None else None
        edc = received.document(EDC_MEDIA) if received is not None else None
        if edc is None:
            return _page("No credential", "<p>No European Digital Credential was received.</p>", 404)
        headers = {"Content-Disposition": 'attachment; filename="edc-olympos.json"'}
        return Response(edc, media_type=EDC_MEDIA, headers=headers)

    return Starlette(
        routes=[
            Route("/", home),
            Route("/health", health),
            Route("/ask", ask, methods=["POST"]),
            Route("/application/{id}", application_page),
            Route("/application/{id}/transcript.pdf", transcript),
            Route("/application/{id}/credential.json", credential),
        ]
    )


def _problem(received: Received) -> str:
    exception = received.error.exception if received.error else None
    code = exception.code if exception else "no code"
    detail = (exception.detail or exception.kind.message) if exception else "an unreadable answer"
    return (
        f'<p class="evidence-error">Olympos Polytechnic answered <code>{html.escape(code or "")}</code>: '
        f"{html.escape(detail or '')}</p>"
    )


def _evidence_html(application: Application, seal_trust: tuple[x509.Certificate, ...] = ()) -> str:
    if application.problem is not None:
        return "<p>No evidence was received.</p>" + application.problem
    received = application.evidence
    assert received is not None and received.response is not None
    rows = "".join(
        f"<li>{html.escape(d.role or '')}: {html.escape(d.title or '')} "
        f"({html.escape(', '.join(d.formats))})</li>"
        for d in received.response.documents
    )
    courses = _courses(received.document("application/xml"))
    listed = "".join(f"<li>{html.escape(c)}</li>" for c in courses)
    pdf = f"/application/{application.id}/transcript.pdf"
    return (
        '<p class="evidence-received">The evidence arrived through OOTS from Olympos Polytechnic:</p>'
        f'<ul class="evidence-documents">{rows}</ul>'
        f'<h2>Results in the signed transcript</h2><ul class="evidence-courses">{listed}</ul>'
        f'<p><a href="{pdf}">The PDF transcript</a></p>'
        + _credential_html(application.id, received, seal_trust)
    )


def _credential_html(
    application_id: str, received: Received, seal_trust: tuple[x509.Certificate, ...]
) -> str:
    """The sealed European Digital Credential, when one came: whose seal, checked against the demo CA,
    and whether it carries the very signed ELMO that came beside it."""
    edc = received.document(EDC_MEDIA)
    if edc is None:
        return ""
    from cryptography.x509.oid import NameOID

    from emrex.elm import extract_original
    from emrex.elm.edc import verify_edc
    from emrex.errors import EmrexError
    from emrex.seal import SealPolicy

    try:
        result = verify_edc(edc, SealPolicy(trust=seal_trust))
        names = result.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        sealer = str(names[0].value) if names else result.sealer
        verdict = (
            f"Sealed by {sealer} ({result.organization_identifier or 'no organisation identifier'}): "
            + ("the seal verifies against the demo CA" if result.accepted else "the seal is NOT accepted")
        )
        same = extract_original(dict(result.credential)) == received.document("application/xml")
        embedded = "it embeds the signed ELMO received beside it" if same else "it embeds ANOTHER document"
        status = "accepted" if result.accepted and same else "refused"
    except EmrexError as error:
        verdict, embedded, status = f"it cannot be verified: {error}", "", "refused"
    link = f"/application/{application_id}/credential.json"
    return (
        f'<h2>European Digital Credential</h2><p class="evidence-credential" data-status="{status}">'
        f"{html.escape(verdict)}{'; ' + html.escape(embedded) if embedded else ''}. "
        f'<a href="{link}">Download it</a> (it can be checked at any EDC verifier, such as the '
        "EMREX client's /verify page).</p>"
    )


def _courses(elmo: bytes | None) -> list[str]:
    if elmo is None:
        return []

    try:
        model = read_signed_elmo(elmo)
    except OotsError:
        return ["(the ELMO document could not be read)"]
    lines = []
    for _, _, los in model.iter_los():
        loi = los.specifies
        grade = (loi.result_label or "") if loi is not None else ""
        ects = loi.ects if loi is not None else None
        credits = f", {ects.normalize():f} ECTS" if ects is not None else ""
        lines.append(f"{los.title('en') or ''} ({grade or 'no grade'}{credits})")
    return lines


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} – Lindholm University admissions (demo)</title>"
        "<style>body{font-family:sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;line-height:1.5}"
        "button{font-size:1rem;padding:.5rem 1rem}</style></head><body>"
        "<header><p>Lindholm University – admissions (demo OOTS evidence requester)</p></header>"
        f"<main><h1>{html.escape(title)}</h1>{body}</main>"
        "<footer><p>The eDelivery network between this portal and Olympos Polytechnic is simulated on this "
        "machine; the OOTS messages, the preview and the evidence are real.</p></footer></body></html>",
        status_code=status,
    )


__all__ = [
    "Application",
    "Poller",
    "access_point_app",
    "emp_table",
    "oots_backends",
    "requester_app",
]
