"""The wallet protocols on routes a service mounts: ``app.include_router(issuer_router(issuer))`` for
OpenID4VCI, ``verifier_router(verifier)`` for OpenID4VP. The routes only read the request (with limits)
and send the ``Reply`` the framework-free handlers of ``emrex.wallet`` give.

The paths in ``issuer.post_paths`` and ``verifier.post_paths`` take cross-site posts from wallets: a
service lists them as CSRF-exempt (and the verifier's as a large-body path)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from emrex.wallet.errors import ProtocolError
from emrex.wallet.issuer import MAX_REQUEST_BYTES, CredentialIssuer
from emrex.wallet.reply import Reply, error_reply
from emrex.wallet.verifier import PresentationVerifier

MAX_FORM_BYTES = 16 * 1024
MAX_FIELDS = 20


def send(reply: Reply) -> Response:
    return Response(reply.content(), reply.status, dict(reply.headers), reply.media_type)


async def _body(request: Request, limit: int) -> bytes | None:
    """The body, or None once it passes ``limit`` (read no further)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _form(request: Request, limit: int) -> dict[str, str] | Reply:
    """An urlencoded form (what wallets post), read with a bound; a field given twice is refused."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return error_reply(ProtocolError("the request must be an application/x-www-form-urlencoded form"))
    body = await _body(request, limit)
    if body is None:
        return error_reply(ProtocolError(f"the request is larger than {limit} bytes", status=413))
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return error_reply(ProtocolError("the request body is not a readable form"))
    form = dict(pairs)
    if len(form) != len(pairs):
        return error_reply(ProtocolError("a form field is given twice"))
    return form


def issuer_router(issuer: CredentialIssuer) -> APIRouter:
    urls = issuer.urls
    router = APIRouter(include_in_schema=False)

    async def metadata(request: Request) -> Response:
        return send(issuer.metadata_reply())

    async def server_metadata(request: Request) -> Response:
        return send(issuer.server_metadata_reply())

    async def type_metadata(request: Request) -> Response:
        return send(issuer.type_metadata_reply())

    async def offer(request: Request) -> Response:
        return send(await run_in_threadpool(issuer.offer_reply, request.path_params["offer_id"]))

    async def token(request: Request) -> Response:
        form = await _form(request, MAX_FORM_BYTES)
        if isinstance(form, Reply):
            return send(form)
        return send(await run_in_threadpool(issuer.token_reply, form))

    async def nonce(request: Request) -> Response:
        return send(await run_in_threadpool(issuer.nonce_reply))

    async def credential(request: Request) -> Response:
        body = await _body(request, MAX_REQUEST_BYTES)
        if body is None:
            too_large = ProtocolError(
                f"the request is larger than {MAX_REQUEST_BYTES} bytes", "invalid_credential_request", 413
            )
            return send(error_reply(too_large))
        return send(
            await run_in_threadpool(issuer.credential_reply, request.headers.get("authorization"), body)
        )

    async def status_list(request: Request) -> Response:
        return send(await run_in_threadpool(issuer.status_list_reply, request.path_params["list_id"]))

    routes = (
        (urls.route(urls.well_known("openid-credential-issuer")), metadata, "GET"),
        (urls.route(urls.well_known("oauth-authorization-server")), server_metadata, "GET"),
        (urls.route(urls.endpoint("types/elm")), type_metadata, "GET"),
        (urls.route(urls.endpoint("offers/{offer_id}")), offer, "GET"),
        (urls.route(urls.endpoint("token")), token, "POST"),
        (urls.route(urls.endpoint("nonce")), nonce, "POST"),
        (urls.route(urls.endpoint("credential")), credential, "POST"),
        (urls.route(urls.endpoint("status/{list_id}")), status_list, "GET"),
    )
    for path, endpoint, method in routes:
        router.add_api_route(path, endpoint, methods=[method])
    return router


def verifier_router(verifier: PresentationVerifier) -> APIRouter:
    urls = verifier.urls
    router = APIRouter(include_in_schema=False)
    limit = verifier.config.max_response_bytes + MAX_FORM_BYTES

    async def request_object(request: Request) -> Response:
        return send(await run_in_threadpool(verifier.request_reply, request.path_params["session_id"]))

    async def response(request: Request) -> Response:
        form = await _form(request, limit)
        if isinstance(form, Reply):
            return send(form)
        session = request.query_params.get("session", "")
        return send(await run_in_threadpool(verifier.response_reply, session, form))

    router.add_api_route(
        urls.route(urls.endpoint("vp/requests/{session_id}")), request_object, methods=["GET"]
    )
    router.add_api_route(urls.route(urls.endpoint("vp/response")), response, methods=["POST"])
    return router
