from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import pytest

from emrex.registry import RegistryError, RegistrySourceError, catalogue_xml, load_registry, parse_registry
from emrex.registry.config import load_server_config
from emrex.registry.sources import fetch_url
from tests.registry.helpers import Switchable, emp_entry, emreg_document, write_config


def test_format_is_detected_by_content(tmp_path: Path) -> None:
    json_list = emreg_document(emp_entry("LADOK"))
    registry = parse_registry(b"\xef\xbb\xbf\n  " + json_list)
    catalogue = catalogue_xml(registry)
    assert parse_registry(catalogue).emps == registry.emps
    path = tmp_path / "list.txt"  # the name says nothing
    path.write_bytes(catalogue)
    loaded = load_registry(str(path))
    assert loaded.emps == registry.emps
    assert loaded.source == str(path)


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "is empty"), (b" \n", "is empty"), (b"hello", "neither an EMREG JSON list nor an EWP catalogue")],
)
def test_other_content_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        parse_registry(data, source="x")


def test_unreadable_files_are_source_errors(tmp_path: Path) -> None:
    with pytest.raises(RegistrySourceError, match="no such file"):
        load_registry(str(tmp_path / "missing.json"))
    with pytest.raises(RegistrySourceError, match="is a directory"):
        load_registry(str(tmp_path))


def test_a_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(emreg_document(emp_entry("A")))
    with pytest.raises(RegistryError, match="larger than the limit of 100 bytes"):
        load_registry(str(path), max_bytes=100)


def test_fetches_over_http_from_this_machine(http_source: tuple[Switchable, str]) -> None:
    state, base = http_source
    state.body = emreg_document(emp_entry("LADOK"))
    registry = load_registry(f"{base}/emp-list.json", timeout=5)
    assert registry.emps[0].acronym == "LADOK"
    assert registry.source == f"{base}/emp-list.json"


def test_http_errors_and_garbage_are_told_apart(http_source: tuple[Switchable, str]) -> None:
    state, base = http_source
    state.status, state.body = 503, b"down"
    with pytest.raises(RegistrySourceError, match="HTTP 503 Service Unavailable"):
        load_registry(f"{base}/emp-list.json")
    state.status, state.body = 200, b"<html>maintenance</html>"
    with pytest.raises(RegistryError, match="not an EWP registry <catalogue>") as caught:
        load_registry(f"{base}/emp-list.json")
    assert not isinstance(caught.value, RegistrySourceError)


def test_a_slow_source_times_out(http_source: tuple[Switchable, str]) -> None:
    state, base = http_source
    state.delay, state.body = 1.0, emreg_document(emp_entry("A"))
    with pytest.raises(RegistrySourceError, match=r"no answer within 0\.2 s"):
        load_registry(f"{base}/emp-list.json", timeout=0.2)


def test_a_body_over_the_limit_is_refused(http_source: tuple[Switchable, str]) -> None:
    state, base = http_source
    state.body = emreg_document(emp_entry("A"))
    with pytest.raises(RegistryError, match="larger than the limit of 100 bytes"):
        load_registry(f"{base}/emp-list.json", max_bytes=100)


def test_a_gzip_bomb_is_bounded_by_its_decoded_size() -> None:
    bomb = gzip.compress(b" " * 5_000_000)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=bomb, headers={"Content-Encoding": "gzip"})

    with pytest.raises(RegistryError, match="larger than the limit of 1000000 bytes"):
        fetch_url(
            "https://registry.example.org/emp-list.json",
            max_bytes=1_000_000,
            transport=httpx.MockTransport(answer),
        )


def test_unreachable_host_is_a_source_error() -> None:
    with pytest.raises(RegistrySourceError, match="cannot fetch"):
        load_registry("http://127.0.0.1:9/emp-list.json", timeout=2)  # discard port: nothing listens


def test_plain_http_is_refused_for_a_remote_registry() -> None:
    # Certificates are what the list carries: over plain HTTP anyone on the path could swap them.
    with pytest.raises(RegistrySourceError, match="plain HTTP"):
        load_registry("http://emreg.example.org/emp-list.json")


def test_a_redirect_to_plain_http_is_refused() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "https":
            return httpx.Response(302, headers={"Location": "http://evil.example.org/emp-list.json"})
        return httpx.Response(200, content=emreg_document(emp_entry("EVIL")))

    with pytest.raises(RegistrySourceError, match=r"redirected to http://evil\.example\.org/"):
        fetch_url("https://emreg.example.org/emp-list.json", transport=httpx.MockTransport(answer))


def test_a_redirect_from_https_to_plain_http_on_this_machine_is_refused_too() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "https":
            return httpx.Response(302, headers={"Location": "http://127.0.0.1:8000/emp-list.json"})
        return httpx.Response(200, content=emreg_document(emp_entry("LOCAL")))

    with pytest.raises(RegistrySourceError, match="which leaves HTTPS"):
        fetch_url("https://emreg.example.org/emp-list.json", transport=httpx.MockTransport(answer))


def test_redirects_within_https_are_followed() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(301, headers={"Location": "https://emreg.example.org/emp-list.json"})
        return httpx.Response(200, content=emreg_document(emp_entry("MOVED")))

    body = fetch_url("https://emreg.example.org/old", transport=httpx.MockTransport(answer))
    assert parse_registry(body).emps[0].acronym == "MOVED"


@pytest.mark.parametrize("layout", ["settings first", "comment first", "tables first"])
def test_a_registry_server_configuration_file_is_read_as_the_registry_it_serves(
    tmp_path: Path, layout: str
) -> None:
    config = write_config(tmp_path)  # host, [[countries]], [[emps]] with certificate files beside it
    text = config.read_text()
    if layout == "comment first":
        text = "# our test network\n\n" + text
    if layout == "tables first":  # a hand-written file may begin with its tables
        text = text[text.index("[[countries]]") :]
    path = tmp_path / "network.conf"  # the name says nothing
    path.write_text(text)
    assert load_registry(str(path)).emps == load_server_config(config).registry.emps
    with pytest.raises(RegistryError, match="registry server's TOML configuration, not a list"):
        parse_registry(path.read_bytes(), source="cache")  # a client never takes it for a list
