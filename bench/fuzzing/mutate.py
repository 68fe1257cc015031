"""Inputs for the fuzzers: byte-level mutations of valid documents and structure-aware tree edits.

Every mutator takes a ``random.Random`` so that a run is reproducible from its seed.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Sequence

from lxml import etree

ELMO_NS = "https://github.com/emrex-eu/elmo-schemas/tree/v1"
# Fragments that have broken XML readers before: markup, entities, encodings, numbers, dates.
TOKENS: tuple[bytes, ...] = (
    b"<",
    b">",
    b"&",
    b"&amp;",
    b"&#0;",
    b"&#x110000;",
    b"&lol;",
    b"]]>",
    b"<![CDATA[x]]>",
    b"<!--",
    b"-->",
    b"<?xml version='1.0'?>",
    b'<!DOCTYPE elmo [<!ENTITY a "aaaa">]>',
    b'<!DOCTYPE elmo SYSTEM "http://127.0.0.1:1/x.dtd">',
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xc3",
    b"\xed\xa0\x80",
    b'xmlns="urn:other"',
    b'xmlns:x="https://github.com/emrex-eu/elmo-schemas/tree/v1"',
    b'xml:lang=""',
    b"-1",
    b"0",
    b"1e309",
    b"NaN",
    b"99999999999999999999999999999999",
    b"2024-02-30",
    b"0000-00-00T25:61:61+99:99",
    b"\xe2\x80\xae",
    b" " * 64,
)
TEXTS: tuple[str, ...] = (
    "",
    " ",
    "-0",
    "1.5e3",
    "1e999999",
    "NaN",
    "Infinity",
    "12,5",
    "2024-13-01",
    "1999-03-14T00:00:00+25:00",
    "9999-12-31",
    "--",
    "Ελένη",
    "\u202eevil",
    "x" * 5000,
    "data:application/pdf;base64,JVBERi0=",
    "data:application/pdf;base64,@@@",
    "data:;base64,",
    "urn:schac:personalUniqueCode:int:esi:",
    "NCP_OK",
)
ByteMutator = Callable[[random.Random, bytes, Sequence[bytes]], bytes]


def _flip(rng: random.Random, data: bytes, _: Sequence[bytes]) -> bytes:
    if not data:
        return bytes([rng.randrange(256)])
    out = bytearray(data)
    for _i in range(rng.randint(1, 8)):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def _replace(rng: random.Random, data: bytes, _: Sequence[bytes]) -> bytes:
    if not data:
        return data
    out = bytearray(data)
    for _i in range(rng.randint(1, 4)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def _insert_token(rng: random.Random, data: bytes, _: Sequence[bytes]) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + rng.choice(TOKENS) + data[at:]


def _delete(rng: random.Random, data: bytes, _: Sequence[bytes]) -> bytes:
    if len(data) < 2:
        return b""
    start = rng.randrange(len(data))
    return data[:start] + data[start + rng.randint(1, min(256, len(data) - start)) :]


def _duplicate(rng: random.Random, data: bytes, _: Sequence[bytes]) -> bytes:
    if not data:
        return data
    start = rng.randrange(len(data))
    piece = data[start : start + rng.randint(1, 512)]
    at = rng.randrange(len(data) + 1)
    return data[:at] + piece * rng.randint(1, 4) + data[at:]


def _truncate(rng: random.Random, data: bytes, _: Sequence[bytes]) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _splice(rng: random.Random, data: bytes, corpus: Sequence[bytes]) -> bytes:
    other = rng.choice(corpus)
    a, b = rng.randrange(len(data) + 1), rng.randrange(len(other) + 1)
    return data[:a] + other[b:]


BYTE_MUTATORS: tuple[ByteMutator, ...] = (
    _flip,
    _replace,
    _insert_token,
    _delete,
    _duplicate,
    _truncate,
    _splice,
)


def mutate_bytes(rng: random.Random, data: bytes, corpus: Sequence[bytes]) -> bytes:
    for _i in range(rng.choice((1, 1, 1, 2, 3))):
        data = rng.choice(BYTE_MUTATORS)(rng, data, corpus)
    return data


# --- structure-aware edits of a parsed document -----------------------------------------------------


def _elements(root: etree._Element) -> list[etree._Element]:
    return [e for e in root.iter() if isinstance(e.tag, str)]


def _drop(rng: random.Random, root: etree._Element) -> None:
    candidates = [e for e in _elements(root) if e.getparent() is not None]
    if candidates:
        victim = rng.choice(candidates)
        parent = victim.getparent()
        assert parent is not None
        parent.remove(victim)


def _clone(rng: random.Random, root: etree._Element) -> None:
    candidates = [e for e in _elements(root) if e.getparent() is not None]
    if candidates:
        chosen = rng.choice(candidates)
        parent = chosen.getparent()
        assert parent is not None
        for _i in range(rng.choice((1, 1, 2, 20))):
            parent.insert(parent.index(chosen), copy.deepcopy(chosen))


def _move(rng: random.Random, root: etree._Element) -> None:
    elements = _elements(root)
    candidates = [e for e in elements if e.getparent() is not None]
    if not candidates:
        return
    chosen = rng.choice(candidates)
    targets = [e for e in elements if e is not chosen and not any(a is chosen for a in e.iterancestors())]
    if targets:
        rng.choice(targets).insert(rng.randint(0, 3), chosen)


def _retext(rng: random.Random, root: etree._Element) -> None:
    chosen = rng.choice(_elements(root))
    text = rng.choice(TEXTS)
    if rng.random() < 0.3:
        text = "".join(
            chr(rng.choice((rng.randrange(0x20, 0x7F), rng.randrange(0xA0, 0xD7FF)))) for _ in range(12)
        )
    chosen.text = text


def _reattr(rng: random.Random, root: etree._Element) -> None:
    chosen = rng.choice(_elements(root))
    names = list(chosen.attrib) or ["type", "{http://www.w3.org/XML/1998/namespace}lang"]
    chosen.set(rng.choice(names), rng.choice(TEXTS))


def _rename(rng: random.Random, root: etree._Element) -> None:
    chosen = rng.choice(_elements(root))
    names = sorted({etree.QName(e).localname for e in _elements(root)})
    namespace = rng.choice((ELMO_NS, ELMO_NS, "urn:other", ""))
    local = rng.choice(names)
    chosen.tag = f"{{{namespace}}}{local}" if namespace else local


def _nest(rng: random.Random, root: etree._Element) -> None:
    los = [e for e in _elements(root) if etree.QName(e).localname == "learningOpportunitySpecification"]
    if not los:
        return
    chosen = rng.choice(los)
    inner = chosen
    for _i in range(rng.choice((5, 50, 400))):
        has_part = etree.SubElement(inner, f"{{{ELMO_NS}}}hasPart")
        inner = etree.SubElement(has_part, f"{{{ELMO_NS}}}learningOpportunitySpecification")
        etree.SubElement(inner, f"{{{ELMO_NS}}}title").text = "nested"


def _empty(rng: random.Random, root: etree._Element) -> None:
    chosen = rng.choice(_elements(root))
    for child in list(chosen):
        chosen.remove(child)
    chosen.text = None


TREE_MUTATORS = (_drop, _clone, _move, _retext, _reattr, _rename, _nest, _empty)


def mutate_tree(rng: random.Random, document: etree._Element) -> bytes:
    """A copy of ``document`` with one to four structural edits, serialised."""
    root = copy.deepcopy(document)
    for _i in range(rng.randint(1, 4)):
        rng.choice(TREE_MUTATORS)(rng, root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
