"""The EMP's [oots] table: a working one makes the evidence provider's configuration; each broken one
is refused with the setting named."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from emrex.emp.oots_settings import OotsConfigError, oots_settings

TABLE: dict[str, Any] = {
    "provider_id": "SE-NORDVIK-DP",
    "provider_scheme": "urn:oasis:names:tc:ebcore:partyid-type:unregistered:SE",
    "provider_name": "Nordvik University",
    "country": "se",
    "procedures": ["T1", "T2"],
    "preview_minutes": 20,
    "access_point": "https://ap.nordvik.example/wsplugin",
    "evidence_types": [
        {
            "identifier": "8f0a9a0e-5a3e-4a5c-9f10-7b2b5b1d3c41",
            "classification": "https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/SE/x",
            "title": "Transcript of records",
            "formats": ["application/xml"],
        }
    ],
}


def test_a_working_table() -> None:
    settings = oots_settings(TABLE, "https://emp.nordvik.example/")
    config = settings.provider
    assert config.preview_base == "https://emp.nordvik.example/oots/preview/"
    assert config.provider.country == "SE" and config.provider.name == "Nordvik University"
    assert config.procedures == frozenset({"T1", "T2"}) and config.preview_ttl == dt.timedelta(minutes=20)
    assert config.delivery_ttl == dt.timedelta(minutes=30)
    assert config.evidence_types[0].formats == ("application/xml",)
    assert settings.access_point == "https://ap.nordvik.example/wsplugin"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"colour": "blue"}, "oots.colour: unknown setting"),
        ({"provider_id": ""}, "oots.provider_id: missing"),
        ({"evidence_types": []}, "oots.evidence_types"),
        ({"evidence_types": [{**TABLE["evidence_types"][0], "formats": ["text/html"]}]},
         "oots.evidence_types[0].formats"),
        ({"evidence_types": [{"identifier": "x", "title": "z"}]}, "oots.evidence_types[0].classification"),
        ({"procedures": ["ZZ9"]}, "oots.procedures"),
        ({"preview_minutes": 0}, "oots.preview_minutes"),
        ({"delivery_minutes": True}, "oots.delivery_minutes"),
        ({"access_point": "ftp://ap.example/"}, "oots.access_point"),
    ],
)  # fmt: skip
def test_a_broken_table_names_the_setting(change: dict[str, Any], named: str) -> None:
    with pytest.raises(OotsConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        oots_settings({**TABLE, **change}, "https://emp.nordvik.example")


def test_plain_http_only_on_localhost() -> None:
    with pytest.raises(OotsConfigError, match="preview base"):
        oots_settings(TABLE, "http://emp.nordvik.example")
    assert oots_settings(TABLE, "http://127.0.0.1:8004").provider.preview_base.startswith("http://127.0.0.1")


def test_the_sealed_edc_is_offered_only_with_a_seal() -> None:
    edc = {**TABLE["evidence_types"][0], "formats": ["application/xml", "application/json"]}
    with pytest.raises(
        OotsConfigError, match=r"formats: application/json \(the sealed EDC\) needs the EMP's \[seal\]"
    ):
        oots_settings({**TABLE, "evidence_types": [edc]}, "https://emp.nordvik.example")
    sealed = oots_settings({**TABLE, "evidence_types": [edc]}, "https://emp.nordvik.example", sealed=True)
    assert sealed.provider.evidence_types[0].formats == ("application/xml", "application/json")
    unlisted = {k: v for k, v in TABLE["evidence_types"][0].items() if k != "formats"}
    table = {**TABLE, "evidence_types": [unlisted]}
    plain = oots_settings(table, "https://emp.nordvik.example").provider.evidence_types[0]
    assert plain.formats == ("application/xml", "application/pdf")
    with_seal = oots_settings(table, "https://emp.nordvik.example", sealed=True).provider.evidence_types[0]
    assert with_seal.formats == ("application/xml", "application/pdf", "application/json")
