"""Independent implementations as oracles: @sd-jwt/sd-jwt-vc verifies what we issue and present and makes
presentations we accept; @openid4vc/openid4vci and @openid4vc/openid4vp drive our issuer and verifier
as a third-party wallet would; the PyPI ``sd-jwt`` package is a second opinion both ways."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from emrex.wallet import SigningKey, VerifyPolicy, issue_elm_credential, present, verify_presentation
from emrex.wallet.jose import Json, new_ec_key, parse_jwt, signing_key
from emrex.wallet.sdjwt import split
from emrex.wallet.statuslist import StatusList, status_list_token, status_reference
from emrex.wallet.typemeta import COURSES, SUBJECT
from tests.wallet.conftest import Live, Pki
from tests.wallet.helpers import oracle

AUD = "x509_san_dns:emc.example"


def _credential(elm: Json, pki: Pki, holder: SigningKey, **extra: Any) -> str:
    return issue_elm_credential(elm, pki.issuer, holder.public_jwk, issuer="https://localhost", **extra)


# @sd-jwt/sd-jwt-vc 0.19.0


def test_npm_verifies_our_credential_to_the_same_elm(uio_elm: Json, pki: Pki, holder_key: SigningKey) -> None:
    result = oracle(
        "sdjwt", {"command": "verify", "sdjwt": _credential(uio_elm, pki, holder_key), "ca": [pki.ca_pem]}
    )
    assert "error" not in result, result
    assert result["payload"]["elm"] == uio_elm
    assert result["payload"]["vct"] == "urn:eudi:elm:1" and result["header"]["typ"] == "dc+sd-jwt"


def test_npm_verifies_our_presentation_of_one_course_with_key_binding(
    uio_elm: Json, pki: Pki, holder_key: SigningKey
) -> None:
    presentation = present(
        _credential(uio_elm, pki, holder_key),
        [(*COURSES[:-1], 0)],
        holder=holder_key,
        audience=AUD,
        nonce="n-42",
    )
    result = oracle(
        "sdjwt", {"command": "verify", "sdjwt": presentation, "ca": [pki.ca_pem], "nonce": "n-42", "aud": AUD}
    )
    assert "error" not in result, result
    assert result["payload"]["elm"]["credentialSubject"] == {
        "type": "Person",
        "hasClaim": [uio_elm["credentialSubject"]["hasClaim"][0]],
    }
    assert (result["kb"]["aud"], result["kb"]["nonce"]) == (AUD, "n-42")


def test_npm_refuses_our_presentation_for_another_nonce_and_an_untrusted_issuer(
    uio_elm: Json, pki: Pki, holder_key: SigningKey
) -> None:
    presentation = present(
        _credential(uio_elm, pki, holder_key), [], holder=holder_key, audience=AUD, nonce="n-1"
    )
    assert "error" in oracle(
        "sdjwt", {"command": "verify", "sdjwt": presentation, "ca": [pki.ca_pem], "nonce": "n-2"}
    )
    from emrex.trust.ca import make_ca
    from emrex.trust.keys import certificate_pem

    other = certificate_pem(make_ca("Other").certificate).decode()
    assert "error" in oracle("sdjwt", {"command": "verify", "sdjwt": presentation, "ca": [other]})


def test_npm_reads_our_status_list(uio_elm: Json, pki: Pki, holder_key: SigningKey) -> None:
    uri = "https://localhost/wallet/status/1"
    credential = _credential(uio_elm, pki, holder_key, status=status_reference(uri, 77))
    valid = status_list_token(StatusList.empty(1024), uri, pki.issuer)
    revoked = status_list_token(StatusList.of(1024, {77: 1}), uri, pki.issuer)
    request = {"command": "verify", "sdjwt": credential, "ca": [pki.ca_pem]}
    assert "error" not in oracle("sdjwt", {**request, "status": {uri: valid}})
    assert "Status is not valid" in oracle("sdjwt", {**request, "status": {uri: revoked}})["error"]


def _raw_positions(credential: str) -> list[int]:
    """Where the real courses sit in the signed array (decoys included), as sd-jwt-js frames count."""
    from emrex.wallet.sdjwt import parse_disclosure

    sd_jwt = split(credential)
    courses = parse_jwt(sd_jwt.jwt, "c").payload["elm"]["credentialSubject"]["hasClaim"]
    known = {parse_disclosure(d).digest for d in sd_jwt.disclosures}
    return [i for i, element in enumerate(courses) if element["..."] in known]


def test_npm_presentations_of_our_credential_are_accepted(
    uio_elm: Json, pki: Pki, holder_key: SigningKey
) -> None:
    credential = _credential(uio_elm, pki, holder_key)
    second = _raw_positions(credential)[1]
    frame = {"elm": {"credentialSubject": {"familyName": True, "hasClaim": {str(second): True}}}}
    made = oracle(
        "sdjwt",
        {
            "command": "present",
            "credential": credential,
            "holderJwk": holder_key.key.as_dict(private=True),
            "frame": frame,
            "aud": AUD,
            "nonce": "n-7",
        },
    )
    assert "error" not in made, made
    verified = verify_presentation(made["presentation"], VerifyPolicy(pki.anchors, audience=AUD, nonce="n-7"))
    subject = verified.elm["credentialSubject"]
    assert subject["familyName"] == {"no": "Testesen"}
    assert subject["hasClaim"] == [uio_elm["credentialSubject"]["hasClaim"][1]]


def test_an_sd_jwt_vc_issued_by_npm_verifies_with_us(uio_elm: Json, pki: Pki, holder_key: SigningKey) -> None:
    pem = pki.issuer.key.as_pem(private=True).decode()
    claims = {
        "iss": "https://npm.example",
        "vct": "urn:eudi:elm:1",
        "iat": int(dt.datetime.now(dt.UTC).timestamp()),
        "elm": uio_elm,
    }
    frame = {"elm": {"credentialSubject": {"_sd": ["givenName", "familyName"], "hasClaim": {"_sd": [0, 1]}}}}
    made = oracle(
        "sdjwt",
        {
            "command": "issue",
            "claims": claims,
            "frame": frame,
            "issuerKeyPem": pem,
            "x5c": list(pki.issuer.x5c),
            "holderJwk": holder_key.public_jwk,
        },
    )
    assert "error" not in made, made
    verified = verify_presentation(made["credential"], VerifyPolicy(pki.anchors))
    assert verified.elm == uio_elm and verified.issuer == "https://npm.example"
    shown = present(made["credential"], [(*SUBJECT, "givenName")], holder=holder_key, audience=AUD, nonce="n")
    subject = verify_presentation(shown, VerifyPolicy(pki.anchors, audience=AUD, nonce="n")).elm[
        "credentialSubject"
    ]
    assert subject["givenName"] == uio_elm["credentialSubject"]["givenName"] and subject["hasClaim"] == []


# PyPI sd-jwt


def _jwcrypto(key: Any) -> Any:
    from jwcrypto.jwk import JWK

    return JWK.from_json(json.dumps(key.as_dict(private=key.is_private)))


def test_pypi_sd_jwt_verifies_our_presentation(uio_elm: Json, pki: Pki, holder_key: SigningKey) -> None:
    sd_jwt = pytest.importorskip(
        "sd_jwt.verifier", reason="the PyPI sd-jwt package is a test dependency: pip install -e '.[test]'"
    )
    from cryptography import x509

    presentation = present(
        _credential(uio_elm, pki, holder_key),
        [(*SUBJECT, "dateOfBirth"), COURSES],
        holder=holder_key,
        audience=AUD,
        nonce="n-3",
    )

    def issuer_key(iss: str, header: dict[str, Any]) -> Any:
        import base64

        from jwcrypto.jwk import JWK

        leaf = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
        leaf.verify_directly_issued_by(pki.ca.certificate)
        return JWK.from_pyca(leaf.public_key())

    claims = sd_jwt.SDJWTVerifier(
        presentation, issuer_key, expected_aud=AUD, expected_nonce="n-3"
    ).get_verified_payload()
    assert claims["elm"]["credentialSubject"]["dateOfBirth"] == "1991-01-20T00:00:00"
    assert claims["elm"]["credentialSubject"]["hasClaim"] == uio_elm["credentialSubject"]["hasClaim"]
    assert "givenName" not in claims["elm"]["credentialSubject"]


def test_pypi_sd_jwt_issues_and_presents_what_we_accept(uio_elm: Json, pki: Pki) -> None:
    issuer_module = pytest.importorskip(
        "sd_jwt.issuer", reason="the PyPI sd-jwt package is a test dependency"
    )
    from sd_jwt.common import SDObj
    from sd_jwt.holder import SDJWTHolder

    holder = signing_key(new_ec_key())
    subject = dict(uio_elm["credentialSubject"])
    subject = {
        SDObj("givenName"): subject.pop("givenName"),
        **subject,
        "hasClaim": [SDObj(c) for c in subject.pop("hasClaim")],
    }
    claims = {
        "iss": "https://pypi.example",
        "vct": "urn:eudi:elm:1",
        "elm": {**uio_elm, "credentialSubject": subject},
    }
    issued = issuer_module.SDJWTIssuer(
        claims,
        _jwcrypto(pki.issuer.key),
        _jwcrypto(holder.key),
        sign_alg="ES256",
        add_decoy_claims=True,
        extra_header_parameters={"typ": "dc+sd-jwt", "x5c": list(pki.issuer.x5c)},
    ).sd_jwt_issuance
    assert verify_presentation(issued, VerifyPolicy(pki.anchors)).elm == uio_elm
    wallet = SDJWTHolder(issued)
    wallet.create_presentation(
        {"elm": {"credentialSubject": {"hasClaim": [True, False]}}},
        "n-5",
        AUD,
        _jwcrypto(holder.key),
        "ES256",
    )
    verified = verify_presentation(
        wallet.sd_jwt_presentation, VerifyPolicy(pki.anchors, audience=AUD, nonce="n-5")
    )
    assert verified.elm["credentialSubject"]["hasClaim"] == [uio_elm["credentialSubject"]["hasClaim"][0]]
    assert "givenName" not in verified.elm["credentialSubject"]


# @openid4vc/openid4vci and @openid4vc/openid4vp 0.4.6 against the live services


def test_an_openid4vci_wallet_takes_our_offer(live: Live, uio_elm: Json, pki: Pki) -> None:
    holder = new_ec_key().as_dict(private=True)
    offer = live.issuer.create_offer(uio_elm, subject_ref="t")
    result = oracle("vci_wallet", {"offer": offer.link, "txCode": offer.tx_code, "holderJwk": holder})
    assert "error" not in result, result
    assert result["version"] == "V1"  # the library reads our metadata as OpenID4VCI 1.0
    assert {d["locale"] for d in result["display"]["display"]} == {"en", "sv"}
    verified = verify_presentation(result["credential"], VerifyPolicy(pki.anchors))
    assert verified.claims["cnf"]["jwk"]["x"] == holder["x"]
    assert verified.elm == uio_elm


def test_an_openid4vci_wallet_with_a_wrong_nonce_or_code_is_refused(live: Live, uio_elm: Json) -> None:
    holder = new_ec_key().as_dict(private=True)
    offer = live.issuer.create_offer(uio_elm, subject_ref="t")
    result = oracle(
        "vci_wallet", {"offer": offer.link, "txCode": offer.tx_code, "holderJwk": holder, "wrongNonce": True}
    )
    assert "invalid_nonce" in result["error"]
    other = live.issuer.create_offer(uio_elm, subject_ref="t")
    assert (
        "invalid_grant"
        in oracle("vci_wallet", {"offer": other.link, "txCode": "999999x", "holderJwk": holder})["error"]
    )


def test_an_openid4vp_wallet_presents_to_our_verifier(live: Live, hierarchy_elm: Json, pki: Pki) -> None:
    holder = signing_key(new_ec_key())
    credential = _credential(hierarchy_elm, pki, holder)
    started = live.verifier.start()
    result = oracle(
        "vp_wallet",
        {"link": started.link, "credential": credential, "holderJwk": holder.key.as_dict(private=True)},
    )
    assert "error" not in result, result
    assert result["status"] == 200, result
    assert result["clientId"] == "x509_san_dns:localhost"
    assert (result["encHeader"]["alg"], result["encHeader"]["enc"]) == ("ECDH-ES", "A128GCM")
    outcome = live.verifier.result(started.session_id)
    assert outcome is not None and outcome.status == "verified", outcome
    subject = outcome.result["elm"]["credentialSubject"]  # type: ignore[index]
    assert subject["hasClaim"] == hierarchy_elm["credentialSubject"]["hasClaim"]
    assert subject["identifier"] == hierarchy_elm["credentialSubject"]["identifier"]


def test_an_openid4vp_wallet_answering_for_another_audience_is_refused(
    live: Live, uio_elm: Json, pki: Pki
) -> None:
    holder = signing_key(new_ec_key())
    started = live.verifier.start()
    result = oracle(
        "vp_wallet",
        {
            "link": started.link,
            "credential": _credential(uio_elm, pki, holder),
            "holderJwk": holder.key.as_dict(private=True),
            "aud": "x509_san_dns:evil.example",
        },
    )
    assert result.get("status") == 400, result
    assert "not for us" in live.verifier.result(started.session_id).reason  # type: ignore[union-attr,operator]
