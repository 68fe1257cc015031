"""An EMC with demo logins, a registry file of three EMPs (keys from a test CA), and signed documents."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from emrex.db import Database, upgrade
from emrex.elmo import model as m
from emrex.elmo.codec import encode
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.emc import create_emc_app, hash_token, settings_from_mapping
from emrex.emc.config import EmcSettings
from emrex.registry import Country, Emp, Registry, emreg_json
from emrex.trust import Signer
from emrex.trust.ca import Issued, issue, make_ca
from emrex.web.login import hash_password

BASE_URL = "https://emc.example.org"
NORDVIK = "https://emp.nordvik.example/emrex"
COLLINA = "https://emp.collina.example/emrex"
MONTE = "https://emp.monte.example/emrex"
PASSWORD = "pw-for-tests"
API_TOKEN = "sis-token-0123456789"
# Nordvik's EMP serves two institutions, the first by name, the second by its SCHAC code.
NORDVIK_INSTITUTIONS = ("Nordvik University", "music.nordvik.example")
MUSIC = m.Issuer(
    identifiers=(m.Identifier("schac", "music.nordvik.example"),),
    titles=(m.LangText("Nordvik School of Music", "en"),),
    url="https://music.nordvik.example",
    country="SE",
)
# The sample document's learner (emrex.elmo.sample): the student "asa" is that person.
ASA = {"given_names": "Åsa Žofie", "family_name": "Lindqvist-Dvořáková", "birth_date": "1999-03-14"}


@dataclasses.dataclass(frozen=True)
class Keys:
    nordvik: Issued
    collina: Issued
    stranger: Issued  # a key of nobody in the registry


@pytest.fixture(scope="session")
def keys() -> Keys:
    ca = make_ca("EMC test CA")
    return Keys(
        issue(ca, "Nordvik EMP", organization="Nordvik University", country="SE"),
        issue(ca, "Collina EMP", country="IT"),
        issue(ca, "Stranger EMP"),
    )


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD, log2_n=10)


def registry_of(keys: Keys) -> Registry:
    return Registry(
        countries=(Country("SE", "Sweden", False), Country("IT", "Italy", True)),
        emps=(
            Emp("NORDVIK", "SE", NORDVIK, NORDVIK_INSTITUTIONS, (keys.nordvik.certificate,)),
            Emp("COLLINA", "IT", COLLINA, ("Università di Collina", "Other"), (keys.collina.certificate,)),
            Emp("MONTE", "IT", MONTE, ("Politecnico del Monte",), (keys.collina.certificate,)),
        ),
    )


def config(tmp_path: Path, keys: Keys, password_hash: str, **tables: Any) -> dict[str, Any]:
    registry_file = tmp_path / "registry.json"
    registry_file.write_bytes(emreg_json(registry_of(keys)))
    account = {"password_hash": password_hash}
    values: dict[str, Any] = {
        "base_url": BASE_URL,
        "database_url": f"sqlite:///{tmp_path}/emc.db",
        "registry": {"sources": [str(registry_file)]},
        "api": {"token_hashes": [hash_token(API_TOKEN)]},
        "login": {
            "method": "demo",
            "production": False,
            "demo": {
                "accounts": [
                    {
                        "username": "asa",
                        **ASA,
                        **account,
                        "identifiers": {
                            "esi": "urn:schac:personalUniqueCode:int:esi:se:nordvik.example:482913"
                        },
                    },
                    {
                        "username": "bo",
                        "given_names": "Bo",
                        "family_name": "Ek",
                        "birth_date": "2001-05-05",
                        **account,
                    },
                    {
                        "username": "asa2",
                        "given_names": "Åsa",
                        "family_name": "Lindqvist",
                        "birth_date": "1999-03-14",
                        **account,
                    },
                    {
                        "username": "staff",
                        "given_names": "Sven",
                        "family_name": "Lund",
                        "roles": ["staff"],
                        **account,
                    },
                ]
            },
        },
    }
    for name, table in tables.items():
        values[name] = {**values.get(name, {}), **table} if isinstance(table, dict) else table
    return values


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating is the slow part)."""
    path = tmp_path_factory.mktemp("emc-template") / "emc.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture
def make_settings(
    tmp_path: Path, keys: Keys, password_hash: str, migrated_template: Path
) -> Callable[..., EmcSettings]:
    shutil.copyfile(migrated_template, tmp_path / "emc.db")

    def make(**tables: Any) -> EmcSettings:
        return settings_from_mapping(config(tmp_path, keys, password_hash, **tables), {})

    return make


@pytest.fixture
def make_emc(make_settings: Callable[..., EmcSettings]) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []
    apps: dict[str, Any] = {}

    def make(settings: EmcSettings | None = None, **options: Any) -> TestClient:
        settings = settings or make_settings()
        if settings.database_url not in apps:
            apps[settings.database_url] = create_emc_app(settings, background=False, **options)
        client = TestClient(apps[settings.database_url], base_url=BASE_URL)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
    for app in apps.values():
        app.state.emc_service.database.dispose()


@pytest.fixture
def emc(make_emc: Callable[..., TestClient]) -> TestClient:
    return make_emc()


def database_of(client: TestClient) -> Database:
    db: Database = client.app.state.emc_service.database  # type: ignore[attr-defined]
    return db


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def login(client: TestClient, username: str = "asa") -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf(page.text), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def start(client: TestClient, country: str = "SE", emp: str = NORDVIK) -> str:
    """Start a transfer; the sessionId of the auto-submitted form."""
    page = client.get(f"/choose?country={country}")
    assert page.status_code == 200, page.text
    response = client.post("/start", data={"country": country, "emp": emp, "csrf_token": csrf(page.text)})
    assert response.status_code == 200, response.text
    assert f'action="{emp}"' in response.text
    found = re.search(r'name="sessionId" value="([^"]+)"', response.text)
    assert found
    assert f'name="returnUrl" value="{BASE_URL}/emrex/return"' in response.text
    return found.group(1)


def fresh(elmo: m.Elmo | None = None, *, courses: int = 8) -> m.Elmo:
    """The document as Nordvik's EMP makes it for a transfer: generated now (the EMC refuses older
    ones), its second report (the sample's courses abroad) from the second institution it serves."""
    elmo = elmo or sample_elmo(courses)
    reports = tuple(
        dataclasses.replace(r, issuer=MUSIC) if r.issuer.identifier("schac") == "unicollina.example" else r
        for r in elmo.reports
    )
    return dataclasses.replace(elmo, reports=reports, generated_date=now())


def other_results(tag: str, courses: int = 8) -> m.Elmo:
    """The sample with other course codes: results a student has not imported yet (the EMC imports
    a result, by issuer, course and date, once)."""

    def renumbered(los: m.LearningOpportunitySpecification) -> m.LearningOpportunitySpecification:
        ids = tuple(m.Identifier(i.type, f"{i.value}-{tag}") for i in los.identifiers)
        return dataclasses.replace(los, identifiers=ids, has_part=tuple(renumbered(p) for p in los.has_part))

    elmo = sample_elmo(courses)
    reports = tuple(
        dataclasses.replace(
            r,
            learning_opportunity_specifications=tuple(
                renumbered(los) for los in r.learning_opportunity_specifications
            ),
        )
        for r in elmo.reports
    )
    return dataclasses.replace(elmo, reports=reports)


def signed(signer_key: Issued, elmo: m.Elmo | None = None, *, courses: int = 8) -> bytes:
    xml = write_elmo(fresh(elmo, courses=courses))
    return Signer(signer_key.key, signer_key.certificate).sign(xml)


def answer(
    client: TestClient, session_id: str, code: str = "NCP_OK", elmo: str = "", message: str = "", **extra: Any
) -> Any:
    data = {"sessionId": session_id, "returnCode": code, "returnMessage": message, "elmo": elmo}
    return client.post("/emrex/return", data=data, follow_redirects=False, **extra)


def ok(client: TestClient, keys: Keys, session_id: str, elmo: m.Elmo | None = None) -> int:
    """Post a good answer; the transfer id it redirected to."""
    response = answer(client, session_id, elmo=encode(signed(keys.nordvik, elmo)))
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/transfers/(\d+)", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


SEAL_ID = "NTRSE-2021009999"


@dataclasses.dataclass(frozen=True)
class SealKeys:
    ca: Issued  # the CA of the EMC's seal certificate
    seal: Issued  # Lindholm University's EDC seal, organizationIdentifier SEAL_ID


@pytest.fixture(scope="session")
def seal_keys() -> SealKeys:
    ca = make_ca("Seal test CA")
    name = {"organization": "Lindholm University", "country": "SE", "organization_identifier": SEAL_ID}
    seal = issue(ca, "Lindholm EDC seal", **name)
    return SealKeys(ca, seal)


def seal_tables(directory: Path, seal_keys: SealKeys, **overrides: Any) -> dict[str, Any]:
    """The ``seal`` and ``verification`` tables of an EMC sealing with ``seal_keys``, trusting their CA."""
    from emrex.trust.keys import certificate_pem, save_issued

    save_issued(directory / "seal", seal_keys.seal, force=True)
    anchor = directory / "seal-ca.pem"
    anchor.write_bytes(certificate_pem(seal_keys.ca.certificate))
    seal = {
        "key_file": str(directory / "seal" / "key.pem"),
        "cert_file": str(directory / "seal" / "cert.pem"),
        "issuer_name": "Lindholm University",
        "issuer_country": "SE",
        "issuer_id": SEAL_ID,
        **overrides,
    }
    return {"seal": seal, "verification": {"seal_trust": [str(anchor)]}}
