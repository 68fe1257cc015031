"""Hostile registry lists: a structural fault refuses the list naming the place, a damaged entry is
skipped with a warning, nothing is read from outside, and the reader never crashes."""

from __future__ import annotations

import json
from collections.abc import Callable
from unittest.mock import patch

import pytest

from emrex.registry import RegistryError, load_registry, parse_registry, read_catalogue, read_emreg_json
from tests.hostile.cases import exercised
from tests.hostile.checks import MARKER, logs_clean, one_line, watch_logs
from tests.registry.helpers import Switchable, emp_entry, emreg_document, make_cert, pem, serve

__all__ = ["watch_logs"]
CATALOGUE_NS = "https://github.com/erasmus-without-paper/ewp-specs-api-registry/tree/stable-v1"


def _good() -> bytes:
    return emreg_document(emp_entry("GOOD"))


def _duplicate_key() -> bytes:
    # Two pubKey members: tools that keep the first and readers that keep the last trust different keys.
    text = _good().decode()
    forged = json.dumps(pem(make_cert("FORGED")))
    return text.replace('"pubKey": ', f'"pubKey": {forged}, "pubKey": ', 1).encode()


# case id -> (the list, reader, words the RegistryError says)
REFUSED: dict[str, tuple[Callable[[], bytes], Callable[[bytes], object], str]] = {
    "registry-json-huge-integer": (
        lambda: _good().replace(b'"countries"', b'"n": ' + b"9" * 5000 + b', "countries"', 1),
        read_emreg_json,
        "not usable JSON",
    ),
    "registry-json-nan": (
        lambda: _good().replace(b'"countries"', b'"n": NaN, "countries"', 1),
        read_emreg_json,
        "NaN",
    ),
    "registry-json-deep-nesting": (
        lambda: b"[" * 200_000 + b"]" * 200_000,
        read_emreg_json,
        "nested too deeply",
    ),
    "registry-json-wrong-types": (
        lambda: emreg_document(emp_entry("BAD", url=["https://a.example"])),
        read_emreg_json,
        "emps[0].url is an array, not a string",
    ),
    "registry-json-latin1": (
        lambda: _good().replace(b"GOOD University", b"G\xf6od University"),
        read_emreg_json,
        "not UTF-8",
    ),
    "registry-json-duplicate-key": (_duplicate_key, read_emreg_json, "twice"),
    "registry-json-only-damaged-entries": (
        lambda: emreg_document(
            emp_entry("BAD", pubKey=MARKER), emp_entry("HTTP", url="http://emp.example.org/")
        ),
        read_emreg_json,
        "no usable",
    ),
    "registry-catalogue-xxe": (
        lambda: (
            '<?xml version="1.0"?><!DOCTYPE catalogue [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            f'<catalogue xmlns="{CATALOGUE_NS}"><host>&x;</host></catalogue>'
        ).encode(),
        read_catalogue,
        "DOCTYPE",
    ),
    "registry-unknown-format": (
        lambda: b"<html><body>" + MARKER.encode() + b"</body></html>",
        parse_registry,
        "",
    ),
}
exercised(
    *REFUSED, "registry-damaged-entry-skipped", "registry-plain-http-source", "registry-server-config-by-url"
)


@pytest.mark.parametrize("case_id", sorted(REFUSED))
def test_hostile_lists_are_refused(watch_logs: pytest.LogCaptureFixture, case_id: str) -> None:
    build, reader, words = REFUSED[case_id]
    with pytest.raises(RegistryError) as caught:
        reader(build())
    one_line(str(caught.value))
    assert words in str(caught.value)
    assert "root:" not in str(caught.value) and MARKER not in str(caught.value)
    logs_clean(watch_logs)


def test_a_damaged_entry_is_skipped_and_the_rest_is_served(watch_logs: pytest.LogCaptureFixture) -> None:
    registry = read_emreg_json(
        emreg_document(emp_entry("GOOD"), emp_entry("BAD", pubKey="-----BEGIN " + MARKER))
    )
    assert [emp.acronym for emp in registry.emps] == ["GOOD"]
    assert any("BAD" in warning for warning in registry.warnings)
    logs_clean(watch_logs)


def test_a_remote_registry_over_plain_http_is_not_fetched() -> None:
    with pytest.raises(RegistryError) as caught:
        load_registry("http://registry.example.org/emps.json", timeout=0.5)
    one_line(str(caught.value))
    assert "HTTPS" in str(caught.value)


def test_a_server_configuration_fetched_from_a_url_reads_no_local_file(
    watch_logs: pytest.LogCaptureFixture,
) -> None:
    # Certificate paths of a server TOML are relative to the file: fetched from a URL, they would name
    # files of the machine that reads it.
    state = Switchable()
    state.body = (
        '[[emps]]\nacronym = "X"\ncountry = "SE"\nurl = "https://x.example/emp"\n'
        'certificates = ["/etc/passwd", "../../' + MARKER + '.pem"]\n'
    ).encode()
    server, base = serve(state)
    try:
        with (
            patch("emrex.registry.config.load_server_config", side_effect=AssertionError("read")),
            pytest.raises(RegistryError) as caught,
        ):
            load_registry(f"{base}/registry.toml", timeout=2)
    finally:
        server.shutdown()
        server.server_close()
    one_line(str(caught.value))
    assert "give its path" in str(caught.value) and MARKER not in str(caught.value)
    logs_clean(watch_logs)
