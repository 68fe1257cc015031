"""A small EWP network made on the spot: Fjordby University serves incoming students' transcripts,
Lindholm fetches them, Østmark is another sending institution. Manifests are written by our own
manifest builder and turned into a registry catalogue as the EWP registry does."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from starlette.testclient import TestClient

from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.ewp import (
    EmrexEntry,
    EwpClient,
    EwpServer,
    IncomingMobility,
    Institution,
    ManifestHost,
    MemoryMobilities,
    MemoryReplayCache,
    ReplayCache,
    RequestVerifier,
    SigningKey,
    Student,
    ToRsApi,
    manifest_xml,
)
from emrex.ewp.routes import EwpPaths, ewp_router
from emrex.registry import EwpCatalogue, catalogue_from_manifests, read_ewp_catalogue
from emrex.trust.ca import Issued, issue, make_ca
from emrex.trust.signer import Signer
from tests.conftest import SHARED

FJORDBY = "fjordby.example"
LINDHOLM = "lindholm.example"
OSTMARK = "ostmark.example"
FJORDBY_URL = f"https://{FJORDBY}"
ESI = "urn:schac:personalUniqueCode:int:esi:se:nordvik.example:482913"  # the sample learner's
APPROVED = dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC)
PATHS = EwpPaths()

# The official XSDs: the shared reference folders, and a folder with the ones they lack (if given).
XSD_ROOTS = (SHARED / "samples-elm" / "ewp", SHARED / "reference" / "elmo")


@cache
def rsa_key(name: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def signing_key(name: str) -> SigningKey:
    return SigningKey(rsa_key(name))


@cache
def emp_issued() -> Issued:
    return issue(make_ca("EWP test CA"), "EMP Fjordby", organization="Fjordby University", country="NO")


@cache
def signed_elmo(courses: int = 6, seed: int = 0) -> bytes:
    issued = emp_issued()
    return Signer(issued.key, issued.certificate).sign(write_elmo(sample_elmo(courses, seed=seed)))


def manifests() -> list[bytes]:
    fjordby = ManifestHost(
        manifest_url=f"{FJORDBY_URL}{PATHS.manifest}",
        admin_emails=("ewp-admin@fjordby.example",),
        admin_provider="Fjordby University (emrex)",
        institution=Institution(FJORDBY, (("Fjordby University", "en"), ("Fjordby universitet", "nb"))),
        client_keys=(rsa_key("fjordby-client").public_key(),),
        server_keys=(rsa_key("fjordby-server").public_key(),),
        echo_url=f"{FJORDBY_URL}{PATHS.echo}",
        tors_get_url=f"{FJORDBY_URL}{PATHS.tors_get}",
        tors_index_url=f"{FJORDBY_URL}{PATHS.tors_index}",
        max_omobility_ids=3,
        emrex=EmrexEntry(f"{FJORDBY_URL}/emrex", "FJORDBY", "NO", (FJORDBY,), (emp_issued().certificate,)),
    )
    lindholm = ManifestHost(
        manifest_url=f"https://{LINDHOLM}/ewp/manifest.xml",
        admin_emails=("ewp@lindholm.example",),
        admin_provider="Lindholm University (emrex)",
        institution=Institution(LINDHOLM, (("Lindholm University", "en"),), (("erasmus", "S LINDHOL01"),)),
        client_keys=(rsa_key("lindholm-client").public_key(),),
        server_keys=(rsa_key("lindholm-server").public_key(),),
        echo_url=f"https://{LINDHOLM}/ewp/echo",
    )
    ostmark = ManifestHost(
        manifest_url=f"https://{OSTMARK}/manifest.xml",
        admin_emails=("ewp@ostmark.example",),
        admin_provider="Østmark College (other software)",
        institution=Institution(OSTMARK, (("Østmark College", "en"),)),
        client_keys=(rsa_key("ostmark-client").public_key(),),
    )
    return [manifest_xml(fjordby), manifest_xml(lindholm), manifest_xml(ostmark)]


@cache
def catalogue_bytes() -> bytes:
    return catalogue_from_manifests(manifests())


@cache
def catalogue() -> EwpCatalogue:
    return read_ewp_catalogue(catalogue_bytes(), source="test catalogue")


def student() -> Student:
    return Student("Åsa Žofie", "Lindqvist-Dvořáková", ESI)


def mobility(
    omobility_id: str, sending: str = LINDHOLM, *, approved: dt.datetime | None = APPROVED
) -> IncomingMobility:
    return IncomingMobility(
        omobility_id, sending, FJORDBY, student(), dt.date(2026, 1, 15), dt.date(2026, 6, 15), approved
    )


def mobilities() -> MemoryMobilities:
    return MemoryMobilities(
        [
            mobility("m-approved-1"),
            mobility("m-approved-2"),
            mobility("m-pending", approved=None),
            mobility("m-ostmark", OSTMARK),
        ]
    )


@dataclass
class Fjordby:
    """Fjordby's EWP server mounted in a small app, and the clients that call it."""

    mobilities: MemoryMobilities = field(default_factory=mobilities)
    transcripts: dict[str, bytes] = field(default_factory=dict)
    replay: ReplayCache = field(default_factory=MemoryReplayCache)

    def __post_init__(self) -> None:
        self.verifier = RequestVerifier(catalogue, self.replay, hosts={FJORDBY})
        self.server = EwpServer(self.verifier, signing_key("fjordby-server"))
        self.tors = ToRsApi(self.mobilities, self.transcript, hei_ids={FJORDBY}, max_omobility_ids=3)
        self.manifest = manifests()[0]
        app = FastAPI()
        app.include_router(ewp_router(self.server, manifest=lambda: self.manifest, tors=self.tors))
        self.app = app
        self.http = TestClient(app, base_url=FJORDBY_URL)

    def transcript(self, mobility: IncomingMobility) -> bytes:
        return self.transcripts.get(mobility.omobility_id) or signed_elmo()

    def client(self, name: str = "lindholm-client") -> EwpClient:
        return EwpClient(signing_key(name), catalogue, http=self.http)


def extra_xsd_root() -> Path | None:
    configured = os.environ.get("EMREX_EWP_SCHEMA_DIR")
    return Path(configured) if configured else None
