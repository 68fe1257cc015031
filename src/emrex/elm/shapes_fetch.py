"""Downloading the EDC context, shapes and the ELM ontology into the layout ``emrex.elm.shapes`` reads.

Default source: the European Commission's European-Learning-Model repository, branch ``EDC-3.2-(LTS)``
(``rdf/ap/edc/…`` and ``rdf/ontology/ELM.ttl``) on raw.githubusercontent.com. With a base URL B (a
mirror, or a test server) the files are fetched from ``B/elm-context/edc-ap-context.jsonld``,
``B/elm-shacl/<file>.ttl`` and ``B/elm-ontology/ELM-3.2.ttl``.

Files go into a staging folder beside the destination, are checked (the context is a JSON-LD context,
the Turtle parses, the shapes compile with the ontology) and only then replace what was there. A failed
fetch leaves the destination as it was.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from emrex.download import fetch_bounded
from emrex.elm.contexts import CONTEXT_FILE
from emrex.elm.errors import BadFetchRequest, FetchError, ShapesUnavailable, ShapesUnsupported
from emrex.elm.jsondoc import load_json
from emrex.elm.shapes import ONTOLOGY_FILE, SHAPE_FILES, ShapesLibrary
from emrex.errors import EmrexError

if TYPE_CHECKING:
    import httpx

DEFAULT_TIMEOUT = 30.0
MAX_FILE_BYTES = 8 * 1024 * 1024
ELM_REPO = (
    "https://raw.githubusercontent.com/european-commission-empl/European-Learning-Model/EDC-3.2-%28LTS%29"
)


@dataclass(frozen=True)
class Download:
    url: str
    target: str


@dataclass(frozen=True)
class FetchResult:
    directory: Path
    files: tuple[Path, ...]
    profiles: tuple[str, ...]


def plan(base_url: str | None = None) -> list[Download]:
    if base_url is None:
        return [
            Download(f"{ELM_REPO}/rdf/ap/edc/edc-ap-context.jsonld", CONTEXT_FILE),
            *(Download(f"{ELM_REPO}/rdf/ap/edc/{name}", f"shapes/{name}") for name in SHAPE_FILES),
            Download(f"{ELM_REPO}/rdf/ontology/ELM.ttl", ONTOLOGY_FILE),
        ]
    base = _check_base_url(base_url)
    return [
        Download(f"{base}/elm-context/edc-ap-context.jsonld", CONTEXT_FILE),
        *(Download(f"{base}/elm-shacl/{name}", f"shapes/{name}") for name in SHAPE_FILES),
        Download(f"{base}/elm-ontology/ELM-3.2.ttl", ONTOLOGY_FILE),
    ]


def fetch_shapes(
    directory: Path,
    *,
    base_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[str], None] | None = None,
) -> FetchResult:
    import httpx  # lazy: httpx is +94 modules here, needed only when fetching

    downloads = plan(base_url)
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
                path = tree / download.target
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        _check(tree, downloads)
        profiles = ShapesLibrary(tree).profiles
        _install(tree, directory, staging / "previous")
    except OSError as exc:
        raise FetchError(str(directory), f"cannot write the files ({exc.strerror})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    files = tuple(directory / d.target for d in downloads)
    if progress is not None:
        for download, file in zip(downloads, files, strict=True):
            progress(f"wrote {file} ({file.stat().st_size} bytes) from {download.url}")
    return FetchResult(directory, files, profiles)


def _check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise BadFetchRequest(f"base URL {base_url!r} must be an http:// or https:// URL without query")
    return base_url.rstrip("/")


def _download(client: httpx.Client, url: str) -> bytes:
    return fetch_bounded(client, url, MAX_FILE_BYTES, "a shapes file", FetchError)


def _check(tree: Path, downloads: list[Download]) -> None:
    url_of = {d.target: d.url for d in downloads}
    try:
        context = load_json((tree / CONTEXT_FILE).read_bytes())
    except EmrexError as exc:
        raise FetchError(url_of[CONTEXT_FILE], f"not a JSON-LD context ({exc})") from None
    if not isinstance(context, dict) or not isinstance(context.get("@context"), dict):
        raise FetchError(url_of[CONTEXT_FILE], "not a JSON-LD context (no '@context' object)")
    try:
        library = ShapesLibrary(tree)
        library.ontology()
        for profile in library.profiles:
            library.for_schemas([profile])
    except (ShapesUnavailable, ShapesUnsupported) as exc:
        message = str(exc).replace(str(tree), "the download")
        target = next((t for t in url_of if t in str(exc)), ONTOLOGY_FILE)
        raise FetchError(url_of[target], f"unusable: {message}") from None
    if not library.profiles:
        raise FetchError(
            url_of["shapes/EDC-generic-no-cv.ttl"], "no EDC shapes file names itself (owl:Ontology)"
        )


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
        for entry in reversed(moved):
            if (previous / entry).exists():
                shutil.rmtree(directory / entry, ignore_errors=True)
                (previous / entry).rename(directory / entry)
        raise
