"""Signed requests for tests: made by our signer, then changed the way an attacker would."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from emrex.ewp import HttpRequest, SignedRequest, sign_request
from tests.ewp.network import FJORDBY, PATHS, signing_key


def form(*pairs: tuple[str, str]) -> bytes:
    return urlencode(pairs).encode()


def signed(
    key: str = "lindholm-client",
    body: bytes = b"",
    *,
    method: str = "POST",
    target: str = PATHS.tors_get,
    host: str = FJORDBY,
    now: dt.datetime | None = None,
    request_id: str | None = None,
) -> tuple[SignedRequest, HttpRequest]:
    """A request signed by ``key`` as a client sends it, and as the server receives it."""
    made = sign_request(
        signing_key(key),
        method,
        target,
        host,
        body,
        content_type="application/x-www-form-urlencoded" if method == "POST" else None,
        now=now,
        request_id=request_id,
    )
    return made, HttpRequest(method, target, list(made.headers.items()), body)


def with_headers(request: HttpRequest, **changes: str | None) -> HttpRequest:
    """The request with headers replaced (``x_request_id=…``) or removed (None)."""
    names = {name.replace("_", "-").lower(): value for name, value in changes.items()}
    headers = [(n, v) for n, v in request.headers if n.lower() not in names]
    headers += [(n, v) for n, v in names.items() if v is not None]
    return HttpRequest(request.method, request.target, headers, request.body)
