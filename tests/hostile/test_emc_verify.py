"""Hostile uploads to the EMC's public ``/verify`` page, and sealed credentials of someone else's transfer."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from emrex.elm import Sealer as Issuer
from emrex.elm.to_elm import elmo_to_elm
from emrex.elmo.codec import encode
from emrex.elmo.reader import read_elmo
from emrex.emc.config import EmcSettings
from emrex.emc.verification import MAX_UPLOAD_BYTES
from emrex.seal import Sealer
from tests.emc.conftest import (
    SEAL_ID,
    Keys,
    SealKeys,
    csrf,
    database_of,
    keys,
    login,
    make_emc,
    make_settings,
    migrated_template,
    ok,
    password_hash,
    seal_keys,
    seal_tables,
    signed,
    start,
)
from tests.hostile.cases import exercised
from tests.hostile.checks import no_traceback, nothing_stored, one_line

__all__ = ["keys", "make_emc", "make_settings", "migrated_template", "password_hash", "seal_keys"]
exercised(
    "emc-verify-garbage",
    "emc-verify-xml-bomb",
    "emc-verify-json-bomb",
    "emc-verify-remote-context",
    "emc-verify-huge-upload",
    "emc-verify-cross-site-post",
    "emc-edc-other-students-transfer",
)
BOMB = (
    b'<?xml version="1.0"?>\n<!DOCTYPE elmo [\n <!ENTITY a "aaaaaaaaaa">\n'
    + b"".join(f' <!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">\n'.encode() for i in range(8))
    + b']>\n<elmo xmlns="https://github.com/emrex-eu/elmo-schemas/tree/v1">&i;</elmo>'
)


@pytest.fixture
def visitor(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    tmp_path: Path,
    seal_keys: SealKeys,
) -> TestClient:
    return make_emc(make_settings(**seal_tables(tmp_path, seal_keys)))


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("the test forbids network connections")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield attempts


def refused(client: TestClient, data: bytes, status: int = 400) -> str:
    """The one-line problem the page states, after checking nothing was stored."""
    with nothing_stored(database_of(client)):
        response = client.post("/verify", files={"document": ("upload", data)})
    assert response.status_code == status, (response.status_code, response.text[:300])
    no_traceback(response.text)
    found = re.search(r"This file cannot be checked:\s*(.*?)</p>", response.text, re.DOTALL)
    assert found, response.text[:2000]
    message = found.group(1)
    one_line(message)
    return message


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10, "neither a signed ELMO document"),
        (b"{ not json at all", "not JSON"),
        (b'{"@context": [], "credentialSubject": {"id": "x"}}', "the credential is not sealed"),
        (b"   \n\t ", "the file is empty"),
    ],
)
def test_garbage_gets_one_line(visitor: TestClient, data: bytes, said: str) -> None:
    assert said in refused(visitor, data)


def test_an_unsigned_document_is_not_valid(visitor: TestClient) -> None:
    with nothing_stored(database_of(visitor)):
        response = visitor.post("/verify", files={"document": ("elmo.xml", b"<elmo>not signed</elmo>")})
    assert response.status_code == 200
    assert "Not valid." in response.text and "not signed" in response.text


@pytest.mark.parametrize("transport", [False, True])
def test_an_xml_bomb_is_not_expanded(visitor: TestClient, transport: bool) -> None:
    data = encode(BOMB).encode() if transport else BOMB
    message = refused(visitor, data)
    assert message.startswith("the document cannot be read: ")


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nested too deeply"),
        (b'{"payload": "x", "payload": "y", "signatures": []}', "appears twice"),
        (b'{"a": ' + b"7" * (10 * 1024 * 1024) + b"}", "not usable JSON"),
    ],
)
def test_json_bombs_get_one_line(visitor: TestClient, data: bytes, said: str) -> None:
    assert said in refused(visitor, data)


def test_a_remote_context_is_never_fetched(
    visitor: TestClient, keys: Keys, seal_keys: SealKeys, no_network: list[Any]
) -> None:
    xml = signed(keys.nordvik)
    issuer = Issuer({"en": "Lindholm University"}, "SE", SEAL_ID)
    credential = elmo_to_elm(read_elmo(xml).elmo, issuer, original=xml).credential
    credential["@context"] = [*credential["@context"], "https://evil.example/context.jsonld"]
    sealed = Sealer(seal_keys.seal.key, seal_keys.seal.certificate).seal(credential)
    with nothing_stored(database_of(visitor)):
        response = visitor.post("/verify", files={"document": ("edc.json", sealed)})
    assert response.status_code == 200
    assert "Not valid." in response.text
    assert "What it holds" not in response.text
    assert no_network == []


def test_a_huge_upload_is_refused_before_it_is_parsed(visitor: TestClient) -> None:
    huge = b"x" * (MAX_UPLOAD_BYTES + 200_000)
    with nothing_stored(database_of(visitor)):
        declared = visitor.post("/verify", files={"document": ("huge", huge)})
    assert declared.status_code == 413

    def chunks() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="document"; filename="h"\r\n\r\n'
        for _ in range(20):
            yield b"y" * (1024 * 1024)
        yield b"\r\n--b--\r\n"

    with nothing_stored(database_of(visitor)):
        streamed = visitor.post(
            "/verify", content=chunks(), headers={"content-type": "multipart/form-data; boundary=b"}
        )
    assert streamed.status_code == 413
    no_traceback(declared.text, streamed.text)


def test_a_cross_site_post_changes_nothing(visitor: TestClient, keys: Keys) -> None:
    with nothing_stored(database_of(visitor)):
        response = visitor.post(
            "/verify",
            files={"document": ("elmo.xml", signed(keys.nordvik))},
            headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        )
    assert response.status_code == 200
    assert "set-cookie" not in {name.lower() for name in response.headers}
    assert response.headers["cache-control"] == "no-store"


def test_no_sealed_credential_of_another_students_transfer(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    tmp_path: Path,
    keys: Keys,
    seal_keys: SealKeys,
) -> None:
    settings = make_settings(**seal_tables(tmp_path, seal_keys))
    owner = make_emc(settings)
    login(owner)
    transfer_id = ok(owner, keys, start(owner))
    page = owner.get(f"/transfers/{transfer_id}")
    owner.post(f"/transfers/{transfer_id}/confirm", data={"csrf_token": csrf(page.text)})
    assert owner.get(f"/transfers/{transfer_id}/credential.json").status_code == 200
    other = make_emc(settings)
    login(other, "bo")
    for path in (
        f"/transfers/{transfer_id}/credential.json",
        f"/transfers/{transfer_id}/credential.json?x=1",
    ):
        with nothing_stored(database_of(other)):
            response = other.get(path)
        assert response.status_code == 404
        assert "payload" not in response.text
        assert "content-disposition" not in {name.lower() for name in response.headers}
