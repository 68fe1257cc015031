"""``emrex elm shapes fetch``: from a mirror in the reference folder's layout; a failure changes nothing."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import Any

import pytest

from emrex.elm import load_library
from emrex.elm.errors import BadFetchRequest, FetchError
from emrex.elm.shapes_fetch import ELM_REPO, fetch_shapes, plan
from tests.elm.fixtures import serve


@pytest.fixture(autouse=True)
def only_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.create_connection

    def guarded(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if address[0] not in ("127.0.0.1", "localhost"):
            raise AssertionError(f"test tried to connect to {address[0]}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def test_the_default_plan_names_the_public_locations() -> None:
    urls = [d.url for d in plan()]
    assert urls[0] == f"{ELM_REPO}/rdf/ap/edc/edc-ap-context.jsonld"
    assert f"{ELM_REPO}/rdf/ap/edc/EDC-converted.ttl" in urls
    assert urls[-1] == f"{ELM_REPO}/rdf/ontology/ELM.ttl"


def test_fetch_installs_a_usable_folder(samples_elm: Path, tmp_path: Path) -> None:
    target = tmp_path / "shapes"
    with serve(samples_elm) as base:
        result = fetch_shapes(target, base_url=base)
    assert "http://data.europa.eu/snb/model/ap/edc-converted" in result.profiles
    library = load_library(target)
    assert library.files_for(["http://data.europa.eu/snb/model/ap/edc-converted"]) == (
        "EDC-converted.ttl",
        "EDC-generic-full.ttl",
        "EDC-generic-no-cv.ttl",
    )


def test_a_broken_download_leaves_the_folder_as_it_was(samples_elm: Path, tmp_path: Path) -> None:
    target = tmp_path / "shapes"
    with serve(samples_elm) as base:
        fetch_shapes(target, base_url=base)
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    mirror = tmp_path / "mirror"
    shutil.copytree(samples_elm, mirror)
    (mirror / "elm-shacl" / "EDC-generic-full.ttl").chmod(0o644)
    (mirror / "elm-shacl" / "EDC-generic-full.ttl").write_text("this is @not turtle <")
    with serve(mirror) as base, pytest.raises(FetchError, match=r"EDC-generic-full\.ttl"):
        fetch_shapes(target, base_url=base)
    assert {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} == before


def test_a_missing_file_is_named(samples_elm: Path, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    shutil.copytree(samples_elm / "elm-context", mirror / "elm-context")
    with serve(mirror) as base, pytest.raises(FetchError, match="HTTP 404"):
        fetch_shapes(tmp_path / "shapes", base_url=base)


def test_a_bad_base_url_is_refused() -> None:
    with pytest.raises(BadFetchRequest):
        plan("ftp://mirror.example/")
