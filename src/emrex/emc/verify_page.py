"""The public verification page, ``/verify``: anyone uploads a signed ELMO, a sealed European Digital
Credential or a sealed PDF transcript and reads what it holds and how far it could be trusted.

Nothing uploaded is kept: the file is read into memory (the multipart parser is told never to spool
it to a temporary file), checked, shown, and dropped; no row is written and the visitor's session is
not touched. The form carries no CSRF token on purpose: the post changes nothing, and its answer goes
only to the browser that sent it, which another site cannot read. Posts are bounded in size before
they are parsed, counted in the anonymous request rate, and share the EMC's verification slots.
"""

from __future__ import annotations

import logging
from pathlib import Path

from cryptography import x509
from fastapi import APIRouter, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.middleware import Middleware
from starlette.responses import Response

from emrex.emc.config import EmcConfigError
from emrex.emc.gate import Busy
from emrex.emc.service import Service
from emrex.emc.verification import MAX_UPLOAD_BYTES, Answer, Inspection, Kind, Unreadable, Verdict, _, inspect
from emrex.registry import Registry, RegistryError
from emrex.trust.certs import CertificateError, load_certificates
from emrex.web import current_language, gettext, render
from emrex.web.errors import too_large_page
from emrex.web.limits import BodyLimitMiddleware

log = logging.getLogger("emrex.emc")
VERIFY_PATH = "/verify"
FORM_OVERHEAD = 64 * 1024  # multipart framing and the file's part headers
MAX_VERIFY_POST = MAX_UPLOAD_BYTES + FORM_OVERHEAD
FIELD = "document"


class _InMemoryParser(MultiPartParser):
    spool_max_size = MAX_VERIFY_POST  # the body limit comes first: a file never rolls over to disk


def trust_anchors(paths: tuple[Path, ...]) -> tuple[x509.Certificate, ...]:
    """The CA certificates of ``emc.verification.seal_trust``, read once at start."""
    anchors: list[x509.Certificate] = []
    for path in paths:
        try:
            anchors.extend(load_certificates(path.read_bytes()))
        except OSError as error:
            raise EmcConfigError(
                f"emc.verification.seal_trust: {path}: cannot read ({error.strerror})"
            ) from None
        except CertificateError as error:
            raise EmcConfigError(f"emc.verification.seal_trust: {path}: {error}") from None
    return tuple(anchors)


def install(app: FastAPI, service: Service) -> None:
    """The page, and a body limit for its posts just outside the app's own (which gives the protocol
    size to ``VERIFY_PATH``: the app lists it among its cross-site paths, without CSRF check)."""
    app.include_router(verify_router(service))
    limit = Middleware(
        BodyLimitMiddleware,
        small=service.settings.web.max_protocol_bytes,  # others: the app's own limit decides
        large=MAX_VERIFY_POST,
        large_paths=(VERIFY_PATH,),
        error_page=too_large_page,
    )
    stack = app.user_middleware
    position = next((i for i, m in enumerate(stack) if m.cls == BodyLimitMiddleware), len(stack))  # type: ignore[comparison-overlap]
    stack.insert(position, limit)


def verify_router(service: Service) -> APIRouter:
    router = APIRouter()
    anchors = trust_anchors(service.settings.seal_trust)
    settings = service.settings

    def context(**values: object) -> dict[str, object]:
        return {
            "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
            "Answer": Answer,
            "Kind": Kind,
            "Verdict": Verdict,
            "anchored": bool(anchors),
            **values,
        }

    @router.get(VERIFY_PATH, name="verify")
    def form(request: Request) -> Response:
        return render(request, "emc/verify.html", context(inspection=None, problem=None))

    @router.post(VERIFY_PATH, name="verify_upload")
    async def upload(request: Request) -> Response:
        language = current_language(request)

        def check(data: bytes) -> Inspection:
            with service.gate.slot():
                return inspect(
                    data,
                    registry=_registry(service),
                    trust=anchors,
                    limits=settings.codec_limits,
                    policy=settings.verify_policy,
                    language=language,
                )

        try:
            data = await _read_upload(request)
            inspection = await run_in_threadpool(check, data)
        except Unreadable as error:
            problem = gettext(request, error.text) + (f": {error.detail}" if error.detail else "")
            page = context(inspection=None, problem=problem)
            return render(request, "emc/verify.html", page, status_code=400)
        except Busy as error:
            page = context(inspection=None, problem=str(error))
            return render(request, "emc/verify.html", page, status_code=503, headers={"Retry-After": "60"})
        log.info("verify: a %s checked: %s", inspection.kind, inspection.verdict)
        page = context(inspection=inspection, problem=None, lang=language)
        return render(request, "emc/verify.html", page, headers={"Cache-Control": "no-store"})

    return router


async def _read_upload(request: Request) -> bytes:
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise Unreadable(_("send the document as a file (a form upload)"))
    parser = _InMemoryParser(
        request.headers, request.stream(), max_files=1, max_fields=4, max_part_size=FORM_OVERHEAD
    )
    try:
        form = await parser.parse()
    except MultiPartException as error:
        raise Unreadable(_("the upload cannot be read"), error.message) from None
    try:
        file = form.get(FIELD)
        if not isinstance(file, UploadFile):
            raise Unreadable(_("choose a file to check"))
        data = await file.read(MAX_UPLOAD_BYTES + 1)
    finally:
        await form.close()
    if len(data) > MAX_UPLOAD_BYTES:
        raise Unreadable(_("the file is larger than the limit"), f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    return data


def _registry(service: Service) -> Registry | None:
    try:
        return service.registries.current()
    except RegistryError as error:
        log.warning("verify: the registry cannot be loaded: %s", error)
        return None
