"""Validation against the official ELMO XSDs, read from a local folder and never from the network.

A schema folder holds one ``vX.Y.Z/`` folder per ELMO version (``schema.xsd`` and ``references/``) and
``imports/`` beside them, the layout ``emrex elmo schemas fetch`` writes. The XSDs import each other
through absolute URLs; a resolver maps exactly those URLs to the local files and refuses every other
one, and the parser that loads the schemas has network access switched off as well.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from emrex.elmo.errors import SchemaUnavailable
from emrex.elmo.model import ELMO_NS
from emrex.xml import localname, parse_untrusted

SCHEMA_DIR_ENV = "EMREX_ELMO_SCHEMA_DIR"
IMPORTS = "imports"
FETCH_HINT = "run 'emrex elmo schemas fetch' to download them"

# Prefixes used to shorten namespaces in messages; ELMO's own elements are shown without one.
_PREFIXES = {
    ELMO_NS: "",
    "http://www.w3.org/2000/09/xmldsig#": "ds:",
    "http://www.w3.org/XML/1998/namespace": "xml:",
    "http://www.w3.org/2001/XMLSchema": "xs:",
    "http://europass.cedefop.europa.eu/Europass/V2.0": "europass:",
    "https://github.com/erasmus-without-paper/ewp-specs-types-address/tree/stable-v1": "addr:",
    "https://github.com/erasmus-without-paper/ewp-specs-architecture/blob/stable-v1/common-types.xsd": "ewp:",
}

_VERSION_DIR = re.compile(r"v(\d+)\.(\d+)\.(\d+)")
_GITHUB = r"https?://raw\.githubusercontent\.com/"
_REF = r"[A-Za-z0-9][A-Za-z0-9._-]*"
# Every import the official XSDs make, as (URL pattern, file relative to the schema folder). "{version}"
# is the folder of the version being compiled: each version carries its own copy of the references.
_IMPORT_MAP: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"https?://www\.w3\.org/2001/03/xml\.xsd"), f"{IMPORTS}/xml.xsd"),
    (
        re.compile(_GITHUB + rf"emrex-eu/elmo-schemas/{_REF}/references/xmldsig-core-schema\.xsd"),
        "{version}/references/xmldsig-core-schema.xsd",
    ),
    (
        re.compile(_GITHUB + rf"emrex-eu/elmo-schemas/{_REF}/references/EUROPASS_ISOCountries_V1\.1\.xsd"),
        "{version}/references/EUROPASS_ISOCountries_V1.1.xsd",
    ),
    (
        re.compile(_GITHUB + r"erasmus-without-paper/ewp-specs-types-address/stable-v1/schema\.xsd"),
        f"{IMPORTS}/ewp-specs-types-address/schema.xsd",
    ),
    (
        re.compile(_GITHUB + r"erasmus-without-paper/ewp-specs-architecture/stable-v1/common-types\.xsd"),
        f"{IMPORTS}/ewp-specs-architecture/common-types.xsd",
    ),
)


@dataclass(frozen=True)
class XsdProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class XsdReport:
    version: str
    valid: bool
    errors: list[XsdProblem] = field(default_factory=list)


def resolve_schema_dir(schema_dir: Path | str | None = None) -> Path:
    """The schema folder given, else ``$EMREX_ELMO_SCHEMA_DIR``; it must exist."""
    if schema_dir is None or str(schema_dir) == "":
        configured = os.environ.get(SCHEMA_DIR_ENV, "")
        if not configured:
            raise SchemaUnavailable(
                f"no ELMO schema folder given (pass one or set {SCHEMA_DIR_ENV}); {FETCH_HINT}"
            )
        schema_dir = configured
    path = Path(schema_dir).expanduser()
    if not path.is_dir():
        raise SchemaUnavailable(f"ELMO schema folder {path} does not exist; {FETCH_HINT}")
    return path


def available_versions(schema_dir: Path | str | None = None) -> list[str]:
    """The ELMO versions in the folder ("1.7.0", …), oldest first."""
    root = resolve_schema_dir(schema_dir)
    found = [
        entry.name[1:]
        for entry in root.iterdir()
        if _VERSION_DIR.fullmatch(entry.name) and (entry / "schema.xsd").is_file()
    ]
    return sorted(found, key=_version_key)


def normalise_version(version: str) -> str:
    """'v1.7.0' or '1.7.0' -> '1.7.0'; anything else is refused."""
    text = version.strip()
    text = text[1:] if text[:1] in ("v", "V") else text
    if not _VERSION_DIR.fullmatch("v" + text):
        raise SchemaUnavailable(f"{version!r} is not an ELMO version (expected e.g. 1.7.0)")
    return text


def pick_version(tree: etree._ElementTree, versions: list[str]) -> str:
    """The version to validate a document with: v2.x if it uses v2-only elements, else the newest v1.x."""
    if not versions:
        raise SchemaUnavailable(
            f"the ELMO schema folder holds no version folder (vX.Y.Z/schema.xsd); {FETCH_HINT}"
        )
    major = 2 if _uses_v2_elements(tree.getroot()) else 1
    same_major = [v for v in versions if _version_key(v)[0] == major]
    return max(same_major or versions, key=_version_key)


def validate_xsd(xml: bytes, schema_dir: Path | None = None, *, version: str | None = None) -> XsdReport:
    """Validate ``xml`` against the official XSD of the ELMO version it uses (or ``version``).

    Raises ``XmlError`` when the bytes are not well-formed XML and ``SchemaUnavailable`` when there is no
    schema to validate with; schema violations are returned in the report, never raised.
    """
    root = resolve_schema_dir(schema_dir)
    tree = parse_untrusted(xml)
    versions = available_versions(root)
    if version is None:
        chosen = pick_version(tree, versions)
    else:
        chosen = normalise_version(version)
        if chosen not in versions:
            have = ", ".join(versions) or "none"
            raise SchemaUnavailable(f"ELMO schema version {chosen} is not in {root} (available: {have})")
    compiled = compiled_schema(root, chosen)
    with compiled.lock:
        valid = compiled.schema.validate(tree)
        log: Any = compiled.schema.error_log  # lxml-stubs do not know _ErrorLog is iterable
        errors = [XsdProblem(entry.line, readable_message(entry.message)) for entry in log]
    return XsdReport(chosen, valid, errors)


@dataclass(frozen=True)
class CompiledSchema:
    version: str
    schema: etree.XMLSchema
    # lxml keeps the last error log on the schema object: validate and read it under this lock.
    lock: threading.Lock = field(default_factory=threading.Lock)


_cache: dict[tuple[str, str, int, int], CompiledSchema] = {}
_cache_lock = threading.Lock()


def compiled_schema(schema_dir: Path, version: str) -> CompiledSchema:
    """The compiled XSD of ``version`` in ``schema_dir``, compiled once per process.

    The key includes the identity of ``schema.xsd`` so that a folder replaced by a new fetch is
    compiled again.
    """
    folder = schema_dir.resolve()
    main = folder / f"v{version}" / "schema.xsd"
    try:
        stat = main.stat()
    except OSError:
        raise SchemaUnavailable(f"{main} is missing; {FETCH_HINT}") from None
    key = (str(folder), version, stat.st_ino, stat.st_mtime_ns)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is None:
            cached = CompiledSchema(version, compile_schema(folder, version))
            _cache[key] = cached
    return cached


def compile_schema(schema_dir: Path, version: str) -> etree.XMLSchema:
    """Compile ``v<version>/schema.xsd`` with its imports taken from ``schema_dir`` only."""
    main = schema_dir / f"v{version}" / "schema.xsd"
    resolver = _LocalImports(schema_dir, f"v{version}")
    parser = schema_parser()
    parser.resolvers.add(resolver)
    try:
        data = main.read_bytes()
    except OSError as exc:
        raise SchemaUnavailable(f"cannot read {main} ({exc.strerror}); {FETCH_HINT}") from None
    try:
        document = etree.ElementTree(etree.fromstring(data, parser, base_url=main.as_uri()))
    except etree.XMLSyntaxError as exc:
        raise SchemaUnavailable(f"{main} is not well-formed XML: {exc.msg}") from None
    try:
        return etree.XMLSchema(document)
    except etree.XMLSchemaParseError as exc:
        if resolver.refused:
            raise SchemaUnavailable(
                f"ELMO schema v{version} in {schema_dir} imports {resolver.refused[0]}, which is not one of "
                "the known ELMO imports (schemas are never loaded from the network)"
            ) from None
        if resolver.missing:
            raise SchemaUnavailable(f"{resolver.missing[0]} is missing; {FETCH_HINT}") from None
        raise SchemaUnavailable(
            f"ELMO schema v{version} in {schema_dir} does not compile: {_first_line(exc)}"
        ) from None


def schema_parser() -> etree.XMLParser:
    """The parser for XSD files: no network, no DTD loading, no entity expansion."""
    return etree.XMLParser(no_network=True, load_dtd=False, resolve_entities=False, huge_tree=False)


def import_target(url: str, version_dir: str) -> str | None:
    """The file (relative to the schema folder) an import URL maps to, or None if it is not known."""
    for pattern, target in _IMPORT_MAP:
        if pattern.fullmatch(url):
            return target.replace("{version}", version_dir)
    return None


class _LocalImports(etree.Resolver):
    def __init__(self, schema_dir: Path, version_dir: str) -> None:
        super().__init__()
        self.schema_dir = schema_dir
        self.version_dir = version_dir
        self.refused: list[str] = []
        self.missing: list[Path] = []

    # lxml-stubs describe an older Resolver API (no context argument, no resolve_filename).
    def resolve(self, system_url: str | None, public_id: str | None, context: Any) -> Any:  # type: ignore[override]
        this: Any = self
        target = import_target(system_url or "", self.version_dir)
        if target is None:
            self.refused.append(system_url or "")
            # An empty document fails the import; returning None would let libxml2 try the URL itself.
            return this.resolve_string("", context)
        path = self.schema_dir / target
        if not path.is_file():
            self.missing.append(path)
            return this.resolve_string("", context)
        return this.resolve_filename(str(path), context)


_NAMESPACED = re.compile(r"\{([a-z][a-z0-9+.-]*:[^}\s',]*)\}")
_VALUE_SET = re.compile(r"\{('[^']*'(?:, '[^']*')*)\}")
_SHOWN_VALUES = 8


def readable_message(message: str) -> str:
    """An lxml validation message without namespace noise and without endless value lists."""
    text = _NAMESPACED.sub(lambda m: _PREFIXES.get(m.group(1), m.group(0)), message.strip())

    def shorten(match: re.Match[str]) -> str:
        values = match.group(1).split(", ")
        if len(values) <= _SHOWN_VALUES:
            return match.group(0)
        return "{" + ", ".join(values[:_SHOWN_VALUES]) + f", … ({len(values)} values)" + "}"

    return _VALUE_SET.sub(shorten, text)


def _uses_v2_elements(root: etree._Element) -> bool:
    for child in root:
        name = localname(child)
        if name == "learner" and any(localname(e) in ("dateOfBirth", "alternativeName") for e in child):
            return True
        if name == "report" and any(localname(e) == "resultOfRecognition" for e in child):
            return True
    return False


def _version_key(version: str) -> tuple[int, int, int]:
    match = _VERSION_DIR.fullmatch("v" + version)
    if match is None:
        return (0, 0, 0)
    return (int(match.group(1)), int(match.group(2)), int(match.group(3)))


def _first_line(exc: etree.XMLSchemaParseError) -> str:
    log = exc.error_log
    message = log[0].message if len(log) else str(exc)
    return readable_message(message)
