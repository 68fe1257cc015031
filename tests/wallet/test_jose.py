"""The JOSE plumbing refuses what parsers disagree on: padding and foreign alphabets in base64url, a JSON
member given twice, unsigned or HMAC JWTs, a key that cannot have made the signature."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from emrex.wallet.errors import SignatureRefused, Unreadable, WalletKeyError
from emrex.wallet.jose import (
    b64decode,
    b64encode,
    import_public_jwk,
    load_private_key,
    load_public_jwk_file,
    loads,
    new_ec_key,
    parse_jwt,
    sign_jwt,
    signing_key,
    thumbprint,
    verify_jwt,
)


def _part(value: object) -> str:
    return b64encode(json.dumps(value).encode())


@pytest.mark.parametrize("size", range(0, 12))
def test_base64url_round_trips_every_tail_length(size: int) -> None:
    data = bytes(range(200, 200 + size))
    assert b64decode(b64encode(data), "x") == data


@pytest.mark.parametrize("text", ["QQ==", "a+b/", "ab c", "a", "QR", "é"])
def test_base64url_refuses_padding_other_alphabets_and_stray_bits(text: str) -> None:
    with pytest.raises(Unreadable):
        b64decode(text, "the part")


def test_json_member_given_twice_is_refused_with_its_name() -> None:
    with pytest.raises(Unreadable, match="'grade' appears twice"):
        loads(b'{"grade": "A", "grade": "F"}', "the claims")


@pytest.mark.parametrize("text", [b"NaN", b'{"a": Infinity}', b"\xff", b"[" * 100_000 + b"]" * 100_000])
def test_json_constants_bad_utf8_and_deep_nesting_are_refused(text: bytes) -> None:
    with pytest.raises(Unreadable):
        loads(text, "the claims")


def test_signed_jwt_verifies_and_another_key_is_refused() -> None:
    key, other = signing_key(new_ec_key()), signing_key(new_ec_key())
    jwt = parse_jwt(sign_jwt({"typ": "x"}, {"a": 1}, key), "the token", typ="x")
    verify_jwt(jwt, key.key, "the token")
    with pytest.raises(SignatureRefused, match="does not match"):
        verify_jwt(jwt, other.key, "the token")


def test_unsigned_hmac_and_critical_jwts_are_refused_before_any_key_is_tried() -> None:
    body = _part({"a": 1})
    with pytest.raises(SignatureRefused, match="alg: none"):
        parse_jwt(f"{_part({'alg': 'none'})}.{body}.", "the token")
    with pytest.raises(SignatureRefused, match="HS256"):
        parse_jwt(f"{_part({'alg': 'HS256'})}.{body}.c2ln", "the token")
    with pytest.raises(SignatureRefused, match="critical"):
        parse_jwt(f"{_part({'alg': 'ES256', 'crit': ['x']})}.{body}.c2ln", "the token")


def test_wrong_typ_is_named() -> None:
    key = signing_key(new_ec_key())
    with pytest.raises(SignatureRefused, match="'vc\\+sd-jwt', expected 'dc\\+sd-jwt'"):
        parse_jwt(sign_jwt({"typ": "vc+sd-jwt"}, {}, key), "the credential", typ="dc+sd-jwt")


def test_an_rsa_signature_claimed_by_an_ec_key_is_refused() -> None:
    rsa_key = signing_key(load_private_key(_pem(rsa.generate_private_key(65537, 2048)), "key"))
    assert rsa_key.alg == "RS256"
    jwt = parse_jwt(sign_jwt({}, {}, rsa_key), "the token")
    verify_jwt(jwt, rsa_key.key, "the token")
    with pytest.raises(SignatureRefused, match="cannot make"):
        verify_jwt(jwt, new_ec_key(), "the token")


def _pem(key: object) -> bytes:
    return key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def test_private_keys_load_from_pem_and_jwk_and_public_ones_are_refused() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    assert signing_key(load_private_key(_pem(ec_key), "key")).alg == "ES256"
    sec1 = ec_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    assert signing_key(load_private_key(sec1, "key")).alg == "ES256"
    jwk = new_ec_key().as_dict(private=True)
    assert load_private_key(json.dumps(jwk).encode(), "key").is_private
    public = {k: v for k, v in jwk.items() if k != "d"}
    with pytest.raises(WalletKeyError, match="public key"):
        load_private_key(json.dumps(public).encode(), "key")
    with pytest.raises(WalletKeyError, match="neither PEM nor a JWK"):
        load_private_key(b"hello", "key")
    with pytest.raises(WalletKeyError, match="too short"):
        signing_key(load_private_key(_pem(rsa.generate_private_key(65537, 1024)), "key"))  # noqa: S505 (refused: the point)


def test_public_jwks_refuse_private_parts_and_odd_keys() -> None:
    jwk = new_ec_key().as_dict(private=True)
    with pytest.raises(SignatureRefused, match="private key"):
        import_public_jwk(jwk, "the holder key")
    with pytest.raises(SignatureRefused, match="'oct'"):
        import_public_jwk({"kty": "oct", "k": "c2VjcmV0"}, "the holder key")
    with pytest.raises(SignatureRefused, match="not a usable public key"):
        import_public_jwk({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}, "the holder key")
    secp256k1 = ec.generate_private_key(ec.SECP256K1()).public_key().public_numbers()
    odd = {"kty": "EC", "crv": "secp256k1", "x": _coordinate(secp256k1.x), "y": _coordinate(secp256k1.y)}
    with pytest.raises(SignatureRefused):
        import_public_jwk(odd, "the holder key")
    assert (
        load_public_jwk_file(json.dumps(jwk).encode(), "holder.jwk").as_dict(private=False)["x"] == jwk["x"]
    )


def _coordinate(value: int) -> str:
    return base64.urlsafe_b64encode(value.to_bytes(32, "big")).rstrip(b"=").decode()


def test_thumbprint_is_rfc_7638() -> None:
    # RFC 7638, section 3.1: the example RSA key and its thumbprint.
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3o"
        "knjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZ"
        "Hzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEg"
        "U8awapJzKnqDKgw"
    )
    assert thumbprint({"kty": "RSA", "n": n, "e": "AQAB"}) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
