"""Downloading the official ELMO XSDs and their imports into the folder layout ``emrex.elmo.schema`` reads.

Default sources: ``https://raw.githubusercontent.com/<path>`` for the ELMO and EWP files and
``https://www.w3.org/2001/03/xml.xsd``. With a base URL B (a mirror, or a test server) every file is
fetched from ``B/<path>``, where <path> is the path of its GitHub URL (``emrex-eu/elmo-schemas/v1.7.0/
schema.xsd``, ``erasmus-without-paper/ewp-specs-types-address/stable-v1/schema.xsd``, …) and, for the
W3C file, ``www.w3.org/2001/03/xml.xsd``.

Files are downloaded into a staging folder beside the destination, checked (well-formed XML schemas)
and compiled; only then do they replace what was there. A failed fetch leaves the destination as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lxml import etree

from emrex.download import fetch_bounded
from emrex.elmo.errors import BadFetchRequest, FetchError, SchemaUnavailable
from emrex.elmo.schema import (
    IMPORTS,
    SCHEMA_DIR_ENV,
    compile_schema,
    normalise_version,
    readable_message,
    schema_parser,
)

if TYPE_CHECKING:
    import httpx

DEFAULT_VERSIONS = ("1.7.0", "2.0.0")
DEFAULT_TIMEOUT = 30.0
MAX_FILE_BYTES = 4 * 1024 * 1024
GITHUB = "https://raw.githubusercontent.com"
W3C_XML = "https://www.w3.org/2001/03/xml.xsd"
XSD_NS = "http://www.w3.org/2001/XMLSchema"

_ELMO_REPO = "emrex-eu/elmo-schemas"
_EWP_FILES = (
    (
        "erasmus-without-paper/ewp-specs-types-address/stable-v1/schema.xsd",
        "ewp-specs-types-address/schema.xsd",
    ),
    (
        "erasmus-without-paper/ewp-specs-architecture/stable-v1/common-types.xsd",
        "ewp-specs-architecture/common-types.xsd",
    ),
)
_VERSION_FILES = (
    "schema.xsd",
    "references/xmldsig-core-schema.xsd",
    "references/EUROPASS_ISOCountries_V1.1.xsd",
)


@dataclass(frozen=True)
class Download:
    url: str
    target: str  # path inside the schema folder


@dataclass(frozen=True)
class FetchResult:
    directory: Path
    versions: tuple[str, ...]
    files: tuple[Path, ...]


def default_schema_dir() -> Path:
    configured = os.environ.get(SCHEMA_DIR_ENV, "")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".local" / "share" / "emrex" / "elmo-schemas"


def plan(versions: Sequence[str] = DEFAULT_VERSIONS, base_url: str | None = None) -> list[Download]:
    """What to download, from where, to which path of the schema folder."""
    github, w3c_xml = GITHUB, W3C_XML
    if base_url is not None:
        base = _check_base_url(base_url)
        github, w3c_xml = base, f"{base}/www.w3.org/2001/03/xml.xsd"
    downloads = [Download(w3c_xml, f"{IMPORTS}/xml.xsd")]
    downloads += [Download(f"{github}/{path}", f"{IMPORTS}/{target}") for path, target in _EWP_FILES]
    for version in _versions(versions):
        tag = f"v{version}"
        downloads += [
            Download(f"{github}/{_ELMO_REPO}/{tag}/{name}", f"{tag}/{name}") for name in _VERSION_FILES
        ]
    return downloads


def fetch_schemas(
    directory: Path,
    *,
    versions: Sequence[str] = DEFAULT_VERSIONS,
    base_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[str], None] | None = None,
) -> FetchResult:
    """Download, check and compile the schemas of ``versions``, then install them in ``directory``.

    Version folders and ``imports/`` already in ``directory`` are replaced; other entries are kept.
    """
    import httpx  # lazy: httpx is +99 modules here, needed only when fetching

    downloads = plan(versions, base_url)
    wanted = tuple(_versions(versions))
    if directory.exists() and not directory.is_dir():
        raise BadFetchRequest(f"{directory} exists and is not a folder")
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.fetch-", dir=directory.parent))
    except OSError as exc:
        raise FetchError(str(directory), f"cannot create a folder there ({exc.strerror})") from None
    try:
        tree = staging / "tree"
        with httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=5) as client:
            for download in downloads:
                data = _download(client, download.url)
                _check_schema_document(download.url, data)
                path = tree / download.target
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        for version in wanted:
            try:
                compile_schema(tree, version)
            except SchemaUnavailable as exc:
                url = next(d.url for d in downloads if d.target == f"v{version}/schema.xsd")
                problem = str(exc).replace(str(tree), "the download")
                raise FetchError(
                    url, f"the downloaded ELMO {version} schema is unusable ({problem})"
                ) from None
        _install(tree, directory, staging / "previous")
    except OSError as exc:
        raise FetchError(str(directory), f"cannot write the schemas ({exc.strerror})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    files = tuple(directory / d.target for d in downloads)
    if progress is not None:
        for download, file in zip(downloads, files, strict=True):
            progress(f"wrote {file} ({file.stat().st_size} bytes) from {download.url}")
    return FetchResult(directory, wanted, files)


def _versions(versions: Sequence[str]) -> list[str]:
    try:
        wanted = list(dict.fromkeys(normalise_version(v) for v in versions))
    except SchemaUnavailable as exc:
        raise BadFetchRequest(str(exc)) from None
    if not wanted:
        raise BadFetchRequest("no ELMO version to fetch")
    return wanted


def _check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise BadFetchRequest(f"base URL {base_url!r} must be an http:// or https:// URL without query")
    return base_url.rstrip("/")


def _download(client: httpx.Client, url: str) -> bytes:
    return fetch_bounded(client, url, MAX_FILE_BYTES, "a schema file", FetchError)


def _check_schema_document(url: str, data: bytes) -> None:
    # Not parse_untrusted: the official xml.xsd carries a DOCTYPE naming an external DTD. That DTD is
    # never loaded; an internal subset (where entities would be declared) is refused.
    try:
        tree = etree.ElementTree(etree.fromstring(data, schema_parser()))
    except etree.XMLSyntaxError as exc:
        line = f" (line {exc.position[0]})" if exc.position else ""
        raise FetchError(url, f"not well-formed XML: {readable_message(exc.msg or '')}{line}") from None
    docinfo: Any = tree.docinfo
    subset = docinfo.internalDTD
    if subset is not None and (list(subset.iterentities()) or list(subset.elements())):
        raise FetchError(url, "declares a DTD with entities or elements, refused")
    root = tree.getroot()
    if root.tag != f"{{{XSD_NS}}}schema":
        raise FetchError(url, f"not an XML Schema (the root element is {root.tag!r})")


def _install(tree: Path, directory: Path, previous: Path) -> None:
    if not directory.exists():
        tree.rename(directory)
        return
    previous.mkdir()
    moved: list[str] = []
    try:
        for entry in sorted(p.name for p in tree.iterdir()):
            if (directory / entry).exists():
                (directory / entry).rename(previous / entry)
            moved.append(entry)
            (tree / entry).rename(directory / entry)
    except OSError:
        for entry in reversed(moved):  # put back what was there before
            if (previous / entry).exists():
                shutil.rmtree(directory / entry, ignore_errors=True)
                (previous / entry).rename(directory / entry)
        raise
