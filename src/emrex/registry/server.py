"""Our own registry for a private or test network: the EMREG JSON lists and an EWP-style catalogue."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emrex.registry.catalogue import catalogue_xml
from emrex.registry.emreg import emreg_json
from emrex.registry.model import Registry

JSON = "application/json"
CACHE_SECONDS = 300
FAVICON = Path(__file__).resolve().parents[1] / "web" / "static" / "favicon.ico"


def create_app(registry: Registry, ewp_manifests: Sequence[bytes] = ()) -> Starlette:
    """An ASGI app serving ``registry`` (and in its catalogue the EWP hosts of ``ewp_manifests``);
    the documents are rendered once, here."""
    documents: dict[str, tuple[bytes, str]] = {
        "/emp-list.json": (emreg_json(registry), JSON),
        "/ncp-list.json": (emreg_json(registry, legacy=True), JSON),
        "/catalogue-v1.xml": (catalogue_xml(registry, ewp_manifests), "application/xml"),
    }
    index = {"documents": sorted(documents), "health": "/health"}
    documents["/"] = (json.dumps(index, indent=2).encode("utf-8") + b"\n", JSON)
    etags = {path: '"' + hashlib.sha256(body).hexdigest()[:32] + '"' for path, (body, _) in documents.items()}
    health = json.dumps({"status": "ok", "countries": len(registry.countries), "emps": len(registry.emps)})

    async def document(request: Request) -> Response:
        path = request.url.path
        body, media_type = documents[path]
        headers = {
            "ETag": etags[path],
            "Cache-Control": f"public, max-age={CACHE_SECONDS}",
            "X-Content-Type-Options": "nosniff",
            "Access-Control-Allow-Origin": "*",  # public data; browser-side EMCs may read it
        }
        if etags[path] in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=media_type, headers=headers)

    async def healthy(request: Request) -> Response:
        return Response(health, media_type=JSON, headers={"Cache-Control": "no-store"})

    icon = FAVICON.read_bytes()

    async def favicon(request: Request) -> Response:
        return Response(
            icon, media_type="image/vnd.microsoft.icon", headers={"Cache-Control": "public, max-age=86400"}
        )

    routes = [Route(path, document, methods=["GET", "HEAD"]) for path in documents]
    routes.append(Route("/health", healthy, methods=["GET", "HEAD"]))
    routes.append(Route("/favicon.ico", favicon, methods=["GET", "HEAD"]))
    return Starlette(routes=routes)
