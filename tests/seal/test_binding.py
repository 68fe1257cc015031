"""Issuer ⇄ seal binding: the ETSI organisation identifier against the issuer's legal identifiers."""

from __future__ import annotations

from typing import Any

import pytest

from emrex.seal.binding import check_binding
from emrex.seal.result import Status
from emrex.trust.ca import Issued, issue
from emrex.trust.errors import CertificateError, OrganizationIdentifierError
from emrex.trust.orgid import parse_organization_identifier

COUNTRY = "http://publications.europa.eu/resource/authority/country/"


def _issuer(notation: str, country: str | None = None, field: str = "eIDASIdentifier") -> dict[str, Any]:
    identifier: dict[str, Any] = {"type": "LegalIdentifier", "notation": notation}
    if country:
        identifier["spatial"] = {"id": COUNTRY + country, "type": "Concept"}
    return {"issuer": {"id": "urn:epass:org:1", "type": "Organisation", field: identifier}}


def test_parsing_the_etsi_form() -> None:
    parsed = parse_organization_identifier("NTREE-17207834")
    assert (parsed.kind, parsed.country, parsed.value) == ("NTR", "EE", "17207834")
    assert parsed.describe() == "17207834 in the national trade register of EE"
    assert parse_organization_identifier("VATEL-094014201").iso_country == "GR"
    assert parse_organization_identifier("AB:FR-123").kind == "AB:"
    for bad in ("17207834", "NTR-EE-1", "ntree-1", "NTREE-", "X" * 200):
        with pytest.raises(OrganizationIdentifierError):
            parse_organization_identifier(bad)


@pytest.fixture(scope="module")
def estonian(ca: Issued) -> Issued:
    return issue(ca, "Velocert seal", organization_identifier="NTREE-17207834")


@pytest.mark.parametrize(
    ("credential", "status"),
    [
        (_issuer("NTREE-17207834"), Status.PASSED),  # whole, as the EU's issuer writes it
        (_issuer("17207834", "EST"), Status.PASSED),  # the register entry in its country
        (_issuer("17207834"), Status.PASSED),  # no country given
        (_issuer("17207834", "FIN"), Status.FAILED),  # the same number in another country
        (_issuer("17207835", "EST"), Status.FAILED),
        (_issuer("17207834", "EST", field="registration"), Status.PASSED),
        ({"issuer": "urn:epass:org:1"}, Status.FAILED),
        ({"issuer": {"id": "urn:epass:org:1"}}, Status.FAILED),
        ({}, Status.FAILED),
    ],
)
def test_binding_cases(estonian: Issued, credential: dict[str, Any], status: Status) -> None:
    assert check_binding(estonian.certificate, credential).status is status


def test_a_country_mismatch_is_named(estonian: Issued) -> None:
    summary = check_binding(estonian.certificate, _issuer("17207834", "FIN")).summary
    assert "registered in FI, the seal's in EE" in summary


def test_a_certificate_without_organisation_identifier_cannot_bind(ca: Issued) -> None:
    plain = issue(ca, "No identifier")
    check = check_binding(plain.certificate, _issuer("NTREE-17207834"))
    assert check.status is Status.FAILED and "names no organisation identifier" in check.summary


def test_the_ca_refuses_a_malformed_organisation_identifier(ca: Issued) -> None:
    with pytest.raises(CertificateError, match="not an ETSI organisation identifier"):
        issue(ca, "Seal", organization_identifier="17207834")
