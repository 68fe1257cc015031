"""The EDC shapes, the ELM ontology and the EDC context from a folder, compiled once per process.

Layout of a shapes folder (what ``emrex elm shapes fetch`` writes)::

    context/edc-ap-context.jsonld
    shapes/EDC-generic-no-cv.ttl  EDC-generic-full.ttl  EDC-converted.ttl  EDC-accredited.ttl
           EDC-diplomaSupplement.ttl  EDC-issuedByMandate.ttl
    ontology/ELM.ttl

Each shapes file names itself (``owl:Ontology``) and what it imports; a credential's
``credentialSchema`` picks files by those names (``edc-converted`` brings ``edc-generic-full`` and
``edc-generic-no-cv`` with it), as the EU's own validator does. The ontology is reduced, once, to what
RDFS entailment adds to a credential: the super-classes of every class, the super-properties of every
property and the classes that property domains and ranges imply. Validating with these tables gives
pyshacl's verdicts with ``inference="rdfs"`` at a fraction of the cost.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emrex.elm import vocab as v
from emrex.elm.contexts import CONTEXT_FILE, LocalContexts
from emrex.elm.errors import ShapesUnavailable
from emrex.elm.rdf import RDF_TYPE
from emrex.elm.shacl import CompiledShapes, compile_shapes, term_node

if TYPE_CHECKING:
    import rdflib

SHAPES_DIR_ENV = "EMREX_ELM_SHAPES_DIR"
SHAPE_FILES = (
    "EDC-generic-no-cv.ttl",
    "EDC-generic-full.ttl",
    "EDC-converted.ttl",
    "EDC-accredited.ttl",
    "EDC-diplomaSupplement.ttl",
    "EDC-issuedByMandate.ttl",
)
ONTOLOGY_FILE = "ontology/ELM.ttl"
OWL_ONTOLOGY = "http://www.w3.org/2002/07/owl#Ontology"
OWL_IMPORTS = "http://www.w3.org/2002/07/owl#imports"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"


def default_shapes_dir() -> Path:
    configured = os.environ.get(SHAPES_DIR_ENV, "")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".local" / "share" / "emrex" / "elm-shapes"


def resolve_shapes_dir(shapes_dir: Path | str | None = None) -> Path:
    directory = Path(shapes_dir).expanduser() if shapes_dir else default_shapes_dir()
    missing = [
        name
        for name in (CONTEXT_FILE, ONTOLOGY_FILE, "shapes/EDC-generic-no-cv.ttl")
        if not (directory / name).is_file()
    ]
    if missing:
        raise ShapesUnavailable(
            f"the EDC shapes are not in {directory} (missing {', '.join(missing)}); run "
            f"'emrex elm shapes fetch' or give --shapes-dir / ${SHAPES_DIR_ENV}"
        )
    return directory


@dataclass(frozen=True)
class Ontology:
    """What RDFS entailment over the ELM ontology adds to a data graph."""

    superclasses: dict[str, frozenset[str]]
    superproperties: dict[str, tuple[str, ...]]
    domains: dict[str, frozenset[str]]  # property -> classes of its subjects (closed)
    ranges: dict[str, frozenset[str]]  # property -> classes of its non-literal objects (closed)
    index: dict[str, dict[str, list[Any]]]  # the ontology's own triples (it is part of the data graph)
    types: dict[str, frozenset[str]]  # entailed types of the ontology's own nodes

    def classes_of(self, types: Iterable[str]) -> set[str]:
        out: set[str] = set()
        for t in types:
            out |= self.superclasses.get(t, {t})
        return out


class ShapesLibrary:
    """The compiled shapes of a folder; ``for_schemas`` picks and caches the set a credential needs."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.contexts = LocalContexts.from_dir(directory)
        self._lock = threading.Lock()
        self._graphs: dict[str, rdflib.Graph] = {}
        self._names: dict[str, str] = {}  # ontology IRI of a shapes file -> file name
        self._imports: dict[str, list[str]] = {}
        self._compiled: dict[tuple[str, ...], CompiledShapes] = {}
        self._ontology: Ontology | None = None
        self._ontology_graph: rdflib.Graph | None = None
        self._scan()

    def _scan(self) -> None:
        for name in SHAPE_FILES:
            path = self.directory / "shapes" / name
            if not path.is_file():
                continue
            graph = _parse(path)
            self._graphs[name] = graph
            for subject in graph.subjects(_uri(RDF_TYPE), _uri(OWL_ONTOLOGY)):
                self._names[str(subject)] = name
                self._imports[name] = [str(o) for o in graph.objects(subject, _uri(OWL_IMPORTS))]

    @property
    def profiles(self) -> tuple[str, ...]:
        return tuple(sorted(self._names))

    def files_for(self, schemas: Iterable[str]) -> tuple[str, ...]:
        wanted: list[str] = []
        stack = [self._names[s] for s in schemas if s in self._names]
        if not stack:
            stack = [self._names.get(v.GENERIC_FULL, "EDC-generic-no-cv.ttl")]
        while stack:
            name = stack.pop()
            if name in wanted:
                continue
            wanted.append(name)
            stack.extend(self._names[i] for i in self._imports.get(name, []) if i in self._names)
        return tuple(sorted(wanted))

    def for_schemas(self, schemas: Iterable[str]) -> CompiledShapes:
        files = self.files_for(schemas)
        with self._lock:
            compiled = self._compiled.get(files)
            if compiled is None:
                import rdflib  # lazy: rdflib is +166 modules, loaded only when shapes are compiled or checked

                graph = rdflib.Graph()
                for name in files:
                    graph += self._graphs[name]
                compiled = self._compiled[files] = compile_shapes(graph, files)
            return compiled

    def graph_of(self, files: Iterable[str]) -> rdflib.Graph:
        """The shapes of ``files`` as one rdflib graph (for the pyshacl reference)."""
        import rdflib  # lazy: rdflib is +166 modules, loaded only when shapes are compiled or checked

        graph = rdflib.Graph()
        for name in files:
            graph += self._graphs[name]
        return graph

    def ontology(self) -> Ontology:
        with self._lock:
            if self._ontology is None:
                graph = self._ontology_graph or _parse(self.directory / ONTOLOGY_FILE)
                self._ontology_graph = graph
                self._ontology = build_ontology(graph)
            return self._ontology

    def ontology_graph(self) -> rdflib.Graph:
        """The ontology as an rdflib graph (for the pyshacl reference; parsed once)."""
        with self._lock:
            if self._ontology_graph is None:
                self._ontology_graph = _parse(self.directory / ONTOLOGY_FILE)
            return self._ontology_graph


_LIBRARIES: dict[Path, ShapesLibrary] = {}
_LIBRARIES_LOCK = threading.Lock()


def load_library(shapes_dir: Path | str | None = None) -> ShapesLibrary:
    """The library of a folder, made once per process and folder."""
    directory = resolve_shapes_dir(shapes_dir).resolve()
    with _LIBRARIES_LOCK:
        library = _LIBRARIES.get(directory)
        if library is None:
            library = _LIBRARIES[directory] = ShapesLibrary(directory)
        return library


def _uri(iri: str) -> Any:
    import rdflib  # lazy: rdflib is +166 modules, loaded only when shapes are compiled or checked

    return rdflib.URIRef(iri)


def _parse(path: Path) -> rdflib.Graph:
    import rdflib  # lazy: rdflib is +166 modules, loaded only when shapes are compiled or checked

    graph = rdflib.Graph()
    try:
        graph.parse(path, format="turtle")
    except OSError as exc:
        raise ShapesUnavailable(f"cannot read {path} ({exc.strerror})") from None
    except Exception as exc:  # rdflib raises many kinds for a bad Turtle file
        raise ShapesUnavailable(f"{path} is not readable Turtle ({type(exc).__name__}: {exc})") from None
    return graph


def build_ontology(graph: rdflib.Graph) -> Ontology:
    sub_class: dict[str, set[str]] = {}
    sub_prop: dict[str, set[str]] = {}
    domain: dict[str, set[str]] = {}
    range_: dict[str, set[str]] = {}
    index: dict[str, dict[str, list[Any]]] = {}
    explicit: dict[str, set[str]] = {}
    for s, p, o in graph:
        subject, predicate, obj = term_node(s), str(p), term_node(o)
        if not isinstance(subject, str):
            continue
        index.setdefault(subject, {}).setdefault(predicate, []).append(obj)
        if not isinstance(obj, str):
            continue
        if predicate == RDFS + "subClassOf":
            sub_class.setdefault(subject, set()).add(obj)
        elif predicate == RDFS + "subPropertyOf":
            sub_prop.setdefault(subject, set()).add(obj)
        elif predicate == RDFS + "domain":
            domain.setdefault(subject, set()).add(obj)
        elif predicate == RDFS + "range":
            range_.setdefault(subject, set()).add(obj)
        elif predicate == RDF_TYPE:
            explicit.setdefault(subject, set()).add(obj)
    superclasses = {c: frozenset(_closure(c, sub_class)) for c in {*sub_class, *_values(sub_class)}}
    superproperties = {p: tuple(sorted(_closure(p, sub_prop))) for p in {*sub_prop, *_values(sub_prop)}}

    def classes(props: dict[str, set[str]]) -> dict[str, frozenset[str]]:
        out: dict[str, frozenset[str]] = {}
        for prop in {*props, *sub_prop}:
            found: set[str] = set()
            for sup in superproperties.get(prop, (prop,)):
                for c in props.get(sup, ()):
                    found |= superclasses.get(c, {c})
            if found:
                out[prop] = frozenset(found)
        return out

    domains, ranges = classes(domain), classes(range_)
    types: dict[str, set[str]] = {}
    for subject, by_predicate in index.items():
        found: set[str] = set()
        for c in explicit.get(subject, ()):
            found |= superclasses.get(c, {c})
        for predicate, objects in by_predicate.items():
            found |= domains.get(predicate, frozenset())
            for obj in objects:
                if isinstance(obj, str) and predicate in ranges:
                    types.setdefault(obj, set()).update(ranges[predicate])
        if found:
            types.setdefault(subject, set()).update(found)
    return Ontology(
        superclasses,
        superproperties,
        domains,
        ranges,
        index,
        {k: frozenset(t) for k, t in types.items()},
    )


def _values(relation: dict[str, set[str]]) -> set[str]:
    return {x for values in relation.values() for x in values}


def _closure(start: str, relation: dict[str, set[str]]) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for nxt in relation.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen
