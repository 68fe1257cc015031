"""What the OOTS tests share: the parties, an evidence type, a request about the sample learner, a
settable clock, evidence documents, and a whole loopback network with a requester and our provider."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient
from lxml import etree

from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.oots import (
    Agent,
    EvidenceProvider,
    EvidenceRequester,
    EvidenceType,
    Identifier,
    MemoryExchangeStore,
    NaturalPerson,
    Network,
    Party,
    ProviderBackend,
    ProviderConfig,
    QueryRequest,
    Received,
    Requirement,
    Text,
    WsClient,
)
from emrex.oots.access_point import HttpWsPlugin, create_access_point
from emrex.oots.request import new_request_id
from emrex.transcript import attach, render_transcript
from emrex.trust import Signer
from tests.conftest import SHARED

OOTS_DIR = SHARED / "samples-elm" / "oots"
START = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)

PROVIDER = Agent(
    Identifier("EL-NORDVIK-DP", "urn:oasis:names:tc:ebcore:partyid-type:unregistered:EL"),
    (Text("University of Nordvik (EMREX data provider)", "EN"),),
    "EL",
)
REQUESTER = Agent(
    Identifier("00000000000002", "urn:cef.eu:names:identifier:EAS:0009"),
    (Text("Admissions office of the University of Lyon", "EN"),),
    "FR",
    "ER",
)
TRANSCRIPT = EvidenceType(
    identifier="8f0a9a0e-5a3e-4a5c-9f10-7b2b5b1d3c41",
    classification=(
        "https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/EL/0b2e6a52-4c9e-4e0f-8a0e-4e1d2c3b4a59"
    ),
    titles=(Text("Transcript of records", "EN"),),
    descriptions=(Text("The courses and grades of a student, signed by the institution.", "EN"),),
    formats=("application/xml", "application/pdf"),
)
REQUIREMENT = Requirement(
    "https://sr.acc.oots.tech.ec.europa.eu/requirements/f56ad8cf-268a-4542-8193-216dcecd5676",
    (Text("Proof of tertiary education transcript", "EN"),),
)
# The sample ELMO's learner, as an eIDAS node would describe her.
PERSON = NaturalPerson(
    family_name="Lindqvist-Dvořáková",
    given_name="Åsa Žofie",
    date_of_birth=dt.date(1999, 3, 14),
    identifier="SE/FR/199903142389",
    identifier_scheme="eidas",
    level_of_assurance="High",
)
PREVIEW_BASE = "https://emp.nordvik.example/oots/preview/"
CONFIG = ProviderConfig(PROVIDER, (TRANSCRIPT,), PREVIEW_BASE)
REQUESTER_AP = Party("AP_FR_01")
PROVIDER_AP = Party("AP_EL_01")


def make_request(**changes: object) -> QueryRequest:
    request = QueryRequest(
        id=new_request_id(),
        specification="oots-edm:v2.0",
        issued=START,
        procedure="T2",
        possibility_for_preview=True,
        explicit_request_given=True,
        return_location="https://admissions.lyon.example/oots/return",
        requirements=(REQUIREMENT,),
        requesters=(REQUESTER,),
        provider=PROVIDER,
        evidence_type=dataclasses.replace(TRANSCRIPT, formats=("application/xml",)),
        person=PERSON,
    )
    return dataclasses.replace(request, **changes)  # type: ignore[arg-type]


class Clock:
    def __init__(self, now: dt.datetime = START) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def make_provider(
    clock: Clock | None = None, config: ProviderConfig = CONFIG
) -> tuple[EvidenceProvider, MemoryExchangeStore]:
    store = MemoryExchangeStore()
    return EvidenceProvider(config, store, clock=clock or Clock()), store


@dataclass(frozen=True)
class Evidence:
    elmo: bytes  # signed, with the PDF attached as EMREX does
    pdf: bytes


def make_evidence(signer: Signer, courses: int = 60) -> Evidence:
    elmo = sample_elmo(courses)
    pdf = render_transcript(elmo, generated_at=START)
    signed = signer.sign(write_elmo(attach(elmo, pdf)), at=START)
    return Evidence(signed, pdf)


@dataclass
class Loopback:
    """A requester and our evidence provider on one machine, joined by the loopback access point."""

    provider: EvidenceProvider
    store: MemoryExchangeStore
    clock: Clock
    requester: EvidenceRequester
    backend: ProviderBackend
    http: TestClient

    def exchange(self, request: QueryRequest, conversation_id: str | None = None) -> Received:
        """Send, let the provider answer, and collect the one answer."""
        _, conversation = self.requester.send(request, to=PROVIDER_AP, conversation_id=conversation_id)
        assert self.backend.poll() == 1
        answers = self.requester.receive(conversation)
        assert len(answers) == 1, answers
        return answers[0]


def loopback(config: ProviderConfig = CONFIG) -> Iterator[Loopback]:
    clock = Clock()
    provider, store = make_provider(clock, config)
    network = Network([REQUESTER_AP.id, PROVIDER_AP.id])
    with TestClient(create_access_point(network)) as http:
        requester = EvidenceRequester(
            WsClient(HttpWsPlugin(f"/{REQUESTER_AP.id}/wsplugin", http)), party=REQUESTER_AP, clock=clock
        )
        backend = ProviderBackend(provider, WsClient(HttpWsPlugin(f"/{PROVIDER_AP.id}/wsplugin", http)))
        yield Loopback(provider, store, clock, requester, backend, http)


def fixture(name: str) -> bytes:
    return (OOTS_DIR / name).read_bytes()


def shape(element: etree._Element) -> list[tuple[str, tuple[tuple[str, str], ...], str]]:
    """The document element by element: (tag, attributes, text) in document order, blanks ignored."""
    return [
        (str(e.tag), tuple(sorted(e.attrib.items())), (e.text or "").strip())
        for e in element.iter()
        if isinstance(e.tag, str)
    ]


def tree(data: bytes | Path) -> etree._Element:
    raw = data.read_bytes() if isinstance(data, Path) else data
    return etree.fromstring(raw, etree.XMLParser(remove_blank_text=True, resolve_entities=False))
