"""Sealing: the header the EU's EDC tools write, the three algorithms, and every refusal."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from emrex.seal import Sealer, SealingError, SealPolicy, Status, verify_seal
from emrex.seal.jades import kid_of, thumbprint
from emrex.trust.ca import Issued, certify, issue, new_ec_key
from emrex.trust.keys import certificate_pem, private_key_pem
from tests.seal.conftest import ORG_ID, parts


def _independently_verified(sealed: bytes, certificate: x509.Certificate) -> bytes:
    """RFC 7797 by hand with cryptography alone: BASE64URL(protected) '.' payload, key of x5c[0]."""
    document, header = parts(sealed)
    member = document["signatures"][0]
    signing_input = member["protected"].encode("ascii") + b"." + document["payload"].encode("utf-8")
    signature = base64.urlsafe_b64decode(member["signature"] + "=" * (-len(member["signature"]) % 4))
    key = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0])).public_key()
    assert key.public_numbers() == certificate.public_key().public_numbers()  # type: ignore[union-attr]
    if header["alg"] == "RS256":
        assert isinstance(key, rsa.RSAPublicKey)
        key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
    elif header["alg"] == "PS256":
        assert isinstance(key, rsa.RSAPublicKey)
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        key.verify(signature, signing_input, pss, hashes.SHA256())
    else:
        assert isinstance(key, ec.EllipticCurvePublicKey) and len(signature) == 64
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
    return signing_input


def test_the_header_has_the_shape_of_the_eu_samples(
    sealed: bytes, rsa_seal: Issued, edc_examples: Path
) -> None:
    _, ours = parts(sealed)
    _, theirs = parts((edc_examples / "mynextid-degree-certificate-signed.jsonld").read_bytes())
    assert list(ours) == list(theirs)  # same members in the same order (B-B: no timestamps of ours)
    assert ours["b64"] is False and ours["crit"] == ["b64", "sigT"]
    assert (ours["typ"], ours["cty"]) == (theirs["typ"], theirs["cty"])
    assert ours["kid"] == kid_of(rsa_seal.certificate)
    assert ours["x5t#S256"] == thumbprint(rsa_seal.certificate)
    assert dt.datetime.strptime(ours["sigT"], "%Y-%m-%dT%H:%M:%SZ")


def test_the_payload_is_the_credential_as_compact_json(sealed: bytes, credential: dict[str, Any]) -> None:
    document, _ = parts(sealed)
    assert document["payload"] == json.dumps(credential, ensure_ascii=False, separators=(",", ":"))
    assert "Åsa" in document["payload"]  # letters as they are, as the EU's tools write them
    assert set(document) == {"payload", "signatures"} and len(document["signatures"]) == 1


@pytest.mark.parametrize("algorithm", ["RS256", "PS256", "ES256"])
def test_each_algorithm_seals_and_an_independent_check_agrees(
    algorithm: str,
    rsa_seal: Issued,
    ec_seal: tuple[ec.EllipticCurvePrivateKey, x509.Certificate],
    credential: dict[str, Any],
    ca: Issued,
) -> None:
    key, cert = ec_seal if algorithm == "ES256" else (rsa_seal.key, rsa_seal.certificate)
    sealed = Sealer(key, cert, algorithm=algorithm).seal(credential)
    _independently_verified(sealed, cert)
    result = verify_seal(sealed, SealPolicy(trust=(ca.certificate,)))
    assert result.algorithm == algorithm
    assert result.verdict is Status.PASSED, [c for c in result.checks if c.status is not Status.PASSED]
    assert result.credential == credential


def test_the_same_credential_as_text_or_object_gives_the_same_payload(
    sealer: Sealer, credential: dict[str, Any]
) -> None:
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    pretty = json.dumps(credential, indent=2).encode()
    assert sealer.seal(pretty, signing_time=moment) == sealer.seal(credential, signing_time=moment)


def test_a_certificate_bundle_puts_its_ca_certificates_in_x5c(
    rsa_seal: Issued, ca: Issued, credential: dict[str, Any]
) -> None:
    bundle = certificate_pem(rsa_seal.certificate) + certificate_pem(ca.certificate)
    sealed = Sealer.from_pem(private_key_pem(rsa_seal.key), bundle).seal(credential)
    _, header = parts(sealed)
    assert len(header["x5c"]) == 2
    assert verify_seal(sealed, SealPolicy(trust=(ca.certificate,))).chain[-1] == ca.certificate


def test_refusals(
    rsa_seal: Issued, ca: Issued, sealer: Sealer, credential: dict[str, Any], sealed: bytes
) -> None:
    other = issue(ca, "Another seal", organization_identifier="NTRFI-0000001")
    with pytest.raises(SealingError, match="does not belong"):
        Sealer(other.key, rsa_seal.certificate)
    with pytest.raises(SealingError, match=r"cannot seal the credential: .*NTRFI-0000001"):
        Sealer(other.key, other.certificate).seal(credential)
    with pytest.raises(SealingError, match="not a credential"):
        sealer.seal({"type": ["Something"]})
    with pytest.raises(SealingError, match="not a JSON object"):
        sealer.seal(b"[1, 2]")
    with pytest.raises(SealingError, match="sealed already"):
        sealer.seal(sealed)
    with pytest.raises(SealingError, match="expired"):
        sealer.seal(credential, signing_time=dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(SealingError, match="ES256 seals need an EC P-256 key"):
        Sealer(rsa_seal.key, rsa_seal.certificate, algorithm="ES256")
    with pytest.raises(SealingError, match="not HS256"):
        Sealer(rsa_seal.key, rsa_seal.certificate, algorithm="HS256")
    p384 = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(SealingError, match="P-256"):
        Sealer(p384, certify(ca, p384.public_key(), "P-384 seal", organization_identifier=ORG_ID))


def test_an_unbound_seal_can_be_made_when_asked_and_then_fails_the_binding(
    ca: Issued, credential: dict[str, Any]
) -> None:
    stranger = issue(ca, "Stranger seal", organization_identifier="VATFI-12345678")
    sealed = Sealer(stranger.key, stranger.certificate).seal(credential, check_issuer=False)
    result = verify_seal(sealed, SealPolicy(trust=(ca.certificate,)))
    assert result.verdict is Status.FAILED
    assert "VATFI-12345678 is not the issuer's" in result.check("issuer binding").summary


def test_an_ec_key_seals_with_es256_by_default(
    ec_seal: tuple[ec.EllipticCurvePrivateKey, x509.Certificate], credential: dict[str, Any]
) -> None:
    _, header = parts(Sealer(*ec_seal).seal(credential))
    assert header["alg"] == "ES256"
    assert new_ec_key().curve.name == "secp256r1"
