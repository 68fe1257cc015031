"""The OpenID4VP verifier's endpoints as functions: a signed request object, an encrypted answer, one
outcome per request, and nothing a stranger posts can spoil a request before it is really answered."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc import jwe
from joserfc.jwk import ECKey

from emrex.wallet import (
    MemoryStore,
    PresentationVerifier,
    SigningKey,
    VerifierConfig,
    issue_certificate,
    issue_elm_credential,
    present,
)
from emrex.wallet.certificates import leaf_key, parse_x5c
from emrex.wallet.jose import Json, dumps, parse_jwt, verify_jwt
from emrex.wallet.typemeta import COURSES
from tests.wallet.conftest import Pki

URL = "https://emc.example"


class Clock:
    now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def verifier(pki: Pki) -> PresentationVerifier:
    key, _ = issue_certificate(pki.ca, "EMC", dns_names=["emc.example"])
    config = VerifierConfig(URL, key, pki.anchors, "Lindholm EMC", redirect_url=f"{URL}/wallet-import")
    return PresentationVerifier(config, MemoryStore())


def _request(verifier: PresentationVerifier, session_id: str) -> Json:
    reply = verifier.request_reply(session_id)
    assert reply.status == 200 and reply.media_type == "application/oauth-authz-req+jwt"
    jwt = parse_jwt(str(reply.body), "request", typ="oauth-authz-req+jwt")
    verify_jwt(jwt, leaf_key(parse_x5c(jwt.header["x5c"], "request")[0]), "request")
    return jwt.payload


def _answer(
    request: Json, vp_token: Any, *, state: str | None = None, enc: str = "A128GCM"
) -> dict[str, str]:
    jwk = request["client_metadata"]["jwks"]["keys"][0]
    key = ECKey.import_key({k: jwk[k] for k in ("kty", "crv", "x", "y")})
    payload = {"vp_token": vp_token, "state": request["state"] if state is None else state}
    return {
        "response": jwe.encrypt_compact(
            {"alg": "ECDH-ES", "enc": enc, "kid": jwk["kid"]}, dumps(payload), key
        )
    }


def _presentation(elm: Json, pki: Pki, holder: SigningKey, request: Json, **kb: str) -> str:
    credential = issue_elm_credential(elm, pki.issuer, holder.public_jwk, issuer="https://localhost")
    audience, nonce = kb.get("aud", request["client_id"]), kb.get("nonce", request["nonce"])
    return present(
        credential,
        [COURSES, ("elm", "credentialSubject", "givenName")],
        holder=holder,
        audience=audience,
        nonce=nonce,
    )


def test_the_request_object_says_who_asks_what_and_how_to_answer(verifier: PresentationVerifier) -> None:
    started = verifier.start()
    assert (
        started.link
        == f"openid4vp://?client_id=x509_san_dns%3Aemc.example&request_uri=https%3A%2F%2Femc.example%2Fwallet%2Fvp%2Frequests%2F{started.session_id}"
    )
    request = _request(verifier, started.session_id)
    assert request["client_id"] == request["iss"] == "x509_san_dns:emc.example"
    assert request["response_type"] == "vp_token" and request["response_mode"] == "direct_post.jwt"
    assert request["response_uri"] == f"{URL}/wallet/vp/response?session={started.session_id}"
    assert request["aud"] == "https://self-issued.me/v2" and len(request["nonce"]) >= 32
    query = request["dcql_query"]["credentials"][0]
    assert (query["format"], query["meta"]) == ("dc+sd-jwt", {"vct_values": ["urn:eudi:elm:1"]})
    assert {"path": ["elm", "credentialSubject", "hasClaim", None], "id": "courses"} in query["claims"]
    key = request["client_metadata"]["jwks"]["keys"][0]
    assert (key["kty"], key["crv"], key["use"], key["alg"]) == (
        "EC",
        "P-256",
        "enc",
        "ECDH-ES",
    ) and "d" not in key
    assert request["client_metadata"]["encrypted_response_enc_values_supported"] == ["A128GCM", "A256GCM"]
    assert verifier.post_paths == ("/wallet/vp/response",)


def test_each_request_has_its_own_nonce_state_and_key(verifier: PresentationVerifier) -> None:
    first, second = (_request(verifier, verifier.start().session_id) for _ in range(2))
    assert first["nonce"] != second["nonce"] and first["state"] != second["state"]
    assert first["client_metadata"]["jwks"] != second["client_metadata"]["jwks"]


@pytest.mark.parametrize("enc", ["A128GCM", "A256GCM"])
def test_an_encrypted_presentation_is_verified_once(
    verifier: PresentationVerifier, uio_elm: Json, pki: Pki, holder_key: SigningKey, enc: str
) -> None:
    started = verifier.start()
    request = _request(verifier, started.session_id)
    answer = _answer(request, {"elm": [_presentation(uio_elm, pki, holder_key, request)]}, enc=enc)
    reply = verifier.response_reply(started.session_id, answer)
    assert reply.status == 200, reply.body
    redirect = reply.body["redirect_uri"]  # type: ignore[index]
    assert redirect.startswith(f"{URL}/wallet-import?response_code=")
    result = verifier.result(started.session_id)
    assert result is not None and result.status == "verified"
    assert result.result["elm"]["credentialSubject"]["hasClaim"] == uio_elm["credentialSubject"]["hasClaim"]  # type: ignore[index]
    assert verifier.result_by_code(redirect.split("=", 1)[1]) == result
    again = verifier.response_reply(started.session_id, answer)
    assert again.status == 400 and "answered or expired" in again.body["error_description"]  # type: ignore[index]
    assert verifier.request_reply(started.session_id).status == 404


def test_a_presentation_made_for_another_request_is_refused_and_recorded(
    verifier: PresentationVerifier, uio_elm: Json, pki: Pki, holder_key: SigningKey
) -> None:
    started = verifier.start()
    request = _request(verifier, started.session_id)
    replayed = _presentation(uio_elm, pki, holder_key, request, nonce="a nonce of an earlier request")
    reply = verifier.response_reply(started.session_id, _answer(request, {"elm": [replayed]}))
    assert reply.status == 400 and "wrong nonce" in reply.body["error_description"]  # type: ignore[index]
    result = verifier.result(started.session_id)
    assert result is not None and (result.status, result.result) == ("refused", None)
    assert "wrong nonce" in str(result.reason)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({}, "no encrypted response"),
        ({"response": "not-a-jwe"}, "cannot be decrypted"),
        ({"error": "access_denied", "state": "guessed"}, "another request"),
    ],
)
def test_strangers_cannot_spoil_a_request(
    verifier: PresentationVerifier, form: dict[str, str], message: str
) -> None:
    started = verifier.start()
    reply = verifier.response_reply(started.session_id, form)
    assert reply.status == 400 and message in reply.body["error_description"]  # type: ignore[index]
    assert verifier.result(started.session_id).status == "pending"  # type: ignore[union-attr]


def test_an_answer_with_another_state_changes_nothing(
    verifier: PresentationVerifier, uio_elm: Json, pki: Pki, holder_key: SigningKey
) -> None:
    started = verifier.start()
    request = _request(verifier, started.session_id)
    answer = _answer(request, {"elm": [_presentation(uio_elm, pki, holder_key, request)]}, state="other")
    assert verifier.response_reply(started.session_id, answer).status == 400
    assert verifier.result(started.session_id).status == "pending"  # type: ignore[union-attr]


def test_the_wallet_declining_is_recorded(verifier: PresentationVerifier) -> None:
    started = verifier.start()
    state = _request(verifier, started.session_id)["state"]
    assert (
        verifier.response_reply(started.session_id, {"error": "access_denied", "state": state}).status == 200
    )
    assert verifier.result(started.session_id).reason == "the wallet declined (access_denied)"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "vp_token", [None, "plain", {"other": ["x"]}, {"elm": []}, {"elm": ["a", "b"]}, {"elm": [1]}]
)
def test_a_vp_token_must_answer_the_query_with_one_presentation(
    verifier: PresentationVerifier, vp_token: Any
) -> None:
    started = verifier.start()
    request = _request(verifier, started.session_id)
    reply = verifier.response_reply(started.session_id, _answer(request, vp_token))
    assert reply.status == 400
    assert verifier.result(started.session_id).status == "refused"  # type: ignore[union-attr]


def test_requests_expire(pki: Pki) -> None:
    clock = Clock()
    key, _ = issue_certificate(pki.ca, "EMC", dns_names=["emc.example"])
    verifier = PresentationVerifier(VerifierConfig(URL, key, pki.anchors, "EMC"), MemoryStore(), clock=clock)
    started = verifier.start()
    clock.now += 601
    assert verifier.request_reply(started.session_id).status == 404
    assert verifier.response_reply(started.session_id, {"response": "x"}).status == 400
