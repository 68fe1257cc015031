from __future__ import annotations

import functools
import http.server
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import emrex.cli
from emrex.elmo.errors import BadFetchRequest
from emrex.elmo.schema import SCHEMA_DIR_ENV, available_versions, validate_xsd
from emrex.elmo.schema_fetch import GITHUB, W3C_XML, plan

EXPECTED_FILES = [
    "imports/ewp-specs-architecture/common-types.xsd",
    "imports/ewp-specs-types-address/schema.xsd",
    "imports/xml.xsd",
    "v1.7.0/references/EUROPASS_ISOCountries_V1.1.xsd",
    "v1.7.0/references/xmldsig-core-schema.xsd",
    "v1.7.0/schema.xsd",
    "v2.0.0/references/EUROPASS_ISOCountries_V1.1.xsd",
    "v2.0.0/references/xmldsig-core-schema.xsd",
    "v2.0.0/schema.xsd",
]


@pytest.fixture(autouse=True)
def only_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing in these tests may reach the real schema hosts: only the local test server."""
    real = socket.create_connection

    def guarded(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if address[0] not in ("127.0.0.1", "localhost"):
            raise AssertionError(f"test tried to connect to {address[0]}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up early (the size limit) is expected


def _serve(root: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/mirror"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def mirror_root(schema_dir: Path, tmp_path: Path) -> Path:
    """The official files laid out as the documented --base-url scheme expects, copied at test time."""
    root = tmp_path / "www" / "mirror"
    for version in ("v1.7.0", "v2.0.0"):
        shutil.copytree(schema_dir / version, root / "emrex-eu" / "elmo-schemas" / version)
    ewp = root / "erasmus-without-paper"
    (ewp / "ewp-specs-types-address" / "stable-v1").mkdir(parents=True)
    (ewp / "ewp-specs-architecture" / "stable-v1").mkdir(parents=True)
    imports = schema_dir / "imports"
    shutil.copy(
        imports / "ewp-specs-types-address" / "schema.xsd", ewp / "ewp-specs-types-address" / "stable-v1"
    )
    shutil.copy(
        imports / "ewp-specs-architecture" / "common-types.xsd", ewp / "ewp-specs-architecture" / "stable-v1"
    )
    (root / "www.w3.org" / "2001" / "03").mkdir(parents=True)
    shutil.copy(imports / "xml.xsd", root / "www.w3.org" / "2001" / "03")
    return root


@pytest.fixture
def base_url(mirror_root: Path) -> Iterator[str]:
    yield from _serve(mirror_root.parent)


def run(monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    """``emrex elmo <argv>`` through the real command line."""
    return emrex.cli.main(["elmo", *argv])


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if ".fetch-" in p.name]


def test_fetch_installs_the_official_layout_that_validation_uses(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    base_url: str,
    schema_dir: Path,
    tmp_path: Path,
) -> None:
    target = tmp_path / "data" / "schemas"
    assert run(monkeypatch, "schemas", "fetch", "--dir", str(target), "--base-url", base_url) == 0
    assert _files(target) == EXPECTED_FILES
    assert (target / "v1.7.0" / "schema.xsd").read_bytes() == (
        schema_dir / "v1.7.0" / "schema.xsd"
    ).read_bytes()
    out = capsys.readouterr().out
    assert f"wrote {target / 'v2.0.0' / 'schema.xsd'}" in out
    assert f"from {base_url}/emrex-eu/elmo-schemas/v2.0.0/schema.xsd" in out
    assert f"from {base_url}/www.w3.org/2001/03/xml.xsd" in out
    assert out.strip().splitlines()[-1] == f"ELMO schemas 1.7.0, 2.0.0 installed in {target}"
    assert available_versions(target) == ["1.7.0", "2.0.0"]
    assert validate_xsd((schema_dir / "v1.7.0" / "example.xml").read_bytes(), target).valid
    assert _leftovers(target.parent) == []


def test_fetch_one_version(monkeypatch: pytest.MonkeyPatch, base_url: str, tmp_path: Path) -> None:
    target = tmp_path / "schemas"
    assert (
        run(
            monkeypatch,
            "schemas",
            "fetch",
            "--dir",
            str(target),
            "--base-url",
            base_url,
            "--version",
            "v1.7.0",
        )
        == 0
    )
    assert _files(target) == [name for name in EXPECTED_FILES if not name.startswith("v2.0.0")]


def test_default_folder_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, base_url: str, tmp_path: Path
) -> None:
    monkeypatch.setenv(SCHEMA_DIR_ENV, str(tmp_path / "from-env"))
    assert run(monkeypatch, "schemas", "fetch", "--base-url", base_url, "--version", "1.7.0") == 0
    assert available_versions(tmp_path / "from-env") == ["1.7.0"]


def test_default_folder_without_environment_is_under_home(
    monkeypatch: pytest.MonkeyPatch, base_url: str, tmp_path: Path
) -> None:
    monkeypatch.delenv(SCHEMA_DIR_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert run(monkeypatch, "schemas", "fetch", "--base-url", base_url, "--version", "1.7.0") == 0
    assert available_versions(tmp_path / ".local" / "share" / "emrex" / "elmo-schemas") == ["1.7.0"]


def test_refetch_replaces_versions_and_keeps_other_entries(
    monkeypatch: pytest.MonkeyPatch, base_url: str, tmp_path: Path
) -> None:
    target = tmp_path / "schemas"
    (target / "v1.7.0").mkdir(parents=True)
    (target / "v1.7.0" / "schema.xsd").write_text("stale")
    (target / "v1.7.0" / "stale-extra.xsd").write_text("stale")
    (target / "NOTES.txt").write_text("mine")
    assert run(monkeypatch, "schemas", "fetch", "--dir", str(target), "--base-url", base_url) == 0
    assert _files(target) == sorted([*EXPECTED_FILES, "NOTES.txt"])
    assert (target / "NOTES.txt").read_text() == "mine"
    assert _leftovers(tmp_path) == []


def _fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], target: Path, *argv: str
) -> str:
    assert run(monkeypatch, "schemas", "fetch", "--dir", str(target), *argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


def test_missing_file_fails_naming_the_url_and_leaves_nothing(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    mirror_root: Path,
    base_url: str,
    tmp_path: Path,
) -> None:
    (mirror_root / "emrex-eu" / "elmo-schemas" / "v2.0.0" / "references" / "xmldsig-core-schema.xsd").unlink()
    target = tmp_path / "schemas"
    err = _fails(monkeypatch, capsys, target, "--base-url", base_url)
    url = f"{base_url}/emrex-eu/elmo-schemas/v2.0.0/references/xmldsig-core-schema.xsd"
    assert err == f"emrex: {url}: HTTP 404 File not found\n"
    assert not target.exists()
    assert _leftovers(tmp_path) == []


def test_failed_fetch_leaves_an_existing_folder_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    mirror_root: Path,
    base_url: str,
    tmp_path: Path,
) -> None:
    target = tmp_path / "schemas"
    assert run(monkeypatch, "schemas", "fetch", "--dir", str(target), "--base-url", base_url) == 0
    before = {name: (target / name).read_bytes() for name in _files(target)}
    (mirror_root / "www.w3.org" / "2001" / "03" / "xml.xsd").unlink()
    capsys.readouterr()
    _fails(monkeypatch, capsys, target, "--base-url", base_url)
    assert {name: (target / name).read_bytes() for name in _files(target)} == before


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            b"<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema'>\n<oops></xs:schema>",
            "not well-formed XML",
        ),
        (b"<html><body>Too many requests</body></html>", "not an XML Schema (the root element is 'html')"),
        (
            b'<!DOCTYPE s [<!ENTITY big "xxxxxxxx">]><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>',
            "declares a DTD with entities or elements, refused",
        ),
    ],
)
def test_downloaded_file_that_is_not_a_schema_is_refused(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    mirror_root: Path,
    base_url: str,
    tmp_path: Path,
    content: bytes,
    problem: str,
) -> None:
    path = mirror_root / "erasmus-without-paper" / "ewp-specs-types-address" / "stable-v1" / "schema.xsd"
    path.write_bytes(content)
    target = tmp_path / "schemas"
    err = _fails(monkeypatch, capsys, target, "--base-url", base_url)
    assert f"{base_url}/erasmus-without-paper/ewp-specs-types-address/stable-v1/schema.xsd: {problem}" in err
    assert not target.exists()


def test_schema_that_does_not_compile_is_refused(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    mirror_root: Path,
    base_url: str,
    tmp_path: Path,
) -> None:
    path = mirror_root / "emrex-eu" / "elmo-schemas" / "v1.7.0" / "schema.xsd"
    path.write_bytes(
        path.read_bytes().replace(b'type="ewpAddress:FlexibleAddress"', b'type="ewpAddress:Nowhere"')
    )
    target = tmp_path / "schemas"
    err = _fails(monkeypatch, capsys, target, "--base-url", base_url)
    assert err.startswith(
        f"emrex: {base_url}/emrex-eu/elmo-schemas/v1.7.0/schema.xsd: the downloaded ELMO 1.7.0"
    )
    assert "Nowhere" in err
    assert not target.exists()
    assert _leftovers(tmp_path) == []


def test_oversized_download_is_refused(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    mirror_root: Path,
    base_url: str,
    tmp_path: Path,
) -> None:
    (mirror_root / "www.w3.org" / "2001" / "03" / "xml.xsd").write_bytes(b" " * (5 * 1024 * 1024))
    err = _fails(monkeypatch, capsys, tmp_path / "schemas", "--base-url", base_url)
    assert "xml.xsd: larger than" in err


def test_server_that_never_answers_times_out(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        err = _fails(monkeypatch, capsys, tmp_path / "schemas", "--base-url", url, "--timeout", "0.2")
    finally:
        silent.close()
    assert err == f"emrex: {url}/www.w3.org/2001/03/xml.xsd: timed out\n"


def test_unreachable_server_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    err = _fails(monkeypatch, capsys, tmp_path / "schemas", "--base-url", f"http://127.0.0.1:{port}")
    assert f"http://127.0.0.1:{port}/www.w3.org/2001/03/xml.xsd: download failed (ConnectError" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--version", "latest"], "'latest' is not an ELMO version"),
        (["--version", "../v1.7.0"], "is not an ELMO version"),
        (["--base-url", "ftp://mirror.example/x"], "must be an http:// or https:// URL"),
        (["--timeout", "0"], "--timeout must be a positive number"),
    ],
)
def test_bad_usage_exits_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    argv: list[str],
    message: str,
) -> None:
    assert run(monkeypatch, "schemas", "fetch", "--dir", str(tmp_path / "s"), *argv) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_dir_that_is_a_file_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    file = tmp_path / "schemas"
    file.write_text("not a folder")
    assert run(monkeypatch, "schemas", "fetch", "--dir", str(file), "--base-url", "http://127.0.0.1:9") == 2
    assert "exists and is not a folder" in capsys.readouterr().err


def test_unknown_option_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit) as info:
        run(monkeypatch, "schemas", "fetch", "--mirror", "x")
    assert info.value.code == 2


def test_default_sources_are_the_official_urls() -> None:
    urls = {d.target: d.url for d in plan()}
    assert urls["imports/xml.xsd"] == W3C_XML == "https://www.w3.org/2001/03/xml.xsd"
    assert urls["v1.7.0/schema.xsd"] == f"{GITHUB}/emrex-eu/elmo-schemas/v1.7.0/schema.xsd"
    assert (
        urls["v2.0.0/references/EUROPASS_ISOCountries_V1.1.xsd"]
        == "https://raw.githubusercontent.com/emrex-eu/elmo-schemas/v2.0.0/references/EUROPASS_ISOCountries_V1.1.xsd"
    )
    assert (
        urls["imports/ewp-specs-architecture/common-types.xsd"]
        == "https://raw.githubusercontent.com/erasmus-without-paper/ewp-specs-architecture/stable-v1/common-types.xsd"
    )
    assert sorted(urls) == EXPECTED_FILES
    with pytest.raises(BadFetchRequest):
        plan(versions=[])


def test_list_shows_versions(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], schema_dir: Path
) -> None:
    assert run(monkeypatch, "schemas", "list", "--dir", str(schema_dir)) == 0
    assert capsys.readouterr().out == f"{schema_dir}: 1.7.0, 2.0.0\n"


def test_list_without_folder_says_how_to_fetch(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(monkeypatch, "schemas", "list", "--dir", str(tmp_path / "none")) == 1
    assert "emrex elmo schemas fetch" in capsys.readouterr().err
    assert run(monkeypatch, "schemas", "list", "--dir", str(tmp_path)) == 1
    assert "no ELMO versions" in capsys.readouterr().out


def test_fetched_folder_serves_emrex_elmo_validate(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    base_url: str,
    interop_dir: Path,
    tmp_path: Path,
) -> None:
    target = tmp_path / "schemas"
    assert run(monkeypatch, "schemas", "fetch", "--dir", str(target), "--base-url", base_url) == 0
    capsys.readouterr()
    danish = interop_dir / "unsigned" / "dk-emrex__common-java_Example-elmo-Denmark.xml"
    assert run(monkeypatch, "validate", str(danish), "--schema-dir", str(target)) == 1
    out = capsys.readouterr().out
    assert f"{danish}:14: error: XSD 1.7.0: Element 'issuer': Missing child element(s)." in out
