"""Server authentication by HTTP Signature (ewp-specs-sec-srvauth-httpsig): a server signs its
response when the client asks with ``Accept-Signature``; the client verifies it against the server
keys the registry lists for the host it called.

Responses are dated with ``Original-Date``: servers such as uvicorn add a ``Date`` header of their
own, which would otherwise appear twice and break the signature.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import rsa

from emrex.ewp import httpsig
from emrex.ewp.errors import BadSignatureRequest, ResponseNotTrusted
from emrex.ewp.httpsig import Headers, SigningKey
from emrex.ewp.request_auth import MIN_WINDOW

MAX_ECHOED_CHARS = 2048


def wants_signature(accept_signature: str | None) -> bool:
    """True when ``Accept-Signature`` lists rsa-sha256 (any case, among other algorithms)."""
    if not accept_signature:
        return False
    return any(item.strip().lower() == httpsig.RSA_SHA256 for item in accept_signature.split(","))


def sign_response(
    key: SigningKey,
    body: bytes,
    *,
    content_type: str,
    request_id: str | None,
    request_signature: str | None,
    now: dt.datetime,
) -> list[tuple[str, str]]:
    """The headers of a signed response: its date, digest, the request's id and signature, and
    ``Signature`` over all of them and the content type."""
    headers = [
        ("Original-Date", httpsig.http_date(now)),
        ("Digest", httpsig.digest_header(body)),
        ("Content-Type", content_type),
    ]
    if request_id and _echoable(request_id):
        headers.append(("X-Request-Id", request_id))
    if request_signature and _echoable(request_signature):
        headers.append(("X-Request-Signature", request_signature))
    names = [name.lower() for name, _ in headers]
    signature = key.sign(httpsig.signing_string(names, Headers(headers)))
    headers.append(("Signature", httpsig.format_params(key.key_id, names, signature)))
    return headers


def _echoable(value: str) -> bool:
    return len(value) <= MAX_ECHOED_CHARS and value.isascii() and value.isprintable()


@dataclass(frozen=True)
class VerifiedResponse:
    key_id: str
    signed_headers: dict[str, str]  # the headers the signature covers; nothing else may be trusted


def verify_response(
    headers: Sequence[tuple[str, str]],
    body: bytes,
    *,
    server_key: Callable[[str], rsa.RSAPublicKey | None],
    request_id: str,
    request_signature: str | None,
    now: dt.datetime,
    window: dt.timedelta = MIN_WINDOW,
) -> VerifiedResponse:
    """Check a response to our signed request; ``server_key`` finds a key the registry binds to the
    host called. Raises ResponseNotTrusted saying what was wrong."""
    view = Headers(headers)
    try:
        return _verify(view, body, server_key, request_id, request_signature, now, window)
    except BadSignatureRequest as exc:
        raise ResponseNotTrusted(f"the response signature is not acceptable: {exc}") from None


def _verify(
    view: Headers,
    body: bytes,
    server_key: Callable[[str], rsa.RSAPublicKey | None],
    request_id: str,
    request_signature: str | None,
    now: dt.datetime,
    window: dt.timedelta,
) -> VerifiedResponse:
    value = view.get("signature")
    if value is None:
        raise ResponseNotTrusted("the response is not signed although we asked for a signature")
    params = httpsig.parse_params(value)
    if params.algorithm != httpsig.RSA_SHA256:
        raise ResponseNotTrusted(f"the response is signed with {params.algorithm[:20]!r}, not rsa-sha256")
    required = ["digest", "x-request-id"] + (["x-request-signature"] if request_signature else [])
    missing = [name for name in required if name not in params.headers]
    if missing:
        raise ResponseNotTrusted("the response signature does not cover " + ", ".join(missing))
    if view.get("x-request-id") != request_id:
        raise ResponseNotTrusted("the response carries another request id than ours")
    if request_signature and view.get("x-request-signature") != request_signature:
        raise ResponseNotTrusted("the response answers another request signature than ours")
    if not httpsig.is_key_id(params.key_id):
        raise ResponseNotTrusted("the response keyId is not a lower-case hex SHA-256 fingerprint")
    public_key = server_key(params.key_id)
    if public_key is None:
        raise ResponseNotTrusted(
            f"the response is signed with key {params.key_id}, which the registry does not list "
            "as a server key of the host we called"
        )
    httpsig.check_dates(view, params.headers, now, window, signed_only=True)
    if not httpsig.signature_matches(
        public_key, params.signature, httpsig.signing_string(params.headers, view)
    ):
        raise ResponseNotTrusted("the response signature does not match its headers and the key")
    if not httpsig.body_matches_digest(body, view.get("digest")):
        raise ResponseNotTrusted("the response body does not match the SHA-256 in its Digest header")
    signed = {name: view.get(name) or "" for name in params.headers}
    return VerifiedResponse(params.key_id, signed)
