"""The public verification page: signed ELMO, sealed EDC and sealed PDF; what it says, and that it keeps
nothing."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from emrex.elm import Sealer as Issuer
from emrex.elmo.codec import encode
from emrex.elmo.reader import read_elmo
from emrex.elmo.sample import sample_elmo
from emrex.emc.config import EmcSettings
from emrex.emc.credential import CredentialSealer
from emrex.emc.verification import MAX_UPLOAD_BYTES
from emrex.seal import Sealer
from emrex.transcript.render import render_transcript
from tests.emc.conftest import SEAL_ID, Keys, SealKeys, database_of, seal_tables, signed
from tests.hostile.checks import nothing_stored, table_counts


@pytest.fixture(autouse=True)
def no_shapes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMREX_ELM_SHAPES_DIR", str(tmp_path / "no-shapes"))


@pytest.fixture
def visitor(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    tmp_path: Path,
    seal_keys: SealKeys,
) -> TestClient:
    """Anyone: not logged in, on an EMC that trusts the seal CA."""
    return make_emc(make_settings(**seal_tables(tmp_path, seal_keys)))


def sealed_edc(keys: Keys, seal_keys: SealKeys, *, stranger: bool = False) -> bytes:
    xml = signed(keys.stranger if stranger else keys.nordvik)
    issuer = Issuer({"en": "Lindholm University"}, "SE", SEAL_ID)
    sealer = CredentialSealer(Sealer(seal_keys.seal.key, seal_keys.seal.certificate), issuer)
    return sealer.seal(xml, read_elmo(xml).elmo)


def check(client: TestClient, data: bytes, name: str = "document") -> tuple[int, str]:
    with nothing_stored(database_of(client)):
        response = client.post("/verify", files={"document": (name, data)})
    assert "Traceback" not in response.text
    return response.status_code, response.text


def test_the_page_is_public_and_linked_from_the_start_page(visitor: TestClient) -> None:
    page = visitor.get("/verify")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    assert 'name="document" type="file"' in page.text
    assert "csrf_token" not in page.text.split('action="/verify"', 1)[1].split("</form>", 1)[0]
    home = visitor.get("/")
    assert 'href="/verify"' in home.text
    swedish = visitor.get("/verify?lang=sv")
    assert "Kontrollera ett studieresultat" in swedish.text


def test_a_signed_elmo_from_a_registry_provider_is_valid(visitor: TestClient, keys: Keys) -> None:
    for data in (signed(keys.nordvik), encode(signed(keys.nordvik)).encode()):
        status, text = check(visitor, data)
        assert status == 200
        assert "Valid." in text
        assert "No: it is exactly as it was signed." in text
        assert "NORDVIK" in text and "is a data provider in the EMREX registry" in text
        assert "Lindqvist-Dvořáková" in text  # the learner
        assert "What it holds" in text


def test_an_elmo_signed_by_someone_outside_the_registry_is_not_valid(visitor: TestClient, keys: Keys) -> None:
    status, text = check(visitor, signed(keys.stranger))
    assert status == 200
    assert "Not valid." in text
    assert "No: the signer is not a data provider in the EMREX registry." in text
    assert "What it holds" not in text


def test_a_changed_elmo_is_not_valid(visitor: TestClient, keys: Keys) -> None:
    original = signed(keys.nordvik)
    changed = original.replace(b"Lindqvist-Dvo", b"Lindqvist-Dxo", 1)
    assert changed != original
    _, text = check(visitor, changed)
    assert "Not valid." in text
    assert "Yes: it was changed after it was signed" in text


def test_a_sealed_credential_is_checked_with_its_original(
    visitor: TestClient, keys: Keys, seal_keys: SealKeys
) -> None:
    status, text = check(visitor, sealed_edc(keys, seal_keys), "edc.json")
    assert status == 200
    assert "Valid." in text, text
    assert "Lindholm University (Sweden)" in text
    assert "a sealed European Digital Credential" in text
    assert "NORDVIK" in text
    assert "EU trusted lists" in text  # said not checked
    assert "Lindqvist-Dvořáková" in text


def test_a_sealed_credential_whose_original_no_registry_provider_signed_is_not_valid(
    visitor: TestClient, keys: Keys, seal_keys: SealKeys
) -> None:
    status, text = check(visitor, sealed_edc(keys, seal_keys, stranger=True))
    assert status == 200
    assert "Not valid." in text
    assert "Original in the registry?" in text
    assert "No: the signer is not a data provider in the EMREX registry." in text


def test_a_changed_sealed_credential_is_not_valid(
    visitor: TestClient, keys: Keys, seal_keys: SealKeys
) -> None:
    sealed = json.loads(sealed_edc(keys, seal_keys))
    sealed["payload"] = sealed["payload"].replace("Lindqvist", "Lindkvist", 1)
    _, text = check(visitor, json.dumps(sealed).encode())
    assert "Not valid." in text
    assert "Yes: it was changed after it was signed" in text
    assert "What it holds" not in text


def test_without_a_trust_anchor_a_seal_is_not_confirmed(
    make_emc: Callable[..., TestClient],
    make_settings: Callable[..., EmcSettings],
    keys: Keys,
    seal_keys: SealKeys,
) -> None:
    status, text = check(make_emc(make_settings()), sealed_edc(keys, seal_keys))
    assert status == 200
    assert "Not confirmed." in text
    assert "No trust anchor is configured here" in text


def test_a_sealed_pdf_transcript(visitor: TestClient, seal_keys: SealKeys) -> None:
    from emrex.seal.pdf import PdfSealer

    pdf = render_transcript(sample_elmo(3))
    sealed = PdfSealer(seal_keys.seal.key, seal_keys.seal.certificate).seal(pdf)
    status, text = check(visitor, sealed, "transcript.pdf")
    assert status == 200
    assert "Valid." in text and "a sealed PDF" in text
    assert "No: the signer is not a data provider in the EMREX registry." in text
    assert "open the same file in a PDF reader" in text
    status, text = check(visitor, pdf)
    assert status == 400
    assert "carries no seal" in text
    status, text = check(visitor, sealed + b"%% appended\n")
    assert "Not valid." in text


def test_the_answer_is_in_swedish(visitor: TestClient, keys: Keys) -> None:
    visitor.get("/?lang=sv")
    status, text = check(visitor, signed(keys.nordvik))
    assert status == 200
    assert "Giltigt." in text
    assert "Vad det innehåller" in text


def test_nothing_uploaded_is_kept_not_even_in_a_temporary_file(
    visitor: TestClient, keys: Keys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    rolled: list[int] = []
    real = tempfile.SpooledTemporaryFile.rollover

    def watched(self: tempfile.SpooledTemporaryFile[bytes]) -> None:
        rolled.append(1)
        real(self)

    monkeypatch.setattr(tempfile.SpooledTemporaryFile, "rollover", watched)
    big = signed(keys.nordvik, courses=2000)  # several MB: above the 1 MB a parser would spool to disk
    assert len(big) > 2 * 1024 * 1024
    before = table_counts(database_of(visitor))
    response = visitor.post("/verify", files={"document": ("big.xml", big)})
    assert response.status_code == 200 and "Valid." in response.text
    assert table_counts(database_of(visitor)) == before
    assert rolled == []
    assert "set-cookie" not in {k.lower() for k in response.headers}


def test_an_upload_beyond_the_limit_is_refused_before_it_is_parsed(visitor: TestClient) -> None:
    with nothing_stored(database_of(visitor)):
        response = visitor.post(
            "/verify", files={"document": ("huge.xml", b"<" * (MAX_UPLOAD_BYTES + 100_000))}
        )
    assert response.status_code == 413
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"", "the file is empty"),
        (b"\x00\x01 garbage \xff", "neither a signed ELMO document"),
        (b"{ not json", "not JSON"),
        (b'{"credentialSubject": {}}', "the credential is not sealed"),
    ],
)
def test_unreadable_uploads_get_one_line(visitor: TestClient, data: bytes, said: str) -> None:
    if not data:
        with nothing_stored(database_of(visitor)):
            response = visitor.post("/verify", files={"document": ("empty", b"")})
        status, text = response.status_code, response.text
    else:
        status, text = check(visitor, data)
    assert status == 400
    assert said in text, text


def test_a_post_that_is_not_an_upload_is_refused(visitor: TestClient) -> None:
    response = visitor.post("/verify", data={"document": "x"})
    assert response.status_code == 400
    assert "send the document as a file" in response.text
