"""Parsing XML that came from outside: no DTDs, no entities, no network, and our own bounds.

libxml2's built-in limits (10 000 000 characters per text node, 256 levels) are lifted with
``huge_tree`` so that one set of limits, ours, decides what is too large, in our words: the size in
bytes, the number of elements (counted from the markup before parsing, exactly after) and the depth.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from emrex.errors import InputTooLarge, NotWellFormed, XmlError

XML_NS = "http://www.w3.org/XML/1998/namespace"
XML_LANG = "{" + XML_NS + "}lang"  # the xml:lang attribute, as lxml names it
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"

MB = 1024 * 1024
# An ELMO document with its PDF transcript is a few MB; 16 MB leaves room for a PDF of about 11 MB.
DEFAULT_MAX_XML_BYTES = 16 * MB
# A real ELMO document has about 28 elements per course (27 566 for 1000 courses): 200 000 elements
# hold about 7000 courses.
DEFAULT_MAX_XML_ELEMENTS = 200_000
MAX_DEPTH = 256
# Elements one level deeper than allowed: a walk down the levels, linear in the number of elements
# (a test of each element's ancestors is not: 270 ms for 200 000 elements 250 deep).
_TOO_DEEP = etree.XPath("/*" * (MAX_DEPTH + 1))


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,  # our own limits below replace libxml2's
        remove_blank_text=False,
    )


def parse_untrusted(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_XML_BYTES,
    max_elements: int = DEFAULT_MAX_XML_ELEMENTS,
) -> etree._ElementTree:
    """Parse ``data`` as a whole XML document, refusing anything unsafe or over the limits.

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
    # Every element takes one or two '<' (a comment one): counting them costs a scan of the bytes,
    # parsing millions of tiny elements costs a second and hundreds of MB.
    tags = data.count(b"<")
    if tags > 2 * max_elements + 2:
        raise _too_many(f"{tags} tags", max_elements)
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else None
        if "depth" in (exc.msg or "").lower():
            raise XmlError(f"the document is nested deeper than {MAX_DEPTH} levels", line) from None
        raise NotWellFormed(f"not well-formed XML: {_clean(exc.msg)}", line) from None
    docinfo: Any = tree.docinfo  # lxml-stubs lack DocInfo.doctype
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlError("documents with a DOCTYPE declaration are refused (DTDs and entities are not allowed)")
    root = tree.getroot()
    if tags > max_elements:
        elements = int(root.xpath("count(//*)"))  # type: ignore[arg-type]
        if elements > max_elements:
            raise _too_many(f"{elements} elements", max_elements)
    too_deep: Any = _TOO_DEEP(root)
    if too_deep:
        raise XmlError(f"the document is nested deeper than {MAX_DEPTH} levels", too_deep[0].sourceline)
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


def _too_many(found: str, max_elements: int) -> InputTooLarge:
    return InputTooLarge(f"XML document of {found} is over the limit of {max_elements} elements")


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
