"""Whole OOTS exchanges through the EMP's own pages: a requester asks through the loopback access point,
the person opens the PreviewLocation at the EMP, logs in with its normal login, sees the transcript and
agrees or cancels; the repeated request collects the signed ELMO and its PDF (and, when the EMP has a
[seal] table, the sealed European Digital Credential that embeds that ELMO), or how it ended."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from emrex.db import Database, upgrade
from emrex.elmo.reader import read_elmo
from emrex.emp.app import create_emp_app
from emrex.emp.config import settings_from_mapping
from emrex.oots import (
    Agent,
    EvidenceRequester,
    ExchangeStore,
    Identifier,
    Kind,
    NaturalPerson,
    Network,
    Party,
    ProviderBackend,
    QueryRequest,
    Received,
    State,
    Text,
    WsClient,
)
from emrex.oots.access_point import HttpWsPlugin, create_access_point
from emrex.oots.request import new_request_id
from emrex.sis.format import parse_sis_json
from emrex.sis.importer import import_sis
from emrex.trust.ca import Issued
from emrex.trust.verifier import verify
from tests.emp.conftest import (
    SEAL_ID,
    config,
    emp_ca,
    emp_key,
    key_files,
    password_hash,
    seal_key,
    seal_table,
)
from tests.emp.data import document, student
from tests.emp.helpers import csrf, post
from tests.oots.support import REQUESTER, REQUESTER_AP, make_request

__all__ = ["emp_ca", "emp_key", "key_files", "password_hash", "seal_key"]
SEALED = pytest.mark.parametrize("world", ["sealed"], indirect=True)  # the EMP has a [seal] table

BASE = "https://emp.nordvik.example"
PREVIEW = BASE + "/oots/preview/"
PROVIDER = Agent(
    Identifier("SE-NORDVIK-DP", "urn:oasis:names:tc:ebcore:partyid-type:unregistered:SE"),
    (Text("Nordvik University", "EN"),),
    "SE",
)
PROVIDER_AP = Party("AP_SE_01")
TRANSCRIPT_ID = "8f0a9a0e-5a3e-4a5c-9f10-7b2b5b1d3c41"
OOTS_TABLE: dict[str, Any] = {
    "provider_id": PROVIDER.identifier.value,
    "provider_scheme": PROVIDER.identifier.scheme,
    "provider_name": "Nordvik University",
    "country": "SE",
    "evidence_types": [
        {
            "identifier": TRANSCRIPT_ID,
            "classification": "https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/SE/"
            "0b2e6a52-4c9e-4e0f-8a0e-4e1d2c3b4a59",
            "title": "Transcript of records",
        }
    ],
}
ASA = NaturalPerson("Lindqvist", "Åsa", dt.date(1999, 3, 14), "SE/FR/199903142389", "eidas", "High")
KARL_ID = "19800101-1111"


@pytest.fixture(scope="module")
def oots_sis(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated EMP database whose SIS knows Åsa (as the request names her) and Karl."""
    path = tmp_path_factory.mktemp("oots-emp") / "emp.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    asa = {**student(), "givenNames": "Åsa"}
    karl = {
        **student(identifier=KARL_ID),
        "givenNames": "Karl",
        "familyName": "Berg",
        "birthDate": "1980-01-01",
    }
    import_sis(db, parse_sis_json(json.dumps(document(asa, karl)).encode()))
    db.dispose()
    return path


@dataclasses.dataclass
class World:
    emp: TestClient
    requester: EvidenceRequester
    backend: ProviderBackend
    store: ExchangeStore
    restart: Callable[[], TestClient]  # a new EMP process on the same database

    def ask(self, request: QueryRequest) -> Received:
        _, conversation = self.requester.send(request, to=PROVIDER_AP)
        assert self.backend.poll() == 1
        answers = self.requester.receive(conversation)
        assert len(answers) == 1 and answers[0].check.valid, answers
        return answers[0]

    def repeat(self, request: QueryRequest, location: str) -> Received:
        return self.ask(dataclasses.replace(request, id=new_request_id(), preview_location=location))


@pytest.fixture
def world(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    oots_sis: Path,
    password_hash: str,
    key_files: tuple[Path, Path],
    emp_key: Issued,
    seal_key: Issued,
) -> Iterator[World]:
    import shutil

    from emrex.trust.signer import Signer

    shutil.copyfile(oots_sis, tmp_path / "emp.db")
    database = Database(f"sqlite:///{tmp_path}/emp.db")
    accounts = [
        {"username": name, "password_hash": password_hash, "given_names": given, "family_name": family,
         "identifiers": {"nationalIdentifier": number}}
        for name, given, family, number in [
            ("asa", "Åsa", "Lindqvist", "19990314-2389"),
            ("karl", "Karl", "Berg", KARL_ID),
            ("nobody", "No", "Records", "00000000-0000"),
        ]
    ]  # fmt: skip
    data = config(
        password_hash, key_files, oots=OOTS_TABLE, login={"method": "demo", "demo": {"accounts": accounts}}
    )
    if getattr(request, "param", None) == "sealed":
        data["seal"] = seal_table(tmp_path, seal_key)
    settings = settings_from_mapping(data)
    app = create_emp_app(settings, database=database, signer=Signer(emp_key.key, emp_key.certificate))
    provider = app.state.emrex_oots.provider
    signer = Signer(emp_key.key, emp_key.certificate)

    def restart() -> TestClient:
        again = create_emp_app(settings, database=Database(database.url), signer=signer, migrate=False)
        return TestClient(again, base_url=BASE, follow_redirects=False)

    network = Network([REQUESTER_AP.id, PROVIDER_AP.id])
    with (
        TestClient(app, base_url=BASE, follow_redirects=False) as emp,
        TestClient(create_access_point(network)) as ap,
    ):
        requester = EvidenceRequester(
            WsClient(HttpWsPlugin(f"/{REQUESTER_AP.id}/wsplugin", ap)), party=REQUESTER_AP
        )
        backend = ProviderBackend(provider, WsClient(HttpWsPlugin(f"/{PROVIDER_AP.id}/wsplugin", ap)))
        yield World(emp, requester, backend, provider.store, restart)
    database.dispose()


def asking(**changes: Any) -> QueryRequest:
    request = make_request(provider=PROVIDER, person=ASA, issued=dt.datetime.now(dt.UTC))
    evidence_type = dataclasses.replace(request.evidence_type, identifier=TRANSCRIPT_ID)  # type: ignore[arg-type]
    return dataclasses.replace(request, evidence_type=evidence_type, **changes)


def preview_required(world: World, request: QueryRequest) -> tuple[str, str]:
    """(PreviewLocation, its path at the EMP)"""
    first = world.ask(request)
    assert first.code == "EDM:ERR:0002" and first.preview_location is not None
    assert first.preview_location.startswith(PREVIEW)
    return first.preview_location, first.preview_location.removeprefix(BASE)


def log_in(client: TestClient, path: str, username: str) -> None:
    page = client.get(f"/login?next={path}")
    response = client.post(
        "/login",
        data={"username": username, "password": "correct horse", "next": path, "csrf_token": csrf(page.text)},
    )
    assert response.status_code == 303 and response.headers["location"] == path, response.text


def state(world: World, path: str) -> State:
    exchange = world.store.get(path.rsplit("/", 1)[1])
    assert exchange is not None
    return exchange.state


def test_preview_then_evidence(world: World, emp_key: Issued) -> None:
    request = asking()
    location, path = preview_required(world, request)
    start = world.emp.get(path)
    assert start.status_code == 200
    assert (
        "Admissions office of the University of Lyon" in start.text and "Transcript of records" in start.text
    )
    assert f'href="/login?next={path}"' in start.text
    log_in(world.emp, path, "asa")
    page = world.emp.get(path)
    assert page.status_code == 200 and "Check what will be sent" in page.text
    assert "Linear Algebra" in page.text and "Real Analysis" not in page.text  # failed: not offered
    assert f'action="{path}/send"' in page.text
    assert world.repeat(request, location).code == "EDM:ERR:0002"  # still in the preview

    refused = post(world.emp, f"{path}/send", page.text, action="send")
    assert refused.status_code == 400 and "Tick the box" in refused.text
    done = post(world.emp, f"{path}/send", page.text, action="send", consent="yes")
    assert done.status_code == 200 and 'data-outcome="approved"' in done.text
    assert 'href="https://admissions.lyon.example/oots/return"' in done.text
    assert state(world, path) is State.APPROVED

    answer = world.repeat(request, location)
    assert answer.check.kind is Kind.RESPONSE and answer.response is not None
    elmo, pdf = answer.document("application/xml"), answer.document("application/pdf")
    assert elmo is not None and pdf is not None and pdf.startswith(b"%PDF-")
    assert len(answer.response.documents) == 2 and answer.document("application/json") is None  # no [seal]
    verified = verify(elmo, emp_key.certificate)
    titles = [los.title("en") for _, _, los in read_elmo(verified.signed_xml).elmo.iter_los()]
    assert "Linear Algebra" in titles and "Ancient Greek Philosophy" in titles
    assert state(world, path) is State.DELIVERED
    assert world.emp.get(path).status_code == 410  # the preview is over


def test_cancel_before_login(world: World) -> None:
    request = asking()
    location, path = preview_required(world, request)
    page = world.emp.get(path)
    done = post(world.emp, f"{path}/cancel", page.text)
    assert done.status_code == 200 and 'data-outcome="declined"' in done.text
    assert world.repeat(request, location).code == "EDM:ERR:0004"


def test_cancel_on_the_preview_page(world: World) -> None:
    request = asking()
    location, path = preview_required(world, request)
    log_in(world.emp, path, "asa")
    page = world.emp.get(path)
    done = post(world.emp, f"{path}/send", page.text, action="cancel", consent="yes")
    assert 'data-outcome="declined"' in done.text and state(world, path) is State.DECLINED
    repeated = world.repeat(request, location)
    assert repeated.code == "EDM:ERR:0004" and repeated.response is None


def test_identity_mismatch(world: World) -> None:
    request = asking()
    location, path = preview_required(world, request)
    log_in(world.emp, path, "karl")
    page = world.emp.get(path)
    assert page.status_code == 200 and 'data-outcome="mismatch"' in page.text
    assert "Linear Algebra" not in page.text  # Karl sees nothing to send
    assert state(world, path) is State.MISMATCH
    assert world.repeat(request, location).code == "EDM:ERR:0001"


def test_no_results(world: World) -> None:
    request = asking()
    location, path = preview_required(world, request)
    log_in(world.emp, path, "nobody")
    page = world.emp.get(path)
    assert "No study records were found" in page.text
    done = post(world.emp, f"{path}/no-results", page.text)
    assert 'data-outcome="no_results"' in done.text
    assert world.repeat(request, location).code == "EDM:ERR:0004"


def test_a_person_with_results_cannot_report_none(world: World) -> None:
    _, path = preview_required(world, asking())
    log_in(world.emp, path, "asa")
    page = world.emp.get(path)
    response = post(world.emp, f"{path}/no-results", page.text)
    assert response.status_code == 303 and response.headers["location"] == path
    assert state(world, path) is State.PREVIEW


def test_a_preview_token_used_by_another_person(world: World) -> None:
    request = asking()
    location, path = preview_required(world, request)
    log_in(world.emp, path, "asa")
    page = world.emp.get(path)
    assert "Linear Algebra" in page.text
    with TestClient(world.emp.app, base_url=BASE, follow_redirects=False) as other:
        log_in(other, path, "karl")
        refused = other.get(path)
        assert refused.status_code == 403 and 'data-reason="not_yours"' in refused.text
        assert "Linear Algebra" not in refused.text
        own_page = refused  # Karl's browser, Karl's CSRF token (the logout form)
        for action in ("send", "cancel"):
            answer = post(other, f"{path}/send", own_page.text, action=action, consent="yes")
            assert answer.status_code == 403
        assert post(other, f"{path}/cancel", own_page.text).status_code == 403
    assert state(world, path) is State.PREVIEW
    done = post(world.emp, f"{path}/send", page.text, action="send", consent="yes")
    assert 'data-outcome="approved"' in done.text
    assert world.repeat(request, location).response is not None


def test_a_forged_token_is_refused_and_changes_nothing(world: World) -> None:
    request = asking()
    location, path = preview_required(world, request)
    forged = path[:-4] + ("AAAA" if not path.endswith("AAAA") else "BBBB")
    log_in(world.emp, path, "asa")
    page = world.emp.get(forged)
    assert page.status_code == 404 and 'data-reason="unknown"' in page.text
    own = world.emp.get(path)
    assert post(world.emp, f"{forged}/send", own.text, action="send", consent="yes").status_code == 404
    assert post(world.emp, "/oots/preview/" + "x" * 300 + "/cancel", own.text).status_code == 404
    assert state(world, path) is State.PREVIEW
    forged_return = world.repeat(request, PREVIEW + forged.rsplit("/", 1)[1])
    assert forged_return.code == "EDM:ERR:0003"
    assert re.search(r"EMREX-OOTS-008", forged_return.error.exception.detail or "")  # type: ignore[union-attr]
    assert world.repeat(request, location).code == "EDM:ERR:0002"


def test_the_requester_is_named_on_every_page(world: World) -> None:
    _, path = preview_required(world, asking())
    assert REQUESTER.name in world.emp.get(path).text


def test_a_preview_survives_a_restart_of_the_emp(world: World) -> None:
    """The exchange lives in the EMP's database: the person logs in before a restart and agrees after it,
    at another process, and the requester collects the evidence there."""
    request = asking()
    location, path = preview_required(world, request)
    log_in(world.emp, path, "asa")
    page = world.emp.get(path)
    with world.restart() as after:
        after.cookies = world.emp.cookies
        done = post(after, f"{path}/send", page.text, action="send", consent="yes")
        assert 'data-outcome="approved"' in done.text
    assert world.repeat(request, location).response is not None


def test_the_student_information_system_fails(world: World) -> None:
    from unittest.mock import patch

    from emrex.emp.sources.base import SourceUnavailable

    request = asking()
    location, path = preview_required(world, request)
    log_in(world.emp, path, "asa")
    source = world.emp.app.state.emrex_emp.source  # type: ignore[attr-defined]
    with patch.object(source, "fetch", side_effect=SourceUnavailable("db-host-7 timed out")):
        page = world.emp.get(path)
    assert page.status_code == 200 and 'data-outcome="failed"' in page.text and "db-host-7" not in page.text
    repeated = world.repeat(request, location)
    assert repeated.code == "EDM:ERR:0004"
    assert "db-host-7" not in (repeated.error.exception.detail or "")  # type: ignore[union-attr]


def agreed_evidence(world: World) -> Received:
    """Åsa previews and agrees; the repeated request's answer."""
    request = asking()
    location, path = preview_required(world, request)
    log_in(world.emp, path, "asa")
    page = world.emp.get(path)
    done = post(world.emp, f"{path}/send", page.text, action="send", consent="yes")
    assert 'data-outcome="approved"' in done.text, done.text
    answer = world.repeat(request, location)
    assert answer.check.kind is Kind.RESPONSE and answer.response is not None, answer
    return answer


@SEALED
def test_with_a_seal_the_evidence_carries_the_sealed_edc(
    world: World, emp_key: Issued, emp_ca: Issued, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from emrex.elm import extract_original
    from emrex.elm.edc import verify_edc
    from emrex.registry.model import Emp, Registry
    from emrex.seal import SealPolicy, Status
    from emrex.seal.result import BINDING, CHAIN, EMBEDDED_ELMO

    monkeypatch.setenv("EMREX_ELM_SHAPES_DIR", str(tmp_path / "no-shapes"))  # conformance: tests/elm
    answer = agreed_evidence(world)
    assert answer.response is not None
    roles = {d.formats[0]: d.role for d in answer.response.documents}
    assert roles == {
        "application/xml": "MainEvidence",
        "application/pdf": "HumanReadableVersion",
        "application/json": "Annex",
    }
    titles = [d.title for d in answer.response.documents]
    assert "Transcript of records (European Digital Credential, sealed)" in titles
    elmo, edc = answer.document("application/xml"), answer.document("application/json")
    assert elmo is not None and edc is not None
    nordvik = Emp("NORDVIK", "SE", BASE + "/emrex", ("Nordvik University",), (emp_key.certificate,))
    registry = Registry(emps=(nordvik,))
    result = verify_edc(edc, SealPolicy(trust=(emp_ca.certificate,)), registry=registry)
    assert result.accepted, [(c.name, c.status, c.summary) for c in result.checks]
    assert result.check(CHAIN).status is Status.PASSED and result.check(BINDING).status is Status.PASSED
    assert result.check(EMBEDDED_ELMO).status is Status.PASSED
    assert result.organization_identifier == SEAL_ID
    assert result.credential["issuer"]["eIDASIdentifier"]["notation"] == SEAL_ID
    assert extract_original(dict(result.credential)) == elmo  # the very signed ELMO sent beside it


@SEALED
def test_a_credential_that_cannot_be_sealed_fails_the_exchange(world: World) -> None:
    from unittest.mock import patch

    from emrex.elm.edc_seal import CredentialSealer, SealFailed

    request = asking()
    location, path = preview_required(world, request)
    log_in(world.emp, path, "asa")
    page = world.emp.get(path)
    with patch.object(
        CredentialSealer, "seal", side_effect=SealFailed("the seal key is on a card that is out")
    ):
        done = post(world.emp, f"{path}/send", page.text, action="send", consent="yes")
    assert 'data-outcome="failed"' in done.text and "card" not in done.text
    assert state(world, path) is State.FAILED
    repeated = world.repeat(request, location)
    assert repeated.response is None and repeated.code == "EDM:ERR:0004"
