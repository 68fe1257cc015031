"""OpenID Connect login: authorization code flow with PKCE, state and nonce, ID token checked by authlib.

``OidcClient.start`` gives the URL to send the browser to and the values to keep in the session;
``OidcClient.finish`` takes them back with the callback's query parameters and returns the ``Person``.
"""

from __future__ import annotations

import hmac
import secrets
import time
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, cast

import httpx

from emrex.errors import EmrexError
from emrex.web.auth import Person
from emrex.web.login.attributes import build_person
from emrex.web.login.settings import LoginSettings, OidcSettings

# A login that takes longer than this between leaving and coming back is refused.
PENDING_MAX_AGE = 600
METADATA_TTL = 3600


class OidcError(EmrexError):
    """The identity provider's answer cannot be used to log in."""


@dataclass(frozen=True)
class PendingLogin:
    """What must come back unchanged from the provider: kept in the server-side session only."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    next_url: str
    started: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> PendingLogin | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                state=str(data["state"]),
                nonce=str(data["nonce"]),
                code_verifier=str(data["code_verifier"]),
                redirect_uri=str(data["redirect_uri"]),
                next_url=str(data["next_url"]),
                started=float(data["started"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


class OidcClient:
    """One per service process: caches the provider's metadata and keys."""

    def __init__(self, settings: LoginSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        if settings.oidc is None:
            raise OidcError("OIDC login is not configured")
        self.settings = settings
        self.config: OidcSettings = settings.oidc
        self._transport = transport
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._jwks: dict[str, Any] | None = None

    def _client(self, redirect_uri: str = "") -> Any:
        import authlib.deprecate  # noqa: F401  (installs its own warning filter first)

        with warnings.catch_warnings():
            # authlib prefers the "httpx2" fork when installed and warns that plain httpx is deprecated.
            warnings.simplefilter("ignore", DeprecationWarning)
            from authlib.integrations.httpx_client import AsyncOAuth2Client

        return AsyncOAuth2Client(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret or None,
            token_endpoint_auth_method=self._auth_method(),
            scope=" ".join(self.config.scopes),
            redirect_uri=redirect_uri or None,
            code_challenge_method="S256",
            timeout=self.config.timeout_seconds,
            transport=self._transport,
        )

    def _auth_method(self) -> str:
        if not self.config.client_secret:
            return "none"
        supported = (self._metadata or {}).get("token_endpoint_auth_methods_supported") or []
        if "client_secret_basic" not in supported and "client_secret_post" in supported:
            return "client_secret_post"
        return "client_secret_basic"

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is not None and time.monotonic() - self._metadata_at < METADATA_TTL:
            return self._metadata
        data = await self._get_json(self.config.metadata_url, "discovery document")
        issuer = data.get("issuer")
        if not isinstance(issuer, str) or issuer.rstrip("/") != self.config.issuer.rstrip("/"):
            raise OidcError(
                f"the identity provider's discovery document names issuer {issuer!r}, "
                f"not the configured {self.config.issuer!r}"
            )
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            _check_endpoint(data.get(key), key)
        if data.get("userinfo_endpoint"):
            _check_endpoint(data["userinfo_endpoint"], "userinfo_endpoint")
        self._metadata, self._metadata_at, self._jwks = data, time.monotonic(), None
        return data

    async def _get_json(self, url: str, what: str, token: str | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            async with httpx.AsyncClient(
                timeout=self.config.timeout_seconds, transport=self._transport
            ) as client:
                response = await client.get(url, headers=headers)
        except httpx.HTTPError as error:
            raise OidcError(f"the identity provider cannot be reached for its {what} ({error})") from None
        if response.status_code != 200:
            raise OidcError(f"the identity provider answered HTTP {response.status_code} for its {what}")
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise OidcError(f"the identity provider's {what} is not a JSON object")
        return data

    async def start(self, redirect_uri: str, next_url: str) -> tuple[str, PendingLogin]:
        """The provider URL to redirect to, and what to keep until the callback."""
        metadata = await self.metadata()
        pending = PendingLogin(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(48),
            redirect_uri=redirect_uri,
            next_url=next_url,
            started=time.time(),
        )
        async with self._client(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                metadata["authorization_endpoint"],
                state=pending.state,
                code_verifier=pending.code_verifier,
                nonce=pending.nonce,
            )
        return str(url), pending

    async def finish(self, pending: PendingLogin | None, params: Mapping[str, str]) -> Person:
        if params.get("error"):
            # Nothing is logged in on this path, so the answer need not match a pending login.
            description = params.get("error_description") or params["error"]
            raise OidcError(f"the identity provider did not log you in: {description[:200]}")
        state = params.get("state", "")
        if pending is None or not hmac.compare_digest(pending.state.encode(), state.encode()):
            raise OidcError("the login answer does not belong to a login started here (state mismatch)")
        if time.time() - pending.started > PENDING_MAX_AGE:
            raise OidcError("the login took too long; please start again")
        code = params.get("code")
        if not code:
            raise OidcError("the identity provider's answer has no authorization code")
        metadata = await self.metadata()
        token = await self._exchange(metadata, pending, code)
        claims = await self._validated_claims(metadata, token, pending.nonce)
        userinfo_url = metadata.get("userinfo_endpoint")
        if userinfo_url and isinstance(token.get("access_token"), str):
            extra = await self._get_json(userinfo_url, "user information", token["access_token"])
            if extra.get("sub") == claims.get("sub"):
                claims = {**extra, **claims}
        return self.person(claims)

    def person(self, claims: Mapping[str, Any]) -> Person:
        values: dict[str, list[str]] = {}
        for name, value in claims.items():
            items = value if isinstance(value, list) else [value]
            values[name] = [
                str(v).lower() if isinstance(v, bool) else str(v)
                for v in items
                if isinstance(v, str | int | float | bool)
            ]
        return build_person(
            self.settings,
            values,
            attributes=self.config.claims,
            identifiers=self.config.identifiers,
            birth_date_format=self.config.birth_date_format,
            required=("given_names", "family_name"),
            source="oidc",
        )

    async def _exchange(self, metadata: dict[str, Any], pending: PendingLogin, code: str) -> dict[str, Any]:
        from authlib.integrations.base_client.errors import OAuthError

        try:
            async with self._client(pending.redirect_uri) as client:
                token = await client.fetch_token(
                    metadata["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=pending.code_verifier,
                )
        except OAuthError as error:
            raise OidcError(f"the identity provider refused the login code ({error.error})") from None
        except httpx.HTTPError as error:
            raise OidcError(f"the identity provider cannot be reached for the token ({error})") from None
        except ValueError:
            raise OidcError("the identity provider's token answer is not JSON") from None
        if not isinstance(token.get("id_token"), str):
            raise OidcError("the identity provider's token answer has no ID token (is 'openid' in scopes?)")
        return dict(token)

    async def _validated_claims(
        self, metadata: dict[str, Any], token: dict[str, Any], nonce: str
    ) -> dict[str, Any]:
        from authlib.oidc.core import CodeIDToken
        from joserfc import jwt
        from joserfc.errors import InvalidKeyIdError, JoseError
        from joserfc.jwk import KeySet
        from joserfc.jws import JWSRegistry

        algorithms = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [a for a in algorithms if isinstance(a, str) and a != "none"]
        registry = JWSRegistry(algorithms=algorithms)
        try:
            try:
                keys = KeySet.import_key_set(cast(Any, await self._keys(metadata)))
                decoded = jwt.decode(token["id_token"], keys, registry=registry)
            except InvalidKeyIdError:
                # The provider may have rotated its keys since we fetched them.
                keys = KeySet.import_key_set(cast(Any, await self._keys(metadata, refresh=True)))
                decoded = jwt.decode(token["id_token"], keys, registry=registry)
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                {
                    "iss": {"essential": True, "values": [metadata["issuer"]]},
                    "aud": {"essential": True, "values": [self.config.client_id]},
                },
                {
                    "nonce": nonce,
                    "client_id": self.config.client_id,
                    "access_token": token.get("access_token"),
                },
            )
            claims.validate(leeway=60)
        except (JoseError, ValueError) as error:
            raise OidcError(
                f"the ID token from the identity provider is not valid ({_describe(error)})"
            ) from None
        if "nonce" not in claims:
            raise OidcError("the ID token from the identity provider is not valid (no nonce)")
        return dict(claims)

    async def _keys(self, metadata: dict[str, Any], *, refresh: bool = False) -> dict[str, Any]:
        if self._jwks is None or refresh:
            self._jwks = await self._get_json(metadata["jwks_uri"], "signing keys")
        return self._jwks


def _check_endpoint(url: object, name: str) -> None:
    from authlib.common.security import is_secure_transport

    if not isinstance(url, str) or not url:
        raise OidcError(f"the identity provider's discovery document has no {name}")
    if not is_secure_transport(url):
        raise OidcError(f"the identity provider's {name} is not HTTPS: {url}")


def _describe(error: Exception) -> str:
    return getattr(error, "description", None) or getattr(error, "error", None) or type(error).__name__
