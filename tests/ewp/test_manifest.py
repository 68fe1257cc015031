"""Our Discovery v6 manifest: what it declares, and that the official schemas accept it."""

from __future__ import annotations

import pytest
from lxml import etree

from emrex.ewp import Institution, ManifestHost, key_id, manifest_xml, partner_emp_certificates
from emrex.ewp.namespaces import CLIAUTH_HTTPSIG, SRVAUTH_HTTPSIG, TORS_ENTRY_NS
from emrex.ewp.schema import DISCOVERY_ENTRY, ECHO_ENTRY, MANIFEST, SEC_ENTRIES, TORS_ENTRY
from emrex.registry import catalogue_from_manifests, read_catalogue, read_ewp_catalogue
from tests.ewp.conftest import Validator
from tests.ewp.network import (
    FJORDBY,
    FJORDBY_URL,
    PATHS,
    catalogue,
    catalogue_bytes,
    emp_issued,
    manifests,
    rsa_key,
)


def test_the_manifest_validates_with_the_schemas_of_each_entry(xsd: Validator) -> None:
    schemas = (MANIFEST, DISCOVERY_ENTRY, ECHO_ENTRY, TORS_ENTRY, *SEC_ENTRIES)
    for document in manifests():
        assert xsd(document, *schemas) == []


def test_the_manifest_xsd_check_can_fail(xsd: Validator) -> None:
    broken = manifests()[0].replace(b"<max-omobility-ids>3<", b"<max-omobility-ids>0<")
    assert any("max-omobility-ids" in e for e in xsd(broken, MANIFEST, TORS_ENTRY))


def test_the_registry_reads_from_it_our_apis_keys_and_institution() -> None:
    host, api = catalogue().find_api(FJORDBY, "imobility-tors", TORS_ENTRY_NS) or (None, None)
    assert host is not None and api is not None
    assert api.version == "2.0.0"
    assert api.field("get-url") == f"{FJORDBY_URL}{PATHS.tors_get}"
    assert api.field("index-url") == f"{FJORDBY_URL}{PATHS.tors_index}"
    assert api.field("max-omobility-ids") == "3"
    assert CLIAUTH_HTTPSIG in api.client_auth and SRVAUTH_HTTPSIG in api.server_auth
    assert host.server_key_ids == {key_id(rsa_key("fjordby-server").public_key())}
    assert host.client_key_ids == {key_id(rsa_key("fjordby-client").public_key())}
    assert catalogue().heis[FJORDBY].name == "Fjordby University"
    assert {a.name for a in host.apis} == {"discovery", "echo", "imobility-tors", "emrex-data-access-point"}


def test_a_host_without_tors_declares_none() -> None:
    lindholm = read_ewp_catalogue(catalogue_from_manifests([manifests()[1]]))
    assert [a.name for a in lindholm.hosts[0].apis] == ["discovery", "echo"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"admin_emails": ()}, "admin e-mail"),
        ({"institution": Institution(FJORDBY, ())}, "at least one name"),
        ({"tors_index_url": None}, "both its get and its index URL"),
    ],
)
def test_an_incomplete_manifest_is_refused(change: dict[str, object], words: str) -> None:
    base = {
        "manifest_url": "https://a.example/m.xml",
        "admin_emails": ("a@a.example",),
        "admin_provider": "A",
        "institution": Institution("a.example", (("A", "en"),)),
        "tors_get_url": "https://a.example/get",
        "tors_index_url": "https://a.example/index",
    }
    with pytest.raises(ValueError, match=words):
        manifest_xml(ManifestHost(**{**base, **change}))  # type: ignore[arg-type]


def test_the_manifest_lists_one_institution_as_v6_allows() -> None:
    root = etree.fromstring(manifests()[0])
    assert len(root.findall(".//{*}institutions-covered/{*}hei")) == 1


def test_the_emrex_entry_serves_emrex_clients_and_ewp_partners_alike() -> None:
    emrex_registry = read_catalogue(catalogue_bytes())
    emp = emrex_registry.find_emp("FJORDBY")
    assert emp.url == f"{FJORDBY_URL}/emrex" and emp.country_code == "NO"
    assert emp.certificates == (emp_issued().certificate,)
    assert partner_emp_certificates(catalogue(), FJORDBY) == (emp_issued().certificate,)
    assert partner_emp_certificates(catalogue(), "lindholm.example") == ()
