"""The AS4 message on the wire: a SOAP 1.2 envelope carrying the ebMS header, and the payloads as MIME
parts (``multipart/related``) that the header points at with ``cid:``."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from lxml import etree

from emrex.errors import EmrexError
from emrex.oots.ebms import UserMessage, build_messaging, read_messaging
from emrex.oots.errors import EbmsError
from emrex.oots.names import EB, SOAP, SOAP12_NS
from emrex.oots.regrep import child
from emrex.xml import parse_untrusted

SOAP_MIME = "application/soap+xml"
_CRLF = b"\r\n"


@dataclass(frozen=True)
class Part:
    """A payload: its Content-ID (without ``cid:`` and angle brackets), media type and bytes."""

    cid: str
    content_type: str
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class MimeLimits:
    """What one message may cost, checked before anything is parsed."""

    max_bytes: int = 24 * 1024 * 1024
    max_parts: int = 16
    max_part_bytes: int = 5 * 1024 * 1024  # a payload (the evidence documents are 5 MB at most)
    max_header_bytes: int = 256 * 1024  # the SOAP envelope with the ebMS header


DEFAULT_LIMITS = MimeLimits()


def soap_envelope(header: UserMessage, body: etree._Element | None = None) -> bytes:
    envelope = etree.Element(SOAP + "Envelope", nsmap={"env": SOAP12_NS})
    etree.SubElement(envelope, SOAP + "Header").append(build_messaging(header))
    soap_body = etree.SubElement(envelope, SOAP + "Body")
    if body is not None:
        soap_body.append(body)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def build_as4(
    header: UserMessage, parts: Sequence[Part], *, boundary: str | None = None
) -> tuple[str, bytes]:
    """(Content-Type, body) of the multipart message; the header's PartInfo must name every part."""
    named = {p.cid for p in header.parts}
    if named != {p.cid for p in parts}:
        raise EbmsError("the ebMS PayloadInfo and the MIME parts do not name the same cid: parts")
    boundary = boundary or f"MIMEBoundary_{secrets.token_hex(16)}"
    root_cid = f"root.message.{secrets.token_hex(8)}@emrex"
    chunks = [
        _part(root_cid, f"{SOAP_MIME}; charset=UTF-8", soap_envelope(header), boundary),
        *(_part(p.cid, p.content_type, p.content, boundary) for p in parts),
        b"--" + boundary.encode("ascii") + b"--" + _CRLF,
    ]
    content_type = (
        f'multipart/related; type="{SOAP_MIME}"; boundary="{boundary}"; start="<{root_cid}>"; '
        f'start-info="{SOAP_MIME}"'
    )
    return content_type, b"".join(chunks)


def _part(cid: str, content_type: str, content: bytes, boundary: str) -> bytes:
    head = (
        f"--{boundary}\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: binary\r\n"
        f"Content-ID: <{cid}>\r\n\r\n"
    )
    return head.encode("ascii") + content + _CRLF


def parse_as4(
    content_type: str, body: bytes, limits: MimeLimits = DEFAULT_LIMITS
) -> tuple[UserMessage, list[Part]]:
    """The ebMS header and the payloads of a multipart AS4 message; ``EbmsError`` for anything malformed."""
    if len(body) > limits.max_bytes:
        raise EbmsError(
            f"the message of {len(body)} bytes is larger than the limit of {limits.max_bytes} bytes"
        )
    params = _parameters(content_type)
    boundary = params.get("boundary")
    if not content_type.lower().startswith("multipart/related") or not boundary:
        raise EbmsError("an AS4 message must be multipart/related with a boundary")
    delimiter = b"--" + boundary.encode("ascii", "replace")
    if body.count(delimiter) > limits.max_parts + 2:
        raise EbmsError(f"the message has more than {limits.max_parts} payloads")
    pieces = body.split(delimiter)
    if len(pieces) < 3 or not pieces[-1].startswith(b"--"):
        raise EbmsError("the multipart message is cut short (no closing boundary)")
    parts = [_read_part(piece, limits) for piece in pieces[1:-1]]
    start = params.get("start", "").strip("<>")
    root = next((p for p in parts if p.cid == start), parts[0])
    if len(root.content) > limits.max_header_bytes:
        raise EbmsError("the SOAP envelope is larger than allowed")
    header = read_envelope_header(root.content)
    payloads = [p for p in parts if p is not root]
    by_cid = {p.cid: p for p in payloads}
    if len(by_cid) != len(payloads):
        raise EbmsError("two MIME parts carry the same Content-ID")
    named = [info.cid for info in header.parts]
    missing = [cid for cid in named if cid not in by_cid]
    if missing:
        raise EbmsError(f"the ebMS header names cid:{missing[0][:80]}, which the message does not carry")
    if set(by_cid) - set(named):
        raise EbmsError("the message carries a MIME part the ebMS header does not name")
    return header, [by_cid[cid] for cid in named]


def read_envelope_header(envelope: bytes) -> UserMessage:
    try:
        root = parse_untrusted(envelope, max_bytes=DEFAULT_LIMITS.max_header_bytes).getroot()
    except EmrexError as error:
        raise EbmsError(f"the SOAP envelope cannot be read: {error}") from None
    header = child(root, SOAP + "Header") if root.tag == SOAP + "Envelope" else None
    messaging = child(header, EB + "Messaging")
    if messaging is None:
        raise EbmsError("the SOAP envelope carries no eb:Messaging header")
    return read_messaging(messaging)


def _read_part(piece: bytes, limits: MimeLimits) -> Part:
    piece = piece.removeprefix(_CRLF)
    head, found, content = piece.partition(_CRLF + _CRLF)
    if not found or len(head) > 4096:
        raise EbmsError("a MIME part has no readable headers")
    content = content.removesuffix(_CRLF)
    headers: dict[str, str] = {}
    for line in head.split(_CRLF):
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon:
            raise EbmsError("a MIME part header line is malformed")
        headers[name.strip().lower()] = value.strip()
    encoding = headers.get("content-transfer-encoding", "binary").lower()
    if encoding == "base64":
        try:
            content = base64.b64decode(b"".join(content.split()), validate=True)
        except (binascii.Error, ValueError):
            raise EbmsError("a MIME part declared base64 is not base64") from None
    elif encoding not in ("binary", "8bit", "7bit"):
        raise EbmsError(f"the transfer encoding {encoding[:20]!r} is not supported")
    if len(content) > limits.max_part_bytes:
        raise EbmsError(
            f"a payload of {len(content)} bytes is larger than the limit of {limits.max_part_bytes} bytes"
        )
    cid = headers.get("content-id", "").strip().strip("<>")
    if not cid:
        raise EbmsError("a MIME part has no Content-ID")
    return Part(cid, headers.get("content-type", "application/octet-stream"), content)


def _parameters(content_type: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in content_type.split(";")[1:]:
        name, _, value = item.strip().partition("=")
        params[name.strip().lower()] = value.strip().strip('"')
    return params
