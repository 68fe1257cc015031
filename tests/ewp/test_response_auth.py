"""Signed responses: made by the server when asked, and checked by the client against the keys the
registry binds to the host it called."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from emrex.ewp import ResponseNotTrusted, sign_response, verify_response, wants_signature
from tests.ewp.network import FJORDBY, LINDHOLM, catalogue, signing_key

NOW = dt.datetime.now(dt.UTC)
BODY = b"<response/>"
REQUEST_ID = str(uuid.uuid4())
REQUEST_SIGNATURE = "c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("header", "wanted"),
    [
        ("rsa-sha256", True),
        ("hmac-sha256, RSA-SHA256", True),
        ("hmac-sha256", False),
        ("", False),
        (None, False),
    ],
)
def test_accept_signature(header: str | None, wanted: bool) -> None:
    assert wants_signature(header) is wanted


def _host(hei: str):  # type: ignore[no-untyped-def]
    return next(iter(catalogue().hosts_covering(hei)))


def _signed(key: str = "fjordby-server", **changes: object) -> list[tuple[str, str]]:
    options: dict[str, object] = {
        "content_type": "application/xml",
        "request_id": REQUEST_ID,
        "request_signature": REQUEST_SIGNATURE,
        "now": NOW,
    }
    options.update(changes)
    return sign_response(signing_key(key), BODY, **options)  # type: ignore[arg-type]


def _verify(headers: list[tuple[str, str]], body: bytes = BODY, host: str = FJORDBY, **changes: object):  # type: ignore[no-untyped-def]
    options: dict[str, object] = {
        "server_key": lambda key_id: catalogue().server_key(key_id, _host(host)),
        "request_id": REQUEST_ID,
        "request_signature": REQUEST_SIGNATURE,
        "now": NOW,
    }
    options.update(changes)
    return verify_response(headers, body, **options)  # type: ignore[arg-type]


def test_a_signed_response_verifies_and_says_which_headers_are_signed() -> None:
    verified = _verify([*_signed(), ("Date", "Thu, 01 Jan 1970 00:00:00 GMT"), ("X-Unsigned", "x")])
    assert verified.key_id == signing_key("fjordby-server").key_id
    assert set(verified.signed_headers) == {
        "original-date",
        "digest",
        "content-type",
        "x-request-id",
        "x-request-signature",
    }
    assert verified.signed_headers["x-request-id"] == REQUEST_ID


@pytest.mark.parametrize(
    ("headers", "changes", "words"),
    [
        (lambda: [h for h in _signed() if h[0] != "Signature"], {}, "not signed"),
        (lambda: _signed(request_id=str(uuid.uuid4())), {}, "another request id"),
        (lambda: _signed(request_signature="b3RoZXI="), {}, "another request signature"),
        (lambda: _signed(request_id=None), {}, "does not cover x-request-id"),
        (lambda: _signed("lindholm-server"), {}, "not list as a server key of the host we called"),
        (lambda: _signed(), {"host": LINDHOLM}, "not list as a server key"),
        (lambda: _signed(now=NOW - dt.timedelta(minutes=10)), {}, "seconds away"),
        (lambda: _signed(), {"body": BODY + b" "}, "does not match the SHA-256"),
        (
            lambda: [(n, "text/html" if n == "Content-Type" else v) for n, v in _signed()],
            {},
            "signature does not match",
        ),
    ],
)
def test_untrustworthy_responses_are_refused(headers, changes, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ResponseNotTrusted, match=words):
        _verify(headers(), **changes)


def test_odd_values_are_not_echoed_into_headers() -> None:
    names = [name for name, _ in _signed(request_id="a\r\nSet-Cookie: x=1", request_signature="x" * 3000)]
    assert "X-Request-Id" not in names and "X-Request-Signature" not in names
