"""Our registry server's catalogue lists EWP hosts from their manifests (ewp_manifests)."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from emrex.ewp import partner_emp_certificates
from emrex.registry import Country, Emp, Registry, read_catalogue, read_ewp_catalogue
from emrex.registry.catalogue import catalogue_xml
from emrex.registry.config import RegistryConfigError, load_server_config
from emrex.registry.server import create_app
from emrex.trust.keys import certificate_pem
from tests.ewp.network import FJORDBY, FJORDBY_URL, LINDHOLM, emp_issued, manifests


def _registry() -> Registry:
    other = Emp(
        "OTHER", "SE", "https://emp.other.example/emrex", ("other.example",), (emp_issued().certificate,)
    )
    # Fjordby's EMP as the registry lists it, and as its manifest does: listed once.
    fjordby = Emp("FJORDBY", "NO", f"{FJORDBY_URL}/emrex", (FJORDBY,), (emp_issued().certificate,))
    return Registry(
        countries=(Country("SE", "Sweden", False), Country("NO", "Norway", False)), emps=(other, fjordby)
    )


def test_the_catalogue_lists_emps_and_ewp_hosts() -> None:
    data = catalogue_xml(_registry(), manifests()[:2])
    emrex = read_catalogue(data)  # what EMREX clients read
    assert sorted(e.url for e in emrex.emps) == sorted(
        [f"{FJORDBY_URL}/emrex", "https://emp.other.example/emrex"]
    )
    ewp = read_ewp_catalogue(data)  # what EWP servers and clients read
    assert ewp.find_api(FJORDBY, "imobility-tors", _tors_ns()) is not None
    assert ewp.heis[LINDHOLM].name == "Lindholm University"
    assert partner_emp_certificates(ewp, FJORDBY) == (emp_issued().certificate,)
    assert catalogue_xml(_registry()) == catalogue_xml(_registry(), ())


def _tors_ns() -> str:
    from emrex.ewp.namespaces import TORS_ENTRY_NS

    return TORS_ENTRY_NS


def test_the_server_configuration_names_manifest_files(tmp_path: Path) -> None:
    (tmp_path / "emp.pem").write_bytes(certificate_pem(emp_issued().certificate))
    (tmp_path / "fjordby.xml").write_bytes(manifests()[0])
    lines = [
        'ewp_manifests = ["fjordby.xml"]',
        "[[emps]]",
        'acronym = "OTHER"',
        'country = "SE"',
        'url = "https://emp.other.example/emrex"',
        'certificates = ["emp.pem"]',
    ]
    config = tmp_path / "registry.toml"
    config.write_text("\n".join(lines) + "\n")
    loaded = load_server_config(config)
    served = TestClient(create_app(loaded.registry, loaded.ewp_manifests)).get("/catalogue-v1.xml")
    assert read_ewp_catalogue(served.content).find_api(FJORDBY, "imobility-tors", _tors_ns()) is not None
    (tmp_path / "fjordby.xml").write_text("<manifest/>")
    with pytest.raises(RegistryConfigError, match="ewp_manifests: manifest 1: the root is not a Discovery"):
        load_server_config(config)
    config.write_text(config.read_text().replace("fjordby.xml", "missing.xml"))
    with pytest.raises(RegistryConfigError, match=r"ewp_manifests\[0\]: cannot read missing\.xml"):
        load_server_config(config)
