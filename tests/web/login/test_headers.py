"""Trusted headers from a Shibboleth SP: only from the configured proxy, attributes parsed."""

from __future__ import annotations

from datetime import date

import pytest

from emrex.web.login.attributes import BadAttribute, MissingAttributes
from emrex.web.login.headers import UntrustedProxy, client_address, person_from_headers, split_values
from emrex.web.login.settings import LoginSettings

SETTINGS = LoginSettings.from_mapping(
    {
        "method": "headers",
        "headers": {"trusted_proxies": ["10.0.0.5", "192.0.2.0/28"]},
        "role_rules": [{"role": "staff", "source": "affiliation", "values": ["staff"]}],
    }
)
HEADERS = {
    "eppn": "anna@uni.example",
    "givenName": "Anna Maria",
    "sn": "Berg",
    "schacDateOfBirth": "20000131",
    "mail": "anna@uni.example;anna.berg@uni.example",
    "schacPersonalUniqueCode": "urn:schac:personalUniqueCode:se:uni.example:stud:1234;"
    "urn:schac:personalUniqueCode:int:esi:uni.example:1234",
    "norEduPersonNIN": "200001319999",
    "affiliation": "member;student",
}


def test_person_from_a_trusted_proxy() -> None:
    person = person_from_headers(SETTINGS, "10.0.0.5", HEADERS)
    assert person.subject == "anna@uni.example"
    assert (person.given_names, person.family_name) == ("Anna Maria", "Berg")
    assert person.birth_date == date(2000, 1, 31)
    assert person.email == "anna@uni.example"
    assert person.identifiers["eppn"] == "anna@uni.example"
    assert person.identifiers["nationalIdentifier"] == "200001319999"
    assert person.identifiers["esi"] == "urn:schac:personalUniqueCode:int:esi:uni.example:1234"
    assert person.source == "headers"
    assert person.roles == {"student"}


def test_header_names_are_case_insensitive_and_staff_role_maps() -> None:
    headers = {k.lower(): v for k, v in HEADERS.items()} | {"affiliation": "staff;member"}
    person = person_from_headers(SETTINGS, "192.0.2.7", headers)
    assert person.roles == {"student", "staff"}


@pytest.mark.parametrize("peer", ["10.0.0.6", "192.0.2.16", "203.0.113.9", None, "not-an-ip", "::1"])
def test_headers_from_anywhere_else_are_refused(peer: str | None) -> None:
    with pytest.raises(UntrustedProxy, match="must come through the institution's identity provider"):
        person_from_headers(SETTINGS, peer, HEADERS)


def test_ipv4_mapped_ipv6_peer_counts_as_the_ipv4_proxy() -> None:
    assert person_from_headers(SETTINGS, "::ffff:10.0.0.5", HEADERS).subject == "anna@uni.example"


def test_missing_attributes_are_named() -> None:
    headers = {k: v for k, v in HEADERS.items() if k not in ("givenName", "sn")} | {"eppn": "  "}
    with pytest.raises(MissingAttributes) as caught:
        person_from_headers(SETTINGS, "10.0.0.5", headers)
    assert caught.value.names == ("eppn", "givenName", "sn")
    assert "eppn, givenName, sn" in str(caught.value)


def test_bad_birth_date_is_named() -> None:
    with pytest.raises(
        BadAttribute, match=r"schacDateOfBirth as '2000-01-31', which is not a date like 20010203"
    ):
        person_from_headers(SETTINGS, "10.0.0.5", HEADERS | {"schacDateOfBirth": "2000-01-31"})


def test_utf8_attribute_values_survive_latin1_header_decoding() -> None:
    # Starlette hands header bytes over as latin-1; Shibboleth sends UTF-8.
    raw = "Åsa Ölund".encode().decode("latin-1")
    person = person_from_headers(SETTINGS, "10.0.0.5", HEADERS | {"givenName": raw})
    assert person.given_names == "Åsa Ölund"


def test_multi_values_split_on_unescaped_separator() -> None:
    assert split_values("a;b\\;c; ;d", ";") == ["a", "b;c", "d"]
    assert split_values("", ";") == []


def test_forwarded_for_counts_only_from_a_trusted_proxy() -> None:
    proxies = SETTINGS.headers.trusted_proxies if SETTINGS.headers else ()
    assert client_address("203.0.113.9", "198.51.100.1", proxies) == "203.0.113.9"
    assert client_address("10.0.0.5", "198.51.100.1", proxies) == "198.51.100.1"
    # A browser-supplied first hop cannot hide the real one the proxy appended.
    assert client_address("10.0.0.5", "1.2.3.4, 198.51.100.1", proxies) == "198.51.100.1"
    assert client_address("10.0.0.5", None, proxies) == "10.0.0.5"
