"""EWP in the demo network: FjordNet's EMP serves Fjordby University's incoming students over EWP
(chloe's exchange from Lindholm), and Lindholm's staff fetch her transcript from the EMC.

Keys (RSA, issued by the demo CA) are in ``<data-dir>/ewp/``; the two hosts' Discovery manifests are
written into the registry's folder, and the demo registry's ``catalogue-v1.xml`` lists them, as the
EWP registry would. Lindholm's EMC serves no EWP API: its manifest only publishes its client key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emrex.demo.folder import DataFolder, DemoCa, key_pair
from emrex.demo.network import EMC, EMPS
from emrex.emp.ewp_serving import manifest_of
from emrex.emp.ewp_settings import ewp_serving
from emrex.ewp import Institution, ManifestHost, SigningKey, manifest_xml
from emrex.trust import load_private_key
from emrex.trust.certs import load_certificate
from emrex.trust.keys import CERT, KEY

FJORDBY = "fjordby.example.no"
FJORDBY_NAME = "Fjordby University"
LINDHOLM = "lindholm.example.se"
MOBILITY_ID = "FJ-2024-LH-0007"  # chloe's exchange at Fjordby (data/sis-fjordnet.json)
HOST_PLAN = EMPS[0]  # FjordNet serves Fjordby University
MANIFESTS = ("ewp/fjordby-manifest.xml", "ewp/lindholm-manifest.xml")  # in the registry's folder


@dataclass(frozen=True)
class EwpKeys:
    fjordby_server: tuple[Path, Path]  # (key file, certificate file)
    fjordby_client: tuple[Path, Path]
    lindholm_client: tuple[Path, Path]


def ewp_dir(folder: DataFolder) -> Path:
    return folder.root / "ewp"


def ewp_keys(folder: DataFolder, ca: DemoCa) -> EwpKeys:
    root = ewp_dir(folder)
    return EwpKeys(
        key_pair(ca, root / "fjordby-server", "Fjordby University EWP server", FJORDBY_NAME, "NO"),
        key_pair(ca, root / "fjordby-client", "Fjordby University EWP client", FJORDBY_NAME, "NO"),
        key_pair(ca, root / "lindholm-client", "Lindholm University EWP client", EMC.institution, "SE"),
    )


def catalogue_url(registry: str) -> str:
    return registry.rstrip("/") + "/catalogue-v1.xml"


def emp_table(keys: EwpKeys, registry: str) -> dict[str, Any]:
    """FjordNet's ``[ewp]`` table."""
    return {
        "hei_id": FJORDBY,
        "institution_name": FJORDBY_NAME,
        "country": "NO",
        "catalogue": catalogue_url(registry),
        "server_key": str(keys.fjordby_server[0]),
        "client_key": str(keys.fjordby_client[0]),
        "admin_emails": ["ewp-admin@fjordby.example.no"],
        "catalogue_minutes": 1,
    }


def emc_table(keys: EwpKeys, registry: str) -> dict[str, Any]:
    """The EMC's ``[emc.ewp]`` table."""
    return {
        "client_key": str(keys.lindholm_client[0]),
        "catalogue": catalogue_url(registry),
        "timeout_seconds": 10,
    }


def write_manifests(
    folder: DataFolder,
    keys: EwpKeys,
    registry: str,
    emp_url: str,
    emp_entry: str,
    emp_cert: Path,
    emc_url: str,
) -> list[str]:
    """Both hosts' manifests in the registry's folder; their names for ``ewp_manifests``."""
    serving = ewp_serving(emp_table(keys, registry), emp_url)
    assert serving is not None
    fjordby = manifest_of(
        serving,
        emp_url,
        emp_entry,
        load_certificate(emp_cert.read_bytes()),
        emp_name=HOST_PLAN.acronym,
        institutions=HOST_PLAN.institutions,
    )
    client = SigningKey(load_private_key(keys.lindholm_client[0].read_bytes()))
    lindholm = manifest_xml(
        ManifestHost(
            manifest_url=emc_url.rstrip("/") + "/ewp/manifest.xml",
            admin_emails=("ewp-admin@lindholm.example.se",),
            admin_provider=f"{EMC.institution} (emrex)",
            institution=Institution(LINDHOLM, ((EMC.institution, "en"),)),
            client_keys=(client.public_key,),
        )
    )
    target = folder.registry_dir
    for name, data in zip(MANIFESTS, (fjordby, lindholm), strict=True):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes(data)
    return list(MANIFESTS)


def facts(folder: DataFolder, registry: str, emp_url: str) -> dict[str, Any]:
    """demo.json's ``ewp``: the EWP host's manifest, the catalogue listing it, the EMC's client key
    and certificate (to call the demo's EWP APIs with any client), and the mobility to fetch."""
    client = ewp_dir(folder) / "lindholm-client"
    return {
        "fjordby_manifest": emp_url.rstrip("/") + "/ewp/manifest.xml",
        "catalogue": catalogue_url(registry),
        "client_key": str(client / KEY),
        "client_cert": str(client / CERT),
        "mobility": {
            "partner": FJORDBY,
            "omobility_id": MOBILITY_ID,
            "student": "chloe",
            "sending": LINDHOLM,
        },
        "staff_page": "/staff/ewp",
    }
