"""Client authentication by HTTP Signature (ewp-specs-sec-cliauth-httpsig): signing a request, and
verifying one on the server with the keys and institutions the EWP registry lists."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import rsa

from emrex.ewp import httpsig
from emrex.ewp.errors import BadSignatureRequest, NotSigned, ReplayedRequest, UnknownClientKey
from emrex.ewp.httpsig import Headers, SigningKey
from emrex.ewp.replay import ReplayCache

SIGNED_REQUEST_HEADERS = ("(request-target)", "host", "date", "digest", "x-request-id")
REQUIRED = ("(request-target)", "host", "digest", "x-request-id")
MIN_WINDOW = dt.timedelta(minutes=5)  # the specification forbids anything shorter
MAX_REQUEST_ID_CHARS = 64
WWW_AUTHENTICATE = f'Signature realm="EWP",headers="{" ".join(SIGNED_REQUEST_HEADERS)}"'
Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class SignedRequest:
    """The headers a client sends with its request, and what it must check in the response."""

    headers: dict[str, str]
    request_id: str
    signature: str  # base64, as the server copies it into X-Request-Signature


def sign_request(
    key: SigningKey,
    method: str,
    target: str,
    host: str,
    body: bytes = b"",
    *,
    content_type: str | None = None,
    accept_signature: bool = True,
    now: dt.datetime | None = None,
    request_id: str | None = None,
) -> SignedRequest:
    """Sign a request for ``target`` (path and query exactly as sent) on ``host`` (with its port
    unless it is the default one). The caller sends the headers unchanged and the body as given."""
    request_id = request_id or str(uuid.uuid4())
    headers = {
        "Host": host,
        "Date": httpsig.http_date(now or utc_now()),
        "Digest": httpsig.digest_header(body),
        "X-Request-Id": request_id,
        "Want-Digest": "SHA-256",
    }
    if content_type:
        headers["Content-Type"] = content_type
    if accept_signature:
        headers["Accept-Signature"] = httpsig.RSA_SHA256
    text = httpsig.signing_string(SIGNED_REQUEST_HEADERS, Headers(headers), method=method, target=target)
    signature = key.sign(text)
    headers["Authorization"] = "Signature " + httpsig.format_params(
        key.key_id, SIGNED_REQUEST_HEADERS, signature
    )
    params = httpsig.parse_params(headers["Authorization"][len("Signature ") :])
    return SignedRequest(headers, request_id, params.signature_text)


class ClientKeys(Protocol):
    """What the server needs from the EWP registry catalogue (``emrex.registry.EwpCatalogue``)."""

    def client_key(self, key_id: str) -> rsa.RSAPublicKey | None: ...

    def heis_covered_by(self, key_id: str) -> frozenset[str]: ...


@dataclass(frozen=True)
class HttpRequest:
    """A request as the server received it; ``target`` is the raw path and query of the request line."""

    method: str
    target: str
    headers: Sequence[tuple[str, str]]
    body: bytes = b""
    view: Headers = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "view", Headers(self.headers))

    def header(self, name: str) -> str | None:
        return self.view.get(name)


@dataclass(frozen=True)
class Caller:
    """A client whose signature was verified, and the institutions (SCHAC ids) its key covers."""

    key_id: str
    hei_ids: frozenset[str]
    request_id: str
    signature: str
    signed_headers: tuple[str, ...]


class RequestVerifier:
    """Checks a request in the order of the specification; raises the EwpError that says why not."""

    def __init__(
        self,
        keys: Callable[[], ClientKeys],
        replay: ReplayCache,
        *,
        hosts: Collection[str] | None = None,
        window: dt.timedelta = MIN_WINDOW,
        clock: Clock = utc_now,
    ) -> None:
        if window < MIN_WINDOW:
            raise ValueError("the EWP date window may not be shorter than 5 minutes")
        self.keys = keys
        self.replay = replay
        self.hosts = frozenset(h.lower() for h in hosts) if hosts is not None else None
        self.window = window
        self.clock = clock

    def verify(self, request: HttpRequest) -> Caller:
        params = self._params(request.header("authorization"))
        key = params.key_id.lower()  # the client spec asks for hex, without saying which case
        if not httpsig.is_key_id(key):
            raise BadSignatureRequest("keyId is not a hex SHA-256 fingerprint")
        keys = self.keys()
        public_key = keys.client_key(key)
        if public_key is None:
            raise UnknownClientKey(f"the key {key} is not a client key in the EWP registry")
        self._check_host(request.header("host"))
        now = self.clock()
        latest = httpsig.check_dates(request.view, params.headers, now, self.window)
        request_id = request.header("x-request-id") or ""
        if len(request_id) > MAX_REQUEST_ID_CHARS or not httpsig.is_request_id(request_id):
            raise BadSignatureRequest("X-Request-Id must be a UUID in canonical form")
        text = httpsig.signing_string(
            params.headers, request.view, method=request.method, target=request.target
        )
        if not httpsig.signature_matches(public_key, params.signature, text):
            raise BadSignatureRequest("the signature does not match the request and the key")
        if not httpsig.body_matches_digest(request.body, request.header("digest")):
            raise BadSignatureRequest("the body does not match the SHA-256 in the Digest header")
        if not self.replay.first_use(f"{key} {request_id.lower()}", latest + self.window, now):
            raise ReplayedRequest(f"the request id {request_id} was used before")
        return Caller(
            key_id=key,
            hei_ids=keys.heis_covered_by(key),
            request_id=request_id,
            signature=params.signature_text,
            signed_headers=params.headers,
        )

    def _params(self, authorization: str | None) -> httpsig.SignatureParams:
        if authorization is None:
            raise NotSigned("the request is not signed: EWP needs an Authorization: Signature header")
        scheme, _, rest = authorization.strip().partition(" ")
        if scheme.lower() != "signature":
            raise NotSigned(f"the Authorization header uses {scheme[:20]!r}, not HTTP Signature")
        params = httpsig.parse_params(rest)
        if params.algorithm != httpsig.RSA_SHA256:
            raise NotSigned(f"the signature algorithm must be rsa-sha256, not {params.algorithm[:20]!r}")
        missing = [name for name in REQUIRED if name not in params.headers]
        if "date" not in params.headers and "original-date" not in params.headers:
            missing.append("date or original-date")
        if missing:
            raise NotSigned("these headers must be signed and are not: " + ", ".join(missing))
        return params

    def _check_host(self, host: str | None) -> None:
        if self.hosts is not None and (host or "").lower() not in self.hosts:
            raise BadSignatureRequest(f"the Host header {(host or '')[:100]!r} is not this server")


def www_authenticate_headers() -> Mapping[str, str]:
    """The headers a 401 carries: how to authenticate, and the digest wanted."""
    return {"WWW-Authenticate": WWW_AUTHENTICATE, "Want-Digest": "SHA-256"}
