"""The transport form of the ``elmo`` form field: base64(gzip(UTF-8 XML)).

Encoding is strict. Decoding is tolerant of what peers really send (line-wrapped or unpadded base64,
'+' turned into ' ' by a sloppy form encoder, base64 of plain XML, plain XML) and bounded: the
decompressed size and the compression ratio are limited, so a gzip bomb fails early. Plain XML (UTF-8
or UTF-16) comes back byte for byte but for blanks before it; a PDF, ZIP, image or JSON is named as such.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import zlib
from dataclasses import dataclass

from emrex.errors import InputTooLarge, TransportError
from emrex.xml import DEFAULT_MAX_XML_BYTES, DEFAULT_MAX_XML_ELEMENTS, MB

GZIP_MAGIC = b"\x1f\x8b"
_WHITESPACE = b"\r\n\t\f\v"
_BASE64 = re.compile(rb"^[A-Za-z0-9+/\-_]*={0,2}$")
_LEADING_BLANKS = re.compile(rb"[ \t\r\n]*")
# XML in UTF-16 starts with its byte order mark, or with '<' as a 16-bit unit (either byte order).
_UTF16_XML = (b"\xff\xfe<\x00", b"\xfe\xff\x00<", b"<\x00", b"\x00<")
# What people give by mistake, told by its first bytes: said by name instead of "not base64".
_OTHER_FILES = (
    (b"%PDF-", "a PDF file"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"{", "JSON"),
)


@dataclass(frozen=True)
class CodecLimits:
    """The one set of bounds for an ELMO document arriving from outside (docs/SECURITY.md, "Limits").

    Several MB are legitimate (PDFs travel inside). ``max_encoded_bytes`` fits every encoding of a
    document of ``max_decoded_bytes`` (base64 without gzip is 4/3 of it); ``max_elements`` bounds the
    parsed tree (the decoder does not parse: the verifier and reader take it through their policy).
    """

    max_encoded_bytes: int = 24 * MB
    max_decoded_bytes: int = DEFAULT_MAX_XML_BYTES
    max_ratio: int = 200
    max_elements: int = DEFAULT_MAX_XML_ELEMENTS


DEFAULT_LIMITS = CodecLimits()


def encode(xml: bytes) -> str:
    """The value to put into the ``elmo`` form field for the given XML bytes."""
    if not isinstance(xml, bytes):
        raise TypeError("encode takes the XML as bytes")
    # mtime=0 makes the output depend on the document only.
    return base64.b64encode(gzip.compress(xml, compresslevel=6, mtime=0)).decode("ascii")


def _blanks(data: bytes) -> int:
    """How many blanks ``data`` starts with (counted without copying it)."""
    found = _LEADING_BLANKS.match(data)
    return found.end() if found else 0


def looks_like_xml(data: bytes) -> bool:
    start = _blanks(data)
    head = data[start : start + 5]
    return head.startswith((b"<", b"\xef\xbb\xbf<", *_UTF16_XML))


def other_kind(data: bytes) -> str | None:
    """What ``data`` is when it is a well-known kind of file that is not XML ("a PDF file"), else None."""
    start = _blanks(data)
    head = data[start : start + 8]
    return next((kind for magic, kind in _OTHER_FILES if head.startswith(magic)), None)


def decode(value: str | bytes, limits: CodecLimits = DEFAULT_LIMITS) -> bytes:
    """The XML bytes carried by an ``elmo`` value (transport form, base64 of XML, or XML itself)."""
    if isinstance(value, str) and len(value) > limits.max_encoded_bytes:  # never shorter in UTF-8
        raise InputTooLarge(
            f"the elmo value has {len(value)} characters, more than the limit of {limits.max_encoded_bytes}"
        )
    # A form field arrives as text decoded from UTF-8; plain XML in it must come back as the same bytes.
    raw = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
    if len(raw) > limits.max_encoded_bytes:
        raise InputTooLarge(
            f"the elmo value has {len(raw)} bytes, more than the limit of {limits.max_encoded_bytes}"
        )
    if not raw or raw.isspace():
        raise TransportError("the elmo value is empty")
    if looks_like_xml(raw):
        # Blanks before the XML declaration would make it unreadable; those after it are the document's.
        xml = raw[_blanks(raw) :]
        _check_decoded_size(len(xml), limits)
        return xml
    stripped = raw.strip()
    if stripped.startswith(GZIP_MAGIC):
        return _not_other(_gunzip(stripped, limits))
    _not_other(stripped)
    binary = _unbase64(stripped)
    if binary.startswith(GZIP_MAGIC):
        return _not_other(_gunzip(binary, limits))
    if looks_like_xml(binary):
        _check_decoded_size(len(binary), limits)
        return binary
    _not_other(binary)
    raise TransportError("the elmo value decodes to neither gzip data nor XML")


def _not_other(data: bytes) -> bytes:
    kind = other_kind(data)
    if kind is not None:
        raise TransportError(f"this is {kind}, not an ELMO document (XML) or its transport form")
    return data


def _unbase64(data: bytes) -> bytes:
    compact = data.translate(None, _WHITESPACE).replace(b" ", b"+")  # translate: 20x a regex on MBs
    if not _BASE64.match(compact):
        raise TransportError(
            "the elmo value is not base64: it contains characters outside the base64 alphabet"
        )
    compact = compact.rstrip(b"=")
    if len(compact) % 4 == 1:
        raise TransportError("the elmo value is not base64: its length is impossible (truncated?)")
    padded = compact + b"=" * (-len(compact) % 4)
    try:
        if b"-" in padded or b"_" in padded:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise TransportError(f"the elmo value is not valid base64: {exc}") from None


def _gunzip(data: bytes, limits: CodecLimits) -> bytes:
    budget = min(limits.max_decoded_bytes, max(len(data), 1) * limits.max_ratio)
    out = bytearray()
    rest = data
    try:
        while rest:
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            chunk = inflater.decompress(rest, budget - len(out) + 1)
            out += chunk
            if len(out) > budget or inflater.unconsumed_tail:
                _too_large(len(data), limits)
            if not inflater.eof:
                raise TransportError("the gzip data is truncated")
            rest = inflater.unused_data
            # Trailing zero padding after the last member is tolerated, as gzip(1) does.
            if rest.strip(b"\x00") == b"":
                break
    except zlib.error as exc:
        raise TransportError(f"the elmo value is not valid gzip data: {exc}") from None
    _check_decoded_size(len(out), limits)
    return bytes(out)


def _too_large(compressed: int, limits: CodecLimits) -> None:
    if compressed * limits.max_ratio < limits.max_decoded_bytes:
        raise InputTooLarge(
            f"the elmo value expands more than {limits.max_ratio} times its compressed size "
            "(refused as a possible gzip bomb)"
        )
    raise InputTooLarge(
        f"the decompressed elmo document exceeds the limit of {limits.max_decoded_bytes} bytes"
    )


def _check_decoded_size(size: int, limits: CodecLimits) -> None:
    if size > limits.max_decoded_bytes:
        raise InputTooLarge(
            f"the elmo document has {size} bytes, more than the limit of {limits.max_decoded_bytes}"
        )
