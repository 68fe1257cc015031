"""The loopback access point as an ASGI app: one Domibus-style WS plugin endpoint per party of a
simulated network, so a requester and our evidence provider exchange real OOTS messages on one
machine. The core never imports this module (it needs Starlette and httpx).

    POST /{party}/wsplugin   SOAP 1.2: submitRequest, listPendingMessagesRequest, retrieveMessageRequest
    GET  /                   what this is, and what is simulated
"""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from emrex.oots.domibus import build_fault
from emrex.oots.errors import AccessPointError
from emrex.oots.mime import DEFAULT_LIMITS
from emrex.oots.network import SIMULATED, Network

SOAP_TYPE = "application/soap+xml; charset=UTF-8"
SIMULATED_HEADER = "X-EMREX-Simulated"
NOTICE = (
    "EMREX loopback OOTS access point. This is a simulation: " + SIMULATED + "; the OOTS Common "
    "Services (Evidence Broker, Data Service Directory) are not consulted."
)


def create_access_point(network: Network) -> Starlette:
    limit = DEFAULT_LIMITS.max_bytes * 4 // 3 + DEFAULT_LIMITS.max_header_bytes

    async def plugin(request: Request) -> Response:
        party = request.path_params["party"]
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return _soap(build_fault(f"the message is larger than {limit} bytes"), 413)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                return _soap(build_fault(f"the message is larger than {limit} bytes"), 413)
        status, answer = network.handle(party, bytes(body))
        return _soap(answer, status)

    async def index(request: Request) -> Response:
        parties = ", ".join(network.parties)
        return PlainTextResponse(
            f"{NOTICE}\nAccess points: {parties}\n", headers={SIMULATED_HEADER: SIMULATED}
        )

    return Starlette(
        routes=[Route("/", index), Route("/{party}/wsplugin", plugin, methods=["POST"])],
    )


def _soap(body: bytes, status: int) -> Response:
    return Response(body, status_code=status, media_type=SOAP_TYPE, headers={SIMULATED_HEADER: SIMULATED})


class HttpWsPlugin:
    """A backend's WS-plugin transport over HTTP (any ``httpx.Client``, the test client included)."""

    def __init__(self, url: str, client: httpx.Client | None = None, *, timeout: float = 30.0) -> None:
        self.url = url
        self.client = client or httpx.Client(timeout=timeout)

    def call(self, envelope: bytes) -> bytes:
        try:
            response = self.client.post(self.url, content=envelope, headers={"Content-Type": SOAP_TYPE})
        except httpx.HTTPError as error:
            raise AccessPointError(f"the access point cannot be reached: {type(error).__name__}") from None
        return response.content
