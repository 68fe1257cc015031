"""Parsing XML that came from outside: no DTDs, no entities, no network, bounded size."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from emrex.errors import InputTooLarge, NotWellFormed, XmlError

DEFAULT_MAX_XML_BYTES = 64 * 1024 * 1024


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def parse_untrusted(data: bytes, *, max_bytes: int = DEFAULT_MAX_XML_BYTES) -> etree._ElementTree:
    """Parse ``data`` as a whole XML document, refusing anything unsafe.

    A document type declaration of any kind is refused: ELMO, registry catalogues and every other
    document we read have no use for one, and it is what entity-expansion and external-entity
    attacks need.
    """
    if not isinstance(data, bytes):
        raise TypeError("parse_untrusted takes bytes")
    if len(data) > max_bytes:
        raise InputTooLarge(
            f"XML document of {len(data)} bytes is larger than the limit of {max_bytes} bytes"
        )
    if not data or data.isspace():  # not data.strip(), which copies a document with a trailing newline
        raise NotWellFormed("the document is empty")
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else None
        raise NotWellFormed(f"not well-formed XML: {_clean(exc.msg)}", line) from None
    docinfo: Any = tree.docinfo  # lxml-stubs lack DocInfo.doctype
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlError("documents with a DOCTYPE declaration are refused (DTDs and entities are not allowed)")
    return tree


# libxml2 messages that quote the document (names, text) are said without the quote: a message is one
# line of our words, and a name in it may be anything the sender chose.
_QUOTING = tuple(
    (re.compile(pattern), said)
    for pattern, said in (
        (r"^Opening and ending tag mismatch:.*", "Opening and ending tag mismatch"),
        (r"^Couldn't find end of Start Tag.*", "Couldn't find end of Start Tag"),
        (r"^Premature end of data in tag.*", "Premature end of data in tag"),
        (r"^Namespace prefix .* is not defined.*", "Namespace prefix is not defined"),
        (r"^Attribute .* redefined.*", "Attribute redefined"),
        (r"^Entity '.*' not defined.*", "Entity not defined"),
        (r"^Unsupported encoding.*", "Unsupported encoding"),
        (r"^Specification mandates value for attribute.*", "Specification mandates value for attribute"),
        (r"^xmlns(:\S*)?: .*", "Invalid namespace declaration"),
        (r"^CData section not finished.*", "CData section not finished"),
    )
)


def _clean(message: str | None) -> str:
    # The first line only: libxml2 sometimes adds a second one that echoes the document's bytes.
    text = (message or "syntax error").strip().split("\n", 1)[0].strip()
    # libxml2 sometimes appends ", line N, column M" which we report separately.
    head, sep, _ = text.partition(", line ")
    text = (head if sep else text).strip()
    for pattern, said in _QUOTING:
        if pattern.match(text):
            return said
    return text or "syntax error"


def localname(element: etree._Element) -> str:
    """The tag without its namespace ('' for comments and processing instructions)."""
    tag: object = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def namespace(element: etree._Element) -> str:
    tag: object = element.tag
    if not isinstance(tag, str) or not tag.startswith("{"):
        return ""
    return tag[1:].partition("}")[0]
