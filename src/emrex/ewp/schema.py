"""Validation against the official EWP XSDs, read from local folders and never from the network.

The XSDs import each other (and the ELMO schema) by ``raw.githubusercontent.com`` URLs. A resolver
maps such a URL to ``<repository>/<path>`` under one of the folders given, or to the names the
reference folders use (``imobility-tors-get-response.xsd``, ``v1.7.0/schema.xsd``, …); every other
URL is refused. Several schemas are compiled together through a small wrapper that imports them
all, so that a manifest's API entries are checked by their own schemas.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lxml import etree

from emrex.elmo.schema import readable_message, schema_parser
from emrex.ewp.errors import SchemaUnavailable
from emrex.xml import parse_untrusted

_RAW = re.compile(r"https?://raw\.githubusercontent\.com/([^/]+)/([^/]+)/([^/]+)/(.+)")
_W3C_XML = re.compile(r"https?://www\.w3\.org/2001/03/xml\.xsd")
_SPECS = "ewp-specs-api-imobility-tors"
# Where the reference folders keep files under other names: repository path -> extra candidates.
_ALIASES: dict[str, tuple[str, ...]] = {
    f"{_SPECS}/endpoints/get-response.xsd": ("imobility-tors-get-response.xsd",),
    f"{_SPECS}/endpoints/index-response.xsd": ("imobility-tors-index-response.xsd",),
    f"{_SPECS}/manifest-entry.xsd": ("imobility-tors-manifest-entry.xsd",),
    "ewp-specs-api-registry/catalogue.xsd": ("registry-catalogue.xsd",),
    "ewp-specs-architecture/common-types.xsd": ("imports/ewp-specs-architecture/common-types.xsd",),
    "ewp-specs-types-address/schema.xsd": ("imports/ewp-specs-types-address/schema.xsd",),
    "elmo-schemas/schema.xsd": ("v1.7.0/schema.xsd",),
    "elmo-schemas/references/xmldsig-core-schema.xsd": ("v1.7.0/references/xmldsig-core-schema.xsd",),
    "elmo-schemas/references/EUROPASS_ISOCountries_V1.1.xsd": (
        "v1.7.0/references/EUROPASS_ISOCountries_V1.1.xsd",
    ),
}

# The schemas by name: the repository path of each.
TORS_GET = f"{_SPECS}/endpoints/get-response.xsd"
TORS_INDEX = f"{_SPECS}/endpoints/index-response.xsd"
TORS_ENTRY = f"{_SPECS}/manifest-entry.xsd"
CATALOGUE = "ewp-specs-api-registry/catalogue.xsd"
COMMON_TYPES = "ewp-specs-architecture/common-types.xsd"
ECHO_RESPONSE = "ewp-specs-api-echo/response.xsd"
ECHO_ENTRY = "ewp-specs-api-echo/manifest-entry.xsd"
MANIFEST = "ewp-specs-api-discovery/manifest.xsd"
DISCOVERY_ENTRY = "ewp-specs-api-discovery/manifest-entry.xsd"
SEC_ENTRIES = (
    "ewp-specs-sec-cliauth-httpsig/security-entries.xsd",
    "ewp-specs-sec-srvauth-httpsig/security-entries.xsd",
    "ewp-specs-sec-srvauth-tlscert/security-entries.xsd",
)


def find(path: str, roots: Sequence[Path]) -> Path | None:
    """The local file for a repository path, searched in ``roots`` in order."""
    for candidate in (path, *_ALIASES.get(path, ())):
        for root in roots:
            if (root / candidate).is_file():
                return root / candidate
    return None


def repository_path(url: str) -> str | None:
    """``<repository>/<path>`` of an import URL, or None for a URL that is never followed."""
    if _W3C_XML.fullmatch(url):
        return "imports/xml.xsd"
    match = _RAW.fullmatch(url)
    if match is None or match.group(1) not in ("erasmus-without-paper", "emrex-eu"):
        return None
    return f"{match.group(2)}/{match.group(4)}"


class _LocalImports(etree.Resolver):
    def __init__(self, roots: Sequence[Path]) -> None:
        super().__init__()
        self.roots = roots
        self.missing: list[str] = []

    # lxml-stubs describe an older Resolver API (no context argument, no resolve_filename).
    def resolve(self, system_url: str | None, public_id: str | None, context: Any) -> Any:  # type: ignore[override]
        this: Any = self
        url = system_url or ""
        if url.startswith("file:"):
            return None  # the wrapper's own imports of files already found
        path = repository_path(url)
        found = find(path, self.roots) if path is not None else None
        if found is None:
            self.missing.append(url)
            return this.resolve_string("", context)  # fail the import; never let libxml2 fetch it
        return this.resolve_filename(str(found), context)


_cache: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[etree.XMLSchema, threading.Lock]] = {}
_cache_lock = threading.Lock()


def compiled(paths: Sequence[str], roots: Sequence[Path]) -> tuple[etree.XMLSchema, threading.Lock]:
    """The schemas at ``paths`` compiled together (once per process)."""
    key = (tuple(paths), tuple(str(r) for r in roots))
    with _cache_lock:
        if key not in _cache:
            _cache[key] = (_compile(paths, roots), threading.Lock())
        return _cache[key]


def _compile(paths: Sequence[str], roots: Sequence[Path]) -> etree.XMLSchema:
    imports = []
    for path in paths:
        found = find(path, roots)
        if found is None:
            raise SchemaUnavailable(
                f"the EWP schema {path} is not in {', '.join(map(str, roots)) or 'any folder'}"
            )
        target = parse_untrusted(found.read_bytes()).getroot().get("targetNamespace", "")
        imports.append(f'<xs:import namespace="{target}" schemaLocation="{found.resolve().as_uri()}"/>')
    wrapper = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">' + "".join(imports) + "</xs:schema>"
    ).encode()
    resolver = _LocalImports(roots)
    parser = schema_parser()
    parser.resolvers.add(resolver)
    try:
        return etree.XMLSchema(etree.fromstring(wrapper, parser))
    except etree.XMLSchemaParseError as exc:
        if resolver.missing:
            raise SchemaUnavailable(
                f"{resolver.missing[0]} (imported by an EWP schema) is not available locally"
            ) from None
        raise SchemaUnavailable(f"the EWP schemas do not compile: {exc}") from None


def validate(xml: bytes, paths: Sequence[str], roots: Sequence[Path]) -> list[str]:
    """The XSD violations of ``xml`` (empty when valid); SchemaUnavailable when a schema is missing."""
    schema, lock = compiled(paths, roots)
    tree = parse_untrusted(xml)
    with lock:
        if schema.validate(tree):
            return []
        log: Any = schema.error_log
        return [f"line {entry.line}: {readable_message(entry.message)}" for entry in log]
