"""The OIDC client against a real provider: code flow with PKCE, state, nonce and ID token checks."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from dataclasses import replace
from datetime import date
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from emrex.web.login.attributes import MissingAttributes
from emrex.web.login.oidc import OidcClient, OidcError, PendingLogin
from emrex.web.login.settings import LoginSettings

CALLBACK = "http://testserver/login/callback"


def settings(issuer: str, **oidc: object) -> LoginSettings:
    return LoginSettings.from_mapping(
        {
            "method": "oidc",
            "oidc": {
                "issuer": issuer,
                "client_id": "emrex-emc",
                "client_secret": "not-so-secret",
                "identifiers": {"nationalIdentifier": "national_id", "email": "email"},
                **oidc,
            },
            "role_rules": [{"role": "staff", "source": "groups", "values": ["emrex-staff"]}],
        }
    )


def provider_login(url: str, sub: str) -> dict[str, str]:
    """What the person does at the provider: pick an account; returns the callback's query."""
    response = httpx.post(url, data={"sub": sub})
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(CALLBACK + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_full_code_flow_gives_the_person_with_mapped_claims(oidc_issuer: str) -> None:
    client = OidcClient(settings(oidc_issuer))

    async def flow() -> None:
        url, pending = await client.start(CALLBACK, "/transfers")
        sent = query(url)
        assert url.startswith(oidc_issuer + "/oauth2/authorize?")
        assert sent["state"] == pending.state and sent["nonce"] == pending.nonce
        assert sent["code_challenge_method"] == "S256"
        digest = hashlib.sha256(pending.code_verifier.encode()).digest()
        assert sent["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        person = await client.finish(pending, provider_login(url, "anna"))
        assert person.subject == "anna"
        assert (person.given_names, person.family_name) == ("Anna Maria", "Berg")
        assert person.birth_date == date(2000, 1, 31)
        assert person.identifiers == {"nationalIdentifier": "200001319999", "email": "anna@uni.example"}
        assert person.source == "oidc"
        assert person.roles == {"student"}

    asyncio.run(flow())


def test_staff_role_comes_from_the_groups_claim(oidc_issuer: str) -> None:
    client = OidcClient(settings(oidc_issuer))

    async def flow() -> None:
        url, pending = await client.start(CALLBACK, "/")
        person = await client.finish(pending, provider_login(url, "sven"))
        assert person.roles == {"student", "staff"}

    asyncio.run(flow())


def test_answer_with_another_state_is_refused(oidc_issuer: str) -> None:
    client = OidcClient(settings(oidc_issuer))

    async def flow() -> None:
        url, pending = await client.start(CALLBACK, "/")
        answer = provider_login(url, "anna")
        with pytest.raises(OidcError, match="state mismatch"):
            await client.finish(pending, {**answer, "state": "forged"})
        with pytest.raises(OidcError, match="state mismatch"):
            await client.finish(None, answer)

    asyncio.run(flow())


def test_id_token_with_another_nonce_is_refused(oidc_issuer: str) -> None:
    # A code obtained in someone else's login (another nonce) replayed into this one.
    client = OidcClient(settings(oidc_issuer))

    async def flow() -> None:
        url, pending = await client.start(CALLBACK, "/")
        answer = provider_login(url, "anna")
        with pytest.raises(OidcError, match=r"ID token .* not valid"):
            await client.finish(replace(pending, nonce="another-nonce"), answer)

    asyncio.run(flow())


def test_code_is_single_use(oidc_issuer: str) -> None:
    client = OidcClient(settings(oidc_issuer))

    async def flow() -> None:
        url, pending = await client.start(CALLBACK, "/")
        answer = provider_login(url, "anna")
        await client.finish(pending, answer)
        with pytest.raises(OidcError, match="refused the login code"):
            await client.finish(pending, answer)

    asyncio.run(flow())


def test_provider_refusal_is_reported(oidc_issuer: str) -> None:
    client = OidcClient(settings(oidc_issuer))

    async def flow() -> None:
        url, pending = await client.start(CALLBACK, "/")
        response = httpx.post(url, data={"action": "deny"})
        answer = query(response.headers["location"])
        with pytest.raises(OidcError, match="did not log you in"):
            await client.finish(pending, answer)

    asyncio.run(flow())


def test_stale_pending_login_is_refused(oidc_issuer: str) -> None:
    client = OidcClient(settings(oidc_issuer))

    async def flow() -> None:
        url, pending = await client.start(CALLBACK, "/")
        answer = provider_login(url, "anna")
        with pytest.raises(OidcError, match="took too long"):
            await client.finish(replace(pending, started=pending.started - 3600), answer)

    asyncio.run(flow())


def test_missing_name_claims_are_named(oidc_issuer: str) -> None:
    client = OidcClient(settings(oidc_issuer))

    async def flow() -> None:
        url, pending = await client.start(CALLBACK, "/")
        with pytest.raises(MissingAttributes, match="did not send given_name, family_name"):
            await client.finish(pending, provider_login(url, "nameless"))

    asyncio.run(flow())


def test_discovery_document_of_another_issuer_is_refused(oidc_issuer: str) -> None:
    client = OidcClient(
        settings(
            "https://idp.uni.example",
            discovery_url=oidc_issuer + "/.well-known/openid-configuration",
        )
    )
    with pytest.raises(OidcError, match="names issuer"):
        asyncio.run(client.start(CALLBACK, "/"))


def test_unreachable_provider_is_one_clear_error() -> None:
    client = OidcClient(settings("http://127.0.0.1:9"))
    with pytest.raises(OidcError, match="cannot be reached"):
        asyncio.run(client.start(CALLBACK, "/"))


def test_pending_login_survives_the_session_round_trip() -> None:
    pending = PendingLogin("s", "n", "v", CALLBACK, "/x", 12.5)
    assert PendingLogin.from_dict(pending.to_dict()) == pending
    assert PendingLogin.from_dict({"state": "s"}) is None
    assert PendingLogin.from_dict("junk") is None


def _forged_tokens(issuer: str, nonce: str) -> list[str]:
    import time as clock

    from joserfc import jwt
    from joserfc.jwk import OctKey, RSAKey
    from joserfc.jws import JWSRegistry

    now = int(clock.time())
    claims = {"iss": issuer, "aud": "emrex-emc", "sub": "anna", "iat": now, "exp": now + 300, "nonce": nonce}
    claims |= {"given_name": "Mallory", "family_name": "Forger"}
    foreign = RSAKey.generate_key(2048)
    secret = OctKey.import_key("not-so-secret")  # the client secret, as an HMAC key
    return [
        jwt.encode({"alg": "RS256"}, claims, foreign),
        jwt.encode({"alg": "HS256"}, claims, secret, registry=JWSRegistry(algorithms=["HS256"])),
    ]


def test_id_token_not_signed_by_the_provider_is_refused(oidc_issuer: str) -> None:
    # A token signed with another RSA key, or with HS256 and the client secret, must never log in.
    client = OidcClient(settings(oidc_issuer))

    async def check() -> None:
        metadata = await client.metadata()
        for forged in _forged_tokens(oidc_issuer, "n0nce"):
            with pytest.raises(OidcError, match=r"ID token .* not valid"):
                await client._validated_claims(metadata, {"id_token": forged}, "n0nce")

    asyncio.run(check())
