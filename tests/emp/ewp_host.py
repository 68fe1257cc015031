"""The EMP as an EWP host in tests: Nordvik serves the transcript of Chloe, an incoming student from
Lindholm (tests/ewp/network.py holds Lindholm's keys and manifest)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from emrex.db import Database
from emrex.sis.format import parse_sis_json
from emrex.sis.importer import import_sis
from tests.ewp.network import manifests, rsa_key
from tests.sis.data import course, dumps

HOST = "nordvik.example"
CHLOE_ESI = "urn:schac:personalUniqueCode:int:esi:lindholm.example:chloe-7"


def chloe_file() -> dict[str, Any]:
    mobility = {
        "sendingHei": "lindholm.example",
        "receivingHei": HOST,
        "studentEsi": CHLOE_ESI,
        "start": "2026-01-15",
        "end": "2026-06-15",
    }
    return {
        "format": "emrex-sis/1",
        "persons": [
            {
                "identifiers": {"esi": CHLOE_ESI},
                "givenNames": "Chloé",
                "familyName": "Martin",
                "birthDate": "2002-04-09",
                "results": [
                    course("EX-1", "Nordic Design", "VG", date="2026-03-20") | {"institution": HOST},
                    course("EX-2", "Swedish for Exchange Students", "G", date="2026-06-05")
                    | {"institution": HOST},
                    # a summer course here two years before the exchange: not in its transcript
                    course("EX-0", "Summer School in Glassblowing", "G", date="2024-07-30")
                    | {"institution": HOST},
                    course("GR-9", "Ancient Drama", "7", None)
                    | {"institution": "uoa.example.gr", "gradingScheme": "GR-10"},
                ],
            }
        ],
        "incomingMobilities": [
            mobility | {"omobilityId": "CH-1", "torApprovedAt": "2026-07-01T09:00:00Z"},
            mobility | {"omobilityId": "CH-pending"},
            mobility
            | {
                "omobilityId": "CH-ostmark",
                "sendingHei": "ostmark.example",
                "torApprovedAt": "2026-07-01T09:00:00Z",
            },
        ],
    }


def import_chloe(database: Database) -> None:
    import_sis(database, parse_sis_json(dumps(chloe_file())))


def pem(name: str) -> bytes:
    return rsa_key(name).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def ewp_table(tmp_path: Path) -> dict[str, Any]:
    (tmp_path / "ewp-server.pem").write_bytes(pem("nordvik-server"))
    (tmp_path / "ewp-client.pem").write_bytes(pem("nordvik-client"))
    return {
        "hei_id": HOST,
        "institution_name": "Nordvik University",
        "country": "SE",
        "catalogue": str(tmp_path / "catalogue-v1.xml"),
        "server_key": str(tmp_path / "ewp-server.pem"),
        "client_key": str(tmp_path / "ewp-client.pem"),
        "admin_emails": ["ewp-admin@nordvik.example"],
        "max_omobility_ids": 2,
    }


def lindholm_manifest() -> bytes:
    return manifests()[1]
