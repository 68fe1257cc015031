"""Checking an EDC credential against the official EDC shapes, offline, in words a person understands.

``validate_credential`` reads the JSON-LD with the local contexts only (a remote context is refused by
name), turns it into triples, adds what RDFS entailment over the ELM ontology adds, and checks the
shapes the credential's ``credentialSchema`` names (the generic profile when it names none we have).
``reference_validate`` does the same with pyshacl and RDFS inference: the tests and the benchmark
compare the two.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emrex.elm.errors import ElmParseError
from emrex.elm.rdf import RDF_TYPE, Expander, Literal, Node, Triple
from emrex.elm.shacl import SH, DataGraph, Result, validate_graph
from emrex.elm.shapes import ShapesLibrary, load_library

_PREFIXES = (
    ("http://data.europa.eu/snb/model/elm/", "elm:"),
    ("http://purl.org/dc/terms/", "dc:"),
    ("https://www.w3.org/2018/credentials#", "cred:"),
    ("http://www.w3.org/2004/02/skos/core#", "skos:"),
    ("http://www.w3.org/ns/adms#", "adms:"),
    ("http://xmlns.com/foaf/0.1/", "foaf:"),
    ("http://www.w3.org/ns/regorg#", "rov:"),
    ("http://www.w3.org/2001/XMLSchema#", "xsd:"),
    ("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdf:"),
    ("http://data.europa.eu/snb/model/ap/edc-generic-no-cv/", "edc:"),
    ("http://data.europa.eu/snb/model/ap/edc-generic-full/", "edc-full:"),
    ("http://data.europa.eu/snb/model/ap/edc-converted/", "edc-converted:"),
    ("http://data.europa.eu/snb/model/ap/", "edc-ap:"),
    ("http://www.w3.org/ns/person#", "person:"),
)
_LABELS = (
    "http://purl.org/dc/terms/title",
    "http://www.w3.org/ns/regorg#legalName",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
)


def short(iri: str) -> str:
    for long, prefix in _PREFIXES:
        if iri.startswith(long):
            return prefix + iri[len(long) :]
    return iri


@dataclass(frozen=True)
class Problem:
    """One violation: which shape, which node (with its class and title), what is wrong."""

    shape: str
    focus: str
    focus_label: str
    path: str | None
    component: str
    message: str
    value: str | None = None

    def __str__(self) -> str:
        return f"{self.focus_label}: {self.message} [shape {self.shape}]"


@dataclass
class ValidationReport:
    conforms: bool
    problems: list[Problem] = field(default_factory=list)
    shapes: tuple[str, ...] = ()  # the shapes files checked
    triples: int = 0

    def summary(self) -> str:
        files = ", ".join(self.shapes)
        if self.conforms:
            return f"conforms to the EDC shapes ({files})"
        return f"{len(self.problems)} problem(s) against the EDC shapes ({files})"


def credential_schemas(credential: dict[str, Any]) -> list[str]:
    schemas = credential.get("credentialSchema")
    out = []
    for item in schemas if isinstance(schemas, list) else [schemas]:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            out.append(item["id"])
        elif isinstance(item, str):
            out.append(item)
    return out


def validate_credential(
    credential: dict[str, Any], *, shapes_dir: Path | str | None = None, library: ShapesLibrary | None = None
) -> ValidationReport:
    """The verdict of the EDC shapes on ``credential`` (a parsed JSON-LD object, not a sealed envelope).

    ShapesUnavailable when there is no shapes folder; RemoteContextRefused for a context we do not hold.
    """
    if not isinstance(credential, dict):
        raise ElmParseError("an ELM credential is a JSON object")
    library = library or load_library(shapes_dir)
    triples = Expander(library.contexts).triples(credential)
    compiled = library.for_schemas(credential_schemas(credential))
    graph = DataGraph(triples, library.ontology())
    results = validate_graph(graph, compiled)
    problems = [_problem(graph, r) for r in results]
    problems.sort(key=lambda p: (p.focus, p.path or "", p.component))
    return ValidationReport(not problems, problems, compiled.files, len(triples))


def reference_validate(
    credential: dict[str, Any], *, shapes_dir: Path | str | None = None, library: ShapesLibrary | None = None
) -> tuple[bool, set[tuple[str, str | None, str]]]:
    """pyshacl's verdict with RDFS inference: (conforms, {(focus, path, component)})."""
    import pyshacl  # lazy: +272 modules, for the reference check only
    import rdflib  # lazy: rdflib is +166 modules, loaded only when shapes are compiled or checked

    library = library or load_library(shapes_dir)
    triples = Expander(library.contexts).with_pyld(credential)
    data = rdflib.Graph()
    for s, p, o in triples:
        data.add((_term(s), rdflib.URIRef(p), _term(o)))
    files = library.files_for(credential_schemas(credential))
    conforms, report, _ = pyshacl.validate(
        data, shacl_graph=library.graph_of(files), ont_graph=library.ontology_graph(), inference="rdfs"
    )
    found = set()
    details = set(report.objects(None, rdflib.URIRef(SH + "detail")))  # nested results of sh:node
    for result in report.subjects(rdflib.RDF.type, rdflib.URIRef(SH + "ValidationResult")):
        if result in details:
            continue
        focus = report.value(result, rdflib.URIRef(SH + "focusNode"))
        if isinstance(focus, rdflib.BNode):
            focus = rdflib.Literal(f"_:{focus}")
        path = report.value(result, rdflib.URIRef(SH + "resultPath"))
        component = str(report.value(result, rdflib.URIRef(SH + "sourceConstraintComponent")))
        found.add(
            (
                str(focus),
                str(path) if path is not None else None,
                component.rsplit("#", 1)[-1].removesuffix("ConstraintComponent"),
            )
        )
    return bool(conforms), found


def verdicts(report: ValidationReport) -> set[tuple[str, str | None, str]]:
    """The report in the reference's terms, for comparing the two."""
    return {(p.focus, p.path, p.component) for p in report.problems}


def _term(node: Node) -> Any:
    import rdflib  # lazy: rdflib is +166 modules, loaded only when shapes are compiled or checked

    if isinstance(node, Literal):
        if node.language:
            return rdflib.Literal(node.value, lang=node.language)
        return rdflib.Literal(node.value, datatype=rdflib.URIRef(node.datatype))
    if node.startswith("_:"):
        return rdflib.BNode(node[2:])
    return rdflib.URIRef(node)


def _label(graph: DataGraph, node: Node) -> str:
    if isinstance(node, Literal):
        return f"the value {node.value[:60]!r}"
    kinds = sorted(
        short(t).removeprefix("elm:")
        for t in graph.types_of(node)
        if t.startswith("http://data.europa.eu/snb/model/elm/")
    )
    explicit = {
        short(t).removeprefix("elm:")
        for t in graph.index.get(node, {}).get(RDF_TYPE, set())
        if isinstance(t, str)
    }
    kind = next(
        (k for k in kinds if k in explicit and k not in ("Claim", "Agent", "Specification")),
        kinds[0] if kinds else "node",
    )
    title = None
    for predicate in _LABELS:
        values = [v for v in graph.objects(node, predicate) if isinstance(v, Literal)]
        if values:
            english = [v for v in values if v.language == "en"]
            title = (english or values)[0].value
            break
    named = f" ({title[:60]!r})" if title else ""
    return f"{kind} {node}{named}"


def _problem(graph: DataGraph, result: Result) -> Problem:
    shape = result.shape
    name = shape.name or (short(result.path) if result.path else None)
    what = (
        f"{name} ({short(result.path)})"
        if result.path and name != short(result.path)
        else (name or "the node")
    )
    value = _show(result.value)
    limit = shape.max_inclusive.value if shape.max_inclusive else "the maximum"
    message = {
        "MinCount": f"{what} is missing: at least {shape.min_count} value(s) required",
        "MaxCount": f"{what} has too many values: at most {shape.max_count} allowed",
        "Class": f"{what}: {value} is not a {_classes(shape.classes)}",
        "Datatype": f"{what}: {value} is not a well-formed {short(shape.datatype or '')}",
        "NodeKind": f"{what}: {value} is not a {short(shape.node_kind or '').removeprefix('sh:')}",
        "HasValue": f"{what} must include {', '.join(_show(v) for v in shape.has_value)}",
        "UniqueLang": f"{what} gives two values in the same language",
        "MaxInclusive": f"{what}: {value} is above {limit}",
        "Or": f"{what}: {value} is none of {_alternatives(shape)}",
        "Node": f"{what}: {value} does not meet {', '.join(short(n.id) for n in shape.nodes)}"
        + (f" ({shape.nodes[0].message})" if shape.nodes and shape.nodes[0].message else ""),
    }.get(result.component, f"{what}: {result.component} constraint not met")
    return Problem(
        shape=short(shape.id) if not shape.id.startswith("_:") else f"a property shape on {what}",
        focus=str(result.focus),
        focus_label=_label(graph, result.focus),
        path=result.path,
        component=result.component,
        message=message,
        value=value if result.value is not None else None,
    )


def _show(value: Node | None) -> str:
    if value is None:
        return "the value"
    if isinstance(value, Literal):
        return repr(value.value[:60])
    return f"<{value}>"


def _classes(classes: Iterable[str]) -> str:
    return " or ".join(short(c).removeprefix("elm:") for c in classes)


def _alternatives(shape: Any) -> str:
    parts = []
    for alternatives in shape.any_of:
        for member in alternatives:
            if member.classes:
                parts.append(_classes(member.classes))
            elif member.nodes:
                parts.append(", ".join(short(n.id) for n in member.nodes))
    return " / ".join(parts) or "the alternatives"


def triples_of(credential: dict[str, Any], library: ShapesLibrary) -> set[Triple]:
    return Expander(library.contexts).triples(credential)
