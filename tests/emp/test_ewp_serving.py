"""The EMP as an EWP host: its manifest, and its incoming students' transcripts served to their
sending institution only, approved only, signed by the EMP and carrying the student's ESI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from emrex.db import Database
from emrex.elmo.reader import read_elmo
from emrex.emp.config import EmpConfigError, settings_from_mapping
from emrex.emp.ewp_serving import SisMobilities, SisTranscripts
from emrex.ewp import EwpClient, PartnerError
from emrex.ewp.namespaces import TORS_ENTRY_NS
from emrex.registry import catalogue_from_manifests, read_ewp_catalogue
from emrex.trust import verify
from emrex.trust.signer import Signer
from tests.emp.conftest import config
from tests.emp.ewp_host import CHLOE_ESI, HOST, ewp_table, import_chloe, lindholm_manifest
from tests.ewp.network import signing_key


def _host(make_emp: Callable[..., TestClient], database: Database, tmp_path: Path) -> TestClient:
    import_chloe(database)
    emp = make_emp(ewp=ewp_table(tmp_path))
    manifest = emp.get("/ewp/manifest.xml")
    assert manifest.status_code == 200 and b"imobility-tors" in manifest.content
    catalogue = catalogue_from_manifests([manifest.content, lindholm_manifest()])
    (tmp_path / "catalogue-v1.xml").write_bytes(catalogue)
    return emp


def _client(emp: TestClient, tmp_path: Path, key: str = "lindholm-client") -> EwpClient:
    catalogue = read_ewp_catalogue((tmp_path / "catalogue-v1.xml").read_bytes())
    return EwpClient(signing_key(key), lambda: catalogue, http=emp)


def test_lindholm_lists_and_fetches_its_students_approved_transcript(
    make_emp: Callable[..., TestClient], database: Database, tmp_path: Path, signer: Signer
) -> None:
    emp = _host(make_emp, database, tmp_path)
    lindholm = _client(emp, tmp_path)
    assert lindholm.index_tors(HOST) == ["CH-1"]
    tors = lindholm.get_tors(HOST, ["CH-1", "CH-pending", "CH-ostmark", "unknown"])
    assert [t.omobility_id for t in tors] == ["CH-1"]
    verified = verify(tors[0].elmo, (signer.certificate,))
    elmo = read_elmo(verified.signed_xml).elmo
    assert ("esi", CHLOE_ESI) in [(i.type, i.value) for i in elmo.learner.identifiers]
    assert [r.issuer.identifier("schac") for r in elmo.reports] == [HOST]  # not her results elsewhere
    titles = {los.title("en") for r in elmo.reports for _, los in r.iter_los()}
    assert titles == {"Nordic Design", "Swedish for Exchange Students"}
    assert any(a for a in elmo.all_attachments())  # the PDF transcript, as the EMP sends through EMREX


def test_unsigned_requests_get_the_ewp_answer_not_a_csrf_refusal(
    make_emp: Callable[..., TestClient], database: Database, tmp_path: Path
) -> None:
    emp = _host(make_emp, database, tmp_path)
    response = emp.post("/ewp/imobility-tors/get", data={"receiving_hei_id": HOST, "omobility_id": "CH-1"})
    assert response.status_code == 401
    assert b"error-response" in response.content


def test_more_ids_than_the_manifest_declares_get_400(
    make_emp: Callable[..., TestClient], database: Database, tmp_path: Path
) -> None:
    emp = _host(make_emp, database, tmp_path)
    client = _client(emp, tmp_path)
    host, api = client._api(HOST, "imobility-tors", TORS_ENTRY_NS)
    assert api.field("max-omobility-ids") == "2"
    params = [("receiving_hei_id", HOST)] + [("omobility_id", f"m{i}") for i in range(3)]
    with pytest.raises(PartnerError, match="HTTP 400"):
        client.call(api.field("get-url") or "", params, host, api, HOST)


def test_an_institution_not_covered_sees_nothing(
    make_emp: Callable[..., TestClient], database: Database, tmp_path: Path
) -> None:
    emp = _host(make_emp, database, tmp_path)
    nordvik_itself = _client(emp, tmp_path, "nordvik-client")
    assert nordvik_itself.index_tors(HOST) == []
    assert nordvik_itself.get_tors(HOST, ["CH-1"]) == []


def test_the_transcript_is_made_once_while_the_mobility_is_unchanged(
    database: Database, signer: Signer
) -> None:
    import_chloe(database)
    mobility = SisMobilities(database).find(HOST, ["CH-1"])[0]
    transcripts = SisTranscripts(database, signer)
    first = transcripts(mobility)
    assert transcripts(mobility) is first
    assert SisMobilities(database).find("elsewhere.example", ["CH-1"]) == []
    assert [m.omobility_id for m in SisMobilities(database).of_receiving(HOST)] == [
        "CH-1",
        "CH-ostmark",
        "CH-pending",
    ]


def test_without_ewp_settings_nothing_is_served(make_emp: Callable[..., TestClient]) -> None:
    emp = make_emp()
    assert emp.get("/ewp/manifest.xml").status_code == 404


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"hei_id": "Nordvik University"}, "ewp.hei_id"),
        ({"country": "Sweden"}, "ewp.country"),
        ({"admin_emails": []}, "ewp.admin_emails"),
        ({"max_omobility_ids": 0}, "ewp.max_omobility_ids"),
        ({"keys": "x"}, "ewp.keys: unknown setting"),
    ],
)
def test_bad_ewp_settings_name_the_setting(
    password_hash: str, key_files: tuple[Path, Path], tmp_path: Path, change: dict[str, object], words: str
) -> None:
    with pytest.raises(EmpConfigError, match=words):
        settings_from_mapping(config(password_hash, key_files, ewp=ewp_table(tmp_path) | change))
    del_key = {k: v for k, v in ewp_table(tmp_path).items() if k != "catalogue"}
    with pytest.raises(EmpConfigError, match=r"ewp\.catalogue: missing"):
        settings_from_mapping(config(password_hash, key_files, ewp=del_key))
