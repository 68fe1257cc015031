from __future__ import annotations

import base64
import textwrap

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from emrex.registry import RegistryError, catalogue_xml, read_catalogue
from emrex.registry.catalogue import DATA_ACCESS_POINT_NS, NCP_NS, REGISTRY_NS
from tests.registry.helpers import make_cert


def b64(cert: x509.Certificate, width: int = 0) -> str:
    text = base64.b64encode(cert.public_bytes(Encoding.DER)).decode("ascii")
    return "\n".join(textwrap.wrap(text, width)) if width else text


def entry(name: str, country: str, *certs: str, ns: str = DATA_ACCESS_POINT_NS, extra: str = "") -> str:
    certificates = "".join(f"<certificate>{c}</certificate>" for c in certs)
    return (
        f'<emrex-data-access-point xmlns="{ns}" version="1.0.0">'
        f"<url>https://{name.split()[0].lower()}.example.org/emp</url><name>{name}</name>"
        f"<country-code>{country}</country-code>{extra}{certificates}</emrex-data-access-point>"
    )


def catalogue(*entries: str, root_ns: str = REGISTRY_NS) -> bytes:
    hosts = "".join(
        f"<host><ewp:admin-email>it@example.org</ewp:admin-email><apis-implemented>"
        f'<d5:discovery xmlns:d5="urn:discovery" version="5.0.0"><d5:url>https://x/</d5:url></d5:discovery>'
        f"{e}</apis-implemented></host>"
        for e in entries
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<catalogue xmlns="{root_ns}" xmlns:ewp="urn:ewp">'
        f"<host><apis-implemented/></host>{hosts}<institutions/></catalogue>"
    ).encode()


def test_reads_both_entry_namespaces_and_derives_countries() -> None:
    registry = read_catalogue(
        catalogue(
            entry("Norway registry", "NO", b64(make_cert("NO"))),
            entry(
                "UW",
                "pl",
                b64(make_cert("UW"), 64),
                ns=NCP_NS,
                extra="<institution>University of Warsaw</institution>",
            ),
            entry("USOS2", "PL", b64(make_cert("U2"))),
        ),
        source="catalogue-v1.xml",
    )
    assert [(e.acronym, e.country_code) for e in registry.emps] == [
        ("Norway registry", "NO"),
        ("UW", "PL"),
        ("USOS2", "PL"),
    ]
    uw = registry.find_emp("https://uw.example.org/emp")
    assert uw.institutions == ("University of Warsaw",)
    assert uw.certificates == (make_cert("UW"),)
    # Names come from the built-in table; a country with several EMPs must list them all.
    assert [(c.code, c.name, c.single_fetch) for c in registry.countries] == [
        ("NO", "Norway", False),
        ("PL", "Poland", True),
    ]


def test_the_unqualified_catalogue_of_the_implementation_guide_is_read() -> None:
    registry = read_catalogue(catalogue(entry("UW", "PL", b64(make_cert("UW"))), root_ns=""))
    assert registry.emps[0].acronym == "UW"


def test_several_certificates_allow_key_rollover_and_a_bad_one_is_skipped() -> None:
    registry = read_catalogue(
        catalogue(entry("UW", "PL", b64(make_cert("old")), "not-base64!", b64(make_cert("new"), 76)))
    )
    assert registry.emps[0].certificates == (make_cert("old"), make_cert("new"))
    assert len(registry.warnings) == 1
    assert "certificate at line" in registry.warnings[0]


def test_entries_of_other_apis_and_namespaces_are_ignored() -> None:
    registry = read_catalogue(
        catalogue(
            entry("UW", "PL", b64(make_cert("UW"))),
            entry("FAKE", "PL", b64(make_cert("FAKE")), ns="urn:someone-else"),
        )
    )
    assert [e.acronym for e in registry.emps] == ["UW"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (catalogue(), "lists no EMP"),
        (b"<manifest/>", "root is <manifest>, not an EWP registry <catalogue>"),
        (b"<catalogue><host>", "line 1: not well-formed XML"),
        (catalogue(entry("UW", "PL")), "line 2: <emrex-data-access-point> has no <certificate>"),
        (
            catalogue(entry("UW", "PL", "x").replace("<name>UW</name>", "")),
            "has no <name> element",
        ),
        (
            catalogue(entry("UW", "PL", "x").replace("<url>", "<url>https://a/</url><url>")),
            "has 2 <url> element",
        ),
    ],
)
def test_invalid_catalogues_are_refused_naming_the_problem(document: bytes, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        read_catalogue(document, source="cat.xml")


def test_entity_tricks_are_refused() -> None:
    attack = (
        b'<?xml version="1.0"?><!DOCTYPE catalogue [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<catalogue xmlns="' + REGISTRY_NS.encode() + b'"><host>&x;</host></catalogue>'
    )
    with pytest.raises(RegistryError, match="DOCTYPE"):
        read_catalogue(attack)


def test_an_entry_with_only_damaged_certificates_is_skipped() -> None:
    registry = read_catalogue(
        catalogue(entry("UW", "PL", b64(make_cert("UW"))), entry("BAD", "SE", b64(make_cert("BAD"))[:40]))
    )
    assert [e.acronym for e in registry.emps] == ["UW"]
    assert [c.code for c in registry.countries] == ["PL"]
    assert any("BAD" in w and "no usable certificate" in w for w in registry.warnings)


def test_written_catalogue_reads_back_identically() -> None:
    original = read_catalogue(
        catalogue(
            entry(
                "UW",
                "PL",
                b64(make_cert("old")),
                b64(make_cert("new")),
                extra="<institution>Uniwersytet Warszawski</institution>",
            ),
            entry("LADOK", "SE", b64(make_cert("LADOK"))),
            entry("UJ", "PL", b64(make_cert("UJ"))),
        )
    )
    written = catalogue_xml(original)
    assert DATA_ACCESS_POINT_NS.encode() in written
    again = read_catalogue(written)
    assert again == original
    assert again.countries == original.countries
