"""Hostile input to the wallet: forged, replayed, revoked and oversized credentials and presentations for
the verifier, and abused codes, tokens and proofs for the issuer. Each refusal is one readable line (and
the protocol's own error on the wire); nothing is issued, and no pending request is spoiled."""

from __future__ import annotations

import datetime as dt
import json
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from joserfc import jwe
from joserfc.jwk import ECKey

from emrex.trust.ca import Issued, make_ca
from emrex.wallet import (
    CredentialExpired,
    CredentialIssuer,
    CredentialRevoked,
    DisclosureRefused,
    IssuerConfig,
    KeyBindingRefused,
    MemoryStore,
    PresentationVerifier,
    SignatureRefused,
    SigningKey,
    StatusUnavailable,
    TooLarge,
    TrustAnchors,
    Unreadable,
    UntrustedIssuer,
    VerifierConfig,
    VerifyPolicy,
    WrongType,
    issue_certificate,
    issue_elm_credential,
    present,
    signing_key,
    verify_presentation,
)
from emrex.wallet.jose import Json, b64encode, dumps, new_ec_key, parse_jwt, sign_jwt
from emrex.wallet.metadata import CONFIGURATION_ID, PRE_AUTHORIZED
from emrex.wallet.sdjwt import SdJwt, make_disclosure, split
from emrex.wallet.statuslist import status_reference
from emrex.wallet.store import LOCKED, OFFERED
from emrex.wallet.typemeta import COURSES
from tests.hostile.cases import exercised
from tests.hostile.checks import MARKER, logs_clean, one_line, watch_logs

__all__ = ["watch_logs"]
URL = "https://emc.example"
AUD = "x509_san_dns:emc.example"
ELM: Json = {
    "type": ["VerifiableCredential", "EuropeanDigitalCredential"],
    "credentialSubject": {
        "id": "urn:epass:person:1",
        "type": "Person",
        "givenName": {"en": MARKER},
        "dateOfBirth": "1999-03-14",
        "hasClaim": [
            {
                "id": "urn:epass:learningAchievement:1",
                "type": "LearningAchievement",
                "title": {"en": "Wave Mechanics"},
            },
            {
                "id": "urn:epass:learningAchievement:2",
                "type": "LearningAchievement",
                "title": {"en": "Axe making"},
            },
        ],
    },
}

exercised(
    "wallet-alg-none",
    "wallet-alg-hmac-with-public-key",
    "wallet-wrong-typ",
    "wallet-disclosure-twice",
    "wallet-disclosure-unreferenced",
    "wallet-duplicate-member",
    "wallet-kb-replayed-nonce",
    "wallet-kb-wrong-aud",
    "wallet-kb-missing",
    "wallet-expired",
    "wallet-revoked",
    "wallet-untrusted-x5c",
    "wallet-oversized-presentation",
    "wallet-stranger-spoils-request",
    "wallet-status-list-bomb",
    "wallet-proof-wrong-nonce",
    "wallet-proof-other-issuer",
    "wallet-code-used-twice",
    "wallet-tx-code-guessing",
    "wallet-credential-without-token",
)


@pytest.fixture(scope="module")
def ca() -> Issued:
    return make_ca("Wallet hostile CA")


@pytest.fixture(scope="module")
def issuer_key(ca: Issued) -> SigningKey:
    return issue_certificate(ca, "Lindholm University", dns_names=["emc.example"])[0]


@pytest.fixture(scope="module")
def anchors(ca: Issued) -> TrustAnchors:
    return TrustAnchors((ca.certificate,))


@pytest.fixture
def holder() -> SigningKey:
    return signing_key(new_ec_key())


def _credential(key: SigningKey, holder: SigningKey, **extra: Any) -> str:
    return issue_elm_credential(ELM, key, holder.public_jwk, issuer=URL, **extra)


def _refused(text: str, anchors: TrustAnchors, kind: type[Exception], words: str, **policy: Any) -> None:
    with pytest.raises(kind) as caught:
        verify_presentation(text, VerifyPolicy(anchors, **policy))
    one_line(str(caught.value))
    assert words in str(caught.value)
    assert MARKER not in str(caught.value)


def _resign(
    credential: str, key: SigningKey, header: Json | None = None, payload: bytes | None = None
) -> str:
    sd_jwt = split(credential)
    jwt = parse_jwt(sd_jwt.jwt, "c")
    body = payload if payload is not None else dumps(jwt.payload)
    return SdJwt(sign_jwt({**jwt.header, **(header or {})}, body, key), sd_jwt.disclosures).presented


# The verifier's checks, through the library.


def test_alg_none(
    watch_logs: pytest.LogCaptureFixture, issuer_key: SigningKey, holder: SigningKey, anchors: TrustAnchors
) -> None:
    sd_jwt = split(_credential(issuer_key, holder))
    header = {**parse_jwt(sd_jwt.jwt, "c").header, "alg": "none"}
    body = sd_jwt.jwt.split(".")[1]
    unsigned = SdJwt(f"{b64encode(dumps(header))}.{body}.", sd_jwt.disclosures).presented
    _refused(unsigned, anchors, SignatureRefused, "alg: none")
    logs_clean(watch_logs)


def test_hmac_keyed_with_the_public_key(
    issuer_key: SigningKey, holder: SigningKey, anchors: TrustAnchors
) -> None:
    import hashlib
    import hmac

    sd_jwt = split(_credential(issuer_key, holder))
    jwt = parse_jwt(sd_jwt.jwt, "c")
    secret = issuer_key.key.as_pem(private=False)
    head = b64encode(dumps({**jwt.header, "alg": "HS256"}))
    body = sd_jwt.jwt.split(".")[1]
    mac = b64encode(hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest())
    _refused(SdJwt(f"{head}.{body}.{mac}", sd_jwt.disclosures).presented, anchors, SignatureRefused, "HS256")


def test_wrong_typ(issuer_key: SigningKey, holder: SigningKey, anchors: TrustAnchors) -> None:
    forged = _resign(_credential(issuer_key, holder), issuer_key, {"typ": "vc+sd-jwt"})
    _refused(forged, anchors, WrongType, "'vc+sd-jwt', expected 'dc+sd-jwt'")


def test_disclosure_twice_and_unreferenced(
    issuer_key: SigningKey, holder: SigningKey, anchors: TrustAnchors
) -> None:
    sd_jwt = split(_credential(issuer_key, holder))
    twice = SdJwt(sd_jwt.jwt, (*sd_jwt.disclosures, sd_jwt.disclosures[0])).presented
    _refused(twice, anchors, DisclosureRefused, "given twice")
    better = make_disclosure(
        None, {"id": "urn:epass:learningAchievement:1", "title": {"en": "Wave Mechanics"}, "grade": "A"}
    )
    _refused(
        SdJwt(sd_jwt.jwt, (*sd_jwt.disclosures, better.encoded)).presented,
        anchors,
        DisclosureRefused,
        "not referenced",
    )


def test_a_member_given_twice_in_the_signed_payload(
    issuer_key: SigningKey, holder: SigningKey, anchors: TrustAnchors
) -> None:
    credential = _credential(issuer_key, holder)
    payload = dumps(parse_jwt(split(credential).jwt, "c").payload)
    doubled = payload[:-1] + b',"iss":"https://mallory.example"}'
    _refused(_resign(credential, issuer_key, payload=doubled), anchors, Unreadable, "'iss' appears twice")


def test_key_binding_missing(issuer_key: SigningKey, holder: SigningKey, anchors: TrustAnchors) -> None:
    presentation = present(_credential(issuer_key, holder), [COURSES], holder=holder, audience=AUD, nonce="n")
    stripped = split(presentation).presented
    _refused(stripped, anchors, KeyBindingRefused, "key is not proven", audience=AUD, nonce="n")


def test_expired(issuer_key: SigningKey, holder: SigningKey, anchors: TrustAnchors) -> None:
    old = _credential(issuer_key, holder, now=1_600_000_000, lifetime=86400)
    _refused(old, anchors, CredentialExpired, "expired on 2020-09-14")


def test_untrusted_x5c_with_the_same_names(
    issuer_key: SigningKey, holder: SigningKey, anchors: TrustAnchors
) -> None:
    lookalike_ca = make_ca("Wallet hostile CA")
    forged_key = issue_certificate(lookalike_ca, "Lindholm University", dns_names=["emc.example"])[0]
    _refused(
        _credential(forged_key, holder),
        anchors,
        UntrustedIssuer,
        "does not chain to a configured trust anchor",
    )


def test_oversized_presentation_to_the_library(anchors: TrustAnchors) -> None:
    _refused("a" * 9_000_000, anchors, TooLarge, "at most 8000000")


def test_status_list_bomb(issuer_key: SigningKey, holder: SigningKey, anchors: TrustAnchors) -> None:
    uri = f"{URL}/wallet/status/1"
    credential = _credential(issuer_key, holder, status=status_reference(uri, 3))
    bomb = {"bits": 1, "lst": b64encode(zlib.compress(b"\0" * 100_000_000, 9))}
    token = sign_jwt({"typ": "statuslist+jwt"}, {"sub": uri, "iat": 0, "status_list": bomb}, issuer_key)
    _refused(
        credential,
        anchors,
        StatusUnavailable,
        "inflates to more than 2097152 bytes",
        status_fetch=lambda u: token,
    )


# The verifier over its endpoints.


@pytest.fixture
def services(
    issuer_key: SigningKey, anchors: TrustAnchors, ca: Issued
) -> tuple[CredentialIssuer, PresentationVerifier]:
    store = MemoryStore()
    issuer = CredentialIssuer(IssuerConfig(URL, issuer_key, "Lindholm University"), store)

    def fetch(uri: str) -> str:
        return str(issuer.status_list_reply(uri.rsplit("/", 1)[1]).body)

    config = VerifierConfig(
        URL, issuer_key, anchors, "Lindholm EMC", status_fetch=fetch, max_response_bytes=200_000
    )
    return issuer, PresentationVerifier(config, store)


def _ask(verifier: PresentationVerifier) -> tuple[str, Json]:
    session = verifier.start().session_id
    return session, parse_jwt(str(verifier.request_reply(session).body), "request").payload


def _post(
    verifier: PresentationVerifier, session: str, request: Json, presentation: str, state: str | None = None
) -> Any:
    jwk = request["client_metadata"]["jwks"]["keys"][0]
    key = ECKey.import_key({k: jwk[k] for k in ("kty", "crv", "x", "y")})
    payload = {"vp_token": {"elm": [presentation]}, "state": state or request["state"]}
    encrypted = jwe.encrypt_compact({"alg": "ECDH-ES", "enc": "A128GCM"}, dumps(payload), key)
    return verifier.response_reply(session, {"response": encrypted})


def _refused_on_the_wire(reply: Any, verifier: PresentationVerifier, session: str, words: str) -> None:
    assert (reply.status, reply.body["error"]) == (400, "invalid_request")
    one_line(reply.body["error_description"])
    assert words in reply.body["error_description"]
    result = verifier.result(session)
    assert result is not None and (result.status, result.result) == ("refused", None)


def test_replayed_key_binding_from_an_earlier_request(
    watch_logs: pytest.LogCaptureFixture,
    services: tuple[CredentialIssuer, PresentationVerifier],
    issuer_key: SigningKey,
    holder: SigningKey,
) -> None:
    _, verifier = services
    credential = _credential(issuer_key, holder)
    first, first_request = _ask(verifier)
    answered = present(credential, [COURSES], holder=holder, audience=AUD, nonce=first_request["nonce"])
    assert _post(verifier, first, first_request, answered).status == 200
    second, second_request = _ask(verifier)
    _refused_on_the_wire(_post(verifier, second, second_request, answered), verifier, second, "wrong nonce")
    logs_clean(watch_logs)


def test_key_binding_for_another_verifier(
    services: tuple[CredentialIssuer, PresentationVerifier], issuer_key: SigningKey, holder: SigningKey
) -> None:
    _, verifier = services
    session, request = _ask(verifier)
    elsewhere = present(
        _credential(issuer_key, holder),
        [COURSES],
        holder=holder,
        audience="x509_san_dns:evil.example",
        nonce=request["nonce"],
    )
    _refused_on_the_wire(
        _post(verifier, session, request, elsewhere),
        verifier,
        session,
        "made for 'x509_san_dns:evil.example'",
    )


def test_revoked(
    services: tuple[CredentialIssuer, PresentationVerifier], issuer_key: SigningKey, holder: SigningKey
) -> None:
    issuer, verifier = services
    credential = _issued_over_the_protocol(issuer, holder, "transfer-1")
    assert issuer.revoke_subject("transfer-1") == 1
    session, request = _ask(verifier)
    presentation = present(credential, [COURSES], holder=holder, audience=AUD, nonce=request["nonce"])
    _refused_on_the_wire(_post(verifier, session, request, presentation), verifier, session, "revoked")
    with pytest.raises(CredentialRevoked):
        verify_presentation(
            credential, VerifyPolicy(verifier.config.anchors, status_fetch=verifier.config.status_fetch)
        )


def test_oversized_response_is_refused_unread_and_the_request_stays_open(
    services: tuple[CredentialIssuer, PresentationVerifier],
) -> None:
    _, verifier = services
    session, _ = _ask(verifier)
    reply = verifier.response_reply(session, {"response": "e" * 200_001})
    assert reply.status == 400 and "refused unread" in reply.body["error_description"]
    assert verifier.result(session).status == "pending"  # type: ignore[union-attr]


def test_a_stranger_cannot_spoil_a_pending_request(
    services: tuple[CredentialIssuer, PresentationVerifier], issuer_key: SigningKey, holder: SigningKey
) -> None:
    _, verifier = services
    session, request = _ask(verifier)
    for form in ({"response": "garbage"}, {"error": "access_denied", "state": "guess"}, {}):
        assert verifier.response_reply(session, form).status == 400
    foreign = present(
        _credential(issuer_key, holder), [COURSES], holder=holder, audience=AUD, nonce=request["nonce"]
    )
    assert _post(verifier, session, request, foreign, state="another state").status == 400
    assert verifier.result(session).status == "pending"  # type: ignore[union-attr]
    assert _post(verifier, session, request, foreign).status == 200  # the real wallet still gets through


# The issuer's endpoints.


def _offer(issuer: CredentialIssuer) -> tuple[str, str, str]:
    offer = issuer.create_offer(ELM, subject_ref="transfer-1")
    body = issuer.offer_reply(offer.offer_id).body
    assert isinstance(body, dict) and offer.tx_code
    return offer.offer_id, body["grants"][PRE_AUTHORIZED]["pre-authorized_code"], offer.tx_code


def _token(issuer: CredentialIssuer, code: str, tx: str) -> Any:
    return issuer.token_reply({"grant_type": PRE_AUTHORIZED, "pre-authorized_code": code, "tx_code": tx})


def _proof(holder: SigningKey, nonce: str, aud: str = URL, age: int = 0) -> str:
    claims = {"aud": aud, "iat": int(dt.datetime.now(dt.UTC).timestamp()) - age, "nonce": nonce}
    return sign_jwt({"typ": "openid4vci-proof+jwt", "jwk": holder.public_jwk}, claims, holder)


def _ask_credential(issuer: CredentialIssuer, token: str, proof: str) -> Any:
    body = json.dumps({"credential_configuration_id": CONFIGURATION_ID, "proofs": {"jwt": [proof]}}).encode()
    return issuer.credential_reply(f"Bearer {token}", body)


def _issued_over_the_protocol(issuer: CredentialIssuer, holder: SigningKey, transfer: str) -> str:
    offer = issuer.create_offer(ELM, subject_ref=transfer)
    code = issuer.offer_reply(offer.offer_id).body["grants"][PRE_AUTHORIZED]["pre-authorized_code"]  # type: ignore[index]
    token = _token(issuer, code, str(offer.tx_code)).body["access_token"]
    nonce = issuer.nonce_reply().body["c_nonce"]  # type: ignore[index]
    return str(_ask_credential(issuer, token, _proof(holder, nonce)).body["credentials"][0]["credential"])


def _nothing_issued(issuer: CredentialIssuer) -> None:
    assert issuer.store.issued == []  # type: ignore[attr-defined]


def test_proof_with_a_wrong_or_used_nonce(
    watch_logs: pytest.LogCaptureFixture,
    services: tuple[CredentialIssuer, PresentationVerifier],
    holder: SigningKey,
) -> None:
    issuer, _ = services
    _, code, tx = _offer(issuer)
    token = _token(issuer, code, tx).body["access_token"]
    for nonce in ("never-given", "also-never-given"):
        reply = _ask_credential(issuer, token, _proof(holder, nonce))
        assert (reply.status, reply.body["error"]) == (400, "invalid_nonce")
        one_line(reply.body["error_description"])
    _nothing_issued(issuer)
    nonce = issuer.nonce_reply().body["c_nonce"]  # type: ignore[index]
    assert _ask_credential(issuer, token, _proof(holder, nonce)).status == 200  # the token was still good
    logs_clean(watch_logs)


def test_proof_for_another_issuer_or_too_old(
    services: tuple[CredentialIssuer, PresentationVerifier], holder: SigningKey
) -> None:
    issuer, _ = services
    _, code, tx = _offer(issuer)
    token = _token(issuer, code, tx).body["access_token"]
    for proof in (
        _proof(holder, issuer.nonce_reply().body["c_nonce"], aud="https://other.example"),  # type: ignore[index]
        _proof(holder, issuer.nonce_reply().body["c_nonce"], age=3600),  # type: ignore[index]
    ):
        reply = _ask_credential(issuer, token, proof)
        assert (reply.status, reply.body["error"]) == (400, "invalid_proof")
    _nothing_issued(issuer)


def test_pre_authorized_code_used_twice(
    services: tuple[CredentialIssuer, PresentationVerifier], holder: SigningKey
) -> None:
    issuer, _ = services
    offer_id, code, tx = _offer(issuer)
    first = _token(issuer, code, tx).body["access_token"]
    second = _token(issuer, code, tx)
    assert (second.status, second.body["error"]) == (400, "invalid_grant")
    assert issuer.store.offer(offer_id).state == LOCKED  # type: ignore[attr-defined]
    nonce = issuer.nonce_reply().body["c_nonce"]  # type: ignore[index]
    assert _ask_credential(issuer, first, _proof(holder, nonce)).status == 401
    _nothing_issued(issuer)


def test_transaction_codes_guessed_in_parallel_all_count(
    services: tuple[CredentialIssuer, PresentationVerifier],
) -> None:
    issuer, _ = services
    offer_id, code, tx = _offer(issuer)
    guesses = [f"{n:06d}" for n in range(12) if f"{n:06d}" != tx][:10]
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(lambda guess: _token(issuer, code, guess), guesses))
    assert all(r.body["error"] == "invalid_grant" for r in replies)
    record = issuer.store.offer(offer_id)  # type: ignore[attr-defined]
    compared = [r for r in replies if r.body["error_description"].startswith("wrong transaction code")]
    assert len(compared) == record.wrong_tx_codes >= 5 and record.state == LOCKED  # every comparison counts
    assert all("locked" in r.body["error_description"] for r in replies if r not in compared)
    assert _token(issuer, code, tx).status == 400
    fresh_id, _, _ = _offer(issuer)
    assert issuer.store.offer(fresh_id).state == OFFERED  # type: ignore[attr-defined]


def test_credential_endpoint_without_a_good_token(
    services: tuple[CredentialIssuer, PresentationVerifier], holder: SigningKey
) -> None:
    issuer, _ = services
    nonce = issuer.nonce_reply().body["c_nonce"]  # type: ignore[index]
    body = json.dumps(
        {"credential_configuration_id": CONFIGURATION_ID, "proofs": {"jwt": [_proof(holder, nonce)]}}
    ).encode()
    for authorization in (None, "Bearer forged-token", "Basic dXNlcjpwYXNz"):
        reply = issuer.credential_reply(authorization, body)
        assert (reply.status, reply.body["error"]) == (401, "invalid_token")
        assert reply.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    expiring = CredentialIssuer(IssuerConfig(URL, issuer.config.key, "x", token_seconds=-1), MemoryStore())
    _, code, tx = _offer(expiring)
    token = _token(expiring, code, tx).body["access_token"]
    assert (
        _ask_credential(expiring, token, _proof(holder, expiring.nonce_reply().body["c_nonce"])).status == 401
    )  # type: ignore[index]
    _nothing_issued(issuer)
    _nothing_issued(expiring)
