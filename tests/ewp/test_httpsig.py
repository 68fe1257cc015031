"""The HTTP Signature pieces: parameters, signing string, digest, dates and key ids."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from emrex.ewp import BadSignatureRequest, SigningKey, key_id
from emrex.ewp.httpsig import (
    Headers,
    body_matches_digest,
    check_dates,
    digest_header,
    format_params,
    http_date,
    is_request_id,
    parse_http_date,
    parse_params,
    signature_matches,
    signing_string,
)
from tests.ewp.network import rsa_key

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def test_key_id_is_the_sha256_the_registry_lists(shared_dir) -> None:  # type: ignore[no-untyped-def]
    text = (shared_dir / "samples-elm" / "ewp" / "registry-catalogue-example.xml").read_text()
    listed, body = re.search(r'<rsa-public-key sha-256="(\w+)">(.*?)</rsa-public-key>', text, re.S).groups()  # type: ignore[union-attr]
    key = serialization.load_der_public_key(base64.b64decode("".join(body.split())))
    assert isinstance(key, rsa.RSAPublicKey)
    assert key_id(key) == listed


def test_params_round_trip_and_keep_the_signature_text() -> None:
    text = format_params("ab" * 32, ["(request-target)", "host", "date"], b"\x01\x02\x03")
    params = parse_params(text)
    assert params.key_id == "ab" * 32
    assert params.algorithm == "rsa-sha256"
    assert params.headers == ("(request-target)", "host", "date")
    assert params.signature == b"\x01\x02\x03"
    assert params.signature_text == base64.b64encode(b"\x01\x02\x03").decode()


def test_params_accept_spaces_escapes_unknown_names_and_a_default_header_list() -> None:
    params = parse_params(' keyId="a\\"b" , signature="AQ==", extension="ignored"')
    assert params.key_id == 'a"b'
    assert params.headers == ("date",)  # the draft's default
    assert params.algorithm == ""


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('keyId="a",keyId="b",signature="AQ=="', "twice"),
        ('signature="AQ=="', "no keyId"),
        ('keyId="a"', "no signature"),
        ('keyId="a",signature="not base64!"', "not base64"),
        ('keyId="a",signature=""', "empty"),
        ('keyId="a" signature="AQ=="', "malformed"),
        ('keyId="a,signature=AQ==', "unterminated"),
        ('keyId="a",=x', "malformed"),
        ("x" * 9000, "longer than"),
    ],
)
def test_malformed_params_are_refused(text: str, words: str) -> None:
    with pytest.raises(BadSignatureRequest, match=words):
        parse_params(text)


def test_signing_string_lowercases_method_and_joins_repeated_headers() -> None:
    headers = Headers([("Host", "a.example"), ("X-Thing", " one "), ("x-thing", "two")])
    text = signing_string(["(request-target)", "host", "x-thing"], headers, method="POST", target="/p?q=1")
    assert text == b"(request-target): post /p?q=1\nhost: a.example\nx-thing: one, two"


def test_signing_string_refuses_a_missing_header_and_request_target_in_responses() -> None:
    with pytest.raises(BadSignatureRequest, match="digest is not in the message"):
        signing_string(["digest"], Headers({}))
    with pytest.raises(BadSignatureRequest, match="response"):
        signing_string(["(request-target)"], Headers({}))


def test_digest_entries_are_found_among_others_in_any_case() -> None:
    body = b"receiving_hei_id=fjordby.example"
    sha = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert digest_header(body) == f"SHA-256={sha}"
    assert body_matches_digest(body, f"MD5=abc=, sha-256={sha}")
    assert not body_matches_digest(body + b"x", f"SHA-256={sha}")
    with pytest.raises(BadSignatureRequest, match="no SHA-256"):
        body_matches_digest(body, "SHA-512=AAAA")
    with pytest.raises(BadSignatureRequest, match="no Digest"):
        body_matches_digest(body, None)
    with pytest.raises(BadSignatureRequest, match="two different"):
        body_matches_digest(body, f"SHA-256={sha},SHA-256=AAAA")


def test_http_dates() -> None:
    assert http_date(NOW) == "Mon, 07 Dec 2026 12:00:00 GMT"
    assert parse_http_date("Mon, 07 Dec 2026 12:00:00 GMT") == NOW
    assert parse_http_date("yesterday") is None
    assert parse_http_date("Mon, 07 Dec 2026 12:00:00 -0000") is None  # no zone is not an HTTP date


def test_dates_are_checked_within_the_window() -> None:
    window = dt.timedelta(minutes=5)
    ok = Headers({"Date": http_date(NOW - dt.timedelta(minutes=4))})
    assert check_dates(ok, ["date"], NOW, window) == NOW - dt.timedelta(minutes=4)
    late = Headers({"Date": http_date(NOW - dt.timedelta(minutes=6))})
    with pytest.raises(BadSignatureRequest, match="360 seconds away"):
        check_dates(late, ["date"], NOW, window)
    both = Headers({"Date": http_date(NOW), "Original-Date": "garbage"})
    with pytest.raises(BadSignatureRequest, match="original-date header cannot be read"):
        check_dates(both, ["date"], NOW, window)
    assert check_dates(both, ["date"], NOW, window, signed_only=True) == NOW
    with pytest.raises(BadSignatureRequest, match="neither date nor original-date"):
        check_dates(ok, ["digest"], NOW, window)


def test_request_ids_are_uuids() -> None:
    assert is_request_id("dc05b425-4e86-4106-8dde-1257fccf53e5")
    assert not is_request_id("dc05b4254e8641068dde1257fccf53e5")
    assert not is_request_id("1")


def test_signing_keys_sign_with_rsa_sha256_and_refuse_weak_keys() -> None:
    key = SigningKey(rsa_key("httpsig-test"))
    assert signature_matches(key.public_key, key.sign(b"text"), b"text")
    assert not signature_matches(key.public_key, key.sign(b"text"), b"other")
    with pytest.raises(ValueError, match="2048 to 8192 bits"):
        SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=1024))  # noqa: S505 - the weak key being refused
