"""The EWP hosts of a registry catalogue: the official example, our catalogue made from manifests,
and damaged keys or entries skipped with a warning."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from emrex.registry import RegistryError, catalogue_from_manifests, read_ewp_catalogue
from emrex.registry.hosts import CLIAUTH_HTTPSIG, SRVAUTH_HTTPSIG
from tests.ewp.network import manifests

EXAMPLE_KEY = "5531f9a02c44a894d0b706961259fec740ad4ae8a3555871f1a5cd9801285bd4"
ECHO_NS = "https://github.com/erasmus-without-paper/ewp-specs-api-echo/blob/stable-v2/manifest-entry.xsd"


@pytest.fixture(scope="module")
def example(shared_dir: Path) -> bytes:
    return (shared_dir / "samples-elm" / "ewp" / "registry-catalogue-example.xml").read_bytes()


def test_the_official_example(example: bytes) -> None:
    catalogue = read_ewp_catalogue(example)
    assert catalogue.warnings == ()
    assert len(catalogue.hosts) == 2 and list(catalogue.keys) == [EXAMPLE_KEY]
    assert catalogue.client_key(EXAMPLE_KEY) is catalogue.keys[EXAMPLE_KEY]
    assert catalogue.heis_covered_by(EXAMPLE_KEY) == {"uw.edu.pl"}
    assert catalogue.heis["uw.edu.pl"].name == "University of Warsaw"
    assert ("erasmus", "PL WARSZAW01") in catalogue.heis["uw.edu.pl"].other_ids
    host, echo = catalogue.find_api("uw.edu.pl", "echo", ECHO_NS) or (None, None)
    assert echo is not None and host is not None
    assert echo.field("url") == "https://example.com/ewp/echo" and echo.version == "2.0.0"
    assert CLIAUTH_HTTPSIG in echo.client_auth and SRVAUTH_HTTPSIG in echo.server_auth
    assert catalogue.server_key(EXAMPLE_KEY, host) is not None
    assert catalogue.server_key(EXAMPLE_KEY, catalogue.hosts[0]) is None  # the registry's own host
    assert catalogue.client_key("0b9e993d1d4a4e1be879bc5be19c1c0b9073d7bfe1556e015c069c6df6231b7f") is None


def test_a_key_whose_content_is_not_its_sha256_is_skipped(example: bytes) -> None:
    forged = example.replace(
        f'<rsa-public-key sha-256="{EXAMPLE_KEY}">\n'.encode(),
        b'<rsa-public-key sha-256="' + b"0" * 64 + b'">\n',
        1,
    )
    assert forged != example
    catalogue = read_ewp_catalogue(forged)
    assert catalogue.keys == {}
    assert "hashes to 5531f9a0" in catalogue.warnings[0]


def test_unreadable_and_non_rsa_keys_are_skipped(example: bytes) -> None:
    ec_der = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    digest = hashlib.sha256(ec_der).hexdigest()
    extra = f'<rsa-public-key sha-256="{digest}">{base64.b64encode(ec_der).decode()}</rsa-public-key>'
    extra += '<rsa-public-key sha-256="' + "1" * 64 + '">not base64!</rsa-public-key>'
    document = example.replace(b"</binaries>", extra.encode() + b"</binaries>")
    catalogue = read_ewp_catalogue(document)
    assert list(catalogue.keys) == [EXAMPLE_KEY]
    assert any("not an RSA key" in w for w in catalogue.warnings)
    assert any("not a readable public key" in w for w in catalogue.warnings)


def test_an_api_entry_with_a_plain_http_url_is_skipped(example: bytes) -> None:
    document = example.replace(
        b"<e2:url>https://example.com/ewp/echo", b"<e2:url>http://example.com/ewp/echo"
    )
    catalogue = read_ewp_catalogue(document)
    assert catalogue.find_api("uw.edu.pl", "echo", ECHO_NS) is None
    assert any("plain HTTP" in w for w in catalogue.warnings)


@pytest.mark.parametrize(
    "document", [b"<emp-list/>", b"not xml", b'<!DOCTYPE c [<!ENTITY x "y">]><catalogue/>']
)
def test_what_is_not_a_catalogue_is_refused(document: bytes) -> None:
    with pytest.raises(RegistryError):
        read_ewp_catalogue(document)


def test_a_catalogue_made_from_manifests_validates_against_the_registry_xsd(shared_dir: Path) -> None:
    from emrex.ewp import SchemaUnavailable
    from emrex.ewp.schema import CATALOGUE, validate

    roots = (shared_dir / "samples-elm" / "ewp", shared_dir / "reference" / "elmo")
    try:
        assert validate(catalogue_from_manifests(manifests()), [CATALOGUE], roots) == []
    except SchemaUnavailable as exc:
        pytest.skip(str(exc))


def test_manifests_that_are_not_manifests_are_refused() -> None:
    with pytest.raises(RegistryError, match="manifest 1: the root is not a Discovery v6"):
        catalogue_from_manifests([b"<catalogue/>"])
    broken = manifests()[2].replace(b"<rsa-public-key>", b"<rsa-public-key>!!")
    with pytest.raises(RegistryError, match="not base64"):
        catalogue_from_manifests([broken])
