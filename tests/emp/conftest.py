"""An EMP on a migrated SQLite file with the SIS seeded, demo login, and a key from a test CA."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from emrex.db import Database, upgrade
from emrex.emp.app import create_emp_app
from emrex.emp.config import EmpSettings, settings_from_mapping
from emrex.emp.sources.base import ResultsSource
from emrex.sis.format import parse_sis_json
from emrex.sis.importer import import_sis
from emrex.trust.ca import Issued, issue, make_ca
from emrex.trust.keys import certificate_pem, private_key_pem, save_issued
from emrex.trust.signer import Signer
from emrex.web.login import hash_password
from tests.emp.data import STUDENT_ID, document

BASE_URL = "https://emp.nordvik.example"
CLIENT_RETURN = "https://emc.home.example/emrex/return"
PASSWORD = "correct horse"
SEAL_ID = "NTRSE-2021005678"  # Nordvik University's organizationIdentifier, in its EDC seal certificate


@pytest.fixture(scope="session")
def emp_ca() -> Issued:
    return make_ca("EMP test CA")


@pytest.fixture(scope="session")
def emp_key(emp_ca: Issued) -> Issued:
    return issue(emp_ca, "EMP Nordvik", organization="Nordvik University", country="SE")


@pytest.fixture(scope="session")
def seal_key(emp_ca: Issued) -> Issued:
    """Nordvik University's EDC seal (organizationIdentifier SEAL_ID), from the EMP's test CA."""
    name = {"organization": "Nordvik University", "country": "SE", "organization_identifier": SEAL_ID}
    return issue(emp_ca, "Nordvik EDC seal", **name)


def seal_table(directory: Path, seal: Issued, **overrides: Any) -> dict[str, Any]:
    """The EMP's ``[seal]`` table for ``seal``, its files written under ``directory``."""
    save_issued(directory / "seal", seal, force=True)
    return {
        "key_file": str(directory / "seal" / "key.pem"),
        "cert_file": str(directory / "seal" / "cert.pem"),
        "issuer_name": "Nordvik University",
        "issuer_country": "SE",
        "issuer_id": SEAL_ID,
        **overrides,
    }


@pytest.fixture(scope="session")
def signer(emp_key: Issued) -> Signer:
    return Signer(emp_key.key, emp_key.certificate)


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD, log2_n=10)


@pytest.fixture
def key_files(tmp_path: Path, emp_key: Issued) -> tuple[Path, Path]:
    key, cert = tmp_path / "emp-key.pem", tmp_path / "emp-cert.pem"
    key.write_bytes(private_key_pem(emp_key.key))
    cert.write_bytes(certificate_pem(emp_key.certificate))
    return key, cert


def config(password_hash: str, key_files: tuple[Path, Path], **overrides: Any) -> dict[str, Any]:
    accounts = [
        {
            "username": "asa",
            "password_hash": password_hash,
            "given_names": "Åsa",
            "family_name": "Lindqvist",
            "identifiers": {"nationalIdentifier": STUDENT_ID},
        },
        {
            "username": "nobody",
            "password_hash": password_hash,
            "given_names": "No",
            "family_name": "Records",
            "identifiers": {"nationalIdentifier": "00000000-0000"},
        },
        {
            "username": "staff",
            "password_hash": password_hash,
            "given_names": "Sven",
            "family_name": "Staff",
            "roles": ["staff"],
        },
    ]
    data: dict[str, Any] = {
        "name": "Nordvik EMP",
        "base_url": BASE_URL,
        "production": False,
        "key_file": str(key_files[0]),
        "certificate_file": str(key_files[1]),
        "timezone": "Europe/Stockholm",
        "login": {"method": "demo", "demo": {"accounts": accounts}},
    }
    data.update(overrides)
    return data


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the SIS seeded, copied for each test (migrating is the slow part)."""
    path = tmp_path_factory.mktemp("emp-template") / "emp.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    import_sis(db, parse_sis_json(json.dumps(document()).encode()))
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture
def database(tmp_path: Path, seeded_template: Path) -> Iterator[Database]:
    shutil.copyfile(seeded_template, tmp_path / "emp.db")
    db = Database(f"sqlite:///{tmp_path}/emp.db")
    yield db
    db.dispose()


@pytest.fixture
def make_emp(
    database: Database, password_hash: str, key_files: tuple[Path, Path], signer: Signer
) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(
        *, source: ResultsSource | None = None, with_signer: Signer | None = None, **overrides: Any
    ) -> TestClient:
        settings: EmpSettings = settings_from_mapping(config(password_hash, key_files, **overrides))
        app = create_emp_app(settings, database=database, source=source, signer=with_signer or signer)
        client = TestClient(app, base_url=settings.base_url, follow_redirects=False)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def emp(make_emp: Callable[..., TestClient]) -> TestClient:
    return make_emp()
