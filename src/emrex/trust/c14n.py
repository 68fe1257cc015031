"""Canonical XML (C14N 1.0, inclusive and exclusive) of a whole document or of one element in context.

lxml canonicalizes a sub-element through a temporary "fake root" document, and libxml2 then writes
spurious ``xmlns=""`` on descendants of an element in a default namespace (what signxml patches with
``excise_empty_xmlns_declarations``). We avoid that path: the element is copied into a document of its
own whose root declares every namespace in scope, plus (inclusive C14N only) the ``xml:*`` attributes
the element inherits, as C14N 1.0 prescribes for a document subset.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from typing import Any

from lxml import etree

from emrex.trust import algorithms
from emrex.trust.errors import CanonicalizationError, DisallowedAlgorithm
from emrex.trust.errors import NamespaceFlood as NamespaceFlood  # web.login.saml_metadata imports it here
from emrex.xml import XML_NS

# libxml2's C14N compares each namespace in scope with the others at every element: a few thousand
# declarations on the root make a 100 KB document take minutes. Real documents declare a handful; the
# average of (declarations in scope)² over the elements may be 256 (16 in scope everywhere), which
# keeps C14N within a few times its cost for a document without namespaces.
MAX_NAMESPACE_LOAD = 256


def canonical_document(tree: etree._ElementTree, method: str, prefixes: Sequence[str] | None = None) -> bytes:
    """The whole document in canonical form, without comments whatever the method: a reference with
    ``URI=""`` selects the document minus its comments (XML-DSig 4.3.3.3)."""
    check_namespace_load(tree.getroot())
    _check_default_token(tree.getroot(), method, prefixes)
    return _c14n(
        tree,
        exclusive=algorithms.is_exclusive(method),
        with_comments=False,
        inclusive_ns_prefixes=_prefixes(method, prefixes),
    )


def canonical_element(element: etree._Element, method: str, prefixes: Sequence[str] | None = None) -> bytes:
    """``element`` and its descendants in canonical form, as a subset of the document it lives in."""
    _check_default_token(element, method, prefixes)
    nsmap: Any = element.nsmap  # includes the default namespace (key None), which lxml-stubs do not allow
    if len(nsmap) ** 2 > MAX_NAMESPACE_LOAD:  # before the copy: declaring 20 000 on it took seconds
        raise NamespaceFlood(len(nsmap))
    copy = etree.Element(element.tag, nsmap=nsmap)
    for name, value in element.attrib.items():
        copy.set(name, value)
    copy.text = element.text
    for child in element:
        copy.append(deepcopy(child))
    copy.tail = None
    if not algorithms.is_exclusive(method):
        for name, value in _inherited_xml_attributes(element).items():
            copy.set(name, value)
    check_namespace_load(copy)  # every namespace in scope of the element is declared on the copy
    return _c14n(
        copy,
        exclusive=algorithms.is_exclusive(method),
        with_comments=algorithms.with_comments(method),
        inclusive_ns_prefixes=_prefixes(method, prefixes),
    )


def _c14n(
    node: etree._Element | etree._ElementTree,
    *,
    exclusive: bool,
    with_comments: bool,
    inclusive_ns_prefixes: list[str] | None,
) -> bytes:
    try:
        return etree.tostring(
            node,
            method="c14n",
            exclusive=exclusive,
            with_comments=with_comments,
            inclusive_ns_prefixes=inclusive_ns_prefixes,
        )
    except etree.C14NError:
        raise CanonicalizationError() from None


def check_namespace_load(root: etree._Element) -> None:
    """NamespaceFlood when canonicalizing ``root`` (or any element under it) would be quadratic."""
    declared = sum(1 for _ in etree.iterwalk(root, events=("start-ns",)))
    if declared * declared <= MAX_NAMESPACE_LOAD:
        return  # no element has more in scope than the document declares
    elements = int(root.xpath("count(//*)"))  # type: ignore[arg-type]
    budget, load, in_scope = MAX_NAMESPACE_LOAD * (elements + 1), 0, 0
    for event, _item in etree.iterwalk(root, events=("start", "start-ns", "end-ns")):
        if event == "start-ns":
            in_scope += 1
        elif event == "end-ns":
            in_scope -= 1
        else:
            load += in_scope * in_scope
            if load > budget:
                raise NamespaceFlood(in_scope)


def detach(element: etree._Element) -> None:
    """Remove ``element`` from its parent but keep the text that follows it (lxml moves the tail)."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def _inherited_xml_attributes(element: etree._Element) -> dict[str, str]:
    found: dict[str, str] = {}
    ancestor = element.getparent()
    while ancestor is not None:
        for name, value in ancestor.attrib.items():
            key, text = str(name), str(value)
            if key.startswith("{" + XML_NS + "}") and key not in found and key not in element.attrib:
                found[key] = text
        ancestor = ancestor.getparent()
    return found


def _prefixes(method: str, prefixes: Sequence[str] | None) -> list[str] | None:
    if not algorithms.is_exclusive(method) or not prefixes:
        return None
    return [p for p in prefixes if p != "#default"]


def _check_default_token(apex: etree._Element, method: str, prefixes: Sequence[str] | None) -> None:
    """lxml drops '#default' from an exclusive C14N prefix list (it passes only names the document
    uses). The result is still right when one default namespace holds for the whole subtree and the
    apex is in it, or none is declared; anything else is refused rather than verified wrongly."""
    if not algorithms.is_exclusive(method) or not prefixes or "#default" not in prefixes:
        return
    defaults = {el.nsmap.get(None) for el in apex.iter() if isinstance(el.tag, str)}
    default = next(iter(defaults)) if len(defaults) == 1 else "many"
    if default in (None, "") or (default != "many" and apex.prefix is None):
        return
    raise DisallowedAlgorithm(
        "exclusive C14N with the '#default' inclusive prefix is supported only where one default "
        "namespace covers the signed elements"
    )
