"""Fixtures for the ELM tests (a plugin of tests/conftest.py): the EDC shapes fetched once per run from a
local server of ../shared."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emrex.elm import Sealer, ShapesLibrary, load_library

SHAPES_HELP = (
    "EDC shapes not available: the tests fetch them from ../shared/samples-elm (elm-context, elm-shacl, "
    "elm-ontology) through a local HTTP server, and that folder is missing here"
)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@contextlib.contextmanager
def serve(root: Path) -> Iterator[str]:
    """A local HTTP server of ``root``; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def samples_elm(shared_dir: Path) -> Path:
    path = shared_dir / "samples-elm"
    if not (path / "elm-shacl").is_dir():
        pytest.skip(SHAPES_HELP)
    return path


@pytest.fixture(scope="session")
def shapes_dir(samples_elm: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shapes as ``emrex elm shapes fetch`` installs them, fetched from a local mirror of ../shared."""
    from emrex.elm.shapes_fetch import fetch_shapes

    target = tmp_path_factory.mktemp("elm") / "shapes"
    with serve(samples_elm) as base:
        fetch_shapes(target, base_url=base)
    return target


@pytest.fixture(scope="session")
def library(shapes_dir: Path) -> ShapesLibrary:
    return load_library(shapes_dir)


@pytest.fixture
def sealer() -> Sealer:
    return Sealer(
        {"en": "Nordvik Credential Office"}, "SE", "NTRSE-2021002114", homepage="https://seal.example"
    )
