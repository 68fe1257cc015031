"""Imported results as a sealed European Digital Credential: the student's download and the SIS API's."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from emrex.elm import extract_original
from emrex.elm.edc import verify_edc
from emrex.emc import create_emc_app
from emrex.emc.config import EmcConfigError, EmcSettings
from emrex.emc.models import Transfer
from emrex.seal import SealPolicy, Status
from emrex.seal.result import BINDING, CHAIN, EMBEDDED_ELMO
from emrex.trust.ca import issue
from emrex.trust.keys import save_issued
from tests.emc.conftest import (
    API_TOKEN,
    SEAL_ID,
    Keys,
    SealKeys,
    csrf,
    database_of,
    login,
    ok,
    registry_of,
    seal_tables,
    start,
)
from tests.hostile.checks import nothing_stored

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture(autouse=True)
def no_shapes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the EDC shapes installed, conformance is 'not checked' (tests/flows checks it with them)."""
    monkeypatch.setenv("EMREX_ELM_SHAPES_DIR", str(tmp_path / "no-shapes"))


@pytest.fixture
def sealing(
    make_settings: Callable[..., EmcSettings], tmp_path: Path, seal_keys: SealKeys
) -> Callable[..., EmcSettings]:
    def make(**overrides: str) -> EmcSettings:
        return make_settings(**seal_tables(tmp_path, seal_keys, **overrides))

    return make


def imported_transfer(client: TestClient, keys: Keys) -> int:
    login(client)
    transfer_id = ok(client, keys, start(client))
    page = client.get(f"/transfers/{transfer_id}")
    assert "credential.json" not in page.text  # received, not imported yet
    client.post(f"/transfers/{transfer_id}/confirm", data={"csrf_token": csrf(page.text)})
    return transfer_id


def test_the_student_downloads_an_imported_transfer_as_a_sealed_credential(
    make_emc: Callable[..., TestClient], sealing: Callable[..., EmcSettings], keys: Keys, seal_keys: SealKeys
) -> None:
    student = make_emc(sealing())
    transfer_id = imported_transfer(student, keys)
    page = student.get(f"/transfers/{transfer_id}")
    assert f'href="/transfers/{transfer_id}/credential.json"' in page.text
    assert "Download as sealed European Digital Credential" in page.text

    response = student.get(f"/transfers/{transfer_id}/credential.json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    disposition = response.headers["content-disposition"]
    assert disposition == f'attachment; filename="edc-transfer-{transfer_id}.json"'
    assert response.headers["cache-control"] == "no-store"

    result = verify_edc(
        response.content, SealPolicy(trust=(seal_keys.ca.certificate,)), registry=registry_of(keys)
    )
    assert result.accepted, [(c.name, c.status, c.summary) for c in result.checks]
    assert result.check(CHAIN).status is Status.PASSED
    assert result.check(BINDING).status is Status.PASSED
    assert "NORDVIK" in result.check(EMBEDDED_ELMO).summary
    assert result.organization_identifier == SEAL_ID
    issuer = result.credential["issuer"]
    assert issuer["eIDASIdentifier"]["notation"] == SEAL_ID
    with database_of(student).session(readonly=True) as s:
        stored = s.scalars(select(Transfer.elmo_xml).where(Transfer.id == transfer_id)).one()
    assert extract_original(dict(result.credential)) == stored  # the data provider's bytes, exactly


def test_the_sis_api_downloads_it_with_its_token(
    make_emc: Callable[..., TestClient], sealing: Callable[..., EmcSettings], keys: Keys, seal_keys: SealKeys
) -> None:
    settings = sealing()
    student = make_emc(settings)
    transfer_id = imported_transfer(student, keys)
    sis = make_emc(settings)
    assert sis.get(f"/api/v1/transfers/{transfer_id}/credential.json").status_code == 401
    response = sis.get(f"/api/v1/transfers/{transfer_id}/credential.json", headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert f"edc-transfer-{transfer_id}.json" in response.headers["content-disposition"]
    policy = SealPolicy(trust=(seal_keys.ca.certificate,))
    assert verify_edc(response.content, policy, registry=registry_of(keys)).accepted
    missing = sis.get("/api/v1/transfers/999999/credential.json", headers=AUTH)
    assert missing.status_code == 404
    assert "/transfers/{transfer_id}/credential.json" in sis.get("/api/v1/openapi.json").text


def test_results_not_imported_are_not_sealed(
    make_emc: Callable[..., TestClient], sealing: Callable[..., EmcSettings], keys: Keys
) -> None:
    settings = sealing()
    student = make_emc(settings)
    login(student)
    transfer_id = ok(student, keys, start(student))  # received, waiting for the student's confirmation
    response = student.get(f"/transfers/{transfer_id}/credential.json")
    assert response.status_code == 409
    assert "only imported results" in response.text
    api = make_emc(settings).get(f"/api/v1/transfers/{transfer_id}/credential.json", headers=AUTH)
    assert api.status_code == 409
    assert api.json()["detail"] == "only imported results can be downloaded as a sealed credential"


def test_nothing_is_sealed_for_someone_elses_transfer(
    make_emc: Callable[..., TestClient], sealing: Callable[..., EmcSettings], keys: Keys
) -> None:
    settings = sealing()
    owner = make_emc(settings)
    transfer_id = imported_transfer(owner, keys)
    other = make_emc(settings)
    login(other, "bo")
    with nothing_stored(database_of(other)):
        response = other.get(f"/transfers/{transfer_id}/credential.json")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert '"payload"' not in response.text
    anonymous = make_emc(settings).get(f"/transfers/{transfer_id}/credential.json", follow_redirects=False)
    assert anonymous.status_code in (303, 401)


def test_without_a_seal_key_the_action_is_not_offered_and_the_api_says_so(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., EmcSettings], keys: Keys
) -> None:
    settings = make_settings()
    student = make_emc(settings)
    transfer_id = imported_transfer(student, keys)
    page = student.get(f"/transfers/{transfer_id}")
    assert "credential.json" not in page.text
    assert student.get(f"/transfers/{transfer_id}/credential.json").status_code == 501
    api = make_emc(settings).get(f"/api/v1/transfers/{transfer_id}/credential.json", headers=AUTH)
    assert api.status_code == 501
    assert api.json()["detail"] == "this EMC does not seal credentials (no emc.seal key is configured)"


def test_the_configured_issuer_must_be_the_seal_certificates_organisation(
    sealing: Callable[..., EmcSettings], tmp_path: Path, seal_keys: SealKeys
) -> None:
    with pytest.raises(EmcConfigError, match="NTRSE-5560000000 is not the seal certificate's"):
        create_emc_app(sealing(issuer_id="NTRSE-5560000000"), background=False)
    with pytest.raises(EmcConfigError, match="issuer_country: NO is not the country"):
        create_emc_app(sealing(issuer_country="NO"), background=False)
    plain = issue(seal_keys.ca, "No organisation identifier", organization="Lindholm University")
    save_issued(tmp_path / "plain", plain)
    folder = tmp_path / "plain"
    plain_files = {"key_file": str(folder / "key.pem"), "cert_file": str(folder / "cert.pem")}
    with pytest.raises(EmcConfigError, match="names no organizationIdentifier"):
        create_emc_app(sealing(**plain_files), background=False)
    with pytest.raises(EmcConfigError, match="private key does not belong"):
        create_emc_app(sealing(key_file=str(tmp_path / "plain" / "key.pem")), background=False)
    with pytest.raises(EmcConfigError, match="cannot read"):
        create_emc_app(sealing(key_file=str(tmp_path / "missing.pem")), background=False)


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("issuer_id", "2021009999", "not an ETSI organisation identifier"),
        ("issuer_country", "Sweden", "two-letter ISO 3166 code"),
        ("issuer_name", "", "emc.seal.issuer_name: expected a text value"),
    ],
)
def test_seal_settings_are_checked_when_read(
    sealing: Callable[..., EmcSettings], setting: str, value: str, message: str
) -> None:
    with pytest.raises(EmcConfigError, match=message):
        sealing(**{setting: value})


def test_a_credential_sealed_by_the_emc_names_it_as_issuer(
    make_emc: Callable[..., TestClient], sealing: Callable[..., EmcSettings], keys: Keys
) -> None:
    student = make_emc(sealing())
    transfer_id = imported_transfer(student, keys)
    sealed = json.loads(student.get(f"/transfers/{transfer_id}/credential.json").content)
    payload = json.loads(sealed["payload"])
    assert payload["issuer"]["legalName"] == {"en": "Lindholm University"}
    assert any("Nordvik" in json.dumps(claim) for claim in _claims(payload))


def _claims(credential: dict[str, object]) -> list[object]:
    subject = credential["credentialSubject"]
    assert isinstance(subject, dict)
    claims = subject["hasClaim"]
    return claims if isinstance(claims, list) else [claims]
