"""The EWP HTTP routes for a FastAPI app: the Discovery manifest, Echo and the imobility-tors
``get`` and ``index`` endpoints. Thin: each route hands the raw request to ``EwpServer``.

The core (``emrex.ewp``) never imports this module. Mount with ``app.include_router(ewp_router(…))``;
the paths must match the URLs in the manifest. Do not put a compressing middleware in front of these
routes: a signed response must reach the client byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from emrex.ewp.echo import echo
from emrex.ewp.request_auth import HttpRequest
from emrex.ewp.server import Endpoint, EwpResponse, EwpServer
from emrex.ewp.tors import ToRsApi

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
MANIFEST_CACHE_SECONDS = 300


@dataclass(frozen=True)
class EwpPaths:
    manifest: str = "/ewp/manifest.xml"
    echo: str = "/ewp/echo"
    tors_get: str = "/ewp/imobility-tors/get"
    tors_index: str = "/ewp/imobility-tors/index"


def ewp_router(
    server: EwpServer,
    *,
    manifest: Callable[[], bytes] | None = None,
    tors: ToRsApi | None = None,
    echo_api: bool = True,
    paths: EwpPaths = EwpPaths(),
) -> APIRouter:
    """Routes for what is given: the manifest (unauthenticated, as Discovery wants), Echo, and the
    ToRs endpoints."""
    router = APIRouter(include_in_schema=False)
    if manifest is not None:
        body = manifest

        async def discovery(request: Request) -> Response:
            headers = {"Cache-Control": f"public, max-age={MANIFEST_CACHE_SECONDS}"}
            return Response(body(), media_type="application/xml", headers=headers)

        router.add_api_route(paths.manifest, discovery, methods=["GET", "HEAD"])
    endpoints: list[tuple[str, Endpoint]] = []
    if echo_api:
        endpoints.append((paths.echo, echo))
    if tors is not None:
        endpoints += [(paths.tors_get, tors.get), (paths.tors_index, tors.index)]
    for path, endpoint in endpoints:
        router.add_api_route(path, _route(server, endpoint), methods=ALL_METHODS)
    return router


def _route(server: EwpServer, endpoint: Endpoint) -> Callable[[Request], object]:
    async def handle(request: Request) -> Response:
        body, complete = await _bounded_body(request, server.max_body_bytes)
        received = HttpRequest(request.method, _target(request), request.headers.items(), body)
        if not complete:
            return _response(server.too_large(received))
        # The source may query a database and the answer is signed: off the event loop.
        return _response(await run_in_threadpool(server.handle, received, endpoint))

    return handle


async def _bounded_body(request: Request, limit: int) -> tuple[bytes, bool]:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return b"", False
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return b"", False
        chunks.append(chunk)
    return b"".join(chunks), True


def _target(request: Request) -> str:
    """The path and query as on the request line: what the client signed as (request-target)."""
    raw = request.scope.get("raw_path") or request.scope["path"].encode("utf-8")
    query = request.scope.get("query_string", b"")
    target = raw.decode("latin-1")
    return f"{target}?{query.decode('latin-1')}" if query else target


def _response(answer: EwpResponse) -> Response:
    response = Response(answer.body, status_code=answer.status)
    for name, value in answer.headers:
        response.headers.append(name, value)
    return response
