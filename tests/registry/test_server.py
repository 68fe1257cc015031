from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from starlette.testclient import TestClient

from emrex.registry import Registry, read_catalogue, read_emreg_json
from emrex.registry.config import load_server_config
from emrex.registry.server import create_app
from tests.registry.helpers import write_config


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    return load_server_config(write_config(tmp_path)).registry


@pytest.fixture
def client(registry: Registry) -> TestClient:
    return TestClient(create_app(registry))


def test_served_lists_read_back_identically(client: TestClient, registry: Registry) -> None:
    for path in ("/emp-list.json", "/ncp-list.json"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        again = read_emreg_json(response.content)
        assert again == registry
        assert again.countries == registry.countries
    assert "ncps" in client.get("/ncp-list.json").json()


def test_served_catalogue_reads_back_identically(client: TestClient, registry: Registry) -> None:
    response = client.get("/catalogue-v1.xml")
    assert response.headers["content-type"] == "application/xml"
    again = read_catalogue(response.content)
    assert again == registry
    assert again.countries == registry.countries  # ISO names; PL has two EMPs, so single fetch
    assert again.find_emp("UW").certificates == registry.find_emp("UW").certificates


def test_served_list_satisfies_the_emreg_json_schema(client: TestClient, interop_dir: Path) -> None:
    schema = json.loads((interop_dir / "registry" / "emrex-gateway__emregjsonschema.json").read_bytes())
    jsonschema.validate(
        client.get("/emp-list.json").json(), schema, format_checker=jsonschema.FormatChecker()
    )


def test_documents_carry_cache_validators(client: TestClient) -> None:
    first = client.get("/emp-list.json")
    etag = first.headers["etag"]
    assert "max-age" in first.headers["cache-control"]
    assert first.headers["x-content-type-options"] == "nosniff"
    again = client.get("/emp-list.json", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert client.get("/catalogue-v1.xml", headers={"If-None-Match": etag}).status_code == 200


def test_health_index_and_unknown_paths(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok", "countries": 2, "emps": 3}
    assert "/emp-list.json" in client.get("/").json()["documents"]
    assert client.head("/emp-list.json").status_code == 200
    assert client.get("/emp-list.json/../../etc/passwd").status_code == 404
    assert client.post("/emp-list.json").status_code == 405


def test_head_and_favicon(client: TestClient) -> None:
    assert client.head("/").status_code == 200
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.content[:4] == b"\x00\x00\x01\x00"
