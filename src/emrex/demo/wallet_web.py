"""The demo wallet: a web page over ``emrex.wallet.holder`` so a person can click through both wallet
exchanges of the demo EMC. It is a simulation for the demo, not an EUDI wallet (the page says so).

- ``GET /``: the credentials held (in the demo folder's ``wallet/``), and fields to paste a credential
  offer link or a presentation request link.
- ``GET /offer?credential_offer_uri=…`` (or ``?link=openid-credential-offer://…``): the offer, a field
  for the transaction code; ``POST /offer`` accepts it (OpenID4VCI, pre-authorized code).
- ``GET /present?client_id=…&request_uri=…`` (or ``?link=openid4vp://…``): who asks (the request
  object's signature and ``x509_san_dns`` name checked against the demo CA), which held credential
  answers, what would be disclosed, the courses to tick; ``POST /present`` presents (OpenID4VP) and
  follows the verifier's redirect back to its page.

The EMC links its offer and request pages here (``web_wallet_url`` of ``[emc.wallet]`` and
``[emc.wallet_import]``), the same query as its ``openid-credential-offer://`` and ``openid4vp://``
links. Pages come from the shared base template; CSRF, sessions, body limits and security headers are
those of every service (``emrex.web.create_web_app``); English only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx
from cryptography import x509
from fastapi import FastAPI, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from emrex.db import Database
from emrex.wallet.certificates import TrustAnchors
from emrex.wallet.errors import WalletError
from emrex.wallet.holder import Asked, Holder
from emrex.wallet.sdjwt import ClaimPath
from emrex.wallet.typemeta import COURSES, SUBJECT
from emrex.wallet.urls import check_url
from emrex.web import flash, render
from emrex.web.app import create_web_app
from emrex.web.settings import WebSettings

TITLE = "Demo wallet (simulated)"
TEMPLATES = Path(__file__).parent / "templates"
OFFER_SCHEME = "openid-credential-offer://"
REQUEST_SCHEME = "openid4vp://"
MAX_LINK = 4000  # a link by reference is a few hundred characters
MAX_CODE = 32
MAX_COURSES = 2000
TIMEOUT = 15.0
T = TypeVar("T")
# What a presentation discloses, in words, by claim path (other paths are shown as they are).
CLAIM_WORDS: dict[ClaimPath, str] = {
    (*SUBJECT, "givenName"): "your given names",
    (*SUBJECT, "familyName"): "your family name",
    (*SUBJECT, "dateOfBirth"): "your date of birth",
    (*SUBJECT, "identifier"): "your identifiers (such as a student number)",
    ("elm", "evidence"): "the original document signed by your data provider (it holds every result in it)",
}


class Problem(Exception):
    """What the person is told when a link or code cannot be used."""


def create_wallet_app(
    base_url: str,
    folder: Path,
    database: Database,
    trust: Sequence[x509.Certificate],
    *,
    dev_http_hosts: Sequence[str] = ("localhost", "127.0.0.1"),
) -> FastAPI:
    """The demo wallet at ``base_url``, keeping its key and credentials in ``folder``; it trusts issuers
    and verifiers whose certificates chain to ``trust`` (the demo CA)."""
    settings = WebSettings(
        base_url=base_url.rstrip("/"),
        secure_cookies=False,
        dev_http_hosts=tuple(dev_http_hosts),
        languages=("en",),
    )
    app = create_web_app(settings, database, title=TITLE, templates_dirs=[TEMPLATES])
    anchors = TrustAnchors(tuple(trust))
    client = httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False)
    holder = Holder(folder, client=client, issuer_anchors=anchors, verifier_anchors=anchors)
    _routes(app, holder)
    return app


def _routes(app: FastAPI, holder: Holder) -> None:
    @app.get("/", name="wallet_home")
    async def home(request: Request) -> Response:
        try:
            held = await _call(holder.credentials)
        except WalletError as error:
            return _problem(request, f"The wallet's folder cannot be read: {error}", 500)
        return render(request, "wallet/home.html", {"held": held})

    @app.get("/offer", name="wallet_offer")
    def offer(request: Request) -> Response:
        try:
            link = _link(request, OFFER_SCHEME, "credential_offer")
        except Problem as problem:
            return _problem(request, str(problem), 400)
        return render(
            request, "wallet/offer.html", {"link": link, "issuer": _offer_host(link), "error": None}
        )

    @app.post("/offer")
    async def accept(
        request: Request, link: Annotated[str, Form()] = "", tx_code: Annotated[str, Form()] = ""
    ) -> Response:
        if len(link) > MAX_LINK or len(tx_code) > MAX_CODE or not link.startswith(OFFER_SCHEME):
            return _problem(request, "This is not a credential offer link of usable length.", 400)
        try:
            held = await _call(lambda: holder.accept_offer(link, tx_code.strip() or None))
        except WalletError as error:
            context = {"link": link, "issuer": _offer_host(link), "error": str(error)}
            return render(request, "wallet/offer.html", context, status_code=409)
        flash(request, f"Added to the wallet: {len(held.courses)} course(s) of {held.learner}.", "success")
        return RedirectResponse("/", status_code=303)

    @app.get("/present", name="wallet_present")
    async def ask(request: Request) -> Response:
        try:
            link = _link(request, REQUEST_SCHEME, "request_uri")
            asked = await _call(lambda: holder.ask(link))
        except Problem as problem:
            return _problem(request, str(problem), 400)
        except WalletError as error:
            return _problem(request, f"The request cannot be answered: {error}", 409)
        return render(request, "wallet/present.html", {"link": link, **_disclosures(asked)})

    @app.post("/present")
    async def present(request: Request) -> Response:
        form = await request.form(max_fields=MAX_COURSES + 10)
        link, credential = str(form.get("link", "")), str(form.get("credential", ""))
        courses = [str(v) for v in form.getlist("course")]
        if len(link) > MAX_LINK or len(credential) > 64 or not link.startswith(REQUEST_SCHEME):
            return _problem(request, "This is not a presentation request link of usable length.", 400)
        if not all(c.isascii() and c.isdigit() and len(c) < 6 for c in courses):
            return _problem(request, "The ticked courses are not readable.", 400)
        picked = [int(c) for c in courses] if form.get("some") else None
        if picked == []:
            return _problem(request, "Tick at least one course to present, or go back.", 400)
        try:
            done = await _call(lambda: holder.present(link, courses=picked, credential=credential or None))
        except WalletError as error:
            return _problem(request, f"The presentation did not go through: {error}", 409)
        if done.redirect_uri and _http(done.redirect_uri):
            return RedirectResponse(done.redirect_uri, status_code=303)  # the verifier's page goes on
        flash(request, f"Presented to {done.verifier}.", "success")
        return RedirectResponse("/", status_code=303)


async def _call(action: Callable[[], T]) -> T:
    """``action`` (the holder's HTTP exchanges) off the event loop; an answer of an unexpected shape
    from the other side becomes a WalletError that says so, like the holder's own refusals."""
    try:
        return await run_in_threadpool(action)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
        raise WalletError(
            f"the other side answered in a form the protocol does not describe ({type(error).__name__})"
        ) from None


def _link(request: Request, scheme: str, marker: str) -> str:
    """The wallet link of a GET: pasted whole (``?link=``), or this URL's own query (a web wallet
    endpoint link of the EMC)."""
    pasted = request.query_params.get("link")
    if pasted is not None:
        link = pasted.strip()
    else:
        query = request.url.query
        link = f"{scheme}?{query}" if marker in query else ""
    if not link:
        raise Problem("Paste a link first.")
    if len(link) > MAX_LINK or not link.startswith(scheme):
        raise Problem(f"This is not a link that starts with {scheme} (of at most {MAX_LINK} characters).")
    return link


def _offer_host(link: str) -> str:
    uri = (parse_qs(urlsplit(link).query).get("credential_offer_uri") or [""])[0]
    return urlsplit(uri).netloc or "(an offer given by value)"


def _http(url: str) -> bool:
    try:
        check_url(url, "the verifier's redirect")
    except WalletError:
        return False
    return urlsplit(url).scheme in ("http", "https")


def _disclosures(asked: Asked) -> dict[str, Any]:
    """For the page: who asks and, for each credential that answers, what presenting it discloses."""
    offers = []
    for held, paths in asked.matches:
        words = [CLAIM_WORDS.get(path, ".".join(str(p) for p in path)) for path in paths if path != COURSES]
        offers.append({"held": held, "claims": words, "courses": COURSES in paths})
    return {"verifier": asked.verifier, "client_id": asked.client_id, "offers": offers}


def _problem(request: Request, text: str, status: int) -> Response:
    return render(request, "wallet/problem.html", {"problem": text}, status_code=status)
