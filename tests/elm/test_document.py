"""Telling documents apart by content, reading sealed payloads unverified, and bounded JSON."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from emrex.elm import ElmParseError, Kind, Sealer, convert, elmo_to_elm, load_json, read_document
from emrex.elmo import codec
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.errors import InputTooLarge


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def test_elmo_in_both_forms_and_elm_are_told_apart(sealer: Sealer) -> None:
    xml = write_elmo(sample_elmo(2))
    assert read_document(xml).kind is Kind.ELMO
    assert read_document(codec.encode(xml).encode()).xml == xml
    credential = elmo_to_elm(sample_elmo(2), sealer).to_json()
    assert read_document(credential).kind is Kind.ELM


def test_sealed_payloads_in_each_serialization(sealer: Sealer) -> None:
    credential = elmo_to_elm(sample_elmo(1), sealer).to_json()
    unencoded = {
        "payload": credential.decode(),
        "signatures": [{"protected": _b64url(b'{"alg":"RS256","b64":false}'), "signature": "x"}],
    }
    encoded = {"payload": _b64url(credential), "protected": _b64url(b'{"alg":"ES256"}'), "signature": "x"}
    header = _b64url(b'{"alg":"ES256"}')
    compact = f"{header}.{_b64url(credential)}.sig".encode()
    for data in (json.dumps(unencoded).encode(), json.dumps(encoded).encode(), compact):
        document = read_document(data)
        assert document.kind is Kind.SEALED_ELM
        assert document.credential == json.loads(credential)
        assert "not verified" in document.notes[0]


def test_a_seal_of_a_sample_converts_to_elmo(samples_elm: Path) -> None:
    result = convert((samples_elm / "edc-examples/Sample-MC-Annex1-signed.jsonld").read_bytes())
    assert result.kind is Kind.SEALED_ELM and result.output.startswith(b"<?xml")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"a": 1, "a": 2}', "given twice"),
        (b"[" * 100 + b"]" * 100, "nests deeper than 64"),
        (b'{"x": NaN}', "NaN is not a JSON number"),
        (b'{"x": 1', "not JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_hostile_json_is_refused_in_one_line(data: bytes, message: str) -> None:
    with pytest.raises(ElmParseError, match=message) as caught:
        load_json(data)
    assert "\n" not in str(caught.value)


def test_json_too_large_is_refused_before_parsing() -> None:
    with pytest.raises(InputTooLarge):
        load_json(b" " * 101, max_bytes=100)


def test_deep_nesting_beyond_the_parser_is_refused_cleanly() -> None:
    with pytest.raises(ElmParseError, match="deeper"):
        load_json(b'{"a":' * 50_000 + b"1" + b"}" * 50_000)


def test_neither_format_is_named() -> None:
    with pytest.raises(ElmParseError, match="neither ELMO, ELM nor a sealed ELM"):
        read_document(b"hello")
    with pytest.raises(ElmParseError, match="neither an ELM credential nor a sealed one"):
        read_document(b'{"hello": 1}')
