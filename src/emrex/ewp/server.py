"""An EWP endpoint without a web framework: method and size limits, client authentication, the API
call, the EWP error response, and the response signature the client asked for.

``EwpServer.handle`` takes the request as received and returns status, headers and body; the HTTP
routers (``emrex.ewp.routes``) only translate to and from their framework.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from emrex.ewp.errors import EwpError, MethodNotAllowed, NotSigned, RequestTooLarge, UnsupportedMediaType
from emrex.ewp.httpsig import SigningKey, parse_params
from emrex.ewp.namespaces import error_response
from emrex.ewp.params import FORM, Params, parse_form
from emrex.ewp.request_auth import (
    Caller,
    Clock,
    HttpRequest,
    RequestVerifier,
    utc_now,
    www_authenticate_headers,
)
from emrex.ewp.response_auth import sign_response, wants_signature

log = logging.getLogger("emrex.ewp")

XML = "application/xml; charset=utf-8"
METHODS = ("GET", "POST")
DEFAULT_MAX_BODY_BYTES = 64 * 1024
DEFAULT_MAX_PARAMS = 1000

Endpoint = Callable[[Caller, Params], bytes]


@dataclass(frozen=True)
class EwpResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class EwpServer:
    """Serves EWP endpoints with HTTP Signature client authentication; signs responses with
    ``response_key`` whenever the client sends ``Accept-Signature: rsa-sha256`` (errors too)."""

    def __init__(
        self,
        verifier: RequestVerifier,
        response_key: SigningKey | None,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_params: int = DEFAULT_MAX_PARAMS,
        clock: Clock = utc_now,
    ) -> None:
        self.verifier = verifier
        self.response_key = response_key
        self.max_body_bytes = max_body_bytes
        self.max_params = max_params
        self.clock = clock

    def handle(self, request: HttpRequest, endpoint: Endpoint) -> EwpResponse:
        try:
            body = self._answer(request, endpoint)
        except EwpError as exc:
            log.info("EWP request refused (%d): %s", exc.status, exc)
            return self._respond(request, exc.status, error_response(str(exc)), _extra(exc))
        except Exception:
            log.exception("EWP endpoint failed")
            message = "the server failed to answer; its administrators can see why in the log"
            return self._respond(request, 500, error_response(message), ())
        return self._respond(request, 200, body, ())

    def _answer(self, request: HttpRequest, endpoint: Endpoint) -> bytes:
        if request.method not in METHODS:
            raise MethodNotAllowed(f"{request.method[:10]} is not allowed here; use GET or POST")
        if len(request.body) > self.max_body_bytes:
            raise RequestTooLarge(f"the request body is larger than {self.max_body_bytes} bytes")
        caller = self.verifier.verify(request)
        return endpoint(caller, self.params(request))

    def params(self, request: HttpRequest) -> Params:
        _, _, query = request.target.partition("?")
        pairs = parse_form(query, max_fields=self.max_params)
        if request.method == "POST" and request.body:
            media = (request.header("content-type") or "").split(";")[0].strip().lower()
            if media != FORM:
                raise UnsupportedMediaType(f"POST parameters must be sent as {FORM}")
            try:
                text = request.body.decode("utf-8")
            except UnicodeDecodeError:
                raise UnsupportedMediaType("the POST body is not UTF-8") from None
            pairs += parse_form(text, max_fields=self.max_params - len(pairs))
        return pairs

    def too_large(self, request: HttpRequest) -> EwpResponse:
        """The answer to a body that the router stopped reading at the limit."""
        exc = RequestTooLarge(f"the request body is larger than {self.max_body_bytes} bytes")
        return self._respond(request, exc.status, error_response(str(exc)), ())

    def _respond(
        self, request: HttpRequest, status: int, body: bytes, extra: tuple[tuple[str, str], ...]
    ) -> EwpResponse:
        headers: list[tuple[str, str]] = list(extra)
        if self.response_key is not None and wants_signature(request.header("accept-signature")):
            headers += sign_response(
                self.response_key,
                body,
                content_type=XML,
                request_id=request.header("x-request-id"),
                request_signature=_request_signature(request),
                now=self.clock(),
            )
        else:
            headers.append(("Content-Type", XML))
        return EwpResponse(status, tuple(headers), body)


def _extra(exc: EwpError) -> tuple[tuple[str, str], ...]:
    if isinstance(exc, NotSigned):
        return tuple(www_authenticate_headers().items())
    if isinstance(exc, MethodNotAllowed):
        return (("Allow", ", ".join(METHODS)),)
    return ()


def _request_signature(request: HttpRequest) -> str | None:
    authorization = request.header("authorization") or ""
    scheme, _, rest = authorization.partition(" ")
    if scheme.lower() != "signature":
        return None
    try:
        return parse_params(rest).signature_text
    except EwpError:
        return None
