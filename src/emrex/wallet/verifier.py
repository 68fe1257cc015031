"""OpenID4VP 1.0 verifier (the EMC's "Import from my wallet"): a signed request object with an
``x509_san_dns:`` client identifier and a DCQL query for the ELM credential, answered by
``direct_post.jwt`` with a response encrypted to a key made for this one request (ECDH-ES, as HAIP
asks); then every check of ``verify_presentation`` with this request's audience and nonce.

``start`` makes a request; the wallet fetches ``request_reply`` and posts to ``response_reply``; the
service reads ``result`` (or ``result_by_code`` after a same-device redirect).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from cryptography import x509
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from emrex.wallet.certificates import TrustAnchors, parse_x5c, san_dns_names
from emrex.wallet.credential import VC_TYP
from emrex.wallet.dcql import QUERY_ID, elm_query
from emrex.wallet.errors import ProtocolError, Refused, Unreadable, WalletError
from emrex.wallet.jose import (
    RESPONSE_ENCS,
    SIGNING_ALGS,
    Json,
    SigningKey,
    loads_object,
    new_ec_key,
    public_jwk,
    response_registry,
    sign_jwt,
)
from emrex.wallet.presentation import KB_MAX_AGE
from emrex.wallet.reply import NO_STORE, Reply, error_reply, ok
from emrex.wallet.statuslist import Fetch
from emrex.wallet.store import PENDING, REFUSED, VERIFIED, SessionRecord, VerifierStore
from emrex.wallet.urls import ServiceUrls
from emrex.wallet.verification import VerifyPolicy, verify_presentation

REQUEST_TYP = "oauth-authz-req+jwt"
REQUEST_MEDIA_TYPE = "application/oauth-authz-req+jwt"
WALLET_SCHEME = "openid4vp://"


@dataclass(frozen=True)
class VerifierConfig:
    url: str  # https://host[/path]: the client identifier is x509_san_dns:<host>
    key: SigningKey  # signs request objects; its certificate (x5c) names the host in subjectAltName
    anchors: TrustAnchors  # whose credentials are accepted
    name: str
    status_fetch: Fetch | None = None  # None: status lists are not consulted (the result says so)
    session_seconds: int = 600
    max_response_bytes: int = 8_000_000
    kb_max_age: int = KB_MAX_AGE
    redirect_url: str | None = None  # same-device flow: where the wallet sends the browser afterwards
    dcql_query: Json | None = None  # None: elm_query(), who the learner is and the results


@dataclass(frozen=True)
class PresentationRequest:
    session_id: str
    request_uri: str
    link: str  # openid4vp://… for a QR code or a same-device button
    expires_at: int


@dataclass(frozen=True)
class PresentationResult:
    status: str  # "pending", "verified" or "refused"
    result: Json | None  # VerifiedCredential.summary(): issuer, vouched_by, status, elm, …
    reason: str | None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PresentationVerifier:
    def __init__(
        self, config: VerifierConfig, store: VerifierStore, *, clock: Callable[[], float] = time.time
    ):
        self.config = config
        self.store = store
        self.clock = clock
        self.urls = ServiceUrls(config.url)
        self.client_id = f"x509_san_dns:{self.urls.host}"
        leaf = _leaf(config.key)
        if self.urls.host not in san_dns_names(leaf):
            raise WalletError(
                f"the verifier certificate must name {self.urls.host} in subjectAltName (x509_san_dns); "
                f"it names {', '.join(san_dns_names(leaf)) or 'no DNS name'}"
            )

    def now(self) -> int:
        return int(self.clock())

    @property
    def post_paths(self) -> tuple[str, ...]:
        """Paths wallets post to from outside: exempt them from CSRF checks, allow large bodies."""
        return (self.urls.route(self.urls.endpoint("vp/response")),)

    def start(self) -> PresentationRequest:
        session_id = secrets.token_urlsafe(24)
        expires = self.now() + self.config.session_seconds
        key = new_ec_key()
        self.store.add_session(
            SessionRecord(
                session_id=session_id,
                nonce=secrets.token_urlsafe(24),
                state=secrets.token_urlsafe(24),
                encryption_key=key.as_dict(private=True),
                expires_at=expires,
            )
        )
        uri = self.urls.endpoint(f"vp/requests/{session_id}")
        link = WALLET_SCHEME + "?" + urlencode({"client_id": self.client_id, "request_uri": uri})
        return PresentationRequest(session_id, uri, link, expires)

    def request_reply(self, session_id: str) -> Reply:
        session = self._pending(session_id)
        if session is None:
            return Reply(
                404,
                {
                    "error": "invalid_request_uri",
                    "error_description": "no such request, or it was answered or expired",
                },
            )
        return ok(
            sign_jwt({"typ": REQUEST_TYP}, self.request_object(session), self.config.key),
            REQUEST_MEDIA_TYPE,
            store=False,
        )

    def response_uri(self, session_id: str) -> str:
        # One fixed path for every request (CSRF exemptions and body limits go by path); the query
        # says which request is answered.
        return f"{self.urls.endpoint('vp/response')}?{urlencode({'session': session_id})}"

    def request_object(self, session: SessionRecord) -> Json:
        encryption = {**public_jwk(ECKey.import_key(session.encryption_key)), "use": "enc", "alg": "ECDH-ES"}
        encryption["kid"] = session.session_id[:12]
        return {
            "iss": self.client_id,
            "aud": "https://self-issued.me/v2",
            "iat": self.now(),
            "exp": session.expires_at,
            "client_id": self.client_id,
            "response_type": "vp_token",
            "response_mode": "direct_post.jwt",
            "response_uri": self.response_uri(session.session_id),
            "nonce": session.nonce,
            "state": session.state,
            "dcql_query": self.config.dcql_query or elm_query(),
            "client_metadata": {
                "client_name": self.config.name,
                "jwks": {"keys": [encryption]},
                "encrypted_response_enc_values_supported": list(RESPONSE_ENCS),
                "vp_formats_supported": {
                    VC_TYP: {"sd-jwt_alg_values": list(SIGNING_ALGS), "kb-jwt_alg_values": list(SIGNING_ALGS)}
                },
            },
        }

    def response_reply(self, session_id: str, form: Mapping[str, str]) -> Reply:
        """The wallet's answer. Until it decrypts with this request's key and echoes its state, nothing
        about the request changes (a stranger cannot spoil it); after that it is answered, once."""
        session = self._pending(session_id)
        if session is None:
            return error_reply(ProtocolError("no such request, or it was answered or expired"))
        if "error" in form:
            if form.get("state") != session.state:
                return error_reply(ProtocolError("the error answers another request (state differs)"))
            self._finish(session, REFUSED, reason=f"the wallet declined ({str(form['error'])[:60]})")
            return Reply(200, {}, headers=NO_STORE)
        try:
            payload = self._open(session, form)
        except ProtocolError as exc:
            return error_reply(exc)
        try:
            summary = self._verify(session, payload)
        except (ProtocolError, Refused, Unreadable) as exc:
            self._finish(session, REFUSED, reason=str(exc))
            return error_reply(exc if isinstance(exc, ProtocolError) else ProtocolError(str(exc)))
        code = secrets.token_urlsafe(24)
        if not self._finish(session, VERIFIED, result=summary, code=code):
            return error_reply(ProtocolError("this request was answered already"))
        if self.config.redirect_url is None:
            return Reply(200, {}, headers=NO_STORE)
        target = f"{self.config.redirect_url}?{urlencode({'response_code': code})}"
        return Reply(200, {"redirect_uri": target}, headers=NO_STORE)

    def _open(self, session: SessionRecord, form: Mapping[str, str]) -> Json:
        response = form.get("response")
        if not response:
            raise ProtocolError("the answer carries no encrypted response (direct_post.jwt)")
        if len(response) > self.config.max_response_bytes:
            raise ProtocolError(
                f"the response is larger than {self.config.max_response_bytes} bytes; refused unread"
            )
        payload = self._decrypt(session, response)
        if payload.get("state") != session.state:
            raise ProtocolError("the response answers another request (state differs)")
        return payload

    def _verify(self, session: SessionRecord, payload: Json) -> Json:
        presentation = _the_presentation(payload.get("vp_token"))
        policy = VerifyPolicy(
            self.config.anchors,
            audience=self.client_id,
            nonce=session.nonce,
            status_fetch=self.config.status_fetch,
            max_bytes=self.config.max_response_bytes,
            kb_max_age=self.config.kb_max_age,
        )
        at = dt.datetime.fromtimestamp(self.now(), dt.UTC)
        return verify_presentation(presentation, policy, at=at).summary()

    def _decrypt(self, session: SessionRecord, response: str) -> Json:
        key = ECKey.import_key(session.encryption_key)
        try:
            opened = jwe.decrypt_compact(
                response, key, registry=response_registry(self.config.max_response_bytes)
            )
        except (JoseError, ValueError, TypeError):
            raise ProtocolError("the response cannot be decrypted with this request's key") from None
        if opened.headers().get("alg") != "ECDH-ES" or opened.plaintext is None:
            raise ProtocolError("the response is not encrypted with ECDH-ES")
        try:
            return loads_object(opened.plaintext, "the decrypted response")
        except Unreadable as exc:
            raise ProtocolError(str(exc)) from None

    def _pending(self, session_id: str) -> SessionRecord | None:
        session = self.store.session(session_id)
        if session is None or session.status != PENDING or session.expires_at < self.now():
            return None
        return session

    def _finish(
        self,
        session: SessionRecord,
        status: str,
        *,
        result: Json | None = None,
        reason: str | None = None,
        code: str | None = None,
    ) -> bool:
        done = replace(
            session,
            status=status,
            result=result,
            reason=reason,
            encryption_key={},
            response_code_hash=_digest(code) if code else None,
        )
        return self.store.save_session(done)

    def result(self, session_id: str) -> PresentationResult | None:
        session = self.store.session(session_id)
        return None if session is None else PresentationResult(session.status, session.result, session.reason)

    def result_by_code(self, response_code: str) -> PresentationResult | None:
        session = self.store.session_by_response_code(_digest(response_code))
        return None if session is None else PresentationResult(session.status, session.result, session.reason)


def _the_presentation(vp_token: object) -> str:
    if not isinstance(vp_token, dict) or set(vp_token) != {QUERY_ID}:
        raise ProtocolError(f"vp_token must answer the query {QUERY_ID!r} and nothing else")
    value = vp_token[QUERY_ID]
    if isinstance(value, list):
        if len(value) != 1:
            raise ProtocolError("exactly one presentation of the ELM credential is expected")
        value = value[0]
    if not isinstance(value, str):
        raise ProtocolError("the presentation is not an SD-JWT string")
    return value


def _leaf(key: SigningKey) -> x509.Certificate:
    try:
        return parse_x5c(list(key.x5c), "the verifier key")[0]
    except Refused as exc:
        raise WalletError(f"the verifier key needs its certificate (x5c): {exc}") from None
