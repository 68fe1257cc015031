"""A SHACL Core validator for the constraint components the EDC shapes use, compiled once.

The EDC shapes use class and property shapes with simple paths and ``class``, ``datatype``,
``nodeKind``, ``minCount``, ``maxCount``, ``hasValue``, ``uniqueLang``, ``maxInclusive``, ``or`` and
``node``. Those are implemented here with pyshacl's reading of them (datatype well-formedness is decided
by rdflib, as pyshacl does); a shapes graph that uses any other SHACL Core parameter is refused with
its name rather than half-checked. The data graph is entailed as RDFS would (``Ontology`` holds the
tables), so the verdicts are pyshacl's with ``inference="rdfs"``; the tests compare both.
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from emrex.elm.contexts import XSD
from emrex.elm.errors import ShapesUnsupported
from emrex.elm.rdf import RDF_LANGSTRING, RDF_TYPE, XSD_STRING, Literal, Node, Triple

if TYPE_CHECKING:
    import rdflib

    from emrex.elm.shapes import Ontology

SH = "http://www.w3.org/ns/shacl#"
_UNSUPPORTED_NAMES = (
    "pattern flags minLength maxLength languageIn in equals disjoint lessThan lessThanOrEquals closed "
    "ignoredProperties qualifiedValueShape qualifiedMinCount qualifiedMaxCount xone and not sparql "
    "minInclusive minExclusive maxExclusive targetNode targetSubjectsOf targetObjectsOf target"
)
_UNSUPPORTED = {f"{SH}{name}" for name in _UNSUPPORTED_NAMES.split(" ")}
_NODE_KINDS = {
    f"{SH}IRI": {"iri"},
    f"{SH}BlankNode": {"blank"},
    f"{SH}Literal": {"literal"},
    f"{SH}BlankNodeOrIRI": {"blank", "iri"},
    f"{SH}BlankNodeOrLiteral": {"blank", "literal"},
    f"{SH}IRIOrLiteral": {"iri", "literal"},
}


@dataclass(eq=False)
class Shape:
    id: str
    path: str | None = None
    name: str | None = None
    description: str | None = None
    message: str | None = None
    severity: str = f"{SH}Violation"
    targets: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    datatype: str | None = None
    node_kind: str | None = None
    min_count: int | None = None
    max_count: int | None = None
    has_value: tuple[Node, ...] = ()
    unique_lang: bool = False
    max_inclusive: Literal | None = None
    any_of: tuple[tuple[Shape, ...], ...] = ()
    nodes: tuple[Shape, ...] = ()
    properties: tuple[Shape, ...] = ()


@dataclass(frozen=True)
class Result:
    focus: Node
    path: str | None
    component: str  # e.g. "MinCount"
    shape: Shape
    value: Node | None = None


@dataclass
class CompiledShapes:
    files: tuple[str, ...]
    targeted: list[Shape] = field(default_factory=list)


def term_node(term: Any) -> Node:
    """Our node for an rdflib term."""
    import rdflib  # lazy: rdflib is +166 modules, loaded only when shapes are compiled or checked

    if isinstance(term, rdflib.Literal):
        if term.language:
            return Literal(str(term), RDF_LANGSTRING, term.language.lower())
        return Literal(str(term), str(term.datatype) if term.datatype else XSD_STRING)
    if isinstance(term, rdflib.BNode):
        return f"_:{term}"
    return str(term)


def compile_shapes(graph: rdflib.Graph, files: tuple[str, ...]) -> CompiledShapes:
    import rdflib  # lazy: rdflib is +166 modules, loaded only when shapes are compiled or checked
    from rdflib.collection import Collection  # lazy, as rdflib

    for predicate in set(graph.predicates()):
        if str(predicate) in _UNSUPPORTED:
            subject = next(graph.subjects(predicate, None))
            raise ShapesUnsupported(
                f"the shapes use {str(predicate).replace(SH, 'sh:')} (in {subject}), which this validator "
                "does not implement"
            )
    made: dict[Any, Shape] = {}

    def one(subject: Any, key: str) -> Any:
        return graph.value(subject, rdflib.URIRef(SH + key))

    def text(subject: Any, key: str) -> str | None:
        values = list(graph.objects(subject, rdflib.URIRef(SH + key)))
        english = [x for x in values if isinstance(x, rdflib.Literal) and x.language in (None, "en")]
        return str(english[0]) if english else (str(values[0]) if values else None)

    def shape(subject: Any) -> Shape:
        if subject in made:
            return made[subject]
        node = made[subject] = Shape(str(term_node(subject)))
        path = one(subject, "path")
        if path is not None and not isinstance(path, rdflib.URIRef):
            raise ShapesUnsupported(
                f"the shape {subject} has a complex sh:path, which this validator does not implement"
            )
        node.path = str(path) if path is not None else None
        node.name, node.description, node.message = (
            text(subject, "name"),
            text(subject, "description"),
            text(subject, "message"),
        )
        severity = one(subject, "severity")
        node.severity = str(severity) if severity is not None else node.severity
        node.targets = tuple(str(t) for t in graph.objects(subject, rdflib.URIRef(SH + "targetClass")))
        node.classes = tuple(str(t) for t in graph.objects(subject, rdflib.URIRef(SH + "class")))
        datatype = one(subject, "datatype")
        node.datatype = str(datatype) if datatype is not None else None
        kind = one(subject, "nodeKind")
        node.node_kind = str(kind) if kind is not None else None
        for key, attr in (("minCount", "min_count"), ("maxCount", "max_count")):
            value = one(subject, key)
            if value is not None:
                setattr(node, attr, int(value))
        node.has_value = tuple(term_node(x) for x in graph.objects(subject, rdflib.URIRef(SH + "hasValue")))
        unique = one(subject, "uniqueLang")
        node.unique_lang = unique is not None and bool(unique.toPython())
        maximum = one(subject, "maxInclusive")
        node.max_inclusive = term_node(maximum) if maximum is not None else None  # type: ignore[assignment]
        node.any_of = tuple(
            tuple(shape(member) for member in Collection(graph, alternatives))
            for alternatives in graph.objects(subject, rdflib.URIRef(SH + "or"))
        )
        node.nodes = tuple(shape(x) for x in graph.objects(subject, rdflib.URIRef(SH + "node")))
        node.properties = tuple(
            shape(x)
            for x in graph.objects(subject, rdflib.URIRef(SH + "property"))
            if not _deactivated(graph, x)
        )
        return node

    compiled = CompiledShapes(files)
    for subject in sorted(set(graph.subjects(rdflib.URIRef(SH + "targetClass"), None)), key=str):
        if not _deactivated(graph, subject):
            compiled.targeted.append(shape(subject))
    return compiled


def _deactivated(graph: rdflib.Graph, subject: Any) -> bool:
    import rdflib  # lazy: rdflib is +166 modules, loaded only when shapes are compiled or checked

    value = graph.value(subject, rdflib.URIRef(SH + "deactivated"))
    return value is not None and bool(value.toPython())


class DataGraph:
    """The triples of a credential with what RDFS entailment adds, and the ontology beside them."""

    def __init__(self, triples: Iterable[Triple], ontology: Ontology) -> None:
        self.ontology = ontology
        index: dict[str, dict[str, set[Node]]] = {}
        superproperties = ontology.superproperties
        declared: dict[str, set[str]] = {}
        inferred: dict[str, set[str]] = {}
        domains, ranges = ontology.domains, ontology.ranges
        for s, p, o in triples:
            for q in superproperties.get(p, (p,)):
                index.setdefault(s, {}).setdefault(q, set()).add(o)
            if p == RDF_TYPE and isinstance(o, str):
                declared.setdefault(s, set()).add(o)
            classes = domains.get(p)
            if classes:
                inferred.setdefault(s, set()).update(classes)
            if isinstance(o, str):
                classes = ranges.get(p)
                if classes:
                    inferred.setdefault(o, set()).update(classes)
        self.types: dict[str, frozenset[str]] = {}
        for node in {*declared, *inferred}:
            found = ontology.classes_of(declared.get(node, ())) | inferred.get(node, set())
            found |= ontology.types.get(node, frozenset())
            self.types[node] = frozenset(found)
            if found:
                index.setdefault(node, {}).setdefault(RDF_TYPE, set()).update(found)
        self.index = index

    def objects(self, node: str, predicate: str) -> set[Node]:
        found = self.index.get(node, {}).get(predicate, set())
        extra = self.ontology.index.get(node, {}).get(predicate)
        return found | set(extra) if extra else found

    def types_of(self, node: Node) -> frozenset[str]:
        if not isinstance(node, str):
            return frozenset()
        return self.types.get(node) or self.ontology.types.get(node, frozenset())

    def instances(self, cls: str) -> list[str]:
        data = [n for n, t in self.types.items() if cls in t]
        extra = [n for n, t in self.ontology.types.items() if cls in t and n not in self.types]
        return data + extra


def validate_graph(graph: DataGraph, shapes: CompiledShapes) -> list[Result]:
    results: list[Result] = []
    by_class: dict[str, list[str]] = {}
    for shape in shapes.targeted:
        for cls in shape.targets:
            if cls not in by_class:
                by_class[cls] = graph.instances(cls)
            for focus in by_class[cls]:
                results.extend(_check(graph, shape, focus))
    unique = list(dict.fromkeys(results))
    return unique


def _check(graph: DataGraph, shape: Shape, focus: Node) -> list[Result]:
    if shape.path is not None:
        values: list[Node] = list(graph.objects(focus, shape.path)) if isinstance(focus, str) else []
    else:
        values = [focus]
    out: list[Result] = []
    path = shape.path

    def fail(component: str, value: Node | None = None) -> None:
        out.append(Result(focus, path, component, shape, value))

    if shape.path is not None:
        if shape.min_count is not None and len(values) < shape.min_count:
            fail("MinCount")
        if shape.max_count is not None and len(values) > shape.max_count:
            fail("MaxCount")
        if shape.unique_lang:
            seen: dict[str, int] = {}
            for value in values:
                if isinstance(value, Literal) and value.language:
                    seen[value.language] = seen.get(value.language, 0) + 1
            for _ in (lang for lang, count in seen.items() if count > 1):
                fail("UniqueLang")
    for value in shape.has_value:
        if value not in values:
            fail("HasValue")
    for value in values:
        for cls in shape.classes:
            if cls not in graph.types_of(value):
                fail("Class", value)
        if shape.datatype is not None and not _datatype_ok(value, shape.datatype):
            fail("Datatype", value)
        if shape.node_kind is not None and _kind(value) not in _NODE_KINDS.get(shape.node_kind, set()):
            fail("NodeKind", value)
        if shape.max_inclusive is not None and not _at_most(value, shape.max_inclusive):
            fail("MaxInclusive", value)
        for alternatives in shape.any_of:
            if not any(_conforms(graph, member, value) for member in alternatives):
                fail("Or", value)
        for node_shape in shape.nodes:
            if not _conforms(graph, node_shape, value):
                fail("Node", value)
        for prop in shape.properties:
            out.extend(_check(graph, prop, value))
    return out


def _conforms(graph: DataGraph, shape: Shape, value: Node) -> bool:
    return not _check(graph, shape, value)


def _is_node(value: Node | str) -> bool:
    return isinstance(value, str)


def _kind(value: Node) -> str:
    if isinstance(value, Literal):
        return "literal"
    return "blank" if value.startswith("_:") else "iri"


@lru_cache(maxsize=4096)
def _datatype_ok(value: Node, datatype: str) -> bool:
    if not isinstance(value, Literal):
        return False
    if datatype == RDF_LANGSTRING:
        return bool(value.language)
    if value.language:
        return False
    if value.datatype != datatype:
        return False
    if datatype == XSD_STRING:
        return True
    return _well_formed(value.value, datatype)


def _well_formed(lexical: str, datatype: str) -> bool:
    import rdflib  # lazy: rdflib is +166 modules, loaded only when shapes are compiled or checked

    logger = logging.getLogger("rdflib.term")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            literal = rdflib.Literal(lexical, datatype=rdflib.URIRef(datatype))
    finally:
        logger.setLevel(level)
    if getattr(literal, "ill_typed", None) is True:
        return False
    expected = {
        XSD + "integer": int,
        XSD + "decimal": Decimal,
        XSD + "boolean": bool,
    }.get(datatype)
    if expected is not None:
        return isinstance(literal.value, expected)
    if datatype == XSD + "dateTime":
        return isinstance(literal.value, dt.datetime)
    return True


def _at_most(value: Node, limit: Literal) -> bool:
    if not isinstance(value, Literal):
        return False
    try:
        return Decimal(value.value) <= Decimal(limit.value)
    except (InvalidOperation, ValueError):
        return False
