"""The SAML service provider in a real emrex.web app against a real pysaml2 identity provider."""

from __future__ import annotations

from tests.web.login.saml_support import (  # noqa: F401  (fixtures)
    ANNA,
    ESI,
    Site,
    federation,
    make_site,
    saml_keys,
    site,
)


def test_full_login_gives_the_person_with_mapped_attributes(site: Site) -> None:
    done = site.login(ANNA)
    assert done.status_code == 303 and done.headers["location"] == "/me"
    me = site.browser.get("/me").json()
    assert me["subject"] == "anna@uni.example"
    assert me["name"] == ["Anna Maria", "Berg"]
    assert me["birth_date"] == "2000-01-31"
    assert me["identifiers"] == {
        "eppn": "anna@uni.example",
        "schacPersonalUniqueCode": ESI,
        "esi": ESI,
        "nationalIdentifier": "200001319999",
    }
    assert me["source"] == "saml" and me["roles"] == ["student"]
