"""Each report's issuer against the institutions the registry lists for the EMP that signed."""

from __future__ import annotations

import pytest

from emrex.elmo import model as m
from emrex.registry import Emp
from emrex.registry.issuers import entry_kind, issuer_problems, listed

FJORDBY = m.Issuer(
    identifiers=(
        m.Identifier("schac", "fjordby.example.no"),
        m.Identifier("erasmus", "N FJORDBY01"),
        m.Identifier("pic", "999000123"),
    ),
    titles=(m.LangText("Universitetet i Fjordby", "nb"), m.LangText("Fjordby University", "en")),
    country="NO",
)
HARVARD = m.Issuer(
    identifiers=(m.Identifier("schac", "harvard.edu"),),
    titles=(m.LangText("Harvard University", "en"),),
    country="US",
)


def report(issuer: m.Issuer) -> m.Report:
    return m.Report(issuer=issuer)


def fjordnet(*institutions: str) -> Emp:
    return Emp("FJORDNET", "NO", "https://emp.fjordnet.example/emrex", institutions)


@pytest.mark.parametrize(
    ("entry", "kind"),
    [
        ("All", "all"),
        (" ALL ", "all"),
        ("999000123", "pic"),
        ("N FJORDBY01", "erasmus"),
        ("SF TAMPERE01", "erasmus"),
        ("fjordby.example.no", "schac"),
        ("uio.no", "schac"),
        ("Fjordby University", "name"),
        ("St. Olaf College", "name"),
        ("12345", "name"),
    ],
)
def test_registry_entries_are_read_as_codes_or_names(entry: str, kind: str) -> None:
    assert entry_kind(entry) == kind


@pytest.mark.parametrize(
    "entry",
    [
        "fjordby.example.no",
        "FJORDBY.example.no",
        "N FJORDBY01",
        "n  fjordby01",
        "999000123",
        "Fjordby University",
        "universitetet  i fjordby",
        "All",
    ],
)
def test_an_issuer_matches_by_schac_erasmus_pic_or_a_title(entry: str) -> None:
    assert listed(FJORDBY, entry)


@pytest.mark.parametrize("entry", ["nordkapp.example.no", "N NORDKAP01", "999000124", "Nordkapp School"])
def test_other_institutions_do_not_match(entry: str) -> None:
    assert not listed(FJORDBY, entry)


def test_a_code_matches_only_the_identifier_of_its_kind() -> None:
    # A title that happens to read like a code is no SCHAC identifier.
    named = m.Issuer(titles=(m.LangText("fjordby.example.no", "en"),), country="NO")
    assert not listed(named, "fjordby.example.no")


def test_reports_of_listed_institutions_pass() -> None:
    emp = fjordnet("Fjordby University", "nordkapp.example.no")
    assert issuer_problems([report(FJORDBY)], emp) == ()


def test_an_institution_the_emp_does_not_serve_is_named_with_its_identifiers() -> None:
    # What FJORDNET's key signed: Harvard's results (issue 11, item 3).
    harvard_in_norway = m.Issuer(HARVARD.identifiers, HARVARD.titles, country="NO")
    reports = [report(FJORDBY), report(harvard_in_norway)]
    (problem,) = issuer_problems(reports, fjordnet("Fjordby University"))
    assert problem == (
        "the issuer 'Harvard University' (schac harvard.edu) is not one of the institutions the registry "
        "lists for FJORDNET (Fjordby University)"
    )


def test_an_issuer_in_another_country_is_named() -> None:
    (problem,) = issuer_problems([report(HARVARD)], fjordnet("All"))
    assert problem == (
        "the issuer 'Harvard University' (schac harvard.edu) is in US, but FJORDNET serves institutions in NO"
    )
    # Its identifiers do not help it either: the country is the EMP's.
    assert issuer_problems([report(HARVARD)], fjordnet("harvard.edu"))


def test_all_covers_every_institution_of_the_emps_country_that_says_where_it_is() -> None:
    assert issuer_problems([report(FJORDBY)], fjordnet("All")) == ()
    nowhere = m.Issuer(FJORDBY.identifiers, FJORDBY.titles, country=None)
    (problem,) = issuer_problems([report(nowhere)], fjordnet("All"))
    assert "states no country" in problem
    # An institution listed by its code may leave the country out (ELMO: international institutions).
    assert issuer_problems([report(nowhere)], fjordnet("fjordby.example.no")) == ()


def test_an_emp_listing_no_institution_is_checked_by_country() -> None:
    assert issuer_problems([report(FJORDBY)], fjordnet()) == ()
    assert issuer_problems([report(HARVARD)], fjordnet())
