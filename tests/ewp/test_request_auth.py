"""Verifying signed requests on the server, in the order and with the outcomes the spec gives."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from emrex.ewp import (
    BadSignatureRequest,
    HttpRequest,
    MemoryReplayCache,
    NotSigned,
    ReplayedRequest,
    RequestVerifier,
    UnknownClientKey,
)
from emrex.ewp.httpsig import Headers, format_params, http_date, signing_string
from tests.ewp.network import FJORDBY, LINDHOLM, OSTMARK, catalogue, signing_key
from tests.ewp.requests import form, signed, with_headers

BODY = form(("receiving_hei_id", FJORDBY), ("omobility_id", "m-approved-1"))


def verifier(**options: object) -> RequestVerifier:
    return RequestVerifier(catalogue, MemoryReplayCache(), hosts={FJORDBY}, **options)  # type: ignore[arg-type]


def test_a_signed_request_names_its_caller_and_the_institutions_its_key_covers() -> None:
    made, request = signed(body=BODY)
    caller = verifier().verify(request)
    assert caller.hei_ids == {LINDHOLM}
    assert caller.key_id == signing_key("lindholm-client").key_id
    assert caller.request_id == made.request_id
    assert caller.signature == made.signature
    assert caller.signed_headers == ("(request-target)", "host", "date", "digest", "x-request-id")


def test_another_partners_key_covers_its_own_institution() -> None:
    _, request = signed("ostmark-client", BODY)
    assert verifier().verify(request).hei_ids == {OSTMARK}


def _resigned(
    request: HttpRequest, names: list[str], key: str = "lindholm-client", algorithm: str = ""
) -> HttpRequest:
    """The request signed over ``names`` (a client that signs fewer or more headers)."""
    signer = signing_key(key)
    text = signing_string(names, Headers(request.headers), method=request.method, target=request.target)
    value = format_params(signer.key_id, names, signer.sign(text))
    if algorithm:
        value = value.replace('algorithm="rsa-sha256"', f'algorithm="{algorithm}"')
    return with_headers(request, authorization="Signature " + value)


def test_more_signed_headers_than_required_are_accepted_and_original_date_may_stand_for_date() -> None:
    _, request = signed(body=BODY)
    request = with_headers(request, original_date=http_date(dt.datetime.now(dt.UTC)))
    names = ["(request-target)", "host", "original-date", "digest", "x-request-id", "content-type"]
    assert verifier().verify(_resigned(request, names)).signed_headers == tuple(names)


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        (lambda r: with_headers(r, authorization=None), NotSigned, "not signed"),
        (lambda r: with_headers(r, authorization="Basic dXNlcjpwdw=="), NotSigned, "'Basic'"),
        (
            lambda r: _resigned(
                r, ["(request-target)", "host", "date", "digest", "x-request-id"], algorithm="hmac-sha256"
            ),
            NotSigned,
            "rsa-sha256",
        ),
        (lambda r: _resigned(r, ["(request-target)", "host", "date", "digest"]), NotSigned, "x-request-id"),
        (lambda r: _resigned(r, ["(request-target)", "host", "date", "x-request-id"]), NotSigned, "digest"),
        (
            lambda r: _resigned(r, ["(request-target)", "host", "digest", "x-request-id"]),
            NotSigned,
            "date or original-date",
        ),
    ],
)
def test_requests_not_using_http_signature_as_ewp_requires_get_401(change, error, words) -> None:  # type: ignore[no-untyped-def]
    _, request = signed(body=BODY)
    with pytest.raises(error, match=words):
        verifier().verify(change(request))


def test_an_unknown_key_gets_403_and_a_malformed_key_id_400() -> None:
    _, request = signed("stranger-client", BODY)
    with pytest.raises(UnknownClientKey, match="not a client key in the EWP registry"):
        verifier().verify(request)
    value = request.header("authorization") or ""
    bad = with_headers(request, authorization=value.replace(signing_key("stranger-client").key_id, "ABC"))
    with pytest.raises(BadSignatureRequest, match="keyId"):
        verifier().verify(bad)


def test_an_upper_case_key_id_names_the_same_key() -> None:
    _, request = signed(body=BODY)
    key = signing_key("lindholm-client").key_id
    upper = with_headers(
        request, authorization=(request.header("authorization") or "").replace(key, key.upper())
    )
    assert verifier().verify(upper).key_id == key


def test_a_server_key_is_not_a_client_key() -> None:
    # Fjordby's server key is in the catalogue, but only as a server credential.
    _, request = signed("fjordby-server", BODY)
    with pytest.raises(UnknownClientKey):
        verifier().verify(request)


def test_someone_elses_key_id_over_our_signature_does_not_verify() -> None:
    _, request = signed("stranger-client", BODY)
    value = (request.header("authorization") or "").replace(
        signing_key("stranger-client").key_id, signing_key("lindholm-client").key_id
    )
    with pytest.raises(BadSignatureRequest, match="signature does not match"):
        verifier().verify(with_headers(request, authorization=value))


@pytest.mark.parametrize("minutes", [-6, 6])
def test_dates_outside_five_minutes_are_refused(minutes: int) -> None:
    _, request = signed(body=BODY, now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes))
    with pytest.raises(BadSignatureRequest, match="seconds away from our clock"):
        verifier().verify(request)


def test_a_wider_window_accepts_them_and_a_narrower_one_cannot_be_set() -> None:
    _, request = signed(body=BODY, now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6))
    verifier(window=dt.timedelta(minutes=10)).verify(request)
    with pytest.raises(ValueError, match="5 minutes"):
        verifier(window=dt.timedelta(minutes=4))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda r: with_headers(r, host="evil.example"), "Host header 'evil.example'"),
        (lambda r: with_headers(r, x_request_id="1234"), "X-Request-Id must be a UUID"),
        (lambda r: with_headers(r, x_request_id=str(uuid.uuid4())), "signature does not match"),
        (
            lambda r: HttpRequest(r.method, r.target + "?omobility_id=x", r.headers, r.body),
            "signature does not match",
        ),
        (lambda r: HttpRequest("GET", r.target, r.headers, r.body), "signature does not match"),
        (
            lambda r: HttpRequest(r.method, r.target, r.headers, r.body + b"&omobility_id=x"),
            "does not match the SHA-256",
        ),
        (lambda r: with_headers(r, date="Tue, 32 Foo 2026"), "cannot be read as an HTTP date"),
    ],
)
def test_tampered_requests_get_400(change, words) -> None:  # type: ignore[no-untyped-def]
    _, request = signed(body=BODY)
    with pytest.raises(BadSignatureRequest, match=words):
        verifier().verify(change(request))


def test_a_replayed_request_id_is_refused_but_only_for_the_same_key() -> None:
    check = verifier()
    request_id = str(uuid.uuid4())
    _, first = signed(body=BODY, request_id=request_id)
    check.verify(first)
    with pytest.raises(ReplayedRequest, match="used before"):
        check.verify(first)
    _, other_client = signed("ostmark-client", BODY, request_id=request_id)
    check.verify(other_client)  # its own id space: one client cannot block another's ids


def test_a_replay_is_checked_only_after_the_signature() -> None:
    # An attacker who saw a request id in transit cannot burn it with a forged request.
    check = verifier()
    made, request = signed(body=BODY)
    with pytest.raises(BadSignatureRequest):
        check.verify(with_headers(request, digest="SHA-256=AAAA"))
    assert check.verify(request).request_id == made.request_id


def test_without_a_host_list_any_host_is_accepted() -> None:
    _, request = signed(body=BODY, host="other-name.example")
    RequestVerifier(catalogue, MemoryReplayCache()).verify(request)
