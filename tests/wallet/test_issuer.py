"""The OpenID4VCI issuer's endpoints as functions: metadata, offer, token with transaction code, nonce,
credential with key proof; single use, expiry and the limit on wrong transaction codes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emrex.wallet import CredentialIssuer, IssuerConfig, MemoryStore, SigningKey, TrustAnchors
from emrex.wallet.jose import Json, new_ec_key, sign_jwt, signing_key
from emrex.wallet.metadata import CONFIGURATION_ID, PRE_AUTHORIZED
from emrex.wallet.verification import VerifyPolicy, verify_presentation
from tests.wallet.conftest import Pki

URL = "https://emc.example/lindholm"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def issuer(pki: Pki, clock: Clock) -> CredentialIssuer:
    return CredentialIssuer(IssuerConfig(URL, pki.issuer, "Lindholm University"), MemoryStore(), clock=clock)


def _code(issuer: CredentialIssuer, offer_id: str) -> str:
    body = issuer.offer_reply(offer_id).body
    assert isinstance(body, dict)
    return str(body["grants"][PRE_AUTHORIZED]["pre-authorized_code"])


def _token(issuer: CredentialIssuer, code: str, tx: str | None) -> Any:
    form = {"grant_type": PRE_AUTHORIZED, "pre-authorized_code": code}
    if tx is not None:
        form["tx_code"] = tx
    return issuer.token_reply(form)


def _proof(holder: SigningKey, nonce: str, *, aud: str = URL, iat: int = 1_800_000_000, **header: Any) -> str:
    return sign_jwt(
        {"typ": "openid4vci-proof+jwt", "jwk": holder.public_jwk, **header},
        {"aud": aud, "iat": iat, "nonce": nonce},
        holder,
    )


def _request(proofs: list[str]) -> bytes:
    return json.dumps({"credential_configuration_id": CONFIGURATION_ID, "proofs": {"jwt": proofs}}).encode()


def _access(issuer: CredentialIssuer, elm: Json) -> str:
    offer = issuer.create_offer(elm, subject_ref="transfer-1")
    reply = _token(issuer, _code(issuer, offer.offer_id), offer.tx_code)
    assert reply.status == 200, reply.body
    return str(reply.body["access_token"])


def _nonce(issuer: CredentialIssuer) -> str:
    return str(issuer.nonce_reply().body["c_nonce"])  # type: ignore[index]


def test_metadata_documents_point_at_the_endpoints(issuer: CredentialIssuer) -> None:
    metadata = issuer.metadata_reply().body
    assert isinstance(metadata, dict)
    assert metadata["credential_issuer"] == URL
    assert metadata["credential_endpoint"] == f"{URL}/wallet/credential"
    assert metadata["nonce_endpoint"] == f"{URL}/wallet/nonce"
    configuration = metadata["credential_configurations_supported"][CONFIGURATION_ID]
    assert (configuration["format"], configuration["vct"]) == ("dc+sd-jwt", "urn:eudi:elm:1")
    assert configuration["cryptographic_binding_methods_supported"] == ["jwk"]
    assert "ES256" in configuration["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"]
    server = issuer.server_metadata_reply().body
    assert server == {
        "issuer": URL,
        "token_endpoint": f"{URL}/wallet/token",
        "grant_types_supported": [PRE_AUTHORIZED],
        "pre-authorized_grant_anonymous_access_supported": True,
        "token_endpoint_auth_methods_supported": ["none"],
    }
    assert (
        issuer.urls.well_known("openid-credential-issuer")
        == "https://emc.example/.well-known/openid-credential-issuer/lindholm"
    )
    assert issuer.post_paths == (
        "/lindholm/wallet/token",
        "/lindholm/wallet/nonce",
        "/lindholm/wallet/credential",
    )


def test_an_offer_by_reference_with_a_six_digit_transaction_code(
    issuer: CredentialIssuer, uio_elm: Json
) -> None:
    offer = issuer.create_offer(uio_elm, subject_ref="transfer-1")
    assert offer.link.startswith(
        "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Femc.example%2Flindholm%2Fwallet%2Foffers%2F"
    )
    assert offer.tx_code is not None and len(offer.tx_code) == 6 and offer.tx_code.isdigit()
    body = issuer.offer_reply(offer.offer_id).body
    assert isinstance(body, dict)
    assert body["credential_issuer"] == URL and body["credential_configuration_ids"] == [CONFIGURATION_ID]
    assert body["grants"][PRE_AUTHORIZED]["tx_code"] == {
        "input_mode": "numeric",
        "length": 6,
        "description": "The code shown on the page where you asked for the credential",
    }
    assert issuer.offer_reply("unknown").status == 404


def test_the_whole_issuance_gives_a_credential_bound_to_the_proof_key(
    issuer: CredentialIssuer, uio_elm: Json, pki: Pki, holder_key: SigningKey, clock: Clock
) -> None:
    token = _access(issuer, uio_elm)
    reply = issuer.credential_reply(f"Bearer {token}", _request([_proof(holder_key, _nonce(issuer))]))
    assert reply.status == 200, reply.body
    assert reply.headers["Cache-Control"] == "no-store"
    credential = reply.body["credentials"][0]["credential"]  # type: ignore[index]
    import datetime as dt

    verified = verify_presentation(
        credential,
        VerifyPolicy(TrustAnchors((pki.ca.certificate,))),
        at=dt.datetime.fromtimestamp(clock.now, dt.UTC),
    )
    assert verified.claims["cnf"]["jwk"] == holder_key.public_jwk
    assert verified.claims["status"]["status_list"]["uri"] == f"{URL}/wallet/status/1"
    assert verified.elm == uio_elm
    assert (
        issuer.credential_reply(f"Bearer {token}", _request([_proof(holder_key, _nonce(issuer))])).status
        == 401
    )


def test_the_offer_is_gone_once_redeemed_and_its_content_forgotten(
    issuer: CredentialIssuer, uio_elm: Json, holder_key: SigningKey
) -> None:
    offer = issuer.create_offer(uio_elm, subject_ref="transfer-1")
    code = _code(issuer, offer.offer_id)
    token = _token(issuer, code, offer.tx_code).body["access_token"]
    assert issuer.offer_reply(offer.offer_id).status == 404
    issuer.credential_reply(f"Bearer {token}", _request([_proof(holder_key, _nonce(issuer))]))
    record = issuer.store.offer(offer.offer_id)  # type: ignore[attr-defined]
    assert record.content == {} and record.code == ""


def test_a_wrong_transaction_code_counts_and_the_fifth_locks_the_offer(
    issuer: CredentialIssuer, uio_elm: Json
) -> None:
    offer = issuer.create_offer(uio_elm, subject_ref="t")
    code = _code(issuer, offer.offer_id)
    wrong = "000000" if offer.tx_code != "000000" else "111111"
    messages = [_token(issuer, code, wrong).body["error_description"] for _ in range(5)]
    assert messages[0] == "wrong transaction code (4 attempts left)"
    assert messages[4] == "wrong transaction code; the offer is now locked, ask for a new one"
    locked = _token(issuer, code, offer.tx_code)
    assert (locked.status, locked.body["error"]) == (400, "invalid_grant")
    assert "locked" in locked.body["error_description"]


def test_a_missing_transaction_code_does_not_count(issuer: CredentialIssuer, uio_elm: Json) -> None:
    offer = issuer.create_offer(uio_elm, subject_ref="t")
    code = _code(issuer, offer.offer_id)
    for _ in range(6):
        assert _token(issuer, code, None).body["error"] == "invalid_request"
    assert _token(issuer, code, offer.tx_code).status == 200


def test_a_code_used_twice_is_refused_and_spoils_the_first_token(
    issuer: CredentialIssuer, uio_elm: Json, holder_key: SigningKey
) -> None:
    offer = issuer.create_offer(uio_elm, subject_ref="t")
    code = _code(issuer, offer.offer_id)
    first = _token(issuer, code, offer.tx_code).body["access_token"]
    second = _token(issuer, code, offer.tx_code)
    assert (second.status, second.body["error"]) == (400, "invalid_grant")
    refused = issuer.credential_reply(f"Bearer {first}", _request([_proof(holder_key, _nonce(issuer))]))
    assert refused.status == 401 and refused.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_codes_and_tokens_expire(
    issuer: CredentialIssuer, uio_elm: Json, holder_key: SigningKey, clock: Clock
) -> None:
    offer = issuer.create_offer(uio_elm, subject_ref="t")
    code = _code(issuer, offer.offer_id)
    clock.now += 601
    assert (
        _token(issuer, code, offer.tx_code).body["error_description"]
        == "the pre-authorized code is unknown or has expired"
    )
    clock.now -= 601
    token = _access(issuer, uio_elm)
    nonce = _nonce(issuer)
    clock.now += 301
    assert (
        issuer.credential_reply(
            f"Bearer {token}", _request([_proof(holder_key, nonce, iat=int(clock.now))])
        ).status
        == 401
    )


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda h, n: _proof(h, n, aud="https://elsewhere"), "invalid_proof", "another credential issuer"),
        (lambda h, n: _proof(h, n, iat=1_800_000_000 - 301), "invalid_proof", "within the last 300 seconds"),
        (lambda h, n: _proof(h, "never-issued"), "invalid_nonce", "nonce is unknown"),
        (lambda h, n: _proof(h, n, typ="JWT"), "invalid_proof", "typ"),
        (lambda h, n: _proof(h, n, kid="k1"), "invalid_proof", "no kid or x5c"),
        (
            lambda h, n: _proof(signing_key(new_ec_key()), n, jwk=h.public_jwk),
            "invalid_proof",
            "does not match",
        ),
        (lambda h, n: _proof(h, n, jwk=h.key.as_dict(private=True)), "invalid_proof", "private key"),
    ],
)
def test_each_proof_check(
    issuer: CredentialIssuer, uio_elm: Json, holder_key: SigningKey, make: Any, error: str, message: str
) -> None:
    token = _access(issuer, uio_elm)
    reply = issuer.credential_reply(f"Bearer {token}", _request([make(holder_key, _nonce(issuer))]))
    assert (reply.status, reply.body["error"]) == (400, error)  # type: ignore[index]
    assert message in reply.body["error_description"]  # type: ignore[index]
    retry = issuer.credential_reply(f"Bearer {token}", _request([_proof(holder_key, _nonce(issuer))]))
    assert retry.status == 200  # a refused proof does not spend the token


def test_a_nonce_serves_one_proof(issuer: CredentialIssuer, uio_elm: Json, holder_key: SigningKey) -> None:
    nonce = _nonce(issuer)
    first, second = _access(issuer, uio_elm), _access(issuer, uio_elm)
    assert issuer.credential_reply(f"Bearer {first}", _request([_proof(holder_key, nonce)])).status == 200
    again = issuer.credential_reply(f"Bearer {second}", _request([_proof(holder_key, nonce)]))
    assert again.body["error"] == "invalid_nonce"  # type: ignore[index]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "invalid_credential_request"),
        (
            b'{"credential_configuration_id": "other", "proofs": {"jwt": []}}',
            "unknown_credential_configuration",
        ),
        (b'{"credential_identifier": "x"}', "unknown_credential_identifier"),
        (json.dumps({"credential_configuration_id": CONFIGURATION_ID}).encode(), "invalid_proof"),
        (
            json.dumps(
                {"credential_configuration_id": CONFIGURATION_ID, "proofs": {"jwt": ["a", "b"]}}
            ).encode(),
            "invalid_proof",
        ),
        (b"{" + b" " * 70_000 + b"}", "invalid_credential_request"),
    ],
)
def test_malformed_credential_requests(
    issuer: CredentialIssuer, uio_elm: Json, body: bytes, error: str
) -> None:
    reply = issuer.credential_reply(f"Bearer {_access(issuer, uio_elm)}", body)
    assert (reply.status, reply.body["error"]) == (400, error)  # type: ignore[index]


@pytest.mark.parametrize("authorization", [None, "", "Basic abc", "Bearer ", "Bearer unknown"])
def test_the_credential_endpoint_needs_a_valid_token(
    issuer: CredentialIssuer, authorization: str | None
) -> None:
    reply = issuer.credential_reply(authorization, b"{}")
    assert (reply.status, reply.body["error"]) == (401, "invalid_token")  # type: ignore[index]


def test_other_grant_types_are_refused(issuer: CredentialIssuer) -> None:
    reply = issuer.token_reply({"grant_type": "authorization_code", "code": "x"})
    assert reply.body["error"] == "unsupported_grant_type"  # type: ignore[index]
    assert issuer.token_reply({"grant_type": PRE_AUTHORIZED}).body["error"] == "invalid_request"  # type: ignore[index]


def test_revoking_a_transfer_marks_its_credentials_in_the_status_list(
    issuer: CredentialIssuer, uio_elm: Json, pki: Pki, holder_key: SigningKey, clock: Clock
) -> None:
    import datetime as dt

    from emrex.wallet.statuslist import read_status_list_token

    token = _access(issuer, uio_elm)
    credential = issuer.credential_reply(
        f"Bearer {token}", _request([_proof(holder_key, _nonce(issuer))])
    ).body["credentials"][0]["credential"]  # type: ignore[index]
    at = dt.datetime.fromtimestamp(clock.now, dt.UTC)
    index = verify_presentation(credential, VerifyPolicy(pki.anchors), at=at).claims["status"]["status_list"][
        "idx"
    ]
    uri = f"{URL}/wallet/status/1"
    listed = issuer.status_list_reply("1")
    assert listed.media_type == "application/statuslist+jwt"
    assert read_status_list_token(str(listed.body), uri, pki.anchors, at).get(index) == 0
    assert issuer.revoke_subject("transfer-1") == 1
    assert issuer.revoke_subject("another") == 0
    assert (
        read_status_list_token(str(issuer.status_list_reply("1").body), uri, pki.anchors, at).get(index) == 1
    )
    assert issuer.status_list_reply("2").status == 404


def test_what_is_not_elm_is_not_offered(issuer: CredentialIssuer) -> None:
    from emrex.wallet import Unreadable

    with pytest.raises(Unreadable):
        issuer.create_offer({"not": "elm"}, subject_ref="t")
    assert issuer.store.offers == {}  # type: ignore[attr-defined]


def test_a_full_status_list_is_followed_by_a_new_list_and_revoking_works_in_both(
    issuer: CredentialIssuer, uio_elm: Json, pki: Pki, holder_key: SigningKey, clock: Clock
) -> None:
    import dataclasses
    import datetime as dt

    from emrex.wallet import CredentialRevoked

    small = CredentialIssuer(
        dataclasses.replace(issuer.config, status_list_size=4), issuer.store, clock=clock
    )

    def issue(subject: str) -> str:
        offer = small.create_offer(uio_elm, subject_ref=subject)
        token = _token(small, _code(small, offer.offer_id), offer.tx_code).body["access_token"]
        reply = small.credential_reply(f"Bearer {token}", _request([_proof(holder_key, _nonce(small))]))
        assert reply.status == 200, reply.body
        return str(reply.body["credentials"][0]["credential"])  # type: ignore[index]

    def fetch(uri: str) -> str:
        reply = small.status_list_reply(uri.removeprefix(f"{URL}/wallet/status/"))
        assert reply.status == 200, uri
        return str(reply.body)

    policy = VerifyPolicy(pki.anchors, status_fetch=fetch)
    at = dt.datetime.fromtimestamp(clock.now, dt.UTC)
    credentials = [issue(f"t-{i}") for i in range(6)]
    references = [verify_presentation(c, policy, at=at).claims["status"]["status_list"] for c in credentials]
    assert [r["uri"] for r in references] == [f"{URL}/wallet/status/1"] * 4 + [f"{URL}/wallet/status/2"] * 2
    assert sorted(r["idx"] for r in references[:4]) == [0, 1, 2, 3]  # the first list, every entry
    assert len({r["idx"] for r in references[4:]}) == 2
    assert small.status_list_reply("3").status == 404 and small.status_list_reply("02").status == 404

    assert small.revoke_subject("t-1") == 1 and small.revoke_subject("t-5") == 1
    for i, credential in enumerate(credentials):
        if i in (1, 5):
            with pytest.raises(CredentialRevoked):
                verify_presentation(credential, policy, at=at)
        else:
            assert verify_presentation(credential, policy, at=at).status == "valid"
