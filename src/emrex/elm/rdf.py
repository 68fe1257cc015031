"""JSON-LD -> RDF triples for EDC credentials, fast for the profile's own contexts.

pyld implements all of JSON-LD but takes about 0.6 s for a 60-course credential. An EDC names two
fixed contexts whose term definitions are plain (an IRI, ``@type`` coercion to ``@id`` or a datatype,
or a language container), so documents that use only those contexts, without inline contexts or other
keywords, are turned into triples here in a single pass. Anything else goes through pyld, with a
document loader that knows only the local contexts. The tests check that both give the same triples.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from emrex.elm.contexts import XSD, LocalContexts
from emrex.elm.errors import ElmParseError, RemoteContextRefused

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
XSD_STRING = XSD + "string"
_ALLOWED_KEYWORDS = {"@context", "@id", "@type", "@value", "@language"}
_GEN_DELIMS = (":", "/", "?", "#", "[", "]", "@")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


class Literal(NamedTuple):
    value: str
    datatype: str
    language: str | None = None


Node = str | Literal  # an IRI, a blank node ("_:…") or a literal
Triple = tuple[str, str, Node]


class _Term(NamedTuple):
    iri: str
    coerce: str | None  # "@id", a datatype IRI, or None
    language_map: bool
    scoped: dict[str, Any] | None  # a type-scoped context (VerifiableCredential)


class _Context:
    def __init__(self, terms: dict[str, _Term], prefixes: dict[str, str]) -> None:
        self.terms = terms
        self.prefixes = prefixes

    def expand(self, value: str, *, vocab: bool) -> str | None:
        """The absolute IRI of a term, compact IRI or IRI; None when it stays relative (dropped)."""
        if vocab:
            term = self.terms.get(value)
            if term is not None:
                return term.iri
        if ":" in value:
            prefix, _, suffix = value.partition(":")
            if prefix == "_":
                return value
            if not suffix.startswith("//") and prefix in self.prefixes:
                return self.prefixes[prefix] + suffix
            return value
        return None

    def extended(self, definitions: dict[str, Any]) -> _Context:
        terms, prefixes = dict(self.terms), dict(self.prefixes)
        _define(definitions, terms, prefixes)
        return _Context(terms, prefixes)


def _define(definitions: dict[str, Any], terms: dict[str, _Term], prefixes: dict[str, str]) -> None:
    raw = {k: d for k, d in definitions.items() if not k.startswith("@")}
    simple = {k: d for k, d in raw.items() if isinstance(d, str)}
    for key, iri in simple.items():  # prefixes first: term IRIs use them
        if iri.endswith(_GEN_DELIMS):
            prefixes[key] = iri
    probe = _Context(terms, prefixes)
    for key, definition in raw.items():
        if isinstance(definition, str):
            if definition.startswith("@"):
                continue  # keyword aliases: id and type, handled as @id and @type
            iri = probe.expand(definition, vocab=False) or definition
            terms[key] = _Term(iri, None, False, None)
        elif isinstance(definition, dict):
            iri = probe.expand(str(definition.get("@id", key)), vocab=False) or key
            coerce = definition.get("@type")
            if isinstance(coerce, str) and coerce != "@id":
                coerce = probe.expand(coerce, vocab=False)
            scoped = definition.get("@context")
            terms[key] = _Term(
                iri,
                coerce if isinstance(coerce, str) else None,
                definition.get("@container") == "@language",
                scoped if isinstance(scoped, dict) else None,
            )


class Expander:
    """Triples of an EDC document; ``triples`` picks the fast path when the document allows it."""

    def __init__(self, contexts: LocalContexts) -> None:
        self.contexts = contexts
        terms: dict[str, _Term] = {}
        prefixes: dict[str, str] = {}
        self._cache: dict[tuple[str, ...], _Context] = {}
        self._terms, self._prefixes = terms, prefixes

    def triples(self, document: Any) -> set[Triple]:
        names = _context_names(document)
        if names is not None and _plain(document):
            return _Walk(self._context(tuple(names))).document(document)
        return self.with_pyld(document)

    def _context(self, names: tuple[str, ...]) -> _Context:
        context = self._cache.get(names)
        if context is None:
            terms: dict[str, _Term] = {}
            prefixes: dict[str, str] = {}
            for name in names:
                _define(self.contexts.context(name), terms, prefixes)
            context = self._cache[names] = _Context(terms, prefixes)
        return context

    def with_pyld(self, document: Any) -> set[Triple]:
        from pyld import jsonld  # lazy: +302 modules, for the reference expansion only

        try:
            dataset = jsonld.to_rdf(document, {"documentLoader": self.contexts.loader})
        except jsonld.JsonLdError as exc:
            refused = _refusal(exc)
            if refused is not None:
                raise refused from None
            raise ElmParseError(f"not valid JSON-LD: {_first_line(exc)}") from None
        out: set[Triple] = set()
        for quad in dataset.get("@default", []):
            out.add((quad["subject"]["value"], quad["predicate"]["value"], _pyld_object(quad["object"])))
        return out


def _refusal(exc: BaseException) -> RemoteContextRefused | None:
    seen: set[int] = set()
    current: Any = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, RemoteContextRefused):
            return current
        cause = getattr(current, "cause", None) or current.__cause__ or current.__context__
        if isinstance(current, dict):
            cause = current.get("cause")
        current = cause
    text = str(exc)
    match = re.search(r"RemoteContextRefused|'url': '([^']*)'", text)
    if match and match.group(1):
        return RemoteContextRefused(match.group(1))
    return None


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__


def _pyld_object(obj: dict[str, Any]) -> Node:
    if obj["type"] == "literal":
        return Literal(obj["value"], obj.get("datatype", XSD_STRING), obj.get("language"))
    return str(obj["value"])


def _context_names(document: Any) -> list[str] | None:
    if not isinstance(document, dict):
        return None
    context = document.get("@context")
    names = context if isinstance(context, list) else [context]
    strings = [n for n in names if isinstance(n, str)]
    if not names or len(strings) != len(names):
        return None
    return strings


def _plain(document: Any) -> bool:
    """No inline contexts and no keywords beyond the ones the fast path handles, anywhere below the top."""
    stack: list[Any] = [(document, True)]
    while stack:
        item, top = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key.startswith("@") and (key not in _ALLOWED_KEYWORDS or (key == "@context" and not top)):
                    return False
                if key != "@context":
                    stack.append((value, False))
        elif isinstance(item, list):
            stack.extend((x, False) for x in item)
    return True


class _Walk:
    def __init__(self, context: _Context) -> None:
        self.base = context
        self.out: set[Triple] = set()
        self.blank = 0
        self.scoped: dict[int, _Context] = {}

    def document(self, document: dict[str, Any]) -> set[Triple]:
        self.node(document, self.base)
        return self.out

    def new_blank(self) -> str:
        self.blank += 1
        return f"_:b{self.blank - 1}"

    def node(self, node: dict[str, Any], context: _Context) -> str | None:
        ident = node.get("id", node.get("@id"))
        subject = context.expand(ident, vocab=False) if isinstance(ident, str) else self.new_blank()
        types = node.get("type", node.get("@type"))
        active = context
        type_iris = []
        for name in types if isinstance(types, list) else ([types] if types is not None else []):
            if not isinstance(name, str):
                continue
            term = context.terms.get(name)
            if term is not None and term.scoped is not None:
                active = self._scoped(active, term)
            iri = context.expand(name, vocab=True)
            if iri is not None:
                type_iris.append(iri)
        if subject is not None:
            for iri in type_iris:
                self.out.add((subject, RDF_TYPE, iri))
        for key, value in node.items():
            if key in ("@context", "id", "@id", "type", "@type"):
                continue
            term = active.terms.get(key)
            predicate = term.iri if term is not None else active.expand(key, vocab=True)
            if predicate is None or ":" not in predicate or predicate.startswith("_:"):
                continue
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and term is not None and term.language_map and _is_map(item):
                    if subject is not None:
                        self.out.update((subject, predicate, lit) for lit in _language_literals(item))
                    continue
                obj = self.value(item, term, active)
                if obj is not None and subject is not None:
                    self.out.add((subject, predicate, obj))
        return subject

    def _scoped(self, context: _Context, term: _Term) -> _Context:
        assert term.scoped is not None
        key = id(term.scoped)
        cached = self.scoped.get(key)
        if cached is None:
            cached = self.scoped[key] = context.extended(term.scoped)
        return cached

    def value(self, item: Any, term: _Term | None, context: _Context) -> Node | None:
        if item is None:
            return None
        if isinstance(item, dict):
            if "@value" in item:
                return self.value_object(item, context)
            return self.node(item, context)
        coerce = term.coerce if term is not None else None
        if isinstance(item, str):
            if coerce == "@id":
                return context.expand(item, vocab=False)
            return Literal(item, coerce or XSD_STRING)
        if isinstance(item, bool):
            return Literal(
                "true" if item else "false", coerce if coerce not in (None, "@id") else XSD + "boolean"
            )
        if isinstance(item, (int, float)):
            return _number(item, coerce if coerce != "@id" else None)
        if isinstance(item, list):
            return None  # nested lists are @list in JSON-LD 1.1: the pyld path handles those
        return None

    def value_object(self, item: dict[str, Any], context: _Context) -> Node | None:
        value = item["@value"]
        language = item.get("@language")
        datatype = item.get("@type")
        if isinstance(value, str) and isinstance(language, str):
            return Literal(value, RDF_LANGSTRING, language.lower())
        if isinstance(datatype, str):
            datatype = context.expand(datatype, vocab=True)
        if isinstance(value, str):
            return Literal(value, datatype or XSD_STRING)
        if isinstance(value, bool):
            return Literal("true" if value else "false", datatype or XSD + "boolean")
        if isinstance(value, (int, float)):
            return _number(value, datatype)
        return None


def _is_map(item: dict[str, Any]) -> bool:
    return not any(key in item for key in ("@value", "id", "@id"))


def _language_literals(item: dict[str, Any]) -> Iterable[Literal]:
    for language, texts in item.items():
        for text in texts if isinstance(texts, list) else [texts]:
            if not isinstance(text, str):
                continue
            if language == "@none":
                yield Literal(text, XSD_STRING)
            else:
                yield Literal(text, RDF_LANGSTRING, language.lower())


def _number(value: float, datatype: str | None) -> Literal | None:
    double = XSD + "double"
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, float) and (value != int(value) or datatype == double):
        text = f"{value:1.15E}"
        mantissa, exponent = text.split("E")
        mantissa = mantissa.rstrip("0")
        if mantissa.endswith("."):
            mantissa += "0"
        return Literal(f"{mantissa}E{int(exponent)}", datatype or double)
    if datatype == double:
        return Literal(f"{float(value):1.15E}", double)
    return Literal(str(int(value)), datatype or XSD + "integer")
