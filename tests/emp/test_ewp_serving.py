"""The EMP as an EWP host: its manifest, and its incoming students' transcripts served to their
sending institution only, approved only, signed by the EMP and carrying the student's ESI."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient

from emrex.db import Database
from emrex.elmo.reader import read_elmo
from emrex.emp.config import EmpConfigError, settings_from_mapping
from emrex.emp.ewp_replay import DatabaseReplayCache
from emrex.emp.ewp_serving import SisMobilities
from emrex.emp.ewp_transcripts import SisTranscripts
from emrex.ewp import EwpClient, MemoryReplayCache, PartnerError, sign_request
from emrex.ewp.namespaces import TORS_ENTRY_NS
from emrex.ewp.params import FORM
from emrex.registry import catalogue_from_manifests, read_ewp_catalogue
from emrex.trust import verify
from emrex.trust.signer import Signer
from tests.emp.conftest import config
from tests.emp.ewp_host import CHLOE_ESI, HOST, ewp_table, import_chloe, lindholm_manifest
from tests.ewp.network import signing_key

PATHS = "/ewp/imobility-tors/get"


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


def test_the_mobilities_of_the_receiving_institution(database: Database) -> None:
    import_chloe(database)
    assert SisMobilities(database).find("elsewhere.example", ["CH-1"]) == []
    assert [m.omobility_id for m in SisMobilities(database).of_receiving(HOST)] == [
        "CH-1",
        "CH-ostmark",
        "CH-pending",
    ]


def test_the_transcript_holds_only_the_results_within_the_mobility(
    make_emp: Callable[..., TestClient], database: Database, tmp_path: Path, signer: Signer
) -> None:
    emp = _host(make_emp, database, tmp_path)
    tors = _client(emp, tmp_path).get_tors(HOST, ["CH-1"])
    elmo = read_elmo(verify(tors[0].elmo, (signer.certificate,)).signed_xml).elmo
    titles = {los.title("en") for r in elmo.reports for _, los in r.iter_los()}
    assert "Summer School in Glassblowing" not in titles  # at Nordvik, but in 2024
    assert titles == {"Nordic Design", "Swedish for Exchange Students"}


def test_the_emp_makes_approved_transcripts_ahead_at_its_start(
    make_emp: Callable[..., TestClient], database: Database, tmp_path: Path, signer: Signer
) -> None:
    emp = _host(make_emp, database, tmp_path)
    transcripts = SisTranscripts(database, signer)
    assert transcripts.pending() == ["CH-1", "CH-ostmark"]
    with emp:  # the app's lifespan starts the background maker
        deadline = time.monotonic() + 30
        while transcripts.pending() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert transcripts.pending() == []
    transcripts.make = _must_not_make  # type: ignore[method-assign]
    tors = _client(emp, tmp_path).get_tors(HOST, ["CH-1"])  # served from the database
    assert verify(tors[0].elmo, (signer.certificate,)).signed_xml


def _must_not_make(*_: object) -> bytes:
    raise AssertionError("the stored transcript should have been served")


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
        ({"replay": "redis"}, "ewp.replay: database"),
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


def test_a_request_replayed_to_another_worker_is_refused(
    make_emp: Callable[..., TestClient], database: Database, tmp_path: Path
) -> None:
    _host(make_emp, database, tmp_path)
    first, second = (make_emp(ewp=ewp_table(tmp_path), server={"workers": 2}) for _ in range(2))
    for worker in (first, second):
        assert isinstance(worker.app.state.emrex_ewp_replay, DatabaseReplayCache)  # type: ignore[attr-defined]
    body = urlencode({"receiving_hei_id": HOST, "omobility_id": "CH-1"}).encode()
    host = urlsplit(str(first.base_url)).netloc
    made = sign_request(signing_key("lindholm-client"), "POST", PATHS, host, body, content_type=FORM)
    assert first.post(PATHS, content=body, headers=made.headers).status_code == 200
    again = second.post(PATHS, content=body, headers=made.headers)
    assert again.status_code == 400 and b"used before" in again.content


def test_one_worker_keeps_its_request_ids_in_memory(
    make_emp: Callable[..., TestClient], database: Database, tmp_path: Path
) -> None:
    emp = _host(make_emp, database, tmp_path)
    assert isinstance(emp.app.state.emrex_ewp_replay, MemoryReplayCache)  # type: ignore[attr-defined]
    shared = make_emp(ewp=ewp_table(tmp_path) | {"replay": "database"})
    assert isinstance(shared.app.state.emrex_ewp_replay, DatabaseReplayCache)  # type: ignore[attr-defined]
