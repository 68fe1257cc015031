"""Token Status List (``statuslist+jwt``): a compressed bit string of credential states, signed by the
issuer, and the reference (``status.status_list``: ``idx``, ``uri``) a credential carries into it.

An issuer's lists are numbered "1", "2", …: when every entry of one is taken (``StatusListFull``), the
next credential opens its successor (``successor``), at a new URI; each credential names its own list."""

from __future__ import annotations

import datetime as dt
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from emrex.wallet.certificates import TrustAnchors, leaf_key, parse_x5c, verify_chain
from emrex.wallet.errors import CredentialRevoked, Refused, StatusUnavailable, Unreadable
from emrex.wallet.jose import Json, SigningKey, b64decode, b64encode, parse_jwt, sign_jwt, verify_jwt
from emrex.wallet.urls import check_url

STATUS_TYP = "statuslist+jwt"
MEDIA_TYPE = "application/statuslist+jwt"
VALID, INVALID, SUSPENDED = 0, 1, 2
NAMES = {VALID: "valid", INVALID: "revoked", SUSPENDED: "suspended"}
MAX_ENTRIES = 1 << 24  # a list larger than this (2 MB at one bit) is refused before it is inflated
DEFAULT_TTL = 300


@dataclass
class StatusList:
    """``bits`` per entry (1, 2, 4 or 8); entry 0 sits in the least significant bits of byte 0."""

    bits: int
    data: bytearray

    @classmethod
    def empty(cls, size: int, bits: int = 1) -> StatusList:
        _check_bits(bits)
        return cls(bits, bytearray((size * bits + 7) // 8))

    @classmethod
    def of(cls, size: int, statuses: Mapping[int, int], bits: int = 1) -> StatusList:
        made = cls.empty(size, bits)
        for index, status in statuses.items():
            made.set(index, status)
        return made

    @property
    def size(self) -> int:
        return len(self.data) * 8 // self.bits

    def get(self, index: int) -> int:
        if not 0 <= index < self.size:
            raise StatusUnavailable(f"the status index {index} lies outside the list ({self.size} entries)")
        bit = index * self.bits
        return (self.data[bit // 8] >> (bit % 8)) & ((1 << self.bits) - 1)

    def set(self, index: int, status: int) -> None:
        if not 0 <= status < (1 << self.bits):
            raise ValueError(f"status {status} does not fit in {self.bits} bits")
        bit = index * self.bits
        mask = ((1 << self.bits) - 1) << (bit % 8)
        self.data[bit // 8] = (self.data[bit // 8] & ~mask) | (status << (bit % 8))

    def encoded(self) -> Json:
        return {"bits": self.bits, "lst": b64encode(zlib.compress(bytes(self.data), 9))}

    @classmethod
    def decoded(cls, value: object) -> StatusList:
        if not isinstance(value, dict) or not isinstance(value.get("lst"), str):
            raise StatusUnavailable("the status list token carries no status_list with lst")
        bits = value.get("bits")
        if bits not in (1, 2, 4, 8):
            raise StatusUnavailable(
                f"the status list uses {str(bits)[:10]} bits per entry; 1, 2, 4 or 8 are allowed"
            )
        limit = MAX_ENTRIES * bits // 8
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(b64decode(value["lst"], "the status list"), limit)
        except (zlib.error, Unreadable) as exc:
            raise StatusUnavailable(f"the status list cannot be decompressed ({exc})") from None
        if inflater.unconsumed_tail:
            raise StatusUnavailable(f"the status list inflates to more than {limit} bytes")
        return cls(bits, bytearray(data))


class StatusListFull(Exception):
    """Every entry of a status list is taken: issuing goes on in its successor."""


def successor(list_id: str) -> str:
    """The list opened when ``list_id`` is full: the next number."""
    return str(int(list_id) + 1)


def list_number(list_id: str) -> int | None:
    """The number of a list id ("1", "2", …), or None for anything else (no list, not even "01")."""
    if not (list_id.isascii() and list_id.isdigit()) or len(list_id) > 9 or list_id != str(int(list_id)):
        return None
    return int(list_id)


def _check_bits(bits: int) -> None:
    if bits not in (1, 2, 4, 8):
        raise ValueError("a status list has 1, 2, 4 or 8 bits per entry")


def status_reference(uri: str, index: int) -> Json:
    """The ``status`` claim of a credential whose state is entry ``index`` of the list at ``uri``."""
    return {"status_list": {"idx": index, "uri": uri}}


def status_list_token(
    statuses: StatusList, uri: str, key: SigningKey, *, now: int | None = None, ttl: int = DEFAULT_TTL
) -> str:
    issued = int(time.time()) if now is None else now
    claims = {
        "sub": uri,
        "iat": issued,
        "exp": issued + 10 * ttl,
        "ttl": ttl,
        "status_list": statuses.encoded(),
    }
    return sign_jwt({"typ": STATUS_TYP}, claims, key)


def read_status_list_token(token: str, uri: str, anchors: TrustAnchors, at: dt.datetime) -> StatusList:
    """The list in a status list token, once its signature chains to ``anchors`` and it is for ``uri``."""
    try:
        jwt = parse_jwt(token.strip(), "the status list token", typ=STATUS_TYP)
        leaf = verify_chain(parse_x5c(jwt.header.get("x5c"), "the status list token"), anchors, at)
        verify_jwt(jwt, leaf_key(leaf), "the status list token")
    except (Refused, Unreadable) as exc:
        raise StatusUnavailable(f"the status list is not usable: {exc}") from None
    claims = jwt.payload
    if claims.get("sub") != uri:
        raise StatusUnavailable("the status list token is for another list (sub differs from the uri)")
    expires = claims.get("exp")
    if isinstance(expires, int) and expires < at.timestamp():
        raise StatusUnavailable("the status list token has expired")
    return StatusList.decoded(claims.get("status_list"))


Fetch = Callable[[str], str]


def check_status(reference: object, fetch: Fetch, anchors: TrustAnchors, at: dt.datetime) -> int:
    """The state of a credential from its ``status`` claim; CredentialRevoked unless it is valid."""
    if not isinstance(reference, dict):
        raise StatusUnavailable("the credential's status claim is not an object")
    entry = reference.get("status_list")
    if not isinstance(entry, dict) or not isinstance(entry.get("uri"), str):
        raise StatusUnavailable("the credential's status claim has no status_list with a uri")
    index = entry.get("idx")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise StatusUnavailable("the credential's status index (idx) is not a non-negative integer")
    uri = entry["uri"]
    try:
        token = fetch(uri)
    except Refused:
        raise
    except Exception as exc:  # the fetcher's own failure (network, HTTP status): one line, no trace
        raise StatusUnavailable(f"the status list at {uri[:100]} cannot be fetched ({exc})") from None
    status = read_status_list_token(token, uri, anchors, at).get(index)
    if status != VALID:
        raise CredentialRevoked(
            f"the issuer has marked this credential {NAMES.get(status, f'status {status}')}"
        )
    return status


MAX_TOKEN_BYTES = 4_000_000


def http_fetch(timeout: float = 5.0) -> Fetch:
    """A fetcher of status list tokens over HTTPS (plain HTTP only on loopback), bounded in time and size."""
    def fetch(uri: str) -> str:
        check_url(uri, "the status list URI")
        with httpx.stream("GET", uri, headers={"Accept": MEDIA_TYPE}, timeout=timeout) as response:
            if response.status_code != 200:
                raise StatusUnavailable(
                    f"the status list at {uri[:100]} answered HTTP {response.status_code}"
                )
            if response.headers.get("content-type", "").split(";")[0].strip() != MEDIA_TYPE:
                raise StatusUnavailable(f"the status list at {uri[:100]} is not {MEDIA_TYPE}")
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_TOKEN_BYTES:
                    raise StatusUnavailable(
                        f"the status list at {uri[:100]} is larger than {MAX_TOKEN_BYTES} bytes"
                    )
        return body.decode("ascii", "replace")

    return fetch
