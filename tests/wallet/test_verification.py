"""Verifying a credential or presentation: what comes back is what was checked, and each check that
fails says which."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from emrex.trust.ca import make_ca
from emrex.wallet import (
    CredentialExpired,
    DisclosureRefused,
    KeyBindingRefused,
    SigningKey,
    TrustAnchors,
    UntrustedIssuer,
    VerifyPolicy,
    WrongType,
    issue_certificate,
    issue_elm_credential,
    present,
    verify_presentation,
)
from emrex.wallet.errors import SignatureRefused
from emrex.wallet.jose import Json, b64encode, dumps, parse_jwt, sign_jwt
from emrex.wallet.sdjwt import SdJwt, split
from emrex.wallet.statuslist import StatusList, status_list_token, status_reference
from emrex.wallet.typemeta import COURSES, SUBJECT
from tests.wallet.conftest import Pki

AUD = "x509_san_dns:emc.example"
NOW = dt.datetime.now(dt.UTC)


def _credential(elm: Json, pki: Pki, holder: SigningKey, **extra: object) -> str:
    return issue_elm_credential(elm, pki.issuer, holder.public_jwk, issuer="https://localhost", **extra)  # type: ignore[arg-type]


def _policy(pki: Pki, **changes: object) -> VerifyPolicy:
    return VerifyPolicy(pki.anchors, **{"audience": AUD, "nonce": "n1", **changes})  # type: ignore[arg-type]


def test_a_presentation_of_one_course_verifies_to_that_course(
    uio_elm: Json, pki: Pki, holder_key: SigningKey
) -> None:
    presentation = present(
        _credential(uio_elm, pki, holder_key),
        [(*COURSES[:-1], 1), (*SUBJECT, "givenName")],
        holder=holder_key,
        audience=AUD,
        nonce="n1",
    )
    verified = verify_presentation(presentation, _policy(pki))
    subject = verified.elm["credentialSubject"]
    assert subject["hasClaim"] == [uio_elm["credentialSubject"]["hasClaim"][1]]
    assert subject["givenName"] == uio_elm["credentialSubject"]["givenName"]
    assert "familyName" not in subject and "dateOfBirth" not in subject
    assert verified.vouched_by == "CN=Lindholm University credential issuer"
    assert verified.issuer == "https://localhost"
    assert verified.status == "no status list"
    summary = verified.summary()
    assert summary["key_binding"]["aud"] == AUD and summary["vct"] == "urn:eudi:elm:1"


def test_a_plain_credential_verifies_without_key_binding_only_when_none_is_asked(
    uio_elm: Json, pki: Pki, holder_key: SigningKey
) -> None:
    credential = _credential(uio_elm, pki, holder_key)
    assert verify_presentation(credential, VerifyPolicy(pki.anchors)).key_binding is None
    with pytest.raises(KeyBindingRefused, match="no key-binding"):
        verify_presentation(credential, _policy(pki))


def test_an_issuer_outside_the_trust_anchors_is_refused(
    uio_elm: Json, pki: Pki, holder_key: SigningKey
) -> None:
    other_ca = make_ca("Another CA")
    with pytest.raises(UntrustedIssuer, match="does not chain to a configured trust anchor"):
        verify_presentation(
            _credential(uio_elm, pki, holder_key), VerifyPolicy(TrustAnchors((other_ca.certificate,)))
        )
    with pytest.raises(UntrustedIssuer, match="no trust anchors"):
        verify_presentation(_credential(uio_elm, pki, holder_key), VerifyPolicy(TrustAnchors(())))


def test_a_pinned_issuer_certificate_is_an_anchor_too(
    uio_elm: Json, pki: Pki, holder_key: SigningKey
) -> None:
    pinned = VerifyPolicy(TrustAnchors((pki.issuer_cert,)))
    assert verify_presentation(_credential(uio_elm, pki, holder_key), pinned).issuer == "https://localhost"


def test_expired_and_not_yet_valid_credentials_are_refused(
    uio_elm: Json, pki: Pki, holder_key: SigningKey
) -> None:
    old = _credential(uio_elm, pki, holder_key, now=int(NOW.timestamp()) - 7200, lifetime=3600)
    with pytest.raises(CredentialExpired, match="expired on"):
        verify_presentation(old, VerifyPolicy(pki.anchors))
    future = _credential(uio_elm, pki, holder_key, now=int(NOW.timestamp()) + 7200)
    with pytest.raises(CredentialExpired, match="future"):
        verify_presentation(future, VerifyPolicy(pki.anchors))


def _resigned(credential: str, pki: Pki, header: Json | None = None, **claims: object) -> str:
    sd_jwt = split(credential)
    jwt = parse_jwt(sd_jwt.jwt, "credential")
    resigned = sign_jwt({**jwt.header, **(header or {})}, {**jwt.payload, **claims}, pki.issuer)
    return SdJwt(resigned, sd_jwt.disclosures).presented


def test_wrong_typ_and_vct_are_refused(uio_elm: Json, pki: Pki, holder_key: SigningKey) -> None:
    credential = _credential(uio_elm, pki, holder_key)
    with pytest.raises(WrongType, match="'vc\\+sd-jwt'"):
        verify_presentation(_resigned(credential, pki, {"typ": "vc+sd-jwt"}), VerifyPolicy(pki.anchors))
    with pytest.raises(WrongType, match="urn:eudi:pid:1"):
        verify_presentation(_resigned(credential, pki, vct="urn:eudi:pid:1"), VerifyPolicy(pki.anchors))


def test_a_changed_payload_no_longer_matches_the_signature(
    uio_elm: Json, pki: Pki, holder_key: SigningKey
) -> None:
    sd_jwt = split(_credential(uio_elm, pki, holder_key))
    head, body, signature = sd_jwt.jwt.split(".")
    payload = json.loads(b64decode_text(body))
    payload["iss"] = "https://mallory.example"
    forged = SdJwt(f"{head}.{b64encode(dumps(payload))}.{signature}", sd_jwt.disclosures).presented
    with pytest.raises(SignatureRefused, match="does not match"):
        verify_presentation(forged, VerifyPolicy(pki.anchors))


def b64decode_text(part: str) -> str:
    from emrex.wallet.jose import b64decode

    return b64decode(part, "x").decode()


def test_disclosures_the_issuer_did_not_sign_are_refused(
    uio_elm: Json, pki: Pki, holder_key: SigningKey
) -> None:
    from emrex.wallet.sdjwt import make_disclosure

    sd_jwt = split(_credential(uio_elm, pki, holder_key))
    extra = make_disclosure("grade", "A").encoded
    with pytest.raises(DisclosureRefused, match="not referenced"):
        verify_presentation(
            SdJwt(sd_jwt.jwt, (*sd_jwt.disclosures, extra)).presented, VerifyPolicy(pki.anchors)
        )


def test_the_status_list_is_consulted_when_a_fetcher_is_given(
    uio_elm: Json, pki: Pki, holder_key: SigningKey
) -> None:
    from emrex.wallet import CredentialRevoked

    uri = "https://localhost/wallet/status/1"
    credential = _credential(uio_elm, pki, holder_key, status=status_reference(uri, 9))
    tokens = {uri: status_list_token(StatusList.empty(16), uri, pki.issuer)}
    policy = VerifyPolicy(pki.anchors, status_fetch=tokens.__getitem__)
    assert verify_presentation(credential, policy).status == "valid"
    assert verify_presentation(credential, VerifyPolicy(pki.anchors)).status == "not checked"
    tokens[uri] = status_list_token(StatusList.of(16, {9: 1}), uri, pki.issuer)
    with pytest.raises(CredentialRevoked):
        verify_presentation(credential, policy)


def test_an_rsa_issuer_key_works_as_well(uio_elm: Json, pki: Pki, holder_key: SigningKey) -> None:
    from emrex.trust.ca import issue
    from emrex.wallet import signing_key, x5c_of
    from emrex.wallet.jose import from_cryptography

    emp = issue(pki.ca, "An EMP with an RSA key")
    key = signing_key(from_cryptography(emp.key), x5c_of([emp.certificate]))
    credential = issue_elm_credential(uio_elm, key, holder_key.public_jwk, issuer="https://emp.example")
    assert parse_jwt(split(credential).jwt, "credential").alg == "RS256"
    assert (
        verify_presentation(credential, VerifyPolicy(pki.anchors)).vouched_by == "CN=An EMP with an RSA key"
    )


def test_a_verifier_certificate_without_the_host_is_refused_at_start(pki: Pki) -> None:
    from emrex.wallet import MemoryStore, PresentationVerifier, VerifierConfig, WalletError

    key, _ = issue_certificate(pki.ca, "No name")
    with pytest.raises(WalletError, match=r"must name emc\.example"):
        PresentationVerifier(VerifierConfig("https://emc.example", key, pki.anchors, "EMC"), MemoryStore())
