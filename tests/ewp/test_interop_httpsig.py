"""Against an independent implementation: PyPI ``httpsig`` (draft-cavage, on pycryptodome) signs
requests our verifier must accept, and verifies the requests and responses we sign."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from httpsig.sign import HeaderSigner
from httpsig.verify import HeaderVerifier

from emrex.ewp import BadSignatureRequest, HttpRequest, MemoryReplayCache, RequestVerifier, sign_response
from emrex.ewp.httpsig import digest_header, http_date
from emrex.ewp.request_auth import SIGNED_REQUEST_HEADERS
from tests.ewp.network import FJORDBY, LINDHOLM, PATHS, catalogue, rsa_key, signing_key
from tests.ewp.requests import form, signed

BODY = form(("receiving_hei_id", FJORDBY), ("omobility_id", "m-approved-1"))
TARGET = PATHS.tors_get + "?receiving_hei_id=" + FJORDBY


def _pem_private(name: str) -> bytes:
    return rsa_key(name).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _pem_public(name: str) -> bytes:
    return (
        rsa_key(name)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def _their_request(body: bytes = BODY, names: list[str] | None = None) -> HttpRequest:
    headers = {
        "Host": FJORDBY,
        "Date": http_date(dt.datetime.now(dt.UTC)),
        "Digest": digest_header(body),
        "X-Request-Id": str(uuid.uuid4()),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    signer = HeaderSigner(
        signing_key("lindholm-client").key_id,
        _pem_private("lindholm-client"),
        algorithm="rsa-sha256",
        headers=names or list(SIGNED_REQUEST_HEADERS),
    )
    out = signer.sign(headers, host=FJORDBY, method="POST", path=TARGET)
    return HttpRequest("POST", TARGET, list(out.items()), body)


def test_we_accept_requests_httpsig_signs() -> None:
    caller = RequestVerifier(catalogue, MemoryReplayCache(), hosts={FJORDBY}).verify(_their_request())
    assert caller.hei_ids == {LINDHOLM}


def test_we_accept_httpsig_requests_that_sign_more_headers() -> None:
    names = [*SIGNED_REQUEST_HEADERS, "content-type"]
    caller = RequestVerifier(catalogue, MemoryReplayCache()).verify(_their_request(names=names))
    assert caller.signed_headers == tuple(names)


def test_we_refuse_an_httpsig_request_whose_body_was_changed() -> None:
    request = _their_request()
    tampered = HttpRequest(request.method, request.target, request.headers, BODY + b"&omobility_id=m-ostmark")
    with pytest.raises(BadSignatureRequest, match="Digest"):
        RequestVerifier(catalogue, MemoryReplayCache()).verify(tampered)


def test_httpsig_verifies_our_requests() -> None:
    made, _request = signed(body=BODY, target=TARGET)
    verifier = HeaderVerifier(
        made.headers,
        _pem_public("lindholm-client"),
        required_headers=list(SIGNED_REQUEST_HEADERS),
        method="POST",
        path=TARGET,
    )
    assert verifier.verify() is True
    wrong_path = HeaderVerifier(
        made.headers, _pem_public("lindholm-client"), method="POST", path=TARGET + "&x=1"
    )
    assert wrong_path.verify() is False


def test_httpsig_verifies_our_responses() -> None:
    headers = sign_response(
        signing_key("fjordby-server"),
        b"<response/>",
        content_type="application/xml; charset=utf-8",
        request_id=str(uuid.uuid4()),
        request_signature="c2lnbmF0dXJl",
        now=dt.datetime.now(dt.UTC),
    )
    as_dict = dict(headers)
    verifier = HeaderVerifier(
        as_dict,
        _pem_public("fjordby-server"),
        required_headers=["original-date", "digest", "x-request-id", "x-request-signature"],
        sign_header="signature",
    )
    assert verifier.verify() is True
    as_dict["X-Request-Id"] = str(uuid.uuid4())
    changed = HeaderVerifier(
        as_dict, _pem_public("fjordby-server"), required_headers=["original-date"], sign_header="signature"
    )
    assert changed.verify() is False
