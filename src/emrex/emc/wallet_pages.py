"""The student's pages of "Import from my wallet" (``emrex.emc.wallet_import``), and the OpenID4VP
routes wallets use (``emrex.web.wallet.verifier_router``).

``POST /wallet-import/start`` makes a request and sends the student to its page, which shows a QR code
and a same-device link; a small script asks ``/wallet-import/{id}/status`` every few seconds and reloads
the page once the wallet has answered (the page itself stays still for screen readers: no timed refresh;
without script, the "Check now" link does the same); then it sends the student to the transfer page
(preview, import). A same-device wallet sends the browser to ``/wallet-import/done``
with a response code, which leads to the same page.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from markupsafe import Markup
from reportlab.graphics.barcode import qrencoder
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, RedirectResponse, Response

from emrex.emc.wallet_import import PAGE_PATH, WalletImport, WalletImportError
from emrex.wallet.urls import at_wallet
from emrex.web import current_language, render
from emrex.web.auth import Person, require_person
from emrex.web.wallet import verifier_router

log = logging.getLogger("emrex.emc")
StudentDep = Annotated[Person, Depends(require_person)]
DONE_PATH = f"{PAGE_PATH}/done"
POLL_SECONDS = 4
NO_STORE = {"Cache-Control": "no-store"}
NOT_FOUND = {"not_found": 404, "other": 404, "setup": 503}


def install(app: FastAPI, importer: WalletImport) -> None:
    """The pages and the wallet's routes; the caller lists ``importer.verifier.post_paths`` as
    CSRF-exempt and large-body paths."""
    app.include_router(verifier_router(importer.verifier))
    app.include_router(wallet_pages(importer))
    app.state.emc_wallet_import = importer


def wallet_pages(importer: WalletImport) -> APIRouter:
    router = APIRouter(prefix=PAGE_PATH)

    @router.post("/start", name="wallet_import_start")
    async def start(request: Request, person: StudentDep) -> Response:
        started = await run_in_threadpool(importer.start, person)
        log.info("wallet: presentation request started")
        target = request.url_for("wallet_import_page", session_id=started.session_id).path
        return RedirectResponse(target, status_code=303)

    @router.get("/done", name="wallet_import_done")
    def done(request: Request, person: StudentDep) -> Response:
        code = request.query_params.get("response_code", "")[:128]
        digest = hashlib.sha256(code.encode("utf-8")).hexdigest()
        session = importer.store.session_by_response_code(digest) if code else None
        if session is None:
            problem = WalletImportError("no such wallet answer (it may have expired)", "not_found")
            return _problem(request, problem)
        target = request.url_for("wallet_import_page", session_id=session.session_id).path
        return RedirectResponse(target, status_code=303)

    @router.get("/{session_id}", name="wallet_import_page")
    def page(request: Request, session_id: str, person: StudentDep) -> Response:
        try:
            outcome = importer.outcome(session_id[:64], person, current_language(request))
        except WalletImportError as error:
            return _problem(request, error)
        if outcome.status == "transfer" and outcome.transfer_id is not None:
            target = request.url_for("transfer", transfer_id=outcome.transfer_id).path
            return RedirectResponse(target, status_code=303)
        context: dict[str, object] = {"refused": outcome.reason, "poll": None, "busy": False}
        status = request.url_for("wallet_import_status", session_id=session_id).path
        if outcome.status == "busy":  # the answer is in; the page asks again until a slot is free
            context.update(busy=True, poll=status)
        elif outcome.status == "pending":
            link = importer.link(session_id)
            context.update(link=link, qr=qr_svg(link), poll=status, web_wallet=_web_wallet(importer, link))
        context["poll_ms"] = POLL_SECONDS * 1000
        return render(request, "emc/wallet_import.html", context, headers={"Cache-Control": "no-store"})

    @router.get("/{session_id}/status", name="wallet_import_status")
    def status(request: Request, session_id: str, person: StudentDep) -> Response:
        """Whether the page has something new to show (the wallet answered, or the request is gone)."""
        try:
            outcome = importer.outcome(session_id[:64], person, current_language(request))
        except WalletImportError:
            return JSONResponse({"pending": False}, status_code=404, headers=NO_STORE)
        return JSONResponse({"pending": outcome.status == "pending"}, headers=NO_STORE)

    return router


def _web_wallet(importer: WalletImport, link: str) -> str | None:
    """The request at the web wallet ``emc.wallet_import.web_wallet_url`` names, if any."""
    settings = importer.service.settings.wallet_import
    return at_wallet(link, settings.web_wallet_url) if settings and settings.web_wallet_url else None


def _problem(request: Request, error: WalletImportError) -> Response:
    status = NOT_FOUND.get(error.kind, 409)
    return render(request, "emc/problem.html", {"problem": str(error)}, status_code=status)


def qr_svg(text: str) -> Markup:
    """``text`` as a QR code (error correction M), an inline SVG of dark modules with a quiet zone."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(text)
    code.make()
    size = code.getModuleCount()
    dark = "".join(
        f"M{col + 4} {row + 4}h1v1h-1z" for row in range(size) for col in range(size) if code.isDark(row, col)
    )
    side = size + 8
    # Only numbers go into it: nothing to escape.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" class="qr" aria-hidden="true" '
        f'shape-rendering="crispEdges"><rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path fill="#000" d="{dark}"/></svg>'
    )
